"""errors.json through Client and AsyncClient, and the exception classes themselves."""

import asyncio
import builtins
import pickle
from typing import Any, Dict, Union

import pytest

import sandgate
from helpers import check_error, free_port, load
from sandgate import AsyncClient, Client, RetryOptions
from sandgate.testing import MockServer

CASES = load("errors")["cases"]


def client_options(case: Dict[str, Any], mock: MockServer) -> Dict[str, Any]:
    opts: Dict[str, Any] = {"domain": mock.domain}
    who = case.get("as")
    if who == "admin":
        opts["api_key"] = mock.admin_key
    elif who == "bad_key":
        opts["api_key"] = "osk_not_a_real_key"
    elif who in ("read_only_user", "operator_user"):
        opts["headers"] = {
            "X-OpenSandbox-User": "errors-user",
            "X-OpenSandbox-Roles": who.replace("_user", ""),
        }
    c = case.get("client", {})
    if "timeout_ms" in c:
        opts["timeout"] = c["timeout_ms"] / 1000
    if c.get("retry") is False:
        opts["retry"] = RetryOptions(max_retries=0)
    if c.get("closed_port"):
        opts["domain"] = f"127.0.0.1:{free_port()}"
    for name in ("protocol", "domain"):
        if name in c:
            opts[name] = c[name]
    return opts


def call(client: Union[Client, AsyncClient], op: str, args: Dict[str, Any]) -> Any:
    """The operation `op` with the case's arguments (Unix seconds arrive as strings)."""
    kwargs = dict(args)
    for name in ("expires", "expires_at"):
        if name in kwargs:
            kwargs[name] = int(kwargs[name])
    if "ttl_seconds" in kwargs:
        kwargs["ttl"] = kwargs.pop("ttl_seconds")
    return getattr(client, op)(**kwargs)


def run_case(case: Dict[str, Any], use_async: bool) -> None:
    expect = case["expect"]
    with MockServer(route_mode="header", trusted_headers=True) as mock:
        if case.get("fault"):
            mock.set_faults(**case["fault"])
        opts = client_options(case, mock)
        try:
            client: Union[Client, AsyncClient] = (
                AsyncClient(**opts) if use_async else Client(**opts)
            )
            if case["op"] != "build_client":
                result = call(client, case["op"], case.get("args", {}))
                if use_async:
                    asyncio.run(result)
        except sandgate.SandgateError as err:
            assert not expect.get("ok"), f"expected success, got {err!r}"
            check_error(err, expect)
            if expect.get("no_request"):
                assert mock.requests() == [], "the request must not have been sent"
            return
        assert expect.get("ok"), f"expected a {expect.get('kind')} error, the call succeeded"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_errors_cases(case: Dict[str, Any]) -> None:
    run_case(case, use_async=False)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_errors_cases_async(case: Dict[str, Any]) -> None:
    run_case(case, use_async=True)


def test_errors_class_hierarchy() -> None:
    for cls in (
        sandgate.InvalidArgument, sandgate.InvalidConfig, sandgate.AccessDenied,
        sandgate.ApiError, sandgate.TimeoutError, sandgate.TransportError,
        sandgate.DecodeError, sandgate.CancelledError, sandgate.InternalError,
    ):
        assert issubclass(cls, sandgate.SandgateError)
        assert cls.__module__ == "sandgate"
    assert issubclass(sandgate.InvalidArgument, ValueError)
    assert issubclass(sandgate.InvalidConfig, ValueError)
    assert issubclass(sandgate.TimeoutError, builtins.TimeoutError)
    assert not issubclass(sandgate.ApiError, ValueError)


def test_errors_timeout_is_a_builtin_timeout() -> None:
    with MockServer() as mock:
        mock.set_faults(latency_ms=2000)
        client = Client(
            domain=mock.domain, api_key=mock.admin_key, timeout=0.2,
            retry=RetryOptions(max_retries=0),
        )
        with pytest.raises(builtins.TimeoutError) as info:
            client.list_sandboxes()
    assert isinstance(info.value, sandgate.TimeoutError)
    assert info.value.kind == "timeout"


def test_errors_api_fields_and_pickling() -> None:
    with MockServer() as mock:
        client = Client(domain=mock.domain, api_key=mock.admin_key)
        with pytest.raises(sandgate.ApiError) as info:
            client.get_sandbox("missing-sandbox")
    err = info.value
    assert (err.kind, err.status, err.code) == ("api", 404, "SANDBOX::NOT_FOUND")
    assert err.request_id and err.request_id in str(err)
    assert "missing-sandbox" in err.message
    assert err.reason is None
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is sandgate.ApiError
    assert (copy.status, copy.code, copy.request_id, str(copy)) == (
        err.status, err.code, err.request_id, str(err))


def test_errors_messages_never_contain_the_api_key() -> None:
    with MockServer() as mock:
        secret = "osk_this_key_must_not_be_printed"
        client = Client(domain=mock.domain, api_key=secret, retry=RetryOptions(max_retries=0))
        with pytest.raises(sandgate.ApiError) as info:
            client.list_sandboxes()
        assert info.value.status == 401
        assert secret not in str(info.value) and secret not in repr(info.value)
        assert secret not in repr(client)
        with pytest.raises(sandgate.InvalidConfig) as bad:
            Client(domain=mock.domain, api_key="osk_bad\nkey")
        assert "osk_bad" not in str(bad.value)


def test_errors_bad_client_options() -> None:
    with pytest.raises(sandgate.InvalidConfig, match="timeout"):
        Client(domain="127.0.0.1:1", timeout=-1)
    with pytest.raises(sandgate.InvalidConfig, match="timeout"):
        Client(domain="127.0.0.1:1", timeout=0)
    with pytest.raises(sandgate.InvalidConfig, match="retries"):
        Client(domain="127.0.0.1:1", retry=RetryOptions(max_retries=-2))
    with pytest.raises(sandgate.InvalidConfig):
        Client(domain="127.0.0.1:1", retry=RetryOptions(max_retries=-1))
    with pytest.raises(sandgate.InvalidConfig, match="header"):
        Client(domain="127.0.0.1:1", headers={"bad header": "x"})
    with pytest.raises(TypeError):
        Client(domain="127.0.0.1:1", timeout="soon")  # type: ignore[arg-type]
    with pytest.raises(sandgate.InvalidConfig, match="route mode"):
        MockServer(route_mode="sideways")


def test_errors_bad_call_arguments_send_nothing() -> None:
    with MockServer() as mock:
        client = Client(domain=mock.domain, api_key=mock.admin_key)
        with pytest.raises(sandgate.InvalidArgument, match="port"):
            client.get_endpoint("abc", 2**70)
        with pytest.raises(sandgate.InvalidArgument, match="exactly one"):
            client.get_signed_endpoint("abc", 80)
        with pytest.raises(sandgate.InvalidArgument, match="exactly one"):
            client.get_signed_endpoint("abc", 80, 2_000_000_000, ttl=60)
        with pytest.raises(sandgate.InvalidArgument, match="ttl"):
            client.get_signed_endpoint("abc", 80, ttl=0)
        with pytest.raises(sandgate.InvalidArgument, match="ttl"):
            client.get_signed_endpoint("abc", 80, ttl=-5)
        with pytest.raises(sandgate.InvalidArgument, match="expires"):
            client.get_signed_endpoint("abc", 80, -1)
        with pytest.raises(sandgate.InvalidArgument, match="timeout"):
            client.create_sandbox("python:3.11", timeout=0)
        with pytest.raises(sandgate.InvalidArgument):
            client.delete_sandbox("   ")
        assert mock.requests() == []


def test_errors_message_is_bare_and_str_is_the_display() -> None:
    with MockServer() as mock:
        client = Client(domain=mock.domain, api_key=mock.admin_key)
        with pytest.raises(sandgate.ApiError) as info:
            client.get_sandbox("missing-sandbox")
    err = info.value
    assert not err.message.startswith("API error")
    assert str(err) == (
        f"API error 404 SANDBOX::NOT_FOUND: {err.message} (request id {err.request_id})"
    )
    verifier = sandgate.RouteVerifier(sandgate.SigningKeys.from_flag("a=bXktdGVzdC1zZWNyZXQ="))
    with pytest.raises(sandgate.AccessDenied) as denied:
        verifier.verify("sbx-001-8080-x2qxvk-0ff8cd39a", now=2_000_000_001)
    assert str(denied.value) == f"access denied (expired): {denied.value.message}"
    assert denied.value.message and not denied.value.message.startswith("access denied")
    with pytest.raises(sandgate.InvalidArgument) as bad:
        client.get_endpoint("sbx", 0)
    assert bad.value.message in str(bad.value) and bad.value.message
    # A user-made error keeps its one text as both.
    mine = sandgate.InvalidArgument("plain")
    assert (mine.message, str(mine), mine.kind) == ("plain", "plain", "invalid_argument")
