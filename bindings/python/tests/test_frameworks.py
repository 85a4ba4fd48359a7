"""The middleware inside the frameworks it targets (issue 20 item 5), installed pinned from PyPI
by test.sh: Starlette and FastAPI with `ASGIGatewayMiddleware`, both on a real uvicorn server,
and Flask with `WSGIGatewayMiddleware` on Flask's own server (werkzeug's `make_server`, what
`flask run` serves with), all on loopback and spoken to in raw HTTP/1.1 so that the target and
the headers arrive exactly as each case of `gateway.json` gives them.

For every case a handler routed by the framework echoes what it sees the framework's way: the
request's headers, its path and query (Starlette/FastAPI `request.url`, Flask `request.path`),
the raw target, and the verified route (`request.state.sandgate_route`,
`request.environ["sandgate.route"]`). The README's snippet for each framework runs here too."""

import json
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Tuple
from urllib.parse import unquote

import pytest
from test_gateway import CASES, IDS, PREFIX, check_answer, gateway_for, raw_request, route_dict

from sandgate import Client, Gateway
from sandgate.middleware import ASGIGatewayMiddleware, WSGIGatewayMiddleware
from sandgate.testing import MockServer

README = Path(__file__).resolve().parents[1] / "README.md"


def check_seen(case: Dict[str, Any], status: int, headers: Dict[str, str], body: bytes) -> None:
    """The shared answer check, then: the handler saw the upstream path and query the
    framework's way, no credential header, and the route where the framework keeps it."""
    check_answer(case, status, headers, body)
    expect = case["expect"]
    if not expect["allowed"]:
        return
    echo = json.loads(body)
    path, _, query = expect["upstream_target"].partition("?")
    assert echo["path"] == unquote(path), echo
    assert echo["query"] == query, echo
    for name in ("opensandbox-secure-access", "opensandbox-ingress-to", "open-sandbox-ingress"):
        assert name not in echo["headers"], echo["headers"]
    assert echo["route"] is not None


# ------------------------------------------------------------------------ servers

class Switch:
    """The app a server runs: the framework app of the case at hand (cases run one by one)."""

    def __init__(self) -> None:
        self.app: Any = None


def serve_uvicorn(app: Any) -> Iterator[int]:
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)


def serve_werkzeug(app: Any) -> Iterator[int]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def uvicorn_switch() -> Iterator[Tuple[Switch, int]]:
    switch = Switch()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await switch.app(scope, receive, send)

    for port in serve_uvicorn(app):
        yield switch, port


@pytest.fixture(scope="module")
def werkzeug_switch() -> Iterator[Tuple[Switch, int]]:
    switch = Switch()
    for port in serve_werkzeug(lambda environ, start: switch.app(environ, start)):
        yield switch, port


# ------------------------------------------------------------------------ the apps

def starlette_app(gateway: Gateway) -> Any:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def echo(request: Request) -> JSONResponse:
        return JSONResponse(asgi_echo(request))

    return Starlette(routes=[Route("/{rest:path}", echo)],
                     middleware=[Middleware(ASGIGatewayMiddleware, gateway=gateway)])


def fastapi_app(gateway: Gateway) -> Any:
    from fastapi import FastAPI, Request

    app = FastAPI()
    app.add_middleware(ASGIGatewayMiddleware, gateway=gateway)

    @app.get("/{rest:path}")
    async def echo(request: Request) -> Dict[str, Any]:
        return asgi_echo(request)

    return app


def asgi_echo(request: Any) -> Dict[str, Any]:
    query = request.url.query
    return {
        "target": request.scope["raw_path"].decode("latin-1") + (f"?{query}" if query else ""),
        "path": request.url.path,
        "query": query,
        "headers": sorted(name.lower() for name in request.headers.keys()),
        "route": route_dict(request.state.sandgate_route),
    }


def flask_app(gateway: Gateway) -> Any:
    from flask import Flask, jsonify, request

    app = Flask("sandbox")
    app.url_map.merge_slashes = False  # the upstream path exactly, no redirect to fold "//"
    app.wsgi_app = WSGIGatewayMiddleware(app.wsgi_app, gateway)

    @app.route("/", defaults={"rest": ""})
    @app.route("/<path:rest>")
    def echo(rest: str) -> Any:
        return jsonify({
            "target": request.environ["REQUEST_URI"],
            "path": request.path,
            "query": request.query_string.decode("latin-1"),
            "headers": sorted(name.lower() for name in request.headers.keys()),
            "route": route_dict(request.environ["sandgate.route"]),
        })

    return app


# ------------------------------------------------------------------------ all of gateway.json

# uvicorn (the server under both ASGI frameworks) answers a request with two `Host` headers
# with its own 400 before any app or middleware runs: the request is refused (fail closed),
# not by the verdict.
UVICORN_REFUSES = {"two Host headers are malformed"}


@pytest.mark.parametrize("make", [starlette_app, fastapi_app], ids=["starlette", "fastapi"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_middleware_framework_asgi_cases(case: Dict[str, Any], make: Callable[[Gateway], Any],
                              uvicorn_switch: Tuple[Switch, int]) -> None:
    switch, port = uvicorn_switch
    switch.app = make(gateway_for(case))
    status, headers, body = raw_request(port, case["request"]["target"],
                                        case["request"]["headers"])
    if case["name"] in UVICORN_REFUSES:
        assert (status, case["expect"]["status"]) == (400, 400)
        assert "x-sandgate-reason" not in headers and not body.startswith(b"{")
        return
    check_seen(case, status, headers, body)


# werkzeug joins repeated headers with commas (PEP 3333): two `Host` headers reach the
# middleware as one `Host: h,h`, which the gateway refuses as malformed, as it refuses the
# joined value sent as one header.
WERKZEUG_JOINS = {"two Host headers are malformed"}


def werkzeug_folds(target: str) -> bool:
    """werkzeug's server is built on `http.server`, which turns a target starting with `//`
    into one starting with `/` before any WSGI app runs (CPython's guard against open
    redirects), in `RAW_URI` and `REQUEST_URI` too: the middleware can only check the folded
    target, and the answer is that target's verdict under the same rules."""
    return target.startswith("//")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_middleware_framework_flask_cases(case: Dict[str, Any],
                               werkzeug_switch: Tuple[Switch, int]) -> None:
    switch, port = werkzeug_switch
    switch.app = flask_app(gateway_for(case))
    request = case["request"]
    status, headers, body = raw_request(port, request["target"], request["headers"])
    if case["name"] in WERKZEUG_JOINS:
        joined = ",".join(v for n, v in request["headers"] if n.lower() == "host")
        seen = gateway_for(case).check(request["target"], [("Host", joined)])
        assert (seen.allowed, seen.status, seen.reason) == (False, 400, "malformed")
        assert (status, headers.get("x-sandgate-reason")) == (400, "malformed")
        assert body.decode().startswith(PREFIX)
        return
    if werkzeug_folds(request["target"]):
        folded = "/" + request["target"].lstrip("/")
        seen = gateway_for(case).check(folded, request["headers"])
        assert status == seen.status, body
        if seen.allowed:
            echo = json.loads(body)
            assert echo["target"] == seen.upstream_target, echo
            assert echo["route"] == route_dict(seen.route), echo
            assert not {n.lower() for n in seen.headers_to_strip} & set(echo["headers"])
        else:
            assert headers.get("x-sandgate-reason") == seen.reason
        return
    check_seen(case, status, headers, body)


# ------------------------------------------------------------------------ the README snippets

def readme_snippet(framework: str) -> str:
    section = README.read_text().split("## Verify at your gateway", 1)[1].split("\n## ", 1)[0]
    marker = f"```python\n# {framework}:"
    assert marker in section, f"no {framework} snippet in the README"
    return section.split(marker, 1)[1].split("```", 1)[0]


def run_snippet(framework: str, serve: Callable[[Any], Iterator[int]]) -> None:
    """Runs the framework's README snippet with the platform's signing keys, serves its `app`
    on a real server and sends it a signed request and one with no route."""
    with MockServer() as platform:
        namespace: Dict[str, Any] = {"__name__": "__main__",  # as a script runs it
                                     "signing_keys": platform.signing_keys}
        exec(compile(readme_snippet(framework), "README.md", "exec"), namespace)
        client = Client(domain=platform.domain, api_key=platform.admin_key)
        sandbox = client.create_sandbox("python:3.11", secure_access=True)
        link = client.endpoint(sandbox.id, 8080, ttl=300)
        for port in serve(namespace["app"]):
            headers = [[n, v] for n, v in link.headers.items()] + [["Host", "gw"]]
            status, _, body = raw_request(port, "/ping?x=1", headers)
            assert (status, body.decode()) == (200, f"{sandbox.id}:8080 /ping"), body
            status, answer, body = raw_request(port, "/ping", [["Host", "gw"]])
            assert (status, answer.get("x-sandgate-reason")) == (400, "malformed"), body


def test_middleware_framework_readme_starlette_snippet() -> None:
    run_snippet("Starlette", serve_uvicorn)


def test_middleware_framework_readme_fastapi_snippet() -> None:
    run_snippet("FastAPI", serve_uvicorn)


def test_middleware_framework_readme_flask_snippet() -> None:
    run_snippet("Flask", serve_werkzeug)


def test_middleware_framework_cases_carry_credentials_to_strip() -> None:
    # The "no credential header reaches the handler" checks above are not vacuous: allowed
    # cases send the access token and the route headers, and the handlers never see them.
    sent = [{n.lower() for n, _ in c["request"]["headers"]} for c in CASES
            if c["expect"]["allowed"]]
    assert sum("opensandbox-secure-access" in names for names in sent) >= 3
    assert sum("opensandbox-ingress-to" in names for names in sent) >= 3
    assert sum("open-sandbox-ingress" in names for names in sent) >= 1
