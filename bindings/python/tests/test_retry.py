"""The client's retry rule and resilient transport (SPEC §2.1): the shared table `retry.json`
through `retry_decision`, every `RetryOptions` knob, and the transport against the mock's
faults (the `on_retry` hook, `retryable`, `retry_after`, a POST that reached the server never
sent twice, a connect failure before sending retried)."""


import asyncio
import datetime
import sys
import time
from typing import Any, Dict, List, Optional

import pytest

import sandgate
from helpers import free_port, load
from sandgate import (
    AsyncClient,
    Client,
    RetryEvent,
    RetryOptions,
    retry_decision,
)
from sandgate.testing import MockServer

RETRY = load("retry")["cases"]
FAST = {"initial_backoff": 0.01, "max_backoff": 0.02}


def ms(value: Optional[int]) -> Optional[datetime.timedelta]:
    return None if value is None else datetime.timedelta(milliseconds=value)


def retry_options(policy: Dict[str, Any]) -> RetryOptions:
    return RetryOptions(
        max_retries=policy.get("max_retries"),
        initial_backoff=ms(policy.get("initial_backoff_ms")),
        max_backoff=ms(policy.get("max_backoff_ms")),
        multiplier=policy.get("multiplier"),
        retry_statuses=policy.get("retry_statuses"),
        post_retry_statuses=policy.get("post_retry_statuses"),
        attempt_timeout=ms(policy.get("attempt_timeout_ms")),
        deadline=ms(policy.get("deadline_ms")),
    )


@pytest.mark.parametrize("case", RETRY, ids=[c["name"] for c in RETRY])
def test_retry_cases(case: Dict[str, Any]) -> None:
    a, expect = case["attempt"], case["expect"]

    def decide() -> sandgate.RetryDecision:
        return retry_decision(
            retry_options(case["policy"]),
            a["method"],
            a["outcome"],
            status=a["status"],
            attempt=a["attempt"],
            prev_delay=ms(a["prev_delay_ms"]),
            retry_after=a["retry_after"],
            now=None if a["now"] is None else int(a["now"]),
            elapsed=ms(a["elapsed_ms"]),
        )

    if "error" in expect:
        with pytest.raises(sandgate.SandgateError) as info:
            decide()
        assert info.value.kind == expect["error"], info.value
        assert info.value.message
        return
    d = decide()
    got = (d.retry, d.verdict, round(d.min_delay * 1000), round(d.max_delay * 1000), d.retryable)
    want = (expect["retry"], expect["verdict"], expect["min_delay_ms"], expect["max_delay_ms"],
            expect["retryable"])
    assert got == want, d
    assert bool(d) is d.retry


def test_retry_cases_cover_the_table() -> None:
    assert len(RETRY) >= 80
    assert {c["expect"].get("verdict") for c in RETRY} >= {
        "retry", "not_retryable", "exhausted", "deadline"}


def test_retry_options_every_knob() -> None:
    opts = RetryOptions(
        5, 0.1, 2, multiplier=3, retry_statuses=(500, 503), post_retry_statuses=[429],
        attempt_timeout=datetime.timedelta(seconds=4), deadline=30,
    )
    assert (opts.max_retries, opts.initial_backoff, opts.max_backoff) == (5, 0.1, 2.0)
    assert (opts.multiplier, opts.retry_statuses, opts.post_retry_statuses) == (3.0, [500, 503],
                                                                                [429])
    assert (opts.attempt_timeout, opts.deadline) == (4.0, 30.0)
    assert "retry_statuses=[500, 503]" in repr(opts) and "deadline=30.0" in repr(opts)
    assert RetryOptions().retry_statuses is None
    for bad, says in [
        ({"multiplier": 0.5}, "multiplier"),
        ({"retry_statuses": [99]}, "status"),
        ({"post_retry_statuses": [70000]}, "post_retry_statuses"),
        ({"attempt_timeout": 0}, "attempt_timeout"),
        ({"deadline": -1}, "deadline"),
    ]:
        with pytest.raises(sandgate.InvalidConfig, match=says):
            RetryOptions(**bad)
    with pytest.raises(TypeError):
        RetryOptions(retry_statuses=["503"])  # type: ignore[list-item]
    # A retry decision with the defaults, and a bad attempt said clearly.
    assert retry_decision(None, "GET", "pre_send").retry
    with pytest.raises(sandgate.InvalidArgument, match="attempt"):
        retry_decision(None, "GET", "pre_send", attempt=-1)


def test_retry_hook_sees_the_retries_of_a_mock_fault() -> None:
    events: List[RetryEvent] = []
    with MockServer() as mock:
        client = Client(domain=mock.domain, api_key=mock.admin_key,
                        retry=RetryOptions(max_retries=3, **FAST), on_retry=events.append)
        mock.set_faults(fail_next=2, status=503, retry_after=0)
        assert client.list_sandboxes() == []
        assert [r.status for r in mock.requests()] == [503, 503, 200]
    assert [e.attempt for e in events] == [1, 2]
    for e in events:
        assert isinstance(e.cause, sandgate.ApiError)
        assert (e.cause.status, e.cause.retryable, e.cause.retry_after) == (503, True, 0.0)
        assert e.delay == 0.0  # Retry-After: 0 replaces the backoff
        assert repr(e).startswith("RetryEvent(attempt=")


def test_retry_hook_errors_never_stop_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(event: RetryEvent) -> None:
        raise RuntimeError("hook failed")

    reported: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    with MockServer() as mock:
        client = Client(domain=mock.domain, api_key=mock.admin_key,
                        retry=RetryOptions(**FAST), on_retry=broken)
        mock.set_faults(fail_next=1, status=502)
        assert client.list_sandboxes() == []
        assert [r.status for r in mock.requests()] == [502, 200]
    assert [str(r.exc_value) for r in reported] == ["hook failed"]
    with pytest.raises(TypeError, match="on_retry"):
        Client(domain="127.0.0.1:1", on_retry=5)  # type: ignore[arg-type]


def test_retry_connect_failure_before_sending_is_retried_even_for_post() -> None:
    events: List[RetryEvent] = []
    client = Client(domain=f"127.0.0.1:{free_port()}", api_key="osk_x",
                    retry=RetryOptions(max_retries=2, **FAST), on_retry=events.append)
    with pytest.raises(sandgate.TransportError) as info:
        client.create_sandbox("python:3.11")
    assert [e.attempt for e in events] == [1, 2]
    assert all(isinstance(e.cause, sandgate.TransportError) for e in events)
    assert 0.01 <= events[0].delay <= 0.02
    assert info.value.retryable is True and info.value.retry_after is None


def test_retry_post_that_reached_the_server_is_not_sent_again() -> None:
    events: List[RetryEvent] = []
    with MockServer() as mock:
        client = Client(domain=mock.domain, api_key=mock.admin_key,
                        retry=RetryOptions(max_retries=3, **FAST), on_retry=events.append)
        # The server got the POST and the connection broke before an answer.
        mock.set_faults(drop_next=1)
        with pytest.raises(sandgate.SandgateError) as info:
            client.create_sandbox("python:3.11")
        assert info.value.retryable is False, info.value
        posts = [r for r in mock.requests() if r.method == "POST"]
        assert len(posts) == 1, mock.requests()
        # A 503 answer to a POST is not retried either, unless opted in.
        mock.reset()
        mock.set_faults(fail_next=1, status=503)
        with pytest.raises(sandgate.ApiError) as api:
            client.create_sandbox("python:3.11")
        assert (api.value.status, api.value.retryable) == (503, False)
        assert len(mock.requests()) == 1
        assert events == []
        opted = Client(domain=mock.domain, api_key=mock.admin_key, on_retry=events.append,
                       retry=RetryOptions(post_retry_statuses=[503], **FAST))
        mock.reset()
        mock.set_faults(fail_next=1, status=503)
        assert opted.create_sandbox("python:3.11").id
        assert [r.status for r in mock.requests()] == [503, 202]
        assert [e.attempt for e in events] == [1]


def test_retry_retryable_and_retry_after_on_a_429() -> None:
    with MockServer() as mock:
        # The retry waits the second the server asks for (not the 10 ms backoff), and the
        # last 429 is returned once the retries are spent.
        client = Client(domain=mock.domain, api_key=mock.admin_key,
                        retry=RetryOptions(max_retries=1, **FAST))
        mock.set_faults(fail_next=2, status=429, retry_after=1)
        start = time.monotonic()
        with pytest.raises(sandgate.ApiError) as info:
            client.list_sandboxes()
        assert time.monotonic() - start >= 1
        e = info.value
        assert (e.status, e.retryable, e.retry_after) == (429, True, 1.0)
        assert len(mock.requests()) == 2
        # With retrying off, nothing is retryable.
        off = Client(domain=mock.domain, api_key=mock.admin_key, retry=RetryOptions(0))
        mock.set_faults(fail_next=1, status=429, retry_after=7)
        with pytest.raises(sandgate.ApiError) as info:
            off.list_sandboxes()
        assert (info.value.retryable, info.value.retry_after) == (False, 7.0)
        mock.set_faults(fail_next=1, status=404)
        with pytest.raises(sandgate.ApiError) as info:
            client.get_sandbox("nope")
        assert (info.value.retryable, info.value.retry_after) == (False, None)


def test_retry_hook_in_the_async_client() -> None:
    events: List[RetryEvent] = []

    async def main(mock: MockServer) -> None:
        client = AsyncClient(domain=mock.domain, api_key=mock.admin_key,
                             retry=RetryOptions(**FAST), on_retry=events.append)
        mock.set_faults(fail_next=1, status=429, retry_after=0)
        assert await client.list_sandboxes() == []

    with MockServer() as mock:
        asyncio.run(main(mock))
    assert [(e.attempt, e.cause.status) for e in events] == [(1, 429)]
