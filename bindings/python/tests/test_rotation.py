"""Signing-key rotation (SPEC §1.6, §7) through the Python API: the whole rotation on the mock
(sign with `a`, add `b`, activate `b`, both verify, retire `a` once its last link expired),
and live key replacement in a local `RouteVerifier` and a `Gateway`."""

import base64
import secrets
import time
from pathlib import Path
from typing import Tuple

import pytest

import sandgate
from helpers import http_get
from sandgate import CacheOptions, Client, Endpoint, Gateway, RouteVerifier, SigningKeys
from sandgate.testing import MockServer

HOUR = 3600


def new_key(key_id: str) -> str:
    """One flag-string entry with a fresh 32-byte secret."""
    return f"{key_id}={base64.b64encode(secrets.token_bytes(32)).decode()}"


def ring(entries: str, active: str) -> SigningKeys:
    """Keys with an active key, as the server reads them from its environment pair."""
    return SigningKeys.from_env({"OPENSANDBOX_SECURE_ACCESS_KEYS": entries,
                                 "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY": active})


def through_gateway(mock: MockServer, link: Endpoint) -> Tuple[int, str]:
    status, headers, _ = http_get(mock.gateway_url + "/ping", link.headers)
    return status, headers.get("x-sandgate-reason", "")


def test_rotation_end_to_end_through_the_mock_gateway() -> None:
    a, b = new_key("a"), new_key("b")
    with MockServer(signing_keys=a) as mock:
        mock.set_now(int(time.time()))
        # Every link is fetched afresh (no endpoint cache), as separate users would. Expiries
        # are instants on the mock clock: it jumps here, and a TTL would be counted from the
        # server clock the client learnt before the jump.
        client = Client(domain=mock.domain, api_key=mock.admin_key,
                        cache=CacheOptions(enabled=False))
        sid = client.create_sandbox("python:3.11", secure_access=True, timeout=86400).id

        # Day 0: only a. Its longest link is valid for an hour.
        a_link = client.endpoint(sid, 8080, expires=mock.now() + HOUR)
        assert a_link.route is not None and a_link.route.key_id == "a"
        assert through_gateway(mock, a_link) == (200, "")

        # Add b everywhere first: a still signs, both verify.
        mock.advance(60)
        mock.set_signing_keys(ring(f"{a},{b}", "a"))
        assert SigningKeys.from_flag(mock.signing_keys).key_ids == ["a", "b"]
        still_a = client.endpoint(sid, 8080, expires=mock.now() + 60)
        assert still_a.route is not None and still_a.route.key_id == "a"

        # Activate b: new links are b's, a's links still verify.
        mock.advance(60)
        activated = mock.now()
        mock.set_signing_keys(ring(f"{a},{b}", "b"))
        b_link = client.endpoint(sid, 8080, expires=mock.now() + HOUR)
        assert b_link.route is not None and b_link.route.key_id == "b"
        assert through_gateway(mock, a_link) == (200, "")
        assert through_gateway(mock, b_link) == (200, "")

        # a may have signed until `activated`: its last link is valid until activated + HOUR.
        # Once that has passed (mock clock), a is retired everywhere.
        mock.set_now(activated + HOUR + 1)
        mock.set_signing_keys(b)
        assert SigningKeys.from_flag(mock.signing_keys).key_ids == ["b"]
        fresh = client.endpoint(sid, 8080, expires=mock.now() + HOUR)
        assert fresh.route is not None and fresh.route.key_id == "b"
        assert through_gateway(mock, fresh) == (200, "")
        assert through_gateway(mock, a_link) == (401, "expired")

        # The key itself is gone, whatever the clock: at an instant when both old links were
        # within their expiry, a's link answers 401 unknown_key and b's 200.
        mock.set_now(activated + 10)
        assert through_gateway(mock, a_link) == (401, "unknown_key")
        assert through_gateway(mock, b_link) == (200, "")

        # reset() puts back the keys the mock started with.
        mock.reset()
        assert SigningKeys.from_flag(mock.signing_keys).key_ids == ["a"]


def test_rotation_local_verifier_and_gateway_take_new_keys() -> None:
    a, b = new_key("a"), new_key("b")
    now = int(time.time())
    signer = sandgate.RouteSigner(SigningKeys.from_flag(b), "b")
    b_route = signer.sign("sbx-1", 8080, ttl=600, now=now)

    verifier = RouteVerifier(SigningKeys.from_flag(a))
    with pytest.raises(sandgate.AccessDenied) as info:
        verifier.verify(b_route.token, now=now)
    assert info.value.reason == "unknown_key"
    old = verifier.replace_keys(ring(f"{a},{b}", "b"))
    assert old.key_ids == ["a"] and verifier.keys.key_ids == ["a", "b"]
    assert verifier.verify(b_route.token, now=now).key_id == "b"

    gateway = Gateway(a, "header", now=now)  # signature-only
    headers = [("Host", "gw.example.com"), ("OpenSandbox-Ingress-To", b_route.header_value)]
    refused = gateway.check("/", headers)
    assert (refused.allowed, refused.status, refused.reason) == (False, 401, "unknown_key")
    assert gateway.replace_keys(f"{a},{b}").key_ids == ["a"]
    allowed = gateway.check("/", headers)
    assert allowed and allowed.route is not None and allowed.route.key_id == "b"
    # Retiring every key: signed links answer 503 not_configured.
    gateway.replace_keys("")
    assert gateway.check("/", headers).reason == "not_configured"


def test_rotation_mock_refuses_bad_keys_without_echoing_a_secret() -> None:
    secret = base64.b64encode(b"not-a-secret-to-print-0123456789").decode()
    with MockServer() as mock:
        before = mock.signing_keys.expose()
        for bad in (f"a={secret},a={secret}", secret):
            with pytest.raises(sandgate.InvalidConfig) as info:
                mock.set_signing_keys(bad)
            assert secret not in str(info.value)
        with pytest.raises(TypeError):
            mock.set_signing_keys(42)  # type: ignore[arg-type]
        assert mock.signing_keys.expose() == before
        mock.set_signing_keys("")
        assert mock.signing_keys.expose() == ""
        assert SigningKeys.from_flag(before).key_ids == ["a", "b"]


def test_rotation_readme_walkthrough_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Rotate signing keys", 1)[1]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(snippet, "README.md", "exec"), {})
    assert capsys.readouterr().out == "a\nb\n"
