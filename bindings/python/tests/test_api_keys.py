"""api_keys.json: show-once API key primitives, and the Secret type."""

import pickle
from typing import Any, Dict

import pytest

from helpers import check_error, load
from sandgate import InvalidArgument, Secret, generate_api_key, hash_api_key, verify_api_key

CASES = load("api_keys")


@pytest.mark.parametrize("case", CASES["hash"], ids=lambda c: c["raw"] or "empty")
def test_api_keys_hash(case: Dict[str, str]) -> None:
    assert hash_api_key(case["raw"]) == case["hash"]
    assert hash_api_key(Secret(case["raw"])) == case["hash"]


@pytest.mark.parametrize("case", CASES["verify"], ids=lambda c: c["name"])
def test_api_keys_verify(case: Dict[str, Any]) -> None:
    args = dict(
        expires_at=case.get("expires_at"),
        revoked=case.get("revoked", False),
        now=int(case["now"]) if "now" in case else None,
    )
    expect = case["expect"]
    if isinstance(expect, bool):
        assert verify_api_key(case["key"], case["hash"], **args) is expect
        assert verify_api_key(Secret(case["key"]), case["hash"], **args) is expect
    else:
        with pytest.raises(InvalidArgument) as info:
            verify_api_key(case["key"], case["hash"], **args)
        check_error(info.value, {"kind": expect})


@pytest.mark.parametrize("case", CASES["generate"], ids=lambda c: c["prefix"] or "empty")
def test_api_keys_generate(case: Dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(InvalidArgument) as info:
            generate_api_key(case["prefix"])
        check_error(info.value, {"kind": case["error"]})
        return
    generated = generate_api_key(case["prefix"])
    raw = generated.key.expose()
    assert len(raw) == case["length"]
    assert raw.startswith(case["prefix"])
    assert generated.prefix == raw[:12]
    assert generated.hash == hash_api_key(raw)
    assert verify_api_key(generated.key, generated.hash)
    assert not verify_api_key(raw + "x", generated.hash)
    assert generate_api_key(case["prefix"]).key.expose() != raw


def test_api_keys_default_prefix_and_secret_printing() -> None:
    generated = generate_api_key()
    raw = generated.key.expose()
    assert raw.startswith("osk_") and len(raw) == 47
    for text in (repr(generated), str(generated), repr(generated.key), str(generated.key),
                 f"{generated.key}", "%s" % generated.key):
        assert raw not in text and raw[4:] not in text
    assert str(generated.key) == "***"
    assert repr(generated.key) == "Secret('***')"
    assert "***" in repr(generated)


def test_api_keys_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret("osk_do_not_leak"))


def test_api_keys_verify_rejects_bad_types() -> None:
    with pytest.raises(TypeError):
        hash_api_key(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="now"):
        verify_api_key("k", "0" * 64, now=-1)
