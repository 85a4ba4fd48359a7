"""key_config.json: signing keys from the ingress flag string and the server TOML."""

from typing import Any, Dict

import pytest

from helpers import load
from sandgate import InvalidConfig, RouteSigner, SigningKeys

CASES = load("key_config")["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_key_config_cases(case: Dict[str, Any]) -> None:
    parse = SigningKeys.from_flag if case["form"] == "flag" else SigningKeys.from_toml
    expect = case["expect"]
    if expect["ok"]:
        keys = parse(case["input"])
        assert keys.key_ids == expect["key_ids"]
        assert keys.active_key_id == expect["active_key"]
        assert len(keys) == len(expect["key_ids"])
        for key_id in expect["key_ids"]:
            assert key_id in keys
        return
    with pytest.raises(InvalidConfig) as info:
        parse(case["input"])
    err = info.value
    assert isinstance(err, ValueError)
    assert err.kind == expect["kind"]
    assert expect["message_contains"] in str(err)
    if "message_excludes" in expect:
        assert expect["message_excludes"] not in str(err)
        assert expect["message_excludes"] not in repr(err)


def test_key_config_repr_never_shows_secrets() -> None:
    keys = SigningKeys.from_toml(
        '[ingress.secure_access]\nactive_key = "b"\n'
        '[[ingress.secure_access.keys]]\nkey_id = "a"\nkey = "c2VjcmV0LWE="\n'
        '[[ingress.secure_access.keys]]\nkey_id = "b"\nkey = "c2VjcmV0LWI="\n'
    )
    assert repr(keys) == "SigningKeys(key_ids=['a', 'b'], active_key_id='b')"
    signer = RouteSigner(keys)
    assert signer.key_id == "b"
    for text in (repr(keys), str(keys), repr(signer), str(signer)):
        assert "c2VjcmV0" not in text and "secret" not in text


def test_key_config_signer_needs_a_configured_key() -> None:
    keys = SigningKeys.from_flag("a=Zm9v")
    with pytest.raises(InvalidConfig, match="no active key"):
        RouteSigner(keys)
    with pytest.raises(InvalidConfig, match='"c"'):
        RouteSigner(keys, "c")
    with pytest.raises(InvalidConfig, match="exactly one character"):
        RouteSigner(keys, "ab")
