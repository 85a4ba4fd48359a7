//! The root README's "Verify at your gateway" section shows one snippet per language and the
//! nginx one. Each is marked `<!-- snippet: PATH -->` and must appear, line for line (leading
//! whitespace and Rust doc-comment markers aside), in PATH: a file the test suite runs (a
//! test, a doctest, a README block a test executes, the nginx file the edge row serves). So a
//! snippet that drifts from what runs fails here. The "Rotate signing keys" section's
//! walkthrough is checked the same way against docs/rotation.md (run by
//! cli/tests/rotation_doc.rs).

use std::path::Path;

fn norm(line: &str) -> &str {
    let t = line.trim();
    for p in ["//! ", "/// ", "//!", "///"] {
        if let Some(rest) = t.strip_prefix(p) {
            return rest.trim();
        }
    }
    t
}

/// Checks every marked snippet of the README section `title`; returns the fences' languages.
fn check_section(title: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("README has a '{title}' section"));
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut langs = Vec::new();
    let mut rest = section;
    while let Some(i) = rest.find("<!-- snippet: ") {
        rest = &rest[i + "<!-- snippet: ".len()..];
        let end = rest.find(" -->").unwrap();
        let path = &rest[..end];
        rest = &rest[end..];
        let fence = rest.find("```").expect("a fenced block follows the marker");
        rest = &rest[fence + 3..];
        let nl = rest.find('\n').unwrap();
        langs.push(rest[..nl].trim().to_owned());
        rest = &rest[nl + 1..];
        let close = rest.find("\n```").expect("the block is closed");
        let block: Vec<&str> = rest[..close]
            .lines()
            .map(norm)
            .filter(|l| !l.is_empty())
            .collect();
        rest = &rest[close + 4..];
        let text = std::fs::read_to_string(root.join(path))
            .unwrap_or_else(|e| panic!("snippet source {path}: {e}"));
        let lines: Vec<&str> = text.lines().map(norm).filter(|l| !l.is_empty()).collect();
        assert!(!block.is_empty(), "empty snippet from {path}");
        assert!(
            lines.windows(block.len()).any(|w| w == block.as_slice()),
            "the README's snippet from {path} is not in {path} as written:\n{}",
            block.join("\n")
        );
    }
    langs.sort();
    langs.dedup();
    langs
}

#[test]
fn rotation_walkthrough_is_the_one_the_tests_run() {
    let langs = check_section("Rotate signing keys");
    assert_eq!(langs, ["sh"], "the walkthrough's shell blocks, marked");
}

#[test]
fn gateway_snippets_are_the_code_the_tests_run() {
    let langs = check_section("Verify at your gateway");
    for want in [
        "nginx", "rust", "python", "js", "kotlin", "go", "csharp", "c",
    ] {
        assert!(
            langs.iter().any(|l| l == want),
            "no {want} snippet in the section (found {langs:?})"
        );
    }
}
