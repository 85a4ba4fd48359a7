#!/usr/bin/env python3
"""The conformance runner behind sdk-tests/run.

Each suite runs its language's own test tool, and the runner reads the per-test results from
that tool's output, sorts every test into a case group by its name, and prints the matrix.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGS = os.path.join(ROOT, "target", "sdk-tests")
GROUPS = ["vectors", "parse", "access", "key config", "API keys", "client", "errors",
          "retry", "cache", "gateway", "rotation", "scenario", "example", "install", "other"]
# A test belongs to the group whose word appears first in its name (lowercased, punctuation
# removed), so "test_parse_cases[expires_b36 01]" is a parse test, not a vectors test.
TAGS = [("scenario", "scenario"), ("example", "example"), ("vector", "vectors"),
        ("keyconfig", "key config"), ("signingkey", "key config"), ("apikey", "API keys"),
        ("parse", "parse"), ("access", "access"), ("error", "errors"), ("client", "client"),
        ("b36", "vectors"), ("retry", "retry"), ("cache", "cache"), ("gateway", "gateway"),
        ("middleware", "gateway"), ("rotation", "rotation")]


def classify(name):
    n = re.sub(r"[^a-z0-9]", "", name.lower())
    found = [(n.find(tag), i, group) for i, (tag, group) in enumerate(TAGS) if tag in n]
    return min(found)[2] if found else "other"


class Result:
    def __init__(self, lang):
        self.lang = lang
        self.tests = []  # (group, name, ok)
        self.seconds = 0.0

    def add(self, name, ok, group=None):
        self.tests.append((group or classify(name), name, ok))


def log_path(lang):
    os.makedirs(LOGS, exist_ok=True)
    return os.path.join(LOGS, lang + ".log")


def sh(cmd, lang, cwd=ROOT, env=None, check=False):
    """Runs cmd (a list or a shell string), appends its output to the language's log and
    returns (exit code, output)."""
    merged = dict(os.environ)
    merged.update(env or {})
    shell = isinstance(cmd, str)
    with open(log_path(lang), "a") as log:
        log.write("\n$ %s\n" % (cmd if shell else " ".join(cmd)))
        start = time.time()
        p = subprocess.run(cmd, cwd=cwd, env=merged, shell=shell, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace")
        log.write(p.stdout)
        log.write("[exit %d after %.1fs]\n" % (p.returncode, time.time() - start))
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (exit %d); see %s" % (cmd, p.returncode, log_path(lang)))
    return p.returncode, p.stdout


def have(cmd):
    return shutil.which(cmd) is not None


def apt_install(*packages):
    if not have("apt-get"):
        raise RuntimeError("apt-get is needed to install %s" % " ".join(packages))
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", *packages], check=True,
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


# ---------------------------------------------------------------- Rust

def ensure_rust():
    if not have("cargo"):
        raise RuntimeError("cargo is not installed (install Rust with rustup)")
    rc, out = sh(["rustup", "component", "list", "--installed"], "rust")
    for comp in ("clippy", "rustfmt"):
        if rc == 0 and comp not in out:
            sh(["rustup", "component", "add", comp], "rust", check=True)
    # The rotation walkthrough (docs/rotation.md), run by cli/tests/rotation_doc.rs, uses curl.
    if not have("curl"):
        apt_install("curl")


def parse_cargo_tests(out, result):
    binary = ""
    for line in out.splitlines():
        m = re.match(r"\s*Running (?:unittests )?(\S+)", line)
        if m:
            binary = os.path.splitext(os.path.basename(m.group(1)))[0]
            continue
        if line.startswith("   Doc-tests"):
            binary = "doctest"
            continue
        m = re.match(r"test (.+?) \.\.\. (ok|FAILED|ignored)", line)
        if m and m.group(2) != "ignored":
            result.add("%s::%s" % (binary, m.group(1)), m.group(2) == "ok")


def rust_suite(result):
    ensure_rust()
    rc, _ = sh(["cargo", "fmt", "--all", "--check"], "rust")
    result.add("lint: cargo fmt --check", rc == 0, "other")
    rc, _ = sh(["cargo", "clippy", "--workspace", "--all-targets", "--", "-D", "warnings"], "rust")
    result.add("lint: cargo clippy -D warnings", rc == 0, "other")
    # The workspace's default members hold every Rust test; the binding crates (in clippy
    # above) are tested through their own languages below.
    rc, out = sh(["cargo", "test", "--no-fail-fast"], "rust")
    parse_cargo_tests(out, result)
    if rc != 0 and not any(not ok for _, _, ok in result.tests):
        result.add("cargo test (build)", False, "other")
    rc, out = sh(["cargo", "bench", "-p", "sandgate", "--bench", "route", "--", "--test"], "rust")
    result.add("bench smoke: core route bench", rc == 0 and "ratio:" in out, "other")


# ---------------------------------------------------------------- other languages

def results_dir(lang):
    d = os.path.join(LOGS, lang)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, exist_ok=True)
    return d


def read_results(d, result):
    """Reads JUnit XML (*.xml) and `go test -json` (*.jsonl) files under d."""
    import json
    import xml.etree.ElementTree as ET
    for root, _, files in os.walk(d):
        for f in sorted(files):
            path = os.path.join(root, f)
            if f.endswith(".xml"):
                try:
                    tree = ET.parse(path)
                except ET.ParseError as e:
                    result.add("unreadable results file %s: %s" % (f, e), False, "other")
                    continue
                for tc in tree.iter("testcase"):
                    name = tc.get("name", "?")
                    cls = tc.get("classname", "")
                    full = "%s.%s" % (cls, name) if cls else name
                    if tc.find("skipped") is not None:
                        result.add(full + " (skipped)", False)
                        continue
                    failed = tc.find("failure") is not None or tc.find("error") is not None
                    result.add(full, not failed)
            elif f.endswith(".jsonl"):
                for line in open(path, errors="replace"):
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        continue
                    if ev.get("Test") and ev.get("Action") in ("pass", "fail", "skip"):
                        name = "%s.%s" % (ev.get("Package", ""), ev["Test"])
                        if ev["Action"] == "skip":
                            result.add(name + " (skipped)", False)
                        else:
                            result.add(name, ev["Action"] == "pass")


def script_suite(lang, script):
    """A suite run by a language's own test script, which writes its results files."""
    def run(result):
        d = results_dir(lang)
        path = os.path.join(ROOT, script)
        if not os.path.exists(path):
            result.add("%s is missing" % script, False, "other")
            return
        rc, out = sh([path], lang, env={"SANDGATE_RESULTS_DIR": d})
        before = len(result.tests)
        read_results(d, result)
        if rc != 0 and all(ok for _, _, ok in result.tests[before:]):
            tail = "\n".join(out.strip().splitlines()[-3:])
            result.add("%s exited %d: %s" % (script, rc, tail), False, "other")
        if len(result.tests) == before and rc == 0:
            result.add("%s reported no tests" % script, False, "other")
    return run


def example_step(lang, command):
    def run(result):
        rc, out = sh(command, lang)
        result.add("example: %s" % command, rc == 0, "example")
    return run


def chain(*steps):
    def run(result):
        for step in steps:
            step(result)
    return run


SUITES = {"rust": chain(rust_suite, example_step("rust", "examples/rust/run.sh"))}
for _lang, _script in [("c", "bindings/c/test.sh"), ("go", "bindings/go/test.sh"),
                       ("python", "bindings/python/test.sh"), ("node", "bindings/node/test.sh"),
                       ("kotlin", "bindings/kotlin/test.sh"), ("csharp", "bindings/csharp/test.sh")]:
    _steps = [script_suite(_lang, _script)]
    _example = os.path.join(ROOT, "examples", _lang, "run.sh")
    if os.path.exists(_example):
        _steps.append(example_step(_lang, "examples/%s/run.sh" % _lang))
    SUITES[_lang] = chain(*_steps)


# The official OpenSandbox SDKs (PyPI `opensandbox`, npm `@alibaba-group/opensandbox`) against
# `sandgate mock`: the mock behaves like the platform for them (SPEC §4).
SUITES["compat"] = script_suite("compat", "sdk-tests/compat/run.sh")

# Verification at the edge (SPEC §6): Debian's nginx with auth_request to `sandgate authz`
# against the mock's gateway on the access matrix and the scenario in every route mode, and
# the Envoy/Traefik wire fixtures.
SUITES["edge"] = script_suite("edge", "sdk-tests/edge/run.sh")


# Distribution (issue 19): the release build makes every artifact of one version into
# target/dist/; each ecosystem's script under sdk-tests/install/ serves its artifact from a real
# registry on loopback, installs it with the ecosystem's own client into a fresh project on a
# PATH without cargo or rustc (Rust aside), and runs the README quickstart as printed.
INSTALLS = [("native", "every shipped native file needs glibc <= 2.17; auditwheel show"),
            ("python", "pypiserver + pip into a fresh venv"),
            ("node", "verdaccio + npm install into fresh ESM, CJS and TypeScript projects"),
            ("go", "GOPROXY=file:// + go get in a fresh module"),
            ("kotlin", "Maven file repository + a fresh Maven project"),
            ("csharp", "nuget folder feed + a fresh mono project"),
            ("rust", "cargo package + a fresh crate on the unpacked crates")]


def install_suite(result):
    rc, _ = sh(["python3", "release/version", "--check"], "install")
    result.add("install: release/version --check (one version everywhere)", rc == 0, "install")
    rc, out = sh(["release/build"], "install")
    result.add("install: release/build made every artifact into target/dist", rc == 0, "install")
    if rc != 0:
        return
    rc, _ = sh(["python3", "sdk-tests/install/sizes.py", "--check"], "install")
    result.add("install: README artifact sizes match target/dist", rc == 0, "install")
    for name, what in INSTALLS:
        rc, out = sh(["sdk-tests/install/%s.sh" % name], "install")
        result.add("install: %s: %s" % (name, what), rc == 0, "install")


SUITES["install"] = install_suite


def bench_smoke(result):
    """bench/run --smoke: every benchmark once with tiny counts, so the bench never rots."""
    rc, out = sh(["bench/run", "--smoke"], "bench")
    result.add("bench smoke: bench/run --smoke measured every row", rc == 0, "other")


SUITES["bench"] = bench_smoke


def print_matrix(results):
    cols = [g for g in GROUPS if any(t[0] == g for r in results for t in r.tests)]
    header = "%-8s " % "" + " ".join("%*s" % (max(len(c), 7), c) for c in cols) + "  seconds"
    print()
    print(header)
    for r in results:
        cells = []
        for c in cols:
            tests = [t for t in r.tests if t[0] == c]
            if not tests:
                cell = "-"
            else:
                passed = sum(1 for t in tests if t[2])
                cell = "%d/%d" % (passed, len(tests))
                if passed != len(tests):
                    cell += "!"
            cells.append("%*s" % (max(len(c), 7), cell))
        print("%-8s " % r.lang + " ".join(cells) + "  %7.1f" % r.seconds)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", help="comma-separated languages to run (default: all)")
    args = ap.parse_args()
    langs = args.only.split(",") if args.only else list(SUITES)
    for lang in langs:
        if lang not in SUITES:
            sys.exit("unknown language %r (known: %s)" % (lang, ", ".join(SUITES)))
    results = []
    for lang in langs:
        open(log_path(lang), "w").close()
        r = Result(lang)
        print("== %s" % lang, flush=True)
        start = time.time()
        try:
            SUITES[lang](r)
        except Exception as e:  # a setup or build step failed: count it, keep going
            r.add("%s suite setup: %s" % (lang, e), False, "other")
        r.seconds = time.time() - start
        failed = [t for t in r.tests if not t[2]]
        print("   %d passed, %d failed in %.1fs (log: %s)" % (
            len(r.tests) - len(failed), len(failed), r.seconds, os.path.relpath(log_path(lang), ROOT)),
            flush=True)
        for g, name, _ in failed:
            print("   FAILED [%s] %s" % (g, name))
        results.append(r)
    print_matrix(results)
    passed = sum(1 for r in results for t in r.tests if t[2])
    failed = sum(1 for r in results for t in r.tests if not t[2])
    print()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
