"""access.json: the full access decision of SPEC §1.5."""

import datetime
import time
from typing import Any, Dict

import pytest

from helpers import load
from sandgate import AccessDenied, InvalidArgument, RouteSigner, RouteVerifier, SigningKeys

CASES = load("access")["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_access_cases(case: Dict[str, Any]) -> None:
    verifier = RouteVerifier(SigningKeys.from_flag(case["keys"]))
    sandbox = case["sandbox"]
    request = case["request"]
    decision = verifier.decide(
        ingress_to=request.get("ingress_to"),
        host=request.get("host"),
        path=request.get("path"),
        secure_access=request.get("secure_access"),
        access_token=sandbox["access_token"] if sandbox["secure"] else None,
        now=int(case["now"]),
    )
    expect = case["expect"]
    assert decision.allowed == expect["allowed"], decision
    assert bool(decision) == expect["allowed"]
    assert decision.status == expect["status"]
    if not expect["allowed"]:
        assert decision.reason == expect["reason"]
        assert decision.detail
        assert decision.grant is None and decision.route is None
        return
    assert decision.reason is None
    assert decision.grant == expect["grant"]
    route = decision.route
    assert route is not None
    assert route.sandbox_id == expect["sandbox_id"]
    assert route.port == expect["port"]
    expires = expect["expires"]
    assert route.expires == (None if expires is None else int(expires))
    assert route.key_id == expect["key_id"]
    assert decision.path == expect["path"]
    assert decision.query == expect["query"]


def test_access_verify_raises_access_denied() -> None:
    keys = SigningKeys.from_flag("a=bXktdGVzdC1zZWNyZXQ=")
    verifier = RouteVerifier(keys)
    token = "sbx-001-8080-x2qxvk-0ff8cd39a"
    assert verifier.verify(token, now=2_000_000_000).port == 8080
    with pytest.raises(AccessDenied) as info:
        verifier.verify(token, now=2_000_000_001)
    err = info.value
    assert (err.kind, err.reason, err.status) == ("access_denied", "expired", 401)
    with pytest.raises(AccessDenied) as info:
        verifier.verify(token[:-2] + "1a", now=0)
    assert info.value.reason == "bad_signature"
    with pytest.raises(AccessDenied) as info:
        RouteVerifier(SigningKeys.from_flag("")).verify(token, now=0)
    assert (info.value.reason, info.value.status) == ("not_configured", 503)
    with pytest.raises(AccessDenied) as info:
        verifier.verify("not a token", now=0)
    assert (info.value.reason, info.value.status) == ("malformed", 400)


def test_access_verify_host_and_path_forms() -> None:
    keys = SigningKeys.from_flag("a=bXktdGVzdC1zZWNyZXQ=")
    verifier = RouteVerifier(keys)
    host = verifier.verify_host("sbx-001-8080-x2qxvk-0ff8cd39a.sandbox.example.com", now=0)
    path = verifier.verify_path("/sbx-001/8080/x2qxvk/0ff8cd39a/ping?x=1", now=0)
    assert host == path
    assert (host.sandbox_id, host.port, host.key_id) == ("sbx-001", 8080, "a")
    with pytest.raises(AccessDenied):
        verifier.verify_path("/sbx-001/8080", now=0)


def test_access_decision_raises_its_denial() -> None:
    keys = SigningKeys.from_flag("a=bXktdGVzdC1zZWNyZXQ=")
    verifier = RouteVerifier(keys)
    token = "sbx-001-8080-x2qxvk-0ff8cd39a"
    allowed = verifier.decide(ingress_to=token, access_token="t", now=2_000_000_000)
    assert allowed.allowed and allowed.error is None
    assert allowed.raise_if_denied() is None
    denied = verifier.decide(ingress_to=token, access_token="t", now=2_000_000_001)
    assert not denied.allowed
    err = denied.error
    assert isinstance(err, AccessDenied)
    assert (err.kind, err.reason, err.status) == ("access_denied", denied.reason, denied.status)
    assert err.message == denied.detail
    with pytest.raises(AccessDenied) as info:
        denied.raise_if_denied()
    raised = info.value
    assert (raised.reason, raised.status, raised.message, str(raised)) == (
        "expired", 401, denied.detail, str(err))
    # The same denial as verify raises for the same token at the same instant.
    with pytest.raises(AccessDenied) as direct:
        verifier.verify(token, now=2_000_000_001)
    assert str(direct.value) == str(raised)


def test_access_verify_defaults_now_to_the_system_clock() -> None:
    keys = SigningKeys.from_flag("a=bXktdGVzdC1zZWNyZXQ=")
    signer, verifier = RouteSigner(keys, "a"), RouteVerifier(keys)
    fresh = signer.sign("sbx-001", 8080, ttl=600)
    assert abs(fresh.expires - (time.time() + 600)) < 5
    host = fresh.host("sandbox.example.com")
    for info in (verifier.verify(fresh.token), verifier.verify_host(host),
                 verifier.verify_path(fresh.uri_prefix + "/x")):
        assert info == fresh.info
    stale = signer.sign("sbx-001", 8080, int(time.time()) - 10)
    for call, value in ((verifier.verify, stale.token),
                        (verifier.verify_host, stale.host("example.com")),
                        (verifier.verify_path, stale.uri_prefix)):
        with pytest.raises(AccessDenied) as info:
            call(value)
        assert info.value.reason == "expired"
        # The same value passes at an explicit instant before its expiry.
        assert call(value, now=stale.expires).sandbox_id == "sbx-001"
    assert verifier.decide(ingress_to=stale.token, access_token="t").reason == "expired"
    assert verifier.decide(ingress_to=fresh.token, access_token="t").grant == "signature"


def test_access_sign_with_ttl_or_expires() -> None:
    keys = SigningKeys.from_flag("a=bXktdGVzdC1zZWNyZXQ=")
    signer = RouteSigner(keys, "a")
    at = signer.sign("sbx-001", 8080, 2_000_000_000)
    assert at.token == "sbx-001-8080-x2qxvk-0ff8cd39a"
    assert signer.sign("sbx-001", 8080, ttl=60, now=1_999_999_940) == at
    assert signer.sign("sbx-001", 8080, ttl=datetime.timedelta(minutes=1),
                       now=1_999_999_940) == at
    assert signer.sign("sbx-001", 8080, ttl=60.9, now=1_999_999_940) == at  # whole seconds
    when = datetime.datetime.fromtimestamp(2_000_000_000, datetime.timezone.utc)
    assert signer.sign("sbx-001", 8080, when) == at
    assert hash(at) == hash(signer.sign("sbx-001", 8080, 2_000_000_000))
    assert (at.header_value, str(at), at.key_id) == (at.token, at.token, "a")
    with pytest.raises(InvalidArgument, match="exactly one"):
        signer.sign("sbx-001", 8080)
    with pytest.raises(InvalidArgument, match="exactly one"):
        signer.sign("sbx-001", 8080, 2_000_000_000, ttl=60)
    with pytest.raises(InvalidArgument, match="ttl"):
        signer.sign("sbx-001", 8080, ttl=0.5)
    with pytest.raises(InvalidArgument, match="ttl"):
        signer.sign("sbx-001", 8080, ttl=-1)
    with pytest.raises(InvalidArgument, match="port"):
        signer.sign("sbx-001", 0, ttl=60)
    with pytest.raises(InvalidArgument, match="port"):
        signer.sign("sbx-001", 2**70, ttl=60)
    with pytest.raises(InvalidArgument, match="now"):
        signer.sign("sbx-001", 8080, ttl=60, now=-1)


def test_access_wildcard_host_refuses_a_base_domain_that_is_not_a_dns_name() -> None:
    keys = SigningKeys.from_flag("a=bXktdGVzdC1zZWNyZXQ=")
    route = RouteSigner(keys, "a").sign("sbx-001", 8080, 2_000_000_000)
    assert (route.host("*.sandbox.example.com")
            == "sbx-001-8080-x2qxvk-0ff8cd39a.sandbox.example.com")
    for bad in ("evil.com/x", "a b.com", "a.com\r\nX-Injected: 1", ""):
        with pytest.raises(InvalidArgument):
            route.host(bad)
