//! `sandgate signing-keys`, run as a user runs it.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

fn sandgate(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sandgate"));
    c.args(args)
        .env_remove("SANDGATE_KEY_RING")
        .env_remove("OPENSANDBOX_SECURE_ACCESS_KEYS")
        .env_remove("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The secrets of the ring, as base64 (read through `render --form flag`).
fn secrets(ring: &Path) -> Vec<String> {
    let o = sandgate(
        &[
            "signing-keys",
            "render",
            "--ring",
            p(ring),
            "--form",
            "flag",
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    out(&o)
        .trim()
        .strip_prefix("--secure-access-keys=")
        .unwrap()
        .split(',')
        .map(|e| e.split_once('=').unwrap().1.to_owned())
        .collect()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn the_whole_rotation_and_no_secret_is_ever_listed() {
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("ring.toml");
    let r = p(&ring);
    let mut shown = String::new();
    let mut run = |args: &[&str]| {
        let o = sandgate(args, &[]);
        shown += &out(&o);
        shown += &err(&o);
        o
    };
    let o = run(&[
        "signing-keys",
        "init",
        "--ring",
        r,
        "--max-token-lifetime",
        "1h",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(
        out(&o).contains("keys a, active a, longest token lifetime 1h"),
        "{}",
        out(&o)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&ring).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // init never replaces a ring.
    let o = run(&[
        "signing-keys",
        "init",
        "--ring",
        r,
        "--max-token-lifetime",
        "1h",
    ]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("already exists"), "{}", err(&o));

    let o = run(&["signing-keys", "add", "--ring", r]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).contains("added key b (not active)"));
    let o = run(&["signing-keys", "list", "--ring", r, "--json"]);
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    let states: Vec<(&str, &str)> = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["id"].as_str().unwrap(), k["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [("a", "active"), ("b", "new")]);

    let o = run(&["signing-keys", "activate", "--ring", r, "b"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(
        out(&o).contains("key b is active; key a stopped signing now"),
        "{}",
        out(&o)
    );
    let o = run(&["signing-keys", "list", "--ring", r]);
    assert!(out(&o).contains("a   verifying"), "{}", out(&o));
    assert!(out(&o).contains("b   active"), "{}", out(&o));

    // Retiring a is refused while a link it signed can be valid: exit 1, one line.
    let o = run(&["signing-keys", "retire", "--ring", r, "a"]);
    assert_eq!(code(&o), 1);
    let e = err(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.starts_with("sandgate: error: refusing to retire key a: links it signed until "),
        "{e}"
    );
    assert!(e.contains("--force"), "{e}");
    // An hour and a second later (the longest lifetime), it goes.
    let later = (now() + 3602).to_string();
    let o = run(&["signing-keys", "list", "--ring", r, "--now", &later]);
    assert!(out(&o).contains("a   retirable"), "{}", out(&o));
    let o = run(&[
        "signing-keys",
        "retire",
        "--ring",
        r,
        "a",
        "--now",
        &later,
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(
        (v["retired"].as_str(), v["breaks"].is_null()),
        (Some("a"), true)
    );

    // Forced early retirement says which links break.
    run(&["signing-keys", "add", "--ring", r]);
    run(&["signing-keys", "activate", "--ring", r, "c"]);
    let o = run(&["signing-keys", "retire", "--ring", r, "b", "--force"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(
        err(&o).contains("retired key b early: links signed with it until ")
            && err(&o).contains("now answer 401 unknown_key"),
        "{}",
        err(&o)
    );
    // The active key is never retired, forced or not.
    let o = run(&["signing-keys", "retire", "--ring", r, "c", "--force"]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("activate another key first"),
        "{}",
        err(&o)
    );
    run(&["signing-keys", "list", "--ring", r]);
    run(&["signing-keys", "list", "--ring", r, "--json"]);

    // Nothing above printed a secret of the ring (not even 12 characters of one).
    let secrets = secrets(&ring);
    assert_eq!(secrets.len(), 1);
    for s in &secrets {
        assert!(!shown.contains(&s[..12]), "a secret was printed:\n{shown}");
    }
}

#[test]
fn list_never_prints_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("r.toml");
    let r = p(&ring);
    sandgate(
        &[
            "signing-keys",
            "init",
            "--ring",
            r,
            "--max-token-lifetime",
            "10m",
        ],
        &[],
    );
    for _ in 0..4 {
        assert_eq!(
            code(&sandgate(&["signing-keys", "add", "--ring", r], &[])),
            0
        );
    }
    let text = std::fs::read_to_string(&ring).unwrap();
    let secrets = secrets(&ring);
    assert_eq!(secrets.len(), 5);
    for s in &secrets {
        assert!(
            text.contains(s.as_str()),
            "the ring holds the secrets it renders"
        );
    }
    for args in [vec!["--json"], vec![]] {
        let mut a = vec!["signing-keys", "list", "--ring", r];
        a.extend(args);
        let o = sandgate(&a, &[]);
        assert_eq!(code(&o), 0);
        let shown = out(&o) + &err(&o);
        assert!(
            shown.contains("verifying") || shown.contains("new"),
            "{shown}"
        );
        for s in &secrets {
            for w in s.as_bytes().windows(8) {
                assert!(!shown.contains(std::str::from_utf8(w).unwrap()), "{shown}");
            }
        }
    }
}

#[test]
fn render_writes_private_files_that_check_clean() {
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("ring.toml");
    let r = p(&ring);
    sandgate(
        &[
            "signing-keys",
            "init",
            "--ring",
            r,
            "--max-token-lifetime",
            "1h",
        ],
        &[],
    );
    sandgate(&["signing-keys", "add", "--ring", r], &[]);
    let out_dir = dir.path().join("forms");
    let o = sandgate(
        &[
            "signing-keys",
            "render",
            "--ring",
            r,
            "--out",
            p(&out_dir),
            "--namespace",
            "sandboxes",
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    let files: Vec<(String, String)> = out(&o)
        .lines()
        .map(|l| {
            let (f, path) = l.split_once('\t').unwrap();
            (f.to_owned(), path.to_owned())
        })
        .collect();
    let forms: Vec<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(forms, ["toml", "env", "flag", "secret", "helm"]);
    for (_, path) in &files {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(std::fs::read_to_string(path).unwrap().ends_with('\n'));
    }
    let f = |form: &str| files.iter().find(|(f, _)| f == form).unwrap().1.clone();
    assert!(std::fs::read_to_string(f("secret"))
        .unwrap()
        .contains("  namespace: sandboxes\n"));
    let o = sandgate(
        &[
            "signing-keys",
            "check",
            "--ring",
            r,
            "--toml",
            &f("toml"),
            "--env-file",
            &f("env"),
            "--flag-file",
            &f("flag"),
            "--secret",
            &f("secret"),
            "--helm-values",
            &f("helm"),
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("clean: every form agrees"), "{}", out(&o));
    // The env form, loaded into a process environment, checks clean too; and stdout forms
    // are the same bytes as the files.
    let env = std::fs::read_to_string(f("env")).unwrap();
    let vars: Vec<(&str, &str)> = env.lines().map(|l| l.split_once('=').unwrap()).collect();
    let o = sandgate(
        &["signing-keys", "check", "--ring", r, "--env", "--json"],
        &vars,
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    for (form, path) in &files {
        let mut args = vec!["signing-keys", "render", "--ring", r, "--form", form];
        if form == "secret" {
            args.extend(["--namespace", "sandboxes"]);
        }
        let o = sandgate(&args, &[]);
        assert_eq!(out(&o), std::fs::read_to_string(path).unwrap(), "{form}");
    }
    // The rendered files, once changed by hand, are caught: drop the ring's second key from
    // the flag.
    let flag = std::fs::read_to_string(f("flag")).unwrap();
    let first_only = flag.trim_end().split(',').next().unwrap().to_owned();
    let o = sandgate(
        &[
            "signing-keys",
            "check",
            "--ring",
            r,
            "--flag",
            &first_only,
            "--json",
        ],
        &[],
    );
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["clean"], false);
    assert_eq!(v["findings"][0]["code"], "missing_key");
    assert_eq!(v["findings"][0]["key_id"], "b");
}

#[test]
fn usage_errors_exit_2_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("ring.toml");
    let r = p(&ring);
    for args in [
        vec!["signing-keys", "check"],
        vec!["signing-keys", "render", "--ring", r],
        vec!["signing-keys", "render", "--ring", r, "--form", "xml"],
        vec!["signing-keys", "init", "--ring", r],
        vec![
            "signing-keys",
            "init",
            "--ring",
            r,
            "--max-token-lifetime",
            "soon",
        ],
        vec![
            "signing-keys",
            "init",
            "--ring",
            r,
            "--max-token-lifetime",
            "0s",
        ],
        vec!["signing-keys", "list"],
        vec!["signing-keys", "list", "--ring", r],
        vec!["signing-keys", "check", "--toml", r],
        vec!["signing-keys", "check", "--secret", p(dir.path())],
    ] {
        let o = sandgate(&args, &[]);
        assert_eq!(code(&o), 2, "{args:?}: {}", err(&o));
        assert_eq!(err(&o).lines().count(), 1, "{args:?}: {}", err(&o));
        assert!(
            err(&o).starts_with("sandgate: error: "),
            "{args:?}: {}",
            err(&o)
        );
    }
    // A ring others can read is refused.
    sandgate(
        &[
            "signing-keys",
            "init",
            "--ring",
            r,
            "--max-token-lifetime",
            "1h",
        ],
        &[],
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ring, std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = sandgate(&["signing-keys", "list", "--ring", r], &[]);
        assert_eq!(code(&o), 2);
        assert!(
            err(&o).contains("mode 0644") && err(&o).contains("chmod 600"),
            "{}",
            err(&o)
        );
    }
}

#[test]
fn init_imports_a_running_key_set() {
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("ring.toml");
    let o = sandgate(
        &[
            "signing-keys",
            "init",
            "--ring",
            p(&ring),
            "--max-token-lifetime",
            "1h",
            "--import-env",
            "--json",
        ],
        &[
            ("OPENSANDBOX_SECURE_ACCESS_KEYS", "a=Zm9vYmFy,b=Zm9vYg=="),
            ("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY", "b"),
        ],
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["key_ids"], serde_json::json!(["a", "b"]));
    assert_eq!(v["active_key"], "b");
    // a's history is unknown: it is not retirable before the longest lifetime has passed.
    let o = sandgate(&["signing-keys", "retire", "--ring", p(&ring), "a"], &[]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    let ring2 = dir.path().join("ring2.toml");
    let o = sandgate(
        &[
            "signing-keys",
            "init",
            "--ring",
            p(&ring2),
            "--max-token-lifetime",
            "1h",
            "--import-flag",
            "a=Zm9v",
        ],
        &[],
    );
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("--active"), "{}", err(&o));
}

fn source_flag(source: &str) -> &'static str {
    match source {
        "ring" => "--ring",
        "toml" => "--toml",
        "secret" => "--secret",
        "helm" => "--helm-values",
        "flag" => "--flag-file",
        other => panic!("{other}"),
    }
}

/// `sdk-tests/cases/key_check.json` through the command: each input written to a file (the
/// env pair put into the process environment, `--env`), exit 0 when clean and 1 with
/// findings, and the same `[code, source]` set as the case expects.
#[test]
fn key_check_cases() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sdk-tests/cases/key_check.json"
    );
    let data: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for (n, case) in cases.iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = vec!["signing-keys".into(), "check".into(), "--json".into()];
        let mut env: Vec<(String, String)> = Vec::new();
        for (i, input) in case["inputs"].as_array().unwrap().iter().enumerate() {
            let source = input["source"].as_str().unwrap();
            if source == "env" {
                for (k, v) in input["vars"].as_object().unwrap() {
                    env.push((k.clone(), v.as_str().unwrap().to_owned()));
                }
                args.push("--env".into());
                continue;
            }
            let file = dir.path().join(format!("{n}-{i}.{source}"));
            std::fs::write(&file, input["text"].as_str().unwrap()).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
            }
            args.push(source_flag(source).into());
            args.push(file.to_str().unwrap().into());
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let envv: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let o = sandgate(&argv, &envv);
        let clean = case["expect"]["clean"].as_bool().unwrap();
        assert_eq!(
            code(&o),
            if clean { 0 } else { 1 },
            "{name}: {}{}",
            out(&o),
            err(&o)
        );
        let v: Value =
            serde_json::from_str(&out(&o)).unwrap_or_else(|e| panic!("{name}: {e}: {}", out(&o)));
        let got: BTreeSet<(String, String)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap().into(),
                    f["source"].as_str().unwrap().into(),
                )
            })
            .collect();
        let want: BTreeSet<(String, String)> = case["expect"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
            .collect();
        assert_eq!(got, want, "{name}: {}", out(&o));
        assert_eq!(v["clean"], clean, "{name}");
    }
}
