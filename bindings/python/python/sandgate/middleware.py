"""Verify requests at your gateway: ASGI and WSGI middleware over :class:`sandgate.Gateway`.

Both are thin adapters, standard library only, that decide nothing themselves: they hand the
request's target (path and query exactly as received, escaping kept) and its headers to
``Gateway.check`` and do what the verdict says.

- **Refused**: answer exactly the verdict's ``status``, ``response_headers`` and ``body``
  (``text/plain``, ``X-Sandgate-Reason``, ``Retry-After`` on a 503); the app is not called.
- **Allowed**: remove ``headers_to_strip`` (the route and credential headers) from the
  request, rewrite its path and query to ``upstream_target`` (a uri-mode route prefix
  removed), put the verified :class:`sandgate.RouteInfo` where the app finds it, and call the
  app.

Where the app finds the route: ``scope["sandgate.route"]`` and ``scope["state"]
["sandgate_route"]`` for ASGI (Starlette and FastAPI: ``request.state.sandgate_route``),
``environ["sandgate.route"]`` for WSGI (Flask: ``request.environ["sandgate.route"]``).

A WSGI server decodes the request path before the app sees it; the WSGI middleware reads the
target as received from ``RAW_URI`` or ``REQUEST_URI`` when the server provides one (gunicorn,
uWSGI, mod_wsgi) and otherwise re-encodes ``SCRIPT_NAME + PATH_INFO``, which cannot tell an
escaped ``%2F`` from ``/``. A WSGI server also joins repeated headers with commas.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    Iterable,
    List,
    MutableMapping,
    Optional,
    Tuple,
    Union,
)
from urllib.parse import quote, unquote

from ._native import Gateway, GatewayVerdict

__all__ = [
    "ROUTE_KEY",
    "STATE_KEY",
    "ASGIGatewayMiddleware",
    "WSGIGatewayMiddleware",
    "asgi_target",
    "wsgi_target",
]

#: The ASGI scope / WSGI environ key that holds the verified :class:`sandgate.RouteInfo`.
ROUTE_KEY = "sandgate.route"
#: The key in the ASGI ``scope["state"]`` (Starlette's ``request.state.sandgate_route``).
STATE_KEY = "sandgate_route"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

Environ = Dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

# Characters a WSGI path keeps unescaped when the target has to be rebuilt from PATH_INFO.
_PATH_SAFE = "/:@!$&'()*+,;=~"


def _response_headers(verdict: GatewayVerdict, body: bytes) -> List[Tuple[str, str]]:
    return [*verdict.response_headers, ("content-length", str(len(body)))]


# ---------------------------------------------------------------------------------- ASGI


def asgi_target(scope: Scope) -> str:
    """The request target as received: ``raw_path`` (else the escaped ``path``) and ``?query``."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw is not None else quote(scope.get("path", ""))
    query: bytes = scope.get("query_string") or b""
    return f"{path}?{query.decode('latin-1')}" if query else path


class ASGIGatewayMiddleware:
    """ASGI middleware: every HTTP and WebSocket request goes through ``gateway.check``; a
    refusal is answered exactly as the verdict says, an allowed request reaches ``app`` without
    the stripped headers, at its upstream path, with the route in ``scope["sandgate.route"]``
    and ``scope["state"]["sandgate_route"]``. Other scopes (lifespan) pass through.

    A refused WebSocket gets the exact HTTP answer where the server supports the
    ``websocket.http.response`` extension, else it is closed (code 1008) before it is accepted.
    """

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        verdict = self.gateway.check(asgi_target(scope), scope.get("headers") or [])
        if not verdict.allowed:
            await _asgi_refuse(scope, send, verdict)
            return
        await self.app(_asgi_forward(scope, verdict), receive, send)


async def _asgi_refuse(scope: Scope, send: Send, verdict: GatewayVerdict) -> None:
    body = verdict.body.encode("utf-8")
    headers = [(n.encode("latin-1"), v.encode("latin-1"))
               for n, v in _response_headers(verdict, body)]
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": verdict.status,
                    "headers": headers})
        await send({"type": "http.response.body", "body": body})
    elif "websocket.http.response" in (scope.get("extensions") or {}):
        await send({"type": "websocket.http.response.start", "status": verdict.status,
                    "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": verdict.reason or ""})


def _asgi_forward(scope: Scope, verdict: GatewayVerdict) -> Scope:
    strip = {name.lower() for name in verdict.headers_to_strip}
    path, _, query = (verdict.upstream_target or "/").partition("?")
    forwarded = dict(scope)
    forwarded["headers"] = [
        (name, value) for name, value in scope.get("headers") or []
        if bytes(name).decode("latin-1").lower() not in strip
    ]
    forwarded["raw_path"] = path.encode("latin-1")
    forwarded["path"] = unquote(path)
    forwarded["query_string"] = query.encode("latin-1")
    state = dict(scope.get("state") or {})
    state[STATE_KEY] = verdict.route
    forwarded["state"] = state
    forwarded[ROUTE_KEY] = verdict.route
    return forwarded


# ---------------------------------------------------------------------------------- WSGI


def wsgi_target(environ: Environ) -> str:
    """The request target as received: ``RAW_URI`` or ``REQUEST_URI`` when the server gives
    one, else ``SCRIPT_NAME + PATH_INFO`` escaped again and ``?QUERY_STRING``."""
    for key in ("RAW_URI", "REQUEST_URI"):
        raw: Optional[str] = environ.get(key)
        if raw:
            return raw
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    target = quote(path.encode("latin-1", "replace"), safe=_PATH_SAFE)
    query = environ.get("QUERY_STRING", "")
    return f"{target}?{query}" if query else target


def _wsgi_headers(environ: Environ) -> List[Tuple[str, Union[str, bytes]]]:
    pairs: List[Tuple[str, Union[str, bytes]]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            name = key[5:].replace("_", "-")
            try:
                pairs.append((name, value.encode("latin-1")))  # the bytes as received
            except UnicodeEncodeError:
                pairs.append((name, value))
    return pairs


class WSGIGatewayMiddleware:
    """WSGI middleware: every request goes through ``gateway.check``; a refusal is answered
    exactly as the verdict says, an allowed request reaches ``app`` without the stripped
    headers, at its upstream path (``PATH_INFO``, ``QUERY_STRING``, and ``RAW_URI`` /
    ``REQUEST_URI`` when present; ``SCRIPT_NAME`` is emptied), with the route in
    ``environ["sandgate.route"]``."""

    def __init__(self, app: WSGIApp, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        verdict = self.gateway.check(wsgi_target(environ), _wsgi_headers(environ))
        if not verdict.allowed:
            body = verdict.body.encode("utf-8")
            status = f"{verdict.status} {HTTPStatus(verdict.status).phrase}"
            start_response(status, _response_headers(verdict, body))
            return [body]
        return self.app(_wsgi_forward(environ, verdict), start_response)


def _wsgi_forward(environ: Environ, verdict: GatewayVerdict) -> Environ:
    upstream = verdict.upstream_target or "/"
    path, _, query = upstream.partition("?")
    forwarded = dict(environ)
    for name in verdict.headers_to_strip:
        forwarded.pop("HTTP_" + name.upper().replace("-", "_"), None)
    forwarded["SCRIPT_NAME"] = ""
    forwarded["PATH_INFO"] = unquote(path, encoding="latin-1")
    forwarded["QUERY_STRING"] = query
    for key in ("RAW_URI", "REQUEST_URI"):
        if key in forwarded:
            forwarded[key] = upstream
    forwarded[ROUTE_KEY] = verdict.route
    return forwarded
