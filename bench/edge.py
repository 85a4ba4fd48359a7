#!/usr/bin/env python3
"""bench/edge.py: `sandgate authz` at 64 connections with wrk, and nginx + authz against
nginx alone, in front of the mock's sandbox app. A benchmark, not a test.

Targets (issue 20): authz >= 20,000 decisions/s and p99 <= 2 ms at 64 connections.
Writes its section of bench/RESULTS.md (between the edge markers; the rest is kept), or with
--smoke a one-second run to target/bench/EDGE.smoke.md.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "target", "bench", "edge")
SANDGATE = os.path.join(ROOT, "target", "release", "sandgate")
START, END = "<!-- edge:start -->", "<!-- edge:end -->"
KEYS = "a=bXktdGVzdC1zZWNyZXQ="
TOKEN = "sbx-001-8080-x2qxvk-0ff8cd39a"
NOW = "1900000000"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need(cmd, package):
    if shutil.which(cmd) or os.path.exists("/usr/sbin/" + cmd):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", package], check=True,
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), stdout=subprocess.DEVNULL)


def ready_line(p):
    line = p.stdout.readline()
    if not line:
        raise RuntimeError("process exited before it was ready")
    return json.loads(line)


def wait_port(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on %d" % port)


def nginx_conf(prefix, port, app, authz_port, with_auth):
    for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
        os.makedirs(os.path.join(prefix, d), exist_ok=True)
        os.chmod(os.path.join(prefix, d), 0o777)
    docs = os.path.join(ROOT, "docs", "nginx")
    if with_auth:
        server = """include %s/sandgate.conf;
        location / {
            include %s/sandgate-location.conf;
            proxy_pass http://sandboxes$sandgate_path;
        }""" % (docs, docs)
    else:
        server = """location / {
            proxy_set_header X-Sandgate-Sandbox-Id sbx-001;
            proxy_set_header X-Sandgate-Port 8080;
            proxy_pass http://sandboxes;
        }"""
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""
worker_processes auto;
pid %(p)s/nginx.pid;
error_log %(p)s/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %(p)s/client_body;
    proxy_temp_path %(p)s/proxy;
    fastcgi_temp_path %(p)s/fastcgi;
    uwsgi_temp_path %(p)s/uwsgi;
    scgi_temp_path %(p)s/scgi;
    upstream sandgate_authz { server 127.0.0.1:%(authz)d; keepalive 64; }
    upstream sandboxes { server %(app)s; keepalive 64; }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    server {
        listen 127.0.0.1:%(port)d;
        %(server)s
    }
}
""" % {"p": prefix, "authz": authz_port, "app": app, "port": port, "server": server})
    return conf


WRK_LINE = re.compile(r"Requests/sec:\s+([\d.]+)")


def wrk(url, secs, headers, conns=64, threads=2):
    args = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % secs, "--latency"]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args + [url], stdout=subprocess.PIPE, text=True, check=True).stdout
    rps = float(WRK_LINE.search(out).group(1))
    lat = {}
    for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        v = float(m.group(2)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(3)]
        lat[m.group(1)] = v
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p50": lat.get("50"), "p99": lat.get("99"),
            "non2xx": int(non2xx.group(1)) if non2xx else 0}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="one second per row; not figures")
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    secs = 1 if args.smoke else args.seconds
    load = open("/proc/loadavg").read().split()[:3]
    need("wrk", "wrk")
    need("nginx", "nginx")
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "sandgate-cli"], cwd=ROOT, check=True)
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    procs = []
    rows = []
    try:
        mock = subprocess.Popen([SANDGATE, "mock", "--keys", KEYS, "--app-port", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(mock)
        info = ready_line(mock)
        req = json.dumps({"id": "sbx-001", "secure_access": True, "access_token": "tok_9f8e7d6c5b4a"})
        subprocess.run(["curl", "-sf", "-X", "POST", info["api_url"] + "/_mock/sandboxes",
                        "-H", "OPEN-SANDBOX-API-KEY: " + info["admin_key"], "-d", req],
                       check=True, stdout=subprocess.DEVNULL)
        policy = os.path.join(WORK, "policy.json")
        with open(policy, "w") as f:
            json.dump({"sandboxes": {"sbx-001": {"secure": True, "access_token": "tok_9f8e7d6c5b4a"}}}, f)
        authz_port = free_port()
        authz = subprocess.Popen([SANDGATE, "authz", "serve", "--listen", "127.0.0.1:%d" % authz_port,
                                  "--keys", KEYS, "--policy", policy, "--now", NOW],
                                 stdout=subprocess.PIPE, stderr=open(os.path.join(WORK, "authz.log"), "w"),
                                 text=True)
        procs.append(authz)
        ready_line(authz)
        app = info["app_url"].replace("http://", "")
        ports = {}
        for name, with_auth in (("nginx+authz", True), ("nginx alone", False)):
            port = free_port()
            prefix = os.path.join(WORK, name.replace(" ", "-").replace("+", "-"))
            conf = nginx_conf(prefix, port, app, authz_port, with_auth)
            p = subprocess.Popen([nginx_bin, "-p", prefix, "-c", conf, "-e",
                                  os.path.join(prefix, "logs", "error.log"), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
            wait_port(port)
            ports[name] = port
        authz_url = "http://127.0.0.1:%d" % authz_port
        signed = ["OpenSandbox-Ingress-To: " + TOKEN]
        cases = [
            ("sandgate authz (nginx protocol, signed route, access log on)", authz_url + "/nginx",
             signed + ["X-Forwarded-Uri: /ping?x=1", "X-Forwarded-Host: gw.example.com"]),
            ("sandgate authz (Envoy protocol, signed route)", authz_url + "/envoy/ping?x=1", signed),
            ("sandgate authz (denial: bad signature)", authz_url + "/traefik",
             ["OpenSandbox-Ingress-To: sbx-001-8080-x2qxvk-1ff8cd39a", "X-Forwarded-Uri: /"]),
            ("nginx + sandgate authz -> sandbox app", "http://127.0.0.1:%d/ping?x=1" % ports["nginx+authz"], signed),
            ("nginx alone -> sandbox app", "http://127.0.0.1:%d/ping?x=1" % ports["nginx alone"], signed),
        ]
        for name, url, headers in cases:
            r = wrk(url, secs, headers)
            r["name"] = name
            rows.append(r)
            print("%-62s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  non-2xx %d" % (
                name, r["rps"], r["p50"] or 0, r["p99"] or 0, r["non2xx"]), flush=True)
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    write(rows, secs, args.smoke, load)


def write(rows, secs, smoke, load):
    cpu = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    a = rows[0]
    met = a["rps"] >= 20000 and (a["p99"] or 99) <= 2.0
    with_auth, alone = rows[3], rows[4]
    L = [START, "## Edge: `sandgate authz` and nginx + authz (bench/edge.py)", "",
         "Measured on %s (UTC): %s, %d cores, load average at start %s. wrk 2 threads, 64 "
         "connections, %d s per row, on the same 2 cores as the servers (wrk takes a share). "
         "The authorizer decides a signed route for a secure sandbox from a policy file (HMAC "
         "check included) and writes its access log to a file. Target: >= 20,000 decisions/s "
         "and p99 <= 2 ms at 64 connections. Other work on the machine (its load average) shows "
         "in the tail latencies." % (
             time.strftime("%Y-%m-%d %H:%M", time.gmtime()), cpu, os.cpu_count(), " ".join(load), secs),
         "", "| what | req/s | p50 ms | p99 ms | non-2xx |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        L.append("| %s | %.0f | %.2f | %.2f | %d |" % (r["name"], r["rps"], r["p50"] or 0, r["p99"] or 0, r["non2xx"]))
    L += ["", "Target met for the authorizer: %s. nginx + authz serves %.0f%% of nginx alone's "
          "throughput (each allowed request costs nginx one subrequest to the authorizer)." % (
              "yes" if met else "no", 100.0 * with_auth["rps"] / alone["rps"] if alone["rps"] else 0), END]
    block = "\n".join(L) + "\n"
    if smoke:
        os.makedirs(os.path.join(ROOT, "target", "bench"), exist_ok=True)
        with open(os.path.join(ROOT, "target", "bench", "EDGE.smoke.md"), "w") as f:
            f.write(block)
        return
    path = os.path.join(ROOT, "bench", "RESULTS.md")
    text = open(path).read() if os.path.exists(path) else "# sandgate benchmarks\n"
    if START in text and END in text:
        text = text[:text.index(START)] + block.rstrip("\n") + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
