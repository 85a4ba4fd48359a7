#!/usr/bin/env python3
"""bench/run: one run, one machine, every figure in bench/RESULTS.md.

Per language: ns per verify and per sign through the sandgate package next to that language's
own SHA-256 of the same signing input (the floor), and resident memory before and after many
verifies. Python against the upstream signing module. HTTP: GetSignedEndpoint throughput and
p50/p99 at 1 and 64 concurrent requests, sandgate against the official SDKs, same mock.
Third-party packages are installed into target/bench at bench time only.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "target", "bench")
LOG = os.path.join(WORK, "bench.log")


def run(cmd, cwd=ROOT, env=None, capture=True):
    """Runs cmd; its stderr (and stdout unless captured) go to the log. Returns stdout."""
    merged = dict(os.environ, **(env or {}))
    with open(LOG, "a") as log:
        log.write("\n$ %s\n" % (cmd if isinstance(cmd, str) else " ".join(cmd)))
        log.flush()
        p = subprocess.run(cmd, cwd=cwd, env=merged, shell=isinstance(cmd, str), text=True,
                           stdout=subprocess.PIPE if capture else log, stderr=log)
    if p.returncode != 0:
        raise RuntimeError("%s failed (exit %d); see %s" % (cmd, p.returncode, LOG))
    return p.stdout or ""


def json_lines(text):
    return [json.loads(l) for l in text.splitlines() if l.strip().startswith("{")]


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kib = int(open("/proc/meminfo").readline().split()[1])
        mem = "%.0f GiB" % (kib / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "kernel": platform.release(),
            "load": "%.2f %.2f %.2f" % os.getloadavg()}


# ------------------------------------------------------------------ per-language micro-benchmarks

def micro_rust(n, m):
    out = run(["cargo", "run", "-q", "--release", "-p", "sandgate", "--example", "microbench",
               "--", str(n), str(m)])
    return json_lines(out)


def python_venv():
    venv = os.path.join(WORK, "venv")
    py = os.path.join(venv, "bin", "python")
    wheel = run(["bindings/python/build.sh"]).strip().splitlines()[-1]
    if not os.path.exists(py):
        run([sys.executable, "-m", "venv", venv])
    run([py, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", wheel])
    run([py, "-m", "pip", "install", "-q", "opensandbox"])
    run([py, "-m", "pip", "install", "-q", "--no-deps", "opensandbox-server"])
    return py


def upstream_signing_path(py):
    site = run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()
    path = os.path.join(site, "opensandbox_server", "services", "signing.py")
    if not os.path.exists(path):
        raise RuntimeError("opensandbox-server's signing module not found at %s" % path)
    return path


def micro_python(py, n, m):
    return json_lines(run([py, "bench/python/microbench.py", str(n), str(m), upstream_signing_path(py)]))


def node_install():
    tarballs = run(["bindings/node/pack.sh"]).strip().splitlines()[-1].split()
    run(["npm", "install", "--no-audit", "--no-fund", "--no-save", "--no-package-lock",
         "--loglevel=error", *tarballs, "@alibaba-group/opensandbox"], cwd=os.path.join(ROOT, "bench", "node"))


def micro_node(n, m):
    return json_lines(run(["node", "--expose-gc", "microbench.mjs", str(n), str(m)],
                          cwd=os.path.join(ROOT, "bench", "node")))


def micro_go(n, m):
    run(["release/native", "ffi"])
    return json_lines(run(["go", "run", ".", str(n), str(m)], cwd=os.path.join(ROOT, "bench", "go")))


def micro_script(lang):
    """Languages whose benchmark has its own script (bench/<lang>/run.sh N M)."""
    def bench(n, m):
        return json_lines(run(["bench/%s/run.sh" % lang, str(n), str(m)]))
    return bench


# ------------------------------------------------------------------ HTTP

class Mock:
    def __enter__(self):
        run(["cargo", "build", "-q", "--release", "-p", "sandgate-cli"])
        self.p = subprocess.Popen([os.path.join(ROOT, "target", "release", "sandgate"), "mock"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            info = json.loads(self.p.stdout.readline())
            self.domain = info["api_url"].split("://", 1)[1]
            self.key = info["admin_key"]
            # The lifecycle spec requires entrypoint and resourceLimits with an image.
            body = {"image": {"uri": "bench"}, "entrypoint": ["tail", "-f", "/dev/null"],
                    "resourceLimits": {"cpu": "1", "memory": "2Gi"}}
            req = urllib.request.Request(
                info["api_url"] + "/v1/sandboxes", method="POST", data=json.dumps(body).encode(),
                headers={"OPEN-SANDBOX-API-KEY": self.key, "Content-Type": "application/json"})
            self.sandbox = json.load(urllib.request.urlopen(req))["id"]
        except BaseException:
            # __exit__ does not run when __enter__ fails: never leave the mock behind.
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        self.p.terminate()
        self.p.wait(timeout=10)


# ------------------------------------------------------------------ report

WHY = {
    "rust": "the floor is two SHA-256 compression blocks with the CPU's SHA extensions (about "
            "120 ns here), so parsing the token (split from the right, port, base 36, signature "
            "shape) and framing the signing input (about 110 ns together, allocation-free) weigh "
            "almost as much as the hash. Reaching 1.3 would need the whole parse, key lookup, "
            "framing and constant-time compare in about 35 ns; we have not found a way that keeps "
            "the code plain.",
    "go": "every call crosses cgo (about 100-150 ns on this machine; turning cgo's pointer "
          "checks off changes nothing) on top of the core's own verify; the Go call itself does not "
          "allocate. Go's SHA-256 floor is fast, so the fixed crossing cost shows.",
    "kotlin": "the JVM's SHA-256 is an intrinsic (about 200 ns); a call through JNA's direct "
              "mapping, the UTF-8 copy of the token and the result object cost about 700 ns. "
              "(Through uniffi's generated JNA calls it was 100x worse in tight loops, so the two "
              "hot paths bypass them: see bindings/kotlin/src/hot.rs.)",
    "node": "the napi call, argument checks and the result object cost more than Node's "
            "createHash round trip in this run.",
    "python": "the pyo3 call and the result object cost more than hashlib in this run.",
    "csharp": "P/Invoke and the result object cost more than mono's SHA-256 in this run.",
}

def ratio(a, b):
    return a / b if b else float("nan")


def write_report(path, smoke, info, micro, http, errors, started):
    L = []
    L.append("# sandgate benchmarks%s" % (" (smoke run: tiny counts, not figures)" if smoke else ""))
    L.append("")
    L.append("Measured by `bench/run` on %s (UTC), all in one run on one machine: %s, %s cores, %s "
             "RAM, Linux %s, load average at start %s. Timings are the best of 5 rounds." % (
                 started, info["cpu"], info["cores"], info["memory"], info["kernel"], info["load"]))
    L.append("")
    L.append("## Sign and verify against each language's own SHA-256 (the floor)")
    L.append("")
    L.append("`floor` is the language's standard SHA-256 of the same 78-byte signing input every "
             "implementation must hash. Targets: verify/floor <= 2 in every language, <= 1.3 in Rust.")
    L.append("")
    L.append("| language | verify ns | sign ns | floor ns | verify/floor | sign/floor | target met |")
    L.append("|---|---:|---:|---:|---:|---:|---|")
    for r in micro:
        if r["language"] == "python-upstream":
            continue
        v, s, f = r["verify_ns"], r["sign_ns"], r["sha256_ns"]
        target = 1.3 if r["language"] == "rust" else 2.0
        L.append("| %s | %.0f | %.0f | %.0f | %.2f | %.2f | %s |" % (
            r["language"], v, s, f, ratio(v, f), ratio(s, f), "yes" if ratio(v, f) <= target else "no"))
    up = next((r for r in micro if r["language"] == "python-upstream"), None)
    py = next((r for r in micro if r["language"] == "python"), None)
    if up and py:
        L.append("")
        L.append("## Python: sandgate against the upstream signing module")
        L.append("")
        L.append("Upstream is `opensandbox_server.services.signing` (PyPI `opensandbox-server`, installed "
                 "at bench time). Its verify is the least a Python gateway must do with it: split the "
                 "token, decode and check the expiry, recompute, `hmac.compare_digest`. Target: >= 5x.")
        L.append("")
        L.append("| operation | sandgate ns | upstream ns | speed-up |")
        L.append("|---|---:|---:|---:|")
        for op in ("sign", "verify"):
            a, b = py[op + "_ns"], up[op + "_ns"]
            L.append("| %s | %.0f | %.0f | %.1fx |" % (op, a, b, ratio(b, a)))
    if http:
        L.append("")
        L.append("## HTTP: GetSignedEndpoint against the mock server")
        L.append("")
        L.append("One `sandgate mock` process on this machine serves both clients; each figure is one "
                 "client at that concurrency. Target: >= 2x the official SDK's throughput, lower p99.")
        L.append("")
        L.append("| client | concurrency | requests | req/s | p50 ms | p99 ms |")
        L.append("|---|---:|---:|---:|---:|---:|")
        for r in http:
            L.append("| %s | %d | %d | %.0f | %.2f | %.2f |" % (
                r["client"], r["concurrency"], r["requests"], r["rps"], r["p50_ms"], r["p99_ms"]))
    hits = [r for r in micro if "endpoint_cache_hit_ns" in r]
    if hits:
        L.append("")
        L.append("## Endpoint cache hit")
        L.append("")
        L.append("`Client::endpoint` for a signed endpoint (TTL mode) already in the cache, against an "
                 "in-process mock whose request log proves no request was sent. Target: < 1000 ns in Rust.")
        L.append("")
        L.append("| language | hit ns | target met |")
        L.append("|---|---:|---|")
        for r in hits:
            ns = r["endpoint_cache_hit_ns"]
            L.append("| %s | %.0f | %s |" % (r["language"], ns, "yes" if ns < 1000 else "no"))
    L.append("")
    L.append("## Memory: resident set before and after many verifies")
    L.append("")
    L.append("| language | verifies | RSS before KiB | RSS after KiB | growth KiB |")
    L.append("|---|---:|---:|---:|---:|")
    for r in micro:
        if "rss_before_kib" in r:
            L.append("| %s | %d | %d | %d | %d |" % (r["language"], r["memory_verifies"], r["rss_before_kib"],
                                                 r["rss_after_kib"], r["rss_after_kib"] - r["rss_before_kib"]))
    L.append("")
    L.append("## Where a target is missed, and why")
    L.append("")
    missed = []
    for r in micro:
        if r["language"] == "python-upstream":
            continue
        target = 1.3 if r["language"] == "rust" else 2.0
        if ratio(r["verify_ns"], r["sha256_ns"]) > target:
            missed.append(r["language"])
    for lang in missed:
        L.append("- **%s** verify/floor: %s" % (lang, WHY.get(lang, "no explanation recorded")))
    L.append("- **sign/floor** is above 2 in several languages: signing returns a new token string "
             "(and, in the packages, an object with every rendered form), so it allocates where "
             "verify does not; the ratio is reported, the targets are about verify.")
    if up and py and min(ratio(up[o + "_ns"], py[o + "_ns"]) for o in ("sign", "verify")) < 5:
        L.append("- **Python against upstream** is under 5x in this run: see the table above.")
    if errors:
        L.append("")
        L.append("## Not measured in this run")
        L.append("")
        for e in errors:
            L.append("- %s" % e)
    edge = edge_block(path)
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")
        f.write(edge)


def edge_block(path):
    """bench/edge.py's section of the report (between its markers), kept as it last wrote it."""
    start, end = "<!-- edge:start -->", "<!-- edge:end -->"
    try:
        old = open(path).read()
    except OSError:
        return ""
    if start in old and end in old:
        return "\n" + old[old.index(start):old.index(end) + len(end)] + "\n"
    return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="tiny counts; report in target/bench")
    ap.add_argument("--only", help="comma-separated parts: rust,python,node,go,kotlin,csharp,http")
    args = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    open(LOG, "w").close()
    n, m, reqs = (2_000, 20_000, 128) if args.smoke else (200_000, 1_000_000, 4_000)
    parts = args.only.split(",") if args.only else ["rust", "python", "node", "go", "kotlin", "csharp", "http", "edge"]
    started = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M")
    info = machine()
    micro, http, errors = [], [], []
    py = None

    def attempt(name, f):
        print("bench: %s" % name, flush=True)
        try:
            return f()
        except Exception as e:  # report what could not be measured instead of stopping
            errors.append("%s: %s" % (name, e))
            print("bench: %s FAILED: %s" % (name, e), flush=True)
            return None

    if "rust" in parts:
        micro += attempt("rust", lambda: micro_rust(n, m)) or []
    if "python" in parts or "http" in parts:
        py = attempt("python setup", python_venv)
    if "python" in parts and py:
        micro += attempt("python", lambda: micro_python(py, n, m)) or []
    node_ok = False
    if "node" in parts or "http" in parts:
        node_ok = attempt("node setup", lambda: node_install() or True) is True
    if "node" in parts and node_ok:
        micro += attempt("node", lambda: micro_node(n, m)) or []
    if "go" in parts:
        micro += attempt("go", lambda: micro_go(n, m)) or []
    for lang in ("kotlin", "csharp"):
        if lang in parts:
            if os.path.exists(os.path.join(ROOT, "bench", lang, "run.sh")):
                micro += attempt(lang, lambda: micro_script(lang)(n, m)) or []
            else:
                errors.append("%s: bench/%s/run.sh does not exist yet" % (lang, lang))
    if "http" in parts:
        def http_all():
            out = []
            with Mock() as mock:
                args_ = [mock.domain, mock.key, mock.sandbox, str(reqs)]
                if py:
                    out += json_lines(run([py, "bench/python/http_bench.py"] + args_))
                if node_ok:
                    out += json_lines(run(["node", "http_bench.mjs"] + args_, cwd=os.path.join(ROOT, "bench", "node")))
            return out
        http += attempt("http", http_all) or []

    if "edge" in parts:
        # sandgate authz and nginx + authz at 64 connections (writes its own section).
        attempt("edge", lambda: run([sys.executable, "bench/edge.py"] + (["--smoke"] if args.smoke else [])))

    report = os.path.join(WORK, "RESULTS.smoke.md") if args.smoke else os.path.join(ROOT, "bench", "RESULTS.md")
    write_report(report, args.smoke, info, micro, http, errors, started)
    print(open(report).read())
    print("bench: report written to %s" % os.path.relpath(report, ROOT))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
