"""vectors.json: the 300 upstream signing vectors and the expires_b36 facts."""

from typing import Any, Dict

import pytest

from helpers import load
from sandgate import RouteSigner, RouteVerifier, SigningKeys

VECTORS = load("vectors")


@pytest.mark.parametrize(
    "case", VECTORS["signing"], ids=lambda c: f"{c['sandbox_id']}-{c['port']}"
)
def test_vectors_signing(case: Dict[str, Any]) -> None:
    keys = SigningKeys.from_flag(f"{case['key_id']}={case['secret_b64']}")
    route = RouteSigner(keys, case["key_id"]).sign(
        case["sandbox_id"], case["port"], int(case["expires"])
    )
    assert route.token == case["token"]
    assert route.signature == case["signature"]
    assert route.expires_b36 == case["expires_b36"]
    assert route.key_id == case["key_id"]
    info = RouteVerifier(keys).verify(case["token"], now=int(case["expires"]))
    assert (info.sandbox_id, info.port, info.expires, info.key_id) == (
        case["sandbox_id"],
        case["port"],
        int(case["expires"]),
        case["key_id"],
    )


@pytest.mark.parametrize("fact", VECTORS["expires_b36"], ids=lambda f: f["b36"])
def test_vectors_expires_b36_facts(fact: Dict[str, str]) -> None:
    keys = SigningKeys.from_flag("a=bXktdGVzdC1zZWNyZXQ=")
    route = RouteSigner(keys, "a").sign("sbx-001", 8080, int(fact["expires"]))
    assert route.expires_b36 == fact["b36"]
    assert route.token.split("-")[-2] == fact["b36"]
    # Parsing gives the number back.
    info = RouteVerifier(keys).verify(route.token, now=0)
    assert info.expires == int(fact["expires"])


@pytest.mark.parametrize("b36", VECTORS["expires_b36_rejected"], ids=repr)
def test_vectors_expires_b36_rejected(b36: str) -> None:
    # Python has no b36 function of its own: a route carrying the value must be malformed.
    verifier = RouteVerifier(SigningKeys.from_flag("a=bXktdGVzdC1zZWNyZXQ="))
    decision = verifier.decide(ingress_to=f"sbx-80-{b36}-0ff8cd39a", now=0)
    assert not decision.allowed
    assert (decision.reason, decision.status) == ("malformed", 400)
