//! The `sandgate` binary, run as a user runs it.

use std::process::{Command, Output};

const KEYS: &str = "a=bXktdGVzdC1zZWNyZXQ=";
const TOKEN: &str = "sbx-001-8080-x2qxvk-0ff8cd39a";

fn sandgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sandgate"))
        .args(args)
        .env_remove("SANDGATE_KEYS")
        .env_remove("OPENSANDBOX_SECURE_ACCESS_KEYS")
        .env_remove("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn sign_prints_the_spec_token() {
    let o = sandgate(&[
        "sign",
        "--keys",
        KEYS,
        "--key-id",
        "a",
        "--sandbox",
        "sbx-001",
        "--port",
        "8080",
        "--expires",
        "2000000000",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), TOKEN);
}

#[test]
fn sign_json_has_every_form() {
    let o = sandgate(&[
        "sign",
        "--keys",
        KEYS,
        "--key-id",
        "a",
        "--sandbox",
        "sbx-001",
        "--port",
        "8080",
        "--expires",
        "2000000000",
        "--json",
        "--base-domain",
        "example.com",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["token"], TOKEN);
    assert_eq!(v["host"], format!("{TOKEN}.example.com"));
    assert_eq!(v["uri_prefix"], "/sbx-001/8080/x2qxvk/0ff8cd39a");
    assert_eq!(v["header"]["OpenSandbox-Ingress-To"], TOKEN);
    assert_eq!(v["expires"], 2_000_000_000u64);
}

#[test]
fn sign_with_ttl_and_keys_from_env_and_file() {
    let o = Command::new(env!("CARGO_BIN_EXE_sandgate"))
        .args([
            "sign",
            "--key-id",
            "a",
            "--sandbox",
            "s1",
            "--port",
            "80",
            "--ttl",
            "15m",
            "--json",
        ])
        .env("SANDGATE_KEYS", KEYS)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let expires = v["expires"].as_u64().unwrap();
    let now = sandgate::clock::now_unix();
    assert!(
        expires >= now + 899 && expires <= now + 901,
        "{expires} vs {now}"
    );

    let dir = std::env::temp_dir().join(format!("sandgate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("server.toml");
    std::fs::write(&file, "[ingress.secure_access]\nactive_key = \"a\"\n[[ingress.secure_access.keys]]\nkey_id = \"a\"\nkey = \"bXktdGVzdC1zZWNyZXQ=\"\n").unwrap();
    let o = sandgate(&[
        "sign",
        "--keys-file",
        file.to_str().unwrap(),
        "--sandbox",
        "sbx-001",
        "--port",
        "8080",
        "--expires",
        "2000000000",
    ]);
    assert_eq!(stdout(&o).trim(), TOKEN, "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn verify_exit_codes_and_json() {
    let o = sandgate(&[
        "verify",
        "--keys",
        KEYS,
        "--now",
        "1900000000",
        TOKEN,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["allowed"], true);
    assert_eq!(v["sandbox_id"], "sbx-001");
    assert_eq!(v["key_id"], "a");

    let o = sandgate(&[
        "verify",
        "--keys",
        KEYS,
        "--now",
        "2000000001",
        TOKEN,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (
            v["allowed"].clone(),
            v["reason"].clone(),
            v["status"].clone()
        ),
        (false.into(), "expired".into(), 401.into())
    );
    assert_eq!(v["port"], 8080);

    let host = format!("{TOKEN}.example.com:443");
    let o = sandgate(&["verify", "--keys", KEYS, "--now", "1", "--host", &host]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = sandgate(&[
        "verify",
        "--keys",
        KEYS,
        "--now",
        "1",
        "--path",
        "/sbx-001/8080/x2qxvk/0ff8cd39a/ping",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = sandgate(&[
        "verify",
        "--keys",
        KEYS,
        "--now",
        "1",
        "--secure-header",
        "wrong",
        "--access-token",
        "right",
        TOKEN,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("header_mismatch"), "{}", stdout(&o));
    let o = sandgate(&[
        "verify",
        "--keys",
        KEYS,
        "--now",
        "1",
        "--secure-header",
        "right",
        "--access-token",
        "right",
        "abc-80",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn bad_usage_is_one_line_and_exit_2() {
    for args in [
        &["verify", TOKEN][..],                                     // no keys
        &["verify", "--keys", "A=Zm9v", TOKEN],                     // bad key id
        &["verify", "--keys", KEYS, "--secure-header", "x", TOKEN], // header without token
        &[
            "sign",
            "--keys",
            KEYS,
            "--sandbox",
            "s",
            "--port",
            "0",
            "--expires",
            "1",
        ],
        &[
            "sign",
            "--keys",
            KEYS,
            "--key-id",
            "a",
            "--sandbox",
            "s",
            "--port",
            "1",
        ],
        &[
            "sign",
            "--keys",
            KEYS,
            "--sandbox",
            "s",
            "--port",
            "1",
            "--expires",
            "1",
        ], // no key id
        &[
            "sign",
            "--keys",
            "a=!!!secret!!!",
            "--key-id",
            "a",
            "--sandbox",
            "s",
            "--port",
            "1",
            "--expires",
            "1",
        ],
        &[
            "sign",
            "--keys-file",
            "/nonexistent/server.toml",
            "--sandbox",
            "s",
            "--port",
            "1",
            "--expires",
            "1",
        ],
        &["keygen", "--prefix", "has space"],
        // clap's own usage errors (3 to 7 lines before issue 15).
        &[],
        &["keys"],
        &["nope"],
        &["sign"],
        &["sign", "--kyes", KEYS],
        &["verify", "--keys", KEYS],
        &[
            "sign",
            "--keys",
            KEYS,
            "--sandbox",
            "s",
            "--port",
            "eighty",
            "--expires",
            "1",
        ],
        &["verify", "--keys", KEYS, "--keys-env", TOKEN],
        &["verify", "--keys-file", "/dev/zero", TOKEN],
        &["verify", "--keys-file", "/", TOKEN],
        &["verify", "--keys-env", TOKEN],
        &[
            "sign",
            "--keys",
            KEYS,
            "--key-id",
            "a",
            "--sandbox",
            "s",
            "--port",
            "1",
            "--expires",
            "1",
            "--json",
            "--base-domain",
            "evil.com/x",
        ],
    ] {
        let o = sandgate(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("!!!secret!!!"), "{err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("sandgate: error: "), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    // Help and version are not errors.
    for args in [&["--help"][..], &["--version"], &["sign", "--help"]] {
        let o = sandgate(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(!stdout(&o).is_empty() && o.stderr.is_empty(), "{args:?}");
    }
}

/// Regression (issue 15): `--keys-file /dev/zero` read forever and a huge file was read whole;
/// a TOML syntax error took several lines.
#[test]
fn keys_file_refuses_devices_big_files_and_reports_toml_errors_on_one_line() {
    let dir = std::env::temp_dir().join(format!("sandgate-cli-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.toml");
    let mut text = String::from(
        "[ingress.secure_access]\n[[ingress.secure_access.keys]]\nkey_id = \"a\"\nkey = \"bXktdGVzdC1zZWNyZXQ=\"\n",
    );
    while text.len() <= 1024 * 1024 {
        text.push_str("# padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&big, &text).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[ingress.secure_access]\n[[ingress.secure_access.keys]]\nkey_id = \"a\"\nkey = \"hunter2secret\n",
    )
    .unwrap();
    for (path, says) in [
        ("/dev/zero", "not a regular file"),
        (dir.to_str().unwrap(), "not a regular file"),
        (big.to_str().unwrap(), "larger than 1048576 bytes"),
        (bad.to_str().unwrap(), "invalid TOML at line 4"),
    ] {
        let t = std::time::Instant::now();
        let o = sandgate(&["verify", "--keys-file", path, TOKEN]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{path}: {err}");
        assert_eq!(err.lines().count(), 1, "{path}: {err}");
        assert!(
            err.contains("--keys-file") && err.contains(says),
            "{path}: {err}"
        );
        assert!(!err.contains("hunter2secret"), "{err}");
        assert!(t.elapsed() < std::time::Duration::from_secs(20), "{path}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn keys_env_reads_the_servers_environment_pair() {
    let run = |env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sandgate"));
        c.args([
            "sign",
            "--keys-env",
            "--sandbox",
            "sbx-001",
            "--port",
            "8080",
            "--expires",
            "2000000000",
        ])
        .env_remove("SANDGATE_KEYS")
        .env_remove("OPENSANDBOX_SECURE_ACCESS_KEYS")
        .env_remove("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let o = run(&[
        (
            "OPENSANDBOX_SECURE_ACCESS_KEYS",
            "b=Zm9v,a=bXktdGVzdC1zZWNyZXQ=",
        ),
        ("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY", "a"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), TOKEN);
    for (env, says) in [
        (
            &[("OPENSANDBOX_SECURE_ACCESS_KEYS", KEYS)][..],
            "must be set together",
        ),
        (
            &[
                ("OPENSANDBOX_SECURE_ACCESS_KEYS", "a=bXktdGVzdC1zZWNyZXQ=,"),
                ("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY", "a"),
            ],
            "entry 2",
        ),
        (&[], "neither"),
    ] {
        let o = run(env);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{env:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{env:?}: {err}");
        assert!(!err.contains("bXktdGVz"), "{err}");
    }
}

#[test]
fn keygen_prints_key_prefix_and_hash() {
    let o = sandgate(&["keygen", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let key = v["key"].as_str().unwrap();
    assert_eq!(key.len(), 47);
    assert_eq!(v["prefix"], key[..12]);
    assert_eq!(v["hash"], sandgate::hash_api_key(key));
    let o = sandgate(&["keygen", "--prefix", "team_"]);
    assert!(stdout(&o).contains("key:    team_"));
}

fn with_env(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sandgate"));
    c.args(args);
    for k in [
        "OPEN_SANDBOX_DOMAIN",
        "OPEN_SANDBOX_API_KEY",
        "OPEN_SANDBOX_PROTOCOL",
    ] {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn client_commands_endpoint_and_keys_use_env_configuration() {
    let mock = sandgate_mock::MockServer::start(sandgate_mock::MockConfig {
        trusted_headers: true,
        ..Default::default()
    })
    .unwrap();
    let env = vec![
        ("OPEN_SANDBOX_DOMAIN", mock.domain()),
        ("OPEN_SANDBOX_API_KEY", mock.admin_key().expose().to_owned()),
    ];
    let client = sandgate::Client::builder()
        .domain(mock.domain())
        .api_key(mock.admin_key().expose())
        .build()
        .unwrap();
    let sandbox =
        sandgate::runtime::block_on(client.create_sandbox(&sandgate::CreateSandbox::new("img")))
            .unwrap();
    let o = with_env(
        &["endpoint", &sandbox.id, "8080", "--ttl", "10m", "--json"],
        &env,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["route"]["sandbox_id"], sandbox.id.as_str());
    assert_eq!(v["route"]["key_id"], "a");
    let o = with_env(&["endpoint", "nope", "80"], &env);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("404"), "{}", stderr(&o));

    // The admin key is not a user: minting needs a user key.
    let o = with_env(&["keys", "create"], &env);
    assert_eq!(o.status.code(), Some(1));
    let user = sandgate::runtime::block_on(
        sandgate::Client::builder()
            .domain(mock.domain())
            .header("X-OpenSandbox-User", "cli-user")
            .header("X-OpenSandbox-Roles", "operator")
            .build()
            .unwrap()
            .create_api_key(None, None),
    )
    .unwrap();
    let env = vec![
        ("OPEN_SANDBOX_DOMAIN", mock.domain()),
        ("OPEN_SANDBOX_API_KEY", user.key.expose().to_owned()),
    ];
    let o = with_env(
        &[
            "keys",
            "create",
            "--name",
            "from-cli",
            "--expires-at",
            "2100-01-01T00:00:00Z",
        ],
        &env,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let created: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(created["name"], "from-cli");
    let o = with_env(&["keys", "list"], &env);
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    assert!(!stdout(&o).contains(created["key"].as_str().unwrap()));
    let o = with_env(&["keys", "revoke", created["id"].as_str().unwrap()], &env);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = with_env(&["keys", "create", "--expires-at", "yesterday"], &env);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn demo_walks_the_flow_and_exits_0() {
    let o = sandgate(&["demo"]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    for step in [
        "1. minted",
        "4. GET /ping",
        "6. after the clock",
        "expired",
        "7. tampered",
        "bad_signature",
        "8. revoked",
        "every step behaved",
    ] {
        assert!(out.contains(step), "missing {step:?} in\n{out}");
    }
}

#[test]
fn mock_command_prints_one_json_line_and_stops_on_sigterm() {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandgate"))
        .args(["mock", "--route-mode", "uri", "--trusted-headers"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["route_mode"], "uri");
    for k in ["api_url", "gateway_url", "admin_key", "signing_keys"] {
        assert!(v[k].as_str().is_some_and(|s| !s.is_empty()), "{k}");
    }
    assert!(
        !sandgate::SigningKeys::from_flag(v["signing_keys"].as_str().unwrap())
            .unwrap()
            .is_empty()
    );
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let o = sandgate(&["mock", "--route-mode", "sideways"]);
    assert_eq!(o.status.code(), Some(2));
}
