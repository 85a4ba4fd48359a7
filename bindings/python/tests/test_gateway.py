"""The gateway check and its middleware (SPEC §1.4, §1.5, §6): every case of `gateway.json`
through `Gateway.check`, through the WSGI middleware on a real `wsgiref` server and through
the ASGI middleware on a real uvicorn server (raw HTTP/1.1 on loopback, so the target and
the headers arrive exactly as the case gives them), plus the options' errors, WebSocket and
lifespan scopes, and the README's "Verify at your gateway" snippet."""

import asyncio
import http.client
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

import sandgate
from helpers import load
from sandgate import Gateway, GatewayVerdict, RouteInfo
from sandgate.middleware import (
    ROUTE_KEY,
    STATE_KEY,
    ASGIGatewayMiddleware,
    WSGIGatewayMiddleware,
)

CASES = load("gateway")["cases"]
IDS = [c["name"] for c in CASES]
PREFIX = "OpenSandbox Ingress: "


def gateway_for(case: Dict[str, Any]) -> Gateway:
    return Gateway(case["keys"], case["mode"], policy=case["policy"], now=int(case["now"]))


def route_dict(route: Optional[RouteInfo]) -> Optional[Dict[str, Any]]:
    if route is None:
        return None
    return {"sandbox_id": route.sandbox_id, "port": route.port,
            "expires": route.expires, "key_id": route.key_id}


def expected_route(expect: Dict[str, Any]) -> Dict[str, Any]:
    return {"sandbox_id": expect["sandbox_id"], "port": expect["port"],
            "expires": None if expect["expires"] is None else int(expect["expires"]),
            "key_id": expect["key_id"]}


def lower(names: Iterable[str]) -> List[str]:
    return sorted(n.lower() for n in names)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gateway_cases(case: Dict[str, Any]) -> None:
    expect = case["expect"]
    headers = [(n, v) for n, v in case["request"]["headers"]]
    v = gateway_for(case).check(case["request"]["target"], headers)
    assert isinstance(v, GatewayVerdict)
    assert (v.allowed, v.status, v.reason) == (expect["allowed"], expect["status"],
                                               expect["reason"]), v
    assert bool(v) is v.allowed
    assert lower(v.headers_to_strip) == lower(expect["headers_to_strip"])
    if expect["allowed"]:
        assert v.grant == expect["grant"]
        assert route_dict(v.route) == expected_route(expect)
        assert v.upstream_target == expect["upstream_target"]
        assert (v.response_headers, v.body, v.message) == ([], "", "")
    else:
        assert (v.grant, v.route, v.upstream_target) == (None, None, None)
        answer = dict(v.response_headers)
        assert answer["content-type"].startswith("text/plain")
        assert answer["x-sandgate-reason"] == expect["reason"]
        assert answer.get("retry-after") == expect["retry_after"]
        assert v.body.startswith(PREFIX) and v.message and v.message in v.body
        assert repr(v).startswith("GatewayVerdict(allowed=False")


def test_gateway_cases_cover_the_table() -> None:
    assert len(CASES) >= 79
    assert {c["mode"] for c in CASES} == {"header", "wildcard", "uri"}
    assert any(c["policy"] is None for c in CASES)


# ----------------------------------------------------------------- real servers, raw HTTP

def raw_request(port: int, target: str, headers: List[List[str]]) -> Tuple[int, Dict[str, str],
                                                                             bytes]:
    """Sends exactly this request line and these headers; returns status, headers, body."""
    head = f"GET {target} HTTP/1.1\r\n".encode("utf-8")
    for name, value in headers:
        head += f"{name}: {value}\r\n".encode("utf-8")
    head += b"Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def check_answer(case: Dict[str, Any], status: int, headers: Dict[str, str],
                 body: bytes) -> None:
    expect = case["expect"]
    if expect["allowed"]:
        assert status == 200, (status, body)
        echo = json.loads(body)
        assert echo["target"] == expect["upstream_target"], echo
        assert echo["route"] == expected_route(expect), echo
        stripped = set(lower(expect["headers_to_strip"]))
        assert not stripped & set(echo["headers"]), echo["headers"]
    else:
        assert status == expect["status"], (status, body)
        assert headers.get("x-sandgate-reason") == expect["reason"], headers
        assert headers.get("retry-after") == expect["retry_after"], headers
        assert headers["content-type"].startswith("text/plain")
        assert body.decode().startswith(PREFIX), body  # never the app's echo


class Switch:
    """The app a server runs: the middleware of the case at hand (cases run one by one)."""

    def __init__(self) -> None:
        self.app: Any = None


def wsgi_echo(environ: Dict[str, Any], start_response: Callable[..., Any]) -> List[bytes]:
    target = environ.get("REQUEST_URI") or environ["PATH_INFO"]
    echo = {
        "target": target,
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "headers": sorted(k[5:].replace("_", "-").lower() for k in environ
                          if k.startswith("HTTP_")),
        "route": route_dict(environ[ROUTE_KEY]),
    }
    body = json.dumps(echo).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


class RawURIHandler(WSGIRequestHandler):
    """wsgiref with the request target as received in REQUEST_URI, as uWSGI and mod_wsgi give
    it (gunicorn: RAW_URI)."""

    def get_environ(self) -> Dict[str, Any]:
        env = super().get_environ()
        env["REQUEST_URI"] = self.raw_requestline.split()[1].decode("latin-1")
        return env

    def log_message(self, *args: Any) -> None:
        pass


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def serve_wsgi(switch: Switch, handler: type) -> Iterator[int]:
    server: WSGIServer = make_server("127.0.0.1", 0, lambda e, s: switch.app(e, s),
                                     handler_class=handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def wsgi_server() -> Iterator[Tuple[Switch, int]]:
    switch = Switch()
    for port in serve_wsgi(switch, RawURIHandler):
        yield switch, port


# A WSGI server joins repeated headers with commas (PEP 3333): two `Host` headers reach the
# middleware as one `Host: h,h`, which the gateway reads as one host. The case is checked to get
# exactly the verdict the gateway gives that joined header.
WSGI_JOINS_HEADERS = {"two Host headers are malformed"}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_middleware_wsgi_cases(case: Dict[str, Any], wsgi_server: Tuple[Switch, int]) -> None:
    switch, port = wsgi_server
    switch.app = WSGIGatewayMiddleware(wsgi_echo, gateway_for(case))
    request = case["request"]
    answer = raw_request(port, request["target"], request["headers"])
    if case["name"] in WSGI_JOINS_HEADERS:
        names = [n.lower() for n, _ in request["headers"]]
        assert names.count("host") == 2
        joined = ",".join(v for n, v in request["headers"] if n.lower() == "host")
        seen = gateway_for(case).check(request["target"], [("Host", joined)])
        assert answer[0] == seen.status
        assert answer[1].get("x-sandgate-reason") == seen.reason
        return
    check_answer(case, *answer)


def test_middleware_wsgi_rebuilds_the_target_without_raw_uri() -> None:
    # Plain wsgiref gives no REQUEST_URI: the middleware re-escapes PATH_INFO.
    switch = Switch()
    for port in serve_wsgi(switch, QuietHandler):
        for case in CASES:
            target = case["request"]["target"]
            # A decoded %2F cannot be told from "/", and wsgiref folds a leading "//".
            if "%" in target or target.startswith("//") or not target.startswith("/"):
                continue
            switch.app = WSGIGatewayMiddleware(wsgi_echo, gateway_for(case))
            status, headers, body = raw_request(port, target, case["request"]["headers"])
            expect = case["expect"]
            if expect["allowed"]:
                assert status == 200, (case["name"], body)
                assert json.loads(body)["route"] == expected_route(expect)
            elif "two Host" not in case["name"]:  # wsgiref joins repeated headers
                assert (status, headers.get("x-sandgate-reason")) == (expect["status"],
                                                                      expect["reason"])


async def asgi_echo(scope: Dict[str, Any], receive: Any, send: Any) -> None:
    query = scope["query_string"].decode("latin-1")
    echo = {
        "target": scope["raw_path"].decode("latin-1") + (f"?{query}" if query else ""),
        "path": scope["path"],
        "query": query,
        "headers": sorted(bytes(k).decode("latin-1").lower() for k, _ in scope["headers"]),
        "route": route_dict(scope[ROUTE_KEY]),
        "state_route": route_dict(scope["state"][STATE_KEY]),
    }
    body = json.dumps(echo).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def asgi_server() -> Iterator[Tuple[Switch, int]]:
    import uvicorn  # installed by test.sh (the only test dependency beyond pytest and mypy)

    switch = Switch()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await switch.app(scope, receive, send)

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield switch, port
    finally:
        server.should_exit = True
        thread.join(10)


# uvicorn refuses a request with two `Host` headers itself (400) before any app runs; the
# case goes through the middleware by a direct call in test_middleware_asgi_scope_cases.
SERVER_REFUSES = {"two Host headers are malformed"}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_middleware_asgi_cases(case: Dict[str, Any], asgi_server: Tuple[Switch, int]) -> None:
    switch, port = asgi_server
    switch.app = ASGIGatewayMiddleware(asgi_echo, gateway_for(case))
    status, headers, body = raw_request(port, case["request"]["target"],
                                        case["request"]["headers"])
    if case["name"] in SERVER_REFUSES:
        assert (status, case["expect"]["status"]) == (400, 400)
        assert "x-sandgate-reason" not in headers and not body.startswith(b"{")
        return
    check_answer(case, status, headers, body)
    if case["expect"]["allowed"]:
        echo = json.loads(body)
        assert echo["state_route"] == echo["route"]


def call_asgi(app: Any, scope: Dict[str, Any]) -> List[Dict[str, Any]]:
    sent: List[Dict[str, Any]] = []

    async def receive() -> Dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Dict[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(app(scope, receive, send))
    return sent


def http_scope(target: str, headers: List[List[str]]) -> Dict[str, Any]:
    path, _, query = target.partition("?")
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "root_path": "", "raw_path": path.encode("latin-1"),
        "path": path, "query_string": query.encode("latin-1"),
        "headers": [[n.lower().encode("latin-1"), v.encode("utf-8")] for n, v in headers],
    }


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_middleware_asgi_scope_cases(case: Dict[str, Any]) -> None:
    # The same table with the scope built by hand (headers as 2-lists, as the spec allows).
    app = ASGIGatewayMiddleware(asgi_echo, gateway_for(case))
    sent = call_asgi(app, http_scope(case["request"]["target"], case["request"]["headers"]))
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    headers = {bytes(k).decode().lower(): bytes(v).decode() for k, v in start["headers"]}
    check_answer(case, start["status"], headers, body)


SIGNED = CASES[0]  # "access: signed header route": allowed, grant signature


def test_gateway_options_say_what_was_wrong(tmp_path: Path) -> None:
    keys = SIGNED["keys"]
    with pytest.raises(sandgate.InvalidConfig, match="route mode"):
        Gateway(keys, "sideways")
    with pytest.raises(sandgate.InvalidConfig):
        Gateway(keys, "header", policy="{not json or toml")
    with pytest.raises(sandgate.InvalidConfig, match="at most one"):
        Gateway(keys, "header", policy="{}", policy_file=str(tmp_path / "p.json"))
    with pytest.raises(sandgate.InvalidConfig):
        Gateway(keys, "header", policy_file=tmp_path / "missing.toml")
    with pytest.raises(sandgate.InvalidConfig) as info:
        Gateway("a=bm90LWEta2V5,a=bm90LWEta2V5", "header")
    assert "bm90LWEta2V5" not in str(info.value)
    with pytest.raises(TypeError, match="policy"):
        Gateway(keys, "header", policy=42)  # type: ignore[arg-type]
    gateway = Gateway(keys, "header", now=int(SIGNED["now"]))
    assert gateway.route_mode == "header" and "key_ids=['a']" in repr(gateway)
    with pytest.raises(TypeError, match="pair"):
        gateway.check("/", [("Host",)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        gateway.check("/", 5)  # type: ignore[arg-type]


def test_gateway_policy_as_a_mapping_a_toml_file_and_a_reloaded_file(tmp_path: Path) -> None:
    case = SIGNED
    target, headers = case["request"]["target"], case["request"]["headers"]
    now = int(case["now"])
    as_dict = Gateway(case["keys"], "header", policy=json.loads(case["policy"]), now=now)
    assert as_dict.check(target, headers).grant == "signature"
    # A file, re-read when it changes: the sandbox made open turns the access header useless.
    policy = tmp_path / "policy.toml"
    policy.write_text('[sandboxes."sbx-001"]\nsecure = true\naccess_token = "tok"\n')
    from_file = Gateway(case["keys"], "header", policy_file=policy, now=now)
    legacy = [("Host", "gw"), ("OpenSandbox-Ingress-To", "sbx-001-8080")]
    assert from_file.check("/", legacy).reason == "credential_required"
    policy.write_text('[sandboxes."sbx-001"]\nsecure = false\n')
    later = time.time() + 2
    os.utime(policy, (later, later))
    # The file is looked at at most once a second.
    deadline = time.monotonic() + 5
    while from_file.check("/", legacy).grant != "open":
        assert time.monotonic() < deadline, "the changed policy file was not re-read"
        time.sleep(0.1)


def test_middleware_asgi_websocket_refusal_and_lifespan_pass_through() -> None:
    gateway = Gateway(SIGNED["keys"], "header", now=int(SIGNED["now"]))
    seen: List[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    app = ASGIGatewayMiddleware(inner, gateway)
    ws = dict(http_scope("/", [["Host", "gw"]]), type="websocket")
    assert call_asgi(app, ws) == [{"type": "websocket.close", "code": 1008,
                                   "reason": "malformed"}]
    ws["extensions"] = {"websocket.http.response": {}}
    sent = call_asgi(app, ws)
    assert [m["type"] for m in sent] == ["websocket.http.response.start",
                                         "websocket.http.response.body"]
    assert sent[0]["status"] == 400 and sent[1]["body"].startswith(PREFIX.encode())
    call_asgi(app, {"type": "lifespan"})
    assert seen == ["lifespan"]
    ok = dict(http_scope(SIGNED["request"]["target"], SIGNED["request"]["headers"]),
              type="websocket")
    call_asgi(app, ok)
    assert seen == ["lifespan", "websocket"]
    # Without raw_path, the decoded path is escaped again (a %2F is a "/" by then).
    scope = http_scope("/a%2Fb", [["Host", "gw"], ["OpenSandbox-Ingress-To", "sbx-001-8080"]])
    del scope["raw_path"]
    scope["path"] = "/a/b c"
    sent = call_asgi(ASGIGatewayMiddleware(asgi_echo, Gateway(
        SIGNED["keys"], "header", policy={"sandboxes": {"sbx-001": {"secure": False}}})), scope)
    echo = json.loads(sent[1]["body"])
    assert (echo["path"], echo["target"]) == ("/a/b c", "/a/b%20c")


def test_middleware_readme_snippet_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Verify at your gateway", 1)[1]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(snippet, "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(":8080 /ping"), lines
    assert lines[1:] == ["400 malformed"], lines
