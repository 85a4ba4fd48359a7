"""key_config.json: signing keys from the ingress flag string, the server TOML and the server's
environment pair."""

import os
from typing import Any, Callable, Dict, Optional

import pytest

from helpers import load
from sandgate import InvalidConfig, RouteSigner, SigningKeys

CASES = load("key_config")["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_key_config_cases(case: Dict[str, Any]) -> None:
    forms: Dict[str, Callable[[Any], Optional[SigningKeys]]] = {
        "flag": SigningKeys.from_flag,
        "toml": SigningKeys.from_toml,
        "env": SigningKeys.from_env,
    }
    parse = forms[case["form"]]
    expect = case["expect"]
    if expect.get("unset"):
        assert parse(case["input"]) is None
        return
    if expect["ok"]:
        keys = parse(case["input"])
        assert keys is not None
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


def test_key_config_from_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENSANDBOX_SECURE_ACCESS_KEYS", raising=False)
    monkeypatch.delenv("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY", raising=False)
    assert SigningKeys.from_env() is None
    monkeypatch.setenv("OPENSANDBOX_SECURE_ACCESS_KEYS", "a=Zm9v,b=YmFy")
    with pytest.raises(InvalidConfig, match="set together"):
        SigningKeys.from_env()
    monkeypatch.setenv("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY", "b")
    keys = SigningKeys.from_env()
    assert keys is not None and keys.active_key_id == "b"
    assert SigningKeys.from_env(os.environ) is not None
    with pytest.raises(TypeError):
        SigningKeys.from_env(
            {"OPENSANDBOX_SECURE_ACCESS_KEYS": 1, "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY": "a"})


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
