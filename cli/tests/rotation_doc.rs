//! The "Rotate signing keys" walkthrough (`docs/rotation.md`) is run as written: every `sh`
//! block, in order, in one bash with `set -euo pipefail`, in an empty folder, with this
//! build's `sandgate` first on `PATH`. Its output must show each step behaving.

#![cfg(unix)]

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The `sh` blocks of a markdown text, in order.
fn sh_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an sh block is not closed");
    blocks
}

#[test]
fn the_rotation_walkthrough_runs_as_written() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rotation.md"))
        .unwrap();
    let blocks = sh_blocks(&doc);
    assert!(blocks.len() >= 5, "{} sh blocks", blocks.len());
    // Stop the background mock whatever happens.
    let script = format!(
        "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{}",
        blocks.concat()
    );
    let dir = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_sandgate"))
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env_remove("SANDGATE_KEY_RING")
        .env_remove("OPENSANDBOX_SECURE_ACCESS_KEYS")
        .env_remove("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    // Bounded: a stuck step fails the test instead of hanging it.
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            panic!("the walkthrough did not finish within 180 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        status.success(),
        "exit {status}\nstdout:\n{out}\nstderr:\n{err}"
    );
    // Each step, in order.
    let mut rest = out.as_str();
    for expected in [
        "created ",
        "clean: every form agrees",
        "unpadded_base64: --flag: entry 1 (key a)",
        "spaces: --flag: entry 2 (key b)",
        "empty_entry: --flag: entry 3",
        "check found problems (exit 1)",
        "added key b (not active)",
        "key b is active; key a stopped signing now",
        "retire refused (exit 1): a's links may still be valid",
        "a   verifying",
        "a-link: 200\n",
        "{\"active_key\":\"a\",\"key_ids\":[\"a\",\"b\"]}",
        "{\"active_key\":\"b\",\"key_ids\":[\"a\",\"b\"]}",
        "a-link: 200, b-link: 200\n",
        "retire refused (exit 1)",
        "retired key a",
        "{\"active_key\":\"b\",\"key_ids\":[\"b\"]}",
        "a-link: 401 expired, fresh b-link: 200\n",
        "a-link: 401 unknown_key, b-link: 200\n",
    ] {
        match rest.find(expected) {
            Some(i) => rest = &rest[i + expected.len()..],
            None => panic!("missing, in order: {expected:?}\nstdout:\n{out}\nstderr:\n{err}"),
        }
    }
    // The refusal was one line on stderr.
    assert!(
        err.contains("sandgate: error: refusing to retire key a: links it signed until "),
        "{err}"
    );
}
