"""parse.json: route parsing, run as access decisions for an open sandbox with no keys."""

from typing import Any, Dict

import pytest

from helpers import load
from sandgate import RouteVerifier, SigningKeys

CASES = load("parse")["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_parse_cases(case: Dict[str, Any]) -> None:
    verifier = RouteVerifier(SigningKeys.from_flag(""))
    form, value = case["form"], case["input"]
    if form == "token":
        decision = verifier.decide(ingress_to=value, now=0)
    elif form == "host":
        decision = verifier.decide(host=value, path="/", now=0)
    else:
        decision = verifier.decide(path=value, now=0)
    expect = case["expect"]
    if not expect["ok"]:
        assert not decision.allowed
        assert (decision.reason, decision.status) == (expect["reason"], 400)
        assert decision.route is None
        return
    assert decision.allowed, decision
    assert decision.grant == "open"
    route = decision.route
    assert route is not None
    assert route.sandbox_id == expect["sandbox_id"]
    assert route.port == expect["port"]
    expires = expect["expires"]
    assert route.expires == (None if expires is None else int(expires))
    assert route.key_id == expect["key_id"]
    assert route.signed == (expires is not None)
    if "path" in expect:
        assert decision.path == expect["path"]
    if "query" in expect:
        assert decision.query == expect["query"]
