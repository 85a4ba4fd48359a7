"""The whole sandgate flow with the blocking Client, against the in-process mock platform:

mint a key as a user -> create a secure sandbox with it -> get a signed endpoint -> GET /ping
through the verifying gateway -> verify the token locally -> move the mock clock past the
expiry -> tamper with a token -> revoke the key. Exits non-zero if any step misbehaves.
"""

import json
import sys
import urllib.error
import urllib.request
from typing import Dict, Tuple

from sandgate import AccessDenied, ApiError, Client, RouteVerifier, SigningKeys
from sandgate.testing import MockServer

INGRESS = "OpenSandbox-Ingress-To"


class StepFailed(Exception):
    pass


def check(ok: bool, what: str) -> None:
    if not ok:
        raise StepFailed(what)


def get(url: str, headers: Dict[str, str]) -> Tuple[int, str]:
    """GET through the gateway with the endpoint's headers: (status, body)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def tamper(token: str) -> str:
    """Flips the last hex digit of the signature."""
    i = len(token) - 2
    return token[:i] + ("1" if token[i] == "0" else "0") + token[i + 1:]


def main() -> None:
    with MockServer.start(route_mode="header", trusted_headers=True) as mock:
        print(f"mock server: API {mock.api_url} · gateway {mock.gateway_url}")

        # 1. A user (from the trusted headers) mints a key; the raw key is shown this one time.
        as_user = Client(domain=mock.domain, headers={
            "X-OpenSandbox-User": "demo-user", "X-OpenSandbox-Roles": "operator"})
        key = as_user.create_api_key("demo")
        print(f"1. minted {key!r}")

        # 2. With that key alone, create a sandbox that requires secure access.
        client = Client(domain=mock.domain, api_key=key.key)
        sandbox = client.create_sandbox("python:3.11", secure_access=True)
        check(sandbox.metadata.get("access.owner") == "demo-user", "sandbox owner is not demo-user")
        print(f"2. created secure sandbox {sandbox.id} owned by {sandbox.metadata['access.owner']}")

        # 3. A signed endpoint for port 8080 that stops working in 60 seconds.
        endpoint = client.get_signed_endpoint(sandbox.id, 8080, ttl=60)
        check(endpoint.route is not None, "the signed endpoint carries no route")
        token = endpoint.headers[INGRESS]
        print(f"3. {endpoint!r}")

        # 4. Through the gateway.
        status, body = get(endpoint.url + "/ping?from=python", endpoint.headers)
        check(status == 200, f"GET /ping answered {status}: {body}")
        check(json.loads(body)["sandbox_id"] == sandbox.id, f"the gateway reached {body}")
        print(f"4. GET /ping through the gateway -> {status} {body}")

        # 5. Verify the same token locally with the mock's signing keys.
        verifier = RouteVerifier(SigningKeys.from_flag(mock.signing_keys))
        info = verifier.verify(token, now=mock.now())
        check(info == endpoint.route, f"local verify gave {info!r}")
        print(f"5. verified locally: {info!r}")

        # 6. Past its expiry the same link is rejected, by the gateway and locally.
        mock.advance(61)
        status, body = get(endpoint.url + "/ping", endpoint.headers)
        check(status == 401 and "expired" in body, f"expired link answered {status}: {body}")
        try:
            verifier.verify(token, now=mock.now())
            raise StepFailed("local verify accepted an expired token")
        except AccessDenied as e:
            check(e.reason == "expired", f"local verify said {e.reason}")
        print(f"6. after the clock moved 61 s: {status} {body.strip()}")

        # 7. A tampered token is rejected.
        fresh = client.get_signed_endpoint(sandbox.id, 8080, ttl=3600)
        check(get(fresh.url + "/ping", fresh.headers)[0] == 200, "the fresh link was refused")
        bad = tamper(fresh.headers[INGRESS])
        status, body = get(fresh.url + "/ping", {**fresh.headers, INGRESS: bad})
        check(status == 401 and "bad_signature" in body,
              f"tampered token answered {status}: {body}")
        print(f"7. tampered token {bad}: {status} {body.strip()}")

        # 8. Revoke the key: it stops working.
        as_user.revoke_api_key(key.id)
        try:
            client.list_sandboxes()
            raise StepFailed("the revoked key still works")
        except ApiError as e:
            check(e.status == 401, f"revoked key gave {e!r}")
            print(f"8. revoked key {key.id} -> {e}")


if __name__ == "__main__":
    try:
        main()
    except StepFailed as e:
        print(f"step failed: {e}", file=sys.stderr)
        sys.exit(1)
    print("every step behaved")
