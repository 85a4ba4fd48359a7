"""Typed usage of the public API, checked with `mypy --strict` by test_typing.py.

It is type-checked, never run; every annotation below must agree with the package's stubs.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Dict, List, Optional, Tuple

import sandgate
from sandgate import (
    AccessDecision,
    AccessDenied,
    ApiError,
    ApiKeyInfo,
    AsyncClient,
    CacheOptions,
    Client,
    CreatedApiKey,
    Endpoint,
    Freshness,
    Gateway,
    GatewayVerdict,
    GeneratedApiKey,
    RetryDecision,
    RetryEvent,
    RetryOptions,
    RouteInfo,
    RouteSigner,
    RouteVerifier,
    Sandbox,
    SandboxRenewal,
    SandgateError,
    Secret,
    SignedRoute,
    SigningKeys,
    cache_decision,
    generate_api_key,
    hash_api_key,
    retry_decision,
    verify_api_key,
)
from sandgate.middleware import ASGIGatewayMiddleware, WSGIGatewayMiddleware
from sandgate.testing import MockRequest, MockServer


def routes() -> None:
    keys: SigningKeys = SigningKeys.from_flag("a=bXktdGVzdC1zZWNyZXQ=")
    also: SigningKeys = SigningKeys.from_toml("[ingress.secure_access]\n")
    from_env: Optional[SigningKeys] = SigningKeys.from_env(
        {"OPENSANDBOX_SECURE_ACCESS_KEYS": "a=Zm9v", "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY": "a"}
    )
    ids: List[str] = keys.key_ids + also.key_ids
    active: Optional[str] = keys.active_key_id
    route: SignedRoute = RouteSigner(keys, "a").sign("sbx-001", 8080, 2_000_000_000)
    token: str = route.token
    host: str = route.host("sandbox.example.com")
    expires: int = route.expires
    info: RouteInfo = RouteVerifier(keys).verify(token, now=1_900_000_000)
    key_id: Optional[str] = info.key_id
    decision: AccessDecision = RouteVerifier(keys).decide(
        ingress_to=token, secure_access=None, access_token=Secret("tok"), now=0
    )
    reason: Optional[str] = decision.reason
    status: int = decision.status
    denial: Optional[AccessDenied] = decision.error
    decision.raise_if_denied()
    later: SignedRoute = RouteSigner(keys).sign("sbx-001", 80, ttl=datetime.timedelta(minutes=5))
    soon: SignedRoute = RouteSigner(keys).sign("sbx-001", 80, ttl=30.5, now=1_900_000_000)
    verifier = RouteVerifier(keys)
    found: List[RouteInfo] = [
        verifier.verify(later.token),
        verifier.verify_host(later.host("example.com")),
        verifier.verify_path(soon.uri_prefix, now=datetime.datetime.now()),
    ]
    print(denial, found, from_env)
    print(ids, active, host, expires, key_id, reason, status, len(keys), "a" in keys)


def api_keys() -> bool:
    generated: GeneratedApiKey = generate_api_key()
    raw: str = generated.key.expose()
    digest: str = hash_api_key(raw)
    return verify_api_key(generated.key, digest, expires_at=None, revoked=False, now=None)


def blocking(mock: MockServer) -> None:
    client = Client(
        domain=mock.domain, api_key=mock.admin_key, timeout=5.0, retry=RetryOptions(max_retries=0)
    )
    sandbox: Sandbox = client.create_sandbox("python:3.11", secure_access=True, metadata={})
    owner: Optional[str] = sandbox.metadata.get("access.owner")
    endpoint: Endpoint = client.get_signed_endpoint(sandbox.id, 8080, ttl=60)
    headers: Dict[str, str] = endpoint.headers
    route: Optional[RouteInfo] = endpoint.route
    plain: Endpoint = client.get_endpoint(sandbox.id, 8080)
    later: Endpoint = client.get_signed_endpoint(
        sandbox.id, 8080, datetime.datetime.now() + datetime.timedelta(hours=1)
    )
    sandboxes: List[Sandbox] = client.list_sandboxes()
    renewed: SandboxRenewal = client.renew_sandbox(sandbox.id, ttl=datetime.timedelta(hours=2))
    until: int = client.renew_sandbox(sandbox.id, renewed.expires + 60).expires
    print(renewed.expires_at, until)
    client.delete_sandbox(sandbox.id)
    try:
        created: CreatedApiKey = client.create_api_key("k", expires_at=2_000_000_000)
        keys: List[ApiKeyInfo] = client.list_api_keys()
        client.revoke_api_key(created.id)
        print(keys)
    except ApiError as e:
        code: Optional[str] = e.code
        http: Optional[int] = e.status
        print(code, http, e.request_id)
    except SandgateError as e:
        kind: str = e.kind
        print(kind)
    requests: List[MockRequest] = mock.requests()
    print(owner, headers, route, plain, later, sandboxes, requests)


def parity(mock: MockServer) -> None:
    def hook(event: RetryEvent) -> None:
        cause: SandgateError = event.cause
        print(event.attempt + 1, event.delay * 2, cause.retryable, cause.retry_after)

    retry = RetryOptions(
        2, 0.1, 1, multiplier=2.5, retry_statuses=[503], post_retry_statuses=(429,),
        attempt_timeout=datetime.timedelta(seconds=3), deadline=10,
    )
    client = Client(domain=mock.domain, retry=retry, on_retry=hook,
                    cache=CacheOptions(enabled=True, max_entries=16, ttl=60, margin=5.0))
    proxy: Endpoint = client.endpoint("sbx", 8080, server_proxy=True)
    signed: Endpoint = client.endpoint("sbx", 8080, ttl=datetime.timedelta(minutes=5))
    at: Endpoint = client.endpoint("sbx", 8080, expires=2_000_000_000)
    origin: Optional[str] = proxy.origin
    kind: str = signed.kind
    url: str = at.shareable_url("/ping")
    client.pause_sandbox("sbx")
    client.resume_sandbox("sbx")
    statuses: Optional[List[int]] = retry.retry_statuses
    d: RetryDecision = retry_decision(retry, "GET", "status", status=503, attempt=2,
                                      prev_delay=0.5, retry_after="1", now=None, elapsed=0.2)
    verdict: str = d.verdict
    f: Freshness = cache_decision(None, signed_expires=2_000_000_000, fetched_at=0.5, now=1)
    until: float = f.until
    keys = SigningKeys.from_flag(mock.signing_keys)
    gateway = Gateway(keys, "uri", policy={"sandboxes": {}}, now=2_000_000_000)
    verdict_g: GatewayVerdict = gateway.check("/sbx/80/", [("Host", "h"), (b"x", b"y")])
    body: str = verdict_g.body
    pairs: List[Tuple[str, str]] = verdict_g.response_headers
    old: SigningKeys = gateway.replace_keys(mock.signing_keys)
    RouteVerifier(keys).replace_keys(old)
    mock.set_signing_keys(keys)
    print(origin, kind, url, statuses, verdict, until, body, pairs)


def middleware(gateway: Gateway) -> None:
    def app(environ: Dict[str, object], start_response: object) -> List[bytes]:
        return [b"ok"]

    async def asgi(scope: object, receive: object, send: object) -> None:
        return None

    wsgi_app = WSGIGatewayMiddleware(app, gateway)
    asgi_app = ASGIGatewayMiddleware(asgi, gateway)
    print(wsgi_app, asgi_app)


async def parity_async(client: AsyncClient) -> None:
    e: Endpoint = await client.endpoint("sbx", 80, server_proxy=False)
    await client.pause_sandbox("sbx")
    await client.resume_sandbox("sbx")
    print(e.kind)


async def concurrent(mock: MockServer) -> List[Sandbox]:
    client = AsyncClient(domain=mock.domain, api_key=mock.admin_key, headers={"X-Trace": "1"})
    task: asyncio.Task[Sandbox] = asyncio.create_task(client.create_sandbox("python:3.11"))
    sandbox = await task
    endpoint: Endpoint = await client.get_signed_endpoint(sandbox.id, 80, ttl=30.0)
    print(endpoint.url)
    try:
        await client.get_sandbox("missing")
    except AccessDenied as e:
        print(e.reason)
    return await client.list_sandboxes()


def main() -> None:
    retry = RetryOptions(
        max_retries=3, initial_backoff=0.2, max_backoff=datetime.timedelta(seconds=2)
    )
    retries: Optional[int] = retry.max_retries
    backoff: Optional[float] = retry.initial_backoff
    print(retries, backoff, retry.max_backoff)
    started: MockServer = MockServer.start(route_mode="wildcard")
    started.stop()
    with MockServer.start(route_mode="uri", trusted_headers=True) as mock:
        mock.set_faults(fail_next=1, status=503, retry_after=0)
        mock.advance(60)
        mock.set_now(2_000_000_000)
        now: int = mock.now()
        flag: Secret = mock.signing_keys
        blocking(mock)
        made: List[Sandbox] = asyncio.run(concurrent(mock))
        print(now, flag, made, api_keys(), sandgate.__version__)
    routes()
