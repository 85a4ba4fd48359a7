#!/usr/bin/env python3
"""nginx + `sandgate authz` against the mock's own gateway (issue 20).

For each route mode (header, wildcard, uri), nginx runs unprivileged on a loopback port with
its prefix and temp dirs under target/edge/, includes docs/nginx/sandgate.conf and
sandgate-location.conf, asks `sandgate authz serve` with auth_request, and forwards allowed
requests to the mock's sandbox app listener. Every case of sdk-tests/cases/access.json and
every gateway step of sdk-tests/cases/scenario.json is sent, byte for byte the same, to nginx
and to the mock's gateway (same keys, same clock, same sandboxes): status, X-Sandgate-Reason
and the sandbox app's echo must be equal. Where the case's request is the mode's own form, the
verdict must also be the case's expectation.

Writes JUnit XML to $SANDGATE_RESULTS_DIR/edge.xml (or target/edge/edge.xml) and prints
"N passed, N failed".
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from xml.sax.saxutils import quoteattr, escape

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANDGATE = os.path.join(ROOT, "target", "debug", "sandgate")
WORK = os.path.join(ROOT, "target", "edge")
CASES = os.path.join(ROOT, "sdk-tests", "cases")
NGINX_DOCS = os.path.join(ROOT, "docs", "nginx")
MODES = ["header", "wildcard", "uri"]
CREDENTIALS = ["opensandbox-ingress-to", "open-sandbox-ingress", "opensandbox-secure-access",
               "opensandbox-access-renew"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_binary():
    for c in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if c and os.path.exists(c):
            return c
    raise RuntimeError("nginx is not installed (sdk-tests/edge/run.sh installs it)")


class Proc:
    """A child process that prints one JSON ready line on stdout."""

    def __init__(self, args, env=None, log=None):
        self.log = open(log, "a") if log else subprocess.DEVNULL
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                  env=dict(os.environ, **(env or {})))
        line = self.p.stdout.readline()
        if not line:
            self.p.wait(5)
            raise RuntimeError("%s exited (%s) before it was ready" % (args[:3], self.p.returncode))
        self.info = json.loads(line)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        if self.log is not subprocess.DEVNULL:
            self.log.close()


def http(method, url, body=None, headers=None):
    """A JSON API call; returns (status, parsed body)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read().decode()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text


def raw_get(port, target, headers):
    """Sends `GET target` with exactly `headers` (a list of (name, value); Host included
    when given) and returns (status, {lowercase name: value}, body)."""
    return raw_request(port, "GET", target, headers)


def raw_request(port, method, target, headers):
    lines = ["%s %s HTTP/1.1" % (method, target)]
    lines += ["%s: %s" % (k, v) for k, v in headers]
    lines += ["Connection: close", "", ""]
    data = "\r\n".join(lines).encode("latin-1")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    resp = b"".join(chunks)
    head, _, body = resp.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split()[1])
    hdrs = {}
    for l in head_lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            n = int(size_line.split(b";")[0], 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    return status, hdrs, body.decode("utf-8", "replace")


def verdict(status, hdrs, body):
    """What a gateway answered: status, reason, and for a 200 the echo's route fields."""
    v = {"status": status, "reason": hdrs.get("x-sandgate-reason")}
    if status == 200:
        echo = json.loads(body)
        v["echo"] = {k: echo.get(k) for k in ("sandbox_id", "port", "path", "query", "method")}
        leaked = [h for h in echo.get("headers", {}) if h.lower() in CREDENTIALS]
        v["leaked"] = leaked
    elif status == 503:
        v["retry_after"] = hdrs.get("retry-after")
    if status != 200:
        v["body_prefix"] = body.startswith("OpenSandbox Ingress: ")
    return v


def same(nginx, mock):
    """Equal verdicts. nginx refuses a request that is not valid HTTP for it (a Host with a
    scheme or spaces, a request target that is not a path) with its own 400 before any
    authorization; that counts as the mock's 400 `malformed`."""
    if nginx["status"] == 400 and nginx["reason"] is None and not nginx.get("body_prefix") \
            and mock["status"] == 400 and mock["reason"] in ("malformed", None):
        return True
    return nginx == mock


class Edge:
    def __init__(self):
        self.nginx_bin = nginx_binary()
        self.results = []  # (classname, name, ok, message, seconds)
        self.authz = None
        self.notes = []
        shutil.rmtree(WORK, ignore_errors=True)
        os.makedirs(WORK)
        os.chmod(WORK, 0o755)

    def record(self, cls, name, fn):
        start = time.time()
        try:
            fn()
            self.results.append((cls, name, True, "", time.time() - start))
        except Exception as e:  # one failing case never stops the others
            msg = "%s: %s" % (type(e).__name__, e)
            self.results.append((cls, name, False, msg + "\n" + traceback.format_exc(),
                                 time.time() - start))
            print("FAILED %s %s: %s" % (cls, name, msg), flush=True)

    # ------------------------------------------------------------ processes

    def start_mock(self, mode, keys=None, trusted=False):
        args = [SANDGATE, "mock", "--route-mode", mode, "--app-port", "0"]
        if keys is not None:
            args += ["--keys", keys]
        if trusted:
            args.append("--trusted-headers")
        return Proc(args, log=os.path.join(WORK, "mock.log"))

    def start_authz(self, port, mode, keys, now, policy=None, platform=None):
        args = [SANDGATE, "authz", "serve", "--listen", "127.0.0.1:%d" % port,
                "--route-mode", mode, "--keys", keys, "--now", str(now)]
        env = {}
        if policy is not None:
            args += ["--policy", policy]
        else:
            args += ["--platform", "--domain", platform["domain"]]
            env["OPEN_SANDBOX_API_KEY"] = platform["api_key"]
        for _ in range(50):  # the port may still be held for a moment by the last one
            try:
                return Proc(args, env=env, log=os.path.join(WORK, "authz.log"))
            except RuntimeError:
                time.sleep(0.05)
        raise RuntimeError("sandgate authz did not start on port %d" % port)

    def start_nginx(self, port, authz_port, app_url):
        prefix = os.path.join(WORK, "nginx-%d" % port)
        os.makedirs(prefix, exist_ok=True)
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            path = os.path.join(prefix, d)
            os.makedirs(path, exist_ok=True)
            os.chmod(path, 0o777)  # workers may run as nobody when the test runs as root
        app = app_url.replace("http://", "")
        conf = os.path.join(prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""
worker_processes 1;
pid %(prefix)s/nginx.pid;
error_log %(prefix)s/logs/error.log warn;
events { worker_connections 512; }
http {
    access_log %(prefix)s/logs/access.log;
    client_body_temp_path %(prefix)s/client_body;
    proxy_temp_path %(prefix)s/proxy;
    fastcgi_temp_path %(prefix)s/fastcgi;
    uwsgi_temp_path %(prefix)s/uwsgi;
    scgi_temp_path %(prefix)s/scgi;
    upstream sandgate_authz { server 127.0.0.1:%(authz)d; }
    upstream sandboxes { server %(app)s; }
    server {
        listen 127.0.0.1:%(port)d;
        server_name _;
        include %(docs)s/sandgate.conf;
        location / {
            include %(docs)s/sandgate-location.conf;
            proxy_pass http://sandboxes$sandgate_path;
        }
    }
}
""" % {"prefix": prefix, "authz": authz_port, "app": app, "port": port, "docs": NGINX_DOCS})
        p = subprocess.Popen([self.nginx_bin, "-p", prefix, "-c", conf, "-e",
                              os.path.join(prefix, "logs", "error.log"), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            if p.poll() is not None:
                raise RuntimeError("nginx exited: %s" % p.stderr.read())
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return p
            except OSError:
                time.sleep(0.05)
        p.kill()
        raise RuntimeError("nginx did not start")

    # ------------------------------------------------------------ access matrix

    def access(self, mode):
        cases = json.load(open(os.path.join(CASES, "access.json")))["cases"]
        by_keys = {}
        for c in cases:
            by_keys.setdefault(c["keys"], []).append(c)
        nginx_port, authz_port = free_port(), free_port()
        for keys, group in by_keys.items():
            mock = self.start_mock(mode, keys=keys)
            nginx = None
            try:
                nginx = self.start_nginx(nginx_port, authz_port, mock.info["app_url"])
                for c in group:
                    self.record("edge.access.%s" % mode, "edge access [%s] %s" % (mode, c["name"]),
                                lambda c=c: self.access_case(mode, mock, c, nginx_port, authz_port))
            finally:
                self.stop_authz()
                if nginx:
                    nginx.terminate()
                    nginx.wait(10)
                mock.stop()

    def access_case(self, mode, mock, c, nginx_port, authz_port):
        api = mock.info["api_url"]
        admin = {"OPEN-SANDBOX-API-KEY": mock.info["admin_key"]}
        status, _ = http("POST", api + "/_mock/reset", {}, admin)
        assert status == 200, status
        r, sb = c["request"], c["sandbox"]
        ids = candidate_ids(r)
        policy = {"sandboxes": {}}
        for i in ids:
            body = {"id": i, "secure_access": sb["secure"]}
            entry = {"secure": sb["secure"]}
            if sb["secure"]:
                body["access_token"] = entry["access_token"] = sb["access_token"]
            status, out = http("POST", api + "/_mock/sandboxes", body, admin)
            assert status == 200, (status, out)
            policy["sandboxes"][i] = entry
        status, out = http("POST", api + "/_mock/clock", {"now": int(c["now"]), "freeze": True}, admin)
        assert status == 200, (status, out)
        path = os.path.join(WORK, "policy.json")
        with open(path, "w") as f:
            json.dump(policy, f)
        self.stop_authz()
        self.authz = self.start_authz(authz_port, mode, c["keys"], c["now"], policy=path)
        target = r.get("path") or "/"
        gw_port = int(mock.info["gateway_url"].rsplit(":", 1)[1])

        def headers(port):
            h = [("Host", r["host"] if "host" in r else "127.0.0.1:%d" % port)]
            if "ingress_to" in r:
                h.append(("OpenSandbox-Ingress-To", r["ingress_to"]))
            if "secure_access" in r:
                h.append(("OpenSandbox-Secure-Access", r["secure_access"]))
            return h

        got = verdict(*raw_get(nginx_port, target, headers(nginx_port)))
        want = verdict(*raw_get(gw_port, target, headers(gw_port)))
        if not same(got, want) and "host" in r and not valid_host(r["host"]) \
                and nginx_refused(got):
            # nginx refuses a Host that is not `host[:port]` (RFC 9110 §7.2) with its own
            # 400 before auth_request runs: fail closed, but not the mock's verdict.
            self.notes.append("%s [%s]: nginx refuses Host %r itself (400); the mock: %s"
                              % (c["name"], mode, r["host"], want["status"]))
            return
        assert same(got, want), "nginx %s != mock %s" % (got, want)
        if got["status"] == 200:
            assert got["leaked"] == [], got
        # The case's own expectation where the request is this mode's form and valid HTTP
        # (a target such as `?q=1` is refused by both servers' HTTP parsers).
        if natural_mode(r) == mode and nginx_refused(want) and nginx_refused(got):
            self.notes.append("%s [%s]: the request is not valid HTTP; both refuse it with 400"
                              % (c["name"], mode))
        elif natural_mode(r) == mode:
            e = c["expect"]
            if e["allowed"]:
                assert got["status"] == 200, got
                assert got["echo"]["port"] == e["port"] and got["echo"]["path"] == e["path"] \
                    and got["echo"]["query"] == e["query"], (got, e)
            else:
                assert got["status"] == e["status"], (got, e)
                if got["reason"] is not None:
                    assert got["reason"] == e["reason"], (got, e)

    def stop_authz(self):
        if self.authz:
            self.authz.stop()
            self.authz = None

    # ------------------------------------------------------------ Envoy and Traefik

    def proxies(self):
        """The recorded Envoy/Traefik request shapes against a real `sandgate authz`."""
        fx = json.load(open(os.path.join(ROOT, "sdk-tests", "edge", "fixtures", "proxies.json")))
        path = os.path.join(WORK, "proxies-policy.json")
        with open(path, "w") as f:
            json.dump(fx["policy"], f)
        port = free_port()
        for f in fx["fixtures"]:
            def run(f=f):
                self.stop_authz()
                self.authz = self.start_authz(port, f["mode"], f.get("keys", fx["keys"]),
                                              f.get("now", fx["now"]), policy=path)
                r = f["request"]
                status, hdrs, body = raw_request(port, r["method"], r["target"], r["headers"])
                e = f["expect"]
                assert status == e["status"], (status, hdrs, body)
                for k, v in e.get("headers", {}).items():
                    assert hdrs.get(k) == v, (k, hdrs)
                for k in e.get("absent", []):
                    assert k not in hdrs, (k, hdrs)
                if "body_starts" in e:
                    assert body.startswith(e["body_starts"]), body
            self.record("edge.proxies", "edge proxy fixture: " + f["name"], run)
        self.stop_authz()

    # ------------------------------------------------------------ scenario

    def scenario(self, mode):
        sc = json.load(open(os.path.join(CASES, "scenario.json")))
        mock = self.start_mock(mode, trusted=True)
        api = mock.info["api_url"]
        admin = {"OPEN-SANDBOX-API-KEY": mock.info["admin_key"]}
        keys = mock.info["signing_keys"]
        nginx_port, authz_port = free_port(), free_port()
        nginx = None
        state = {"saved": {}}
        try:
            now = int(time.time())
            status, _ = http("POST", api + "/_mock/clock", {"now": now, "freeze": True}, admin)
            assert status == 200
            platform = {"domain": api.replace("http://", ""), "api_key": mock.info["admin_key"]}
            self.authz = self.start_authz(authz_port, mode, keys, now, platform=platform)
            nginx = self.start_nginx(nginx_port, authz_port, mock.info["app_url"])
            for i, step in enumerate(sc["steps"]):
                def run(step=step):
                    if step["op"] == "advance_clock":
                        status, out = http("POST", api + "/_mock/clock",
                                           {"advance": step["seconds"]}, admin)
                        assert status == 200, out
                        # The authorizer's clock moves with the mock's.
                        self.stop_authz()
                        self.authz = self.start_authz(authz_port, mode, keys, out["now"],
                                                      platform=platform)
                        return
                    self.scenario_step(mode, mock, step, state, nginx_port)
                self.record("edge.scenario.%s" % mode,
                            "edge scenario [%s] step %02d %s" % (mode, i + 1, step["op"]), run)
        finally:
            self.stop_authz()
            if nginx:
                nginx.terminate()
                nginx.wait(10)
            mock.stop()

    def scenario_step(self, mode, mock, step, state, nginx_port):
        api = mock.info["api_url"]
        saved = state["saved"]
        op, e = step["op"], step.get("expect", {})

        def who(a):
            if "user" in a:
                return {"X-OpenSandbox-User": a["user"], "X-OpenSandbox-Roles": a["roles"]}
            key = saved[a["key"]]["key"]
            # The lifecycle API reads OPEN-SANDBOX-API-KEY, the keys API X-API-Key.
            return {"OPEN-SANDBOX-API-KEY": key, "X-API-Key": key}

        def check_error(status, out):
            if "error" in e:
                assert status == e["error"]["status"], (status, out)
                assert out.get("code") == e["error"]["code"], out
                return True
            assert 200 <= status < 300, (status, out)
            return False

        if op == "create_api_key":
            status, out = http("POST", api + "/api/v1/keys", {"name": step["name"]}, who(step["as"]))
            if check_error(status, out):
                return
            d = out["data"]
            assert d["name"] == e["name"]
            if e.get("prefix_is_key_start"):
                assert d["key"].startswith(d["prefix"]) and len(d["prefix"]) == 12, d["prefix"]
            saved[step["save"]] = d
        elif op == "list_api_keys":
            status, out = http("GET", api + "/api/v1/keys", None, who(step["as"]))
            if check_error(status, out):
                return
            assert len(out["data"]) == e["count"], out
            assert saved[e["never_contains_key"]]["key"] not in json.dumps(out)
        elif op == "list_sandboxes":
            status, out = http("GET", api + "/v1/sandboxes", None, who(step["as"]))
            if check_error(status, out):
                return
            assert len(out["items"]) == e["count"], out
        elif op == "create_sandbox":
            body = {"image": {"uri": step["image"]}, "entrypoint": ["python", "-m", "http.server"],
                    "resourceLimits": {"cpu": "500m", "memory": "512Mi"}, "timeout": 3600,
                    "secureAccess": step["secure_access"]}
            status, out = http("POST", api + "/v1/sandboxes", body, who(step["as"]))
            if check_error(status, out):
                return
            assert out["metadata"].get("access.owner") == e["owner"], out
            assert out["secureAccess"] == e["secure_access"]
            saved[step["save"]] = out
        elif op in ("get_signed_endpoint", "get_endpoint"):
            sid = saved[step["sandbox"]]["id"]
            q = ""
            if op == "get_signed_endpoint":
                now = self.mock_now(mock)
                q = "?expires=%d" % (now + step["ttl_seconds"])
            status, out = http("GET", api + "/v1/sandboxes/%s/endpoints/%d%s" % (sid, step["port"], q),
                               None, who(step["as"]))
            if check_error(status, out):
                return
            hdrs = out.get("headers", {})
            if "no_header" in e:
                assert e["no_header"] not in hdrs, hdrs
            if "has_header" in e:
                assert e["has_header"] in hdrs, hdrs
            route = self.local_route(mode, mock, out)
            if e.get("no_route"):
                assert route is None or route.get("expires") is None, route
            if "route" in e:
                assert route["sandbox_id"] == sid, route
                for k, v in e["route"].items():
                    assert route[k] == v, (k, route)
            saved[step["save"]] = out
        elif op == "verify_local":
            route = self.local_route(mode, mock, saved[step["endpoint"]])
            assert route["allowed"] == e["allowed"], route
            if not e["allowed"]:
                assert (route["reason"], route["status"]) == (e["reason"], e["status"]), route
        elif op == "gateway_get":
            sid = saved["sandbox"]["id"]
            gw_port = int(mock.info["gateway_url"].rsplit(":", 1)[1])
            got = verdict(*self.gateway_get(mode, saved[step["endpoint"]], step, nginx_port,
                                            mock, nginx=True))
            want = verdict(*self.gateway_get(mode, saved[step["endpoint"]], step, gw_port,
                                             mock, nginx=False))
            assert same(got, want), "nginx %s != mock %s" % (got, want)
            assert got["status"] == e["status"], got
            if "reason" in e:
                assert got["reason"] == e["reason"], got
            if "echo" in e:
                assert got["echo"]["sandbox_id"] == sid and not got["leaked"], got
                for k, v in e["echo"].items():
                    assert got["echo"][k] == v, (k, got)
        elif op == "revoke_api_key":
            key_id = saved[step["key"]]["id"]
            status, out = http("DELETE", api + "/api/v1/keys/" + key_id, None, who(step["as"]))
            assert 200 <= status < 300, (status, out)
        else:
            raise AssertionError("unknown scenario op %r" % op)

    def mock_now(self, mock):
        status, out = http("GET", mock.info["api_url"] + "/_mock/clock", None,
                           {"OPEN-SANDBOX-API-KEY": mock.info["admin_key"]})
        return out["now"]

    def local_route(self, mode, mock, ep):
        """`sandgate verify --json` of the endpoint's route, at the mock's now."""
        endpoint = ep["endpoint"]
        args = [SANDGATE, "verify", "--keys", mock.info["signing_keys"], "--now",
                str(self.mock_now(mock)), "--json"]
        if mode == "header":
            args.append(ep["headers"]["OpenSandbox-Ingress-To"])
        elif mode == "wildcard":
            args += ["--host", endpoint.split(":")[0]]
        else:
            args += ["--path", "/" + endpoint.split("/", 1)[1]]
        out = subprocess.run(args, stdout=subprocess.PIPE, text=True).stdout
        return json.loads(out)

    def gateway_get(self, mode, ep, step, port, mock, nginx):
        endpoint = ep["endpoint"]
        headers = [(k, v) for k, v in ep.get("headers", {}).items()]
        if step.get("drop_secure_header"):
            headers = [(k, v) for k, v in headers if k.lower() != "opensandbox-secure-access"]
        if "secure_header" in step:
            headers = [(k, v) for k, v in headers if k.lower() != "opensandbox-secure-access"]
            headers.append(("OpenSandbox-Secure-Access", step["secure_header"]))
        if step.get("tamper"):
            endpoint, headers = tamper(mode, endpoint, headers)
        if mode == "wildcard":
            host, target = endpoint, step["path"]
        elif mode == "uri":
            host, target = "127.0.0.1:%d" % port, "/" + endpoint.split("/", 1)[1] + step["path"]
        else:
            host, target = "127.0.0.1:%d" % port, step["path"]
        return raw_get(port, target, [("Host", host)] + headers)


def tamper(mode, endpoint, headers):
    """Replaces the last hex digit of the signature with 1 (0 if it is 1)."""
    def flip(token_sig):
        i = 7
        c = "0" if token_sig[i] == "1" else "1"
        return token_sig[:i] + c + token_sig[i + 1:]
    if mode == "header":
        out = []
        for k, v in headers:
            if k == "OpenSandbox-Ingress-To":
                parts = v.split("-")
                parts[-1] = flip(parts[-1])
                v = "-".join(parts)
            out.append((k, v))
        return endpoint, out
    if mode == "wildcard":
        label, rest = endpoint.split(".", 1)
        parts = label.split("-")
        parts[-1] = flip(parts[-1])
        return "-".join(parts) + "." + rest, headers
    segs = endpoint.split("/")
    segs[-1] = flip(segs[-1])
    return "/".join(segs), headers


def valid_host(h):
    """Whether `h` has the shape of an HTTP Host value: `host[:port]`, not empty, no scheme,
    path or spaces."""
    return h != "" and all(c not in h for c in "/ \t@?#")


def nginx_refused(v):
    """nginx's own 400 (no X-Sandgate-Reason, not sandgate's body)."""
    return v["status"] == 400 and v["reason"] is None and not v.get("body_prefix")


def candidate_ids(r):
    """Every id a route in `r` could name: each dash-prefix of the ingress header value, of
    the host's first label and of the first path segment (the mock and the policy know them
    all, with the case's policy, so whichever the route names is there)."""
    out = set()

    def prefixes(s):
        parts = s.split("-")
        for i in range(1, len(parts) + 1):
            p = "-".join(parts[:i])
            if p:
                out.add(p)
    if r.get("ingress_to"):
        prefixes(r["ingress_to"].strip())
    if r.get("host"):
        h = r["host"].split("://", 1)[-1]
        prefixes(h.split(".")[0].split(":")[0])
    if r.get("path"):
        seg = r["path"].split("?")[0].lstrip("/").split("/")[0]
        prefixes(seg)
    return sorted(out)


def natural_mode(r):
    """The mode whose gateway reads this request the way the case does: the ingress header
    (header mode), the host (wildcard), or the path alone (uri)."""
    if (r.get("ingress_to") or "").strip():
        return "header"
    if r.get("host"):
        return "wildcard"
    return "uri" if r.get("path") else None


def write_junit(results, path):
    failures = sum(1 for r in results if not r[2])
    with open(path, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        f.write('<testsuite name="edge" tests="%d" failures="%d">\n' % (len(results), failures))
        for cls, name, ok, msg, secs in results:
            f.write('  <testcase classname=%s name=%s time="%.3f">' % (quoteattr(cls), quoteattr(name), secs))
            if not ok:
                f.write('<failure message=%s>%s</failure>' % (quoteattr(msg.splitlines()[0]), escape(msg)))
            f.write('</testcase>\n')
        f.write('</testsuite>\n')


def main():
    if not os.path.exists(SANDGATE):
        sys.exit("build sandgate first: cargo build -p sandgate-cli")
    edge = Edge()
    start = time.time()
    edge.record("edge.setup", "edge proxy fixtures ran", edge.proxies)
    for mode in MODES:
        edge.record("edge.setup", "edge access [%s] matrix ran" % mode, lambda m=mode: edge.access(m))
        edge.record("edge.setup", "edge scenario [%s] ran" % mode, lambda m=mode: edge.scenario(m))
    out_dir = os.environ.get("SANDGATE_RESULTS_DIR") or WORK
    os.makedirs(out_dir, exist_ok=True)
    write_junit(edge.results, os.path.join(out_dir, "edge.xml"))
    failed = sum(1 for r in edge.results if not r[2])
    for n in edge.notes:
        print("note: " + n)
    print("edge: %.1fs" % (time.time() - start))
    print("%d passed, %d failed" % (len(edge.results) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
