"""The same flow as flow.py with AsyncClient on asyncio; the sandbox is reached through the
gateway for two ports at once. Exits non-zero if any step misbehaves."""

import asyncio
import json
import sys
import urllib.error
import urllib.request
from typing import Dict, Tuple

from sandgate import AccessDenied, ApiError, AsyncClient, RouteVerifier, SigningKeys
from sandgate.testing import MockServer

INGRESS = "OpenSandbox-Ingress-To"


class StepFailed(Exception):
    pass


def check(ok: bool, what: str) -> None:
    if not ok:
        raise StepFailed(what)


def get_blocking(url: str, headers: Dict[str, str]) -> Tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


async def get(url: str, headers: Dict[str, str]) -> Tuple[int, str]:
    """GET through the gateway (urllib, in a worker thread): (status, body)."""
    return await asyncio.get_running_loop().run_in_executor(None, get_blocking, url, headers)


def tamper(token: str) -> str:
    i = len(token) - 2
    return token[:i] + ("1" if token[i] == "0" else "0") + token[i + 1:]


async def flow(mock: MockServer) -> None:
    as_user = AsyncClient(domain=mock.domain, headers={
        "X-OpenSandbox-User": "async-user", "X-OpenSandbox-Roles": "operator"})
    key = await as_user.create_api_key("demo-async")
    print(f"1. minted {key!r}")

    client = AsyncClient(domain=mock.domain, api_key=key.key)
    sandbox = await client.create_sandbox("python:3.11", secure_access=True)
    check(sandbox.metadata.get("access.owner") == "async-user", "sandbox owner is not async-user")
    print(f"2. created secure sandbox {sandbox.id}")

    # Two signed endpoints at once.
    web, api = await asyncio.gather(
        client.get_signed_endpoint(sandbox.id, 8080, ttl=60),
        client.get_signed_endpoint(sandbox.id, 9000, ttl=60),
    )
    print(f"3. {web!r}\n   {api!r}")

    answers = await asyncio.gather(get(web.url + "/ping", web.headers),
                                   get(api.url + "/ping?q=1", api.headers))
    for (status, body), port in zip(answers, (8080, 9000)):
        check(status == 200, f"GET /ping on {port} answered {status}: {body}")
        check(json.loads(body)["port"] == port, f"port {port} reached {body}")
    print(f"4. GET /ping through the gateway on 8080 and 9000 -> {[s for s, _ in answers]}")

    verifier = RouteVerifier(SigningKeys.from_flag(mock.signing_keys))
    info = verifier.verify(web.headers[INGRESS], now=mock.now())
    check(info == web.route, f"local verify gave {info!r}")
    print(f"5. verified locally: {info!r}")

    mock.advance(61)
    status, body = await get(web.url + "/ping", web.headers)
    check(status == 401 and "expired" in body, f"expired link answered {status}: {body}")
    try:
        verifier.verify(web.headers[INGRESS], now=mock.now())
        raise StepFailed("local verify accepted an expired token")
    except AccessDenied as e:
        check(e.reason == "expired", f"local verify said {e.reason}")
    print(f"6. after the clock moved 61 s: {status} {body.strip()}")

    fresh = await client.get_signed_endpoint(sandbox.id, 8080, ttl=3600)
    bad = tamper(fresh.headers[INGRESS])
    status, body = await get(fresh.url + "/ping", {**fresh.headers, INGRESS: bad})
    check(status == 401 and "bad_signature" in body, f"tampered token answered {status}: {body}")
    print(f"7. tampered token {bad}: {status} {body.strip()}")

    await as_user.revoke_api_key(key.id)
    try:
        await client.list_sandboxes()
        raise StepFailed("the revoked key still works")
    except ApiError as e:
        check(e.status == 401, f"revoked key gave {e!r}")
        print(f"8. revoked key {key.id} -> {e}")


def main() -> None:
    with MockServer.start(route_mode="header", trusted_headers=True) as mock:
        print(f"mock server: API {mock.api_url} · gateway {mock.gateway_url}")
        asyncio.run(flow(mock))


if __name__ == "__main__":
    try:
        main()
    except StepFailed as e:
        print(f"step failed: {e}", file=sys.stderr)
        sys.exit(1)
    print("every step behaved")
