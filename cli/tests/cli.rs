//! The `sandgate` binary, run as a user runs it.

use std::process::{Command, Output};

const KEYS: &str = "a=bXktdGVzdC1zZWNyZXQ=";
const TOKEN: &str = "sbx-001-8080-x2qxvk-0ff8cd39a";

fn sandgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sandgate"))
        .args(args)
        .env_remove("SANDGATE_KEYS")
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
    let now = sandgate::now_unix();
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
    ] {
        let o = sandgate(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("!!!secret!!!"), "{err}");
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
