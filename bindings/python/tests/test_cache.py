"""The endpoint cache (SPEC §2.1): the shared table `cache.json` through `cache_decision`,
`CacheOptions`, and the cache of a client on the mock (50 concurrent calls send one request,
delete and pause invalidate, switched off)."""

import asyncio
import datetime
import threading
import time
from typing import Any, Dict, List, Optional

import pytest

import sandgate
from helpers import load
from sandgate import (
    AsyncClient,
    CacheOptions,
    Client,
    Endpoint,
    cache_decision,
)
from sandgate.testing import MockServer


def ms(value: Optional[int]) -> Optional[datetime.timedelta]:
    return None if value is None else datetime.timedelta(milliseconds=value)


CACHE = load("cache")["cases"]
@pytest.mark.parametrize("case", CACHE, ids=[c["name"] for c in CACHE])
def test_cache_cases(case: Dict[str, Any]) -> None:
    policy, expect = case["policy"], case["expect"]

    def decide() -> sandgate.Freshness:
        options = CacheOptions(
            enabled=policy.get("enabled"),
            max_entries=policy.get("max_entries"),
            ttl=ms(policy.get("ttl_ms")),
            margin=ms(policy.get("margin_ms")),
        )
        signed = case["signed_expires"]
        return cache_decision(
            options,
            signed_expires=None if signed is None else int(signed),
            fetched_at=int(case["fetched_at_ms"]) / 1000,
            now=int(case["now_ms"]) / 1000,
        )

    if "error" in expect:
        with pytest.raises(sandgate.SandgateError) as info:
            decide()
        assert info.value.kind == expect["error"], info.value
        return
    f = decide()
    assert (f.fresh, round(f.until * 1000)) == (expect["fresh"], int(expect["until_ms"])), f
    assert bool(f) is f.fresh


def test_cache_options_values() -> None:
    default = CacheOptions()
    assert (default.enabled, default.max_entries, default.ttl, default.margin) == (None,) * 4
    opts = CacheOptions(enabled=True, max_entries=10, ttl=datetime.timedelta(minutes=1),
                        margin=5)
    assert (opts.enabled, opts.max_entries, opts.ttl, opts.margin) == (True, 10, 60.0, 5.0)
    assert opts == CacheOptions(True, 10, 60, 5) and opts != default
    assert repr(opts) == "CacheOptions(enabled=True, max_entries=10, ttl=60.0, margin=5.0)"
    for bad in ({"max_entries": 0}, {"ttl": 0}, {"ttl": -1}, {"max_entries": -5}):
        with pytest.raises(sandgate.InvalidConfig):
            CacheOptions(**bad)
    # Freshness at a datetime, counted to the millisecond.
    at = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    f = cache_decision(None, signed_expires=None, fetched_at=at, now=at.timestamp() + 0.5)
    assert f.fresh and f.until == at.timestamp() + 600
    with pytest.raises(sandgate.InvalidArgument, match="now"):
        cache_decision(None, signed_expires=None, fetched_at=0, now=-1)


def admin(mock: MockServer, **options: object) -> Client:
    return Client(domain=mock.domain, api_key=mock.admin_key, **options)  # type: ignore[arg-type]


def endpoint_requests(mock: MockServer) -> int:
    return sum("/endpoints/" in r.path for r in mock.requests())


def test_cache_fifty_concurrent_endpoint_calls_send_one_request() -> None:
    with MockServer() as mock:
        client = admin(mock)
        sid = client.create_sandbox("python:3.11", secure_access=True).id
        mock.set_faults(latency_ms=200)  # the calls overlap
        before = endpoint_requests(mock)
        barrier = threading.Barrier(50)
        tokens: List[str] = []

        def call() -> None:
            barrier.wait()
            e = client.endpoint(sid, 8080, ttl=3600)
            tokens.append(e.headers["OpenSandbox-Ingress-To"])

        threads = [threading.Thread(target=call) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(tokens) == 50 and len(set(tokens)) == 1
        assert endpoint_requests(mock) - before == 1, mock.requests()
        mock.clear_faults()
        client.get_signed_endpoint(sid, 8080, ttl=3600)  # a hit too
        assert endpoint_requests(mock) - before == 1


def test_cache_fifty_concurrent_calls_of_the_async_client_send_one_request() -> None:
    async def main(mock: MockServer, sid: str) -> List[Endpoint]:
        client = AsyncClient(domain=mock.domain, api_key=mock.admin_key)
        return await asyncio.gather(*(client.endpoint(sid, 8080, ttl=3600) for _ in range(50)))

    with MockServer() as mock:
        sid = admin(mock).create_sandbox("python:3.11", secure_access=True).id
        mock.set_faults(latency_ms=200)
        before = endpoint_requests(mock)
        got = asyncio.run(main(mock, sid))
        assert len({e.headers["OpenSandbox-Ingress-To"] for e in got}) == 1
        assert endpoint_requests(mock) - before == 1


def test_cache_delete_and_pause_through_the_client_invalidate() -> None:
    with MockServer() as mock:
        client = admin(mock)
        sid = client.create_sandbox("python:3.11", secure_access=True).id
        client.endpoint(sid, 8080, ttl=600)
        client.endpoint(sid, 8080, ttl=600)
        assert endpoint_requests(mock) == 1
        client.pause_sandbox(sid)
        assert client.get_sandbox(sid).state == "Paused"
        client.endpoint(sid, 8080, ttl=600)
        assert endpoint_requests(mock) == 2
        client.resume_sandbox(sid)
        assert client.get_sandbox(sid).state == "Running"
        client.endpoint(sid, 8080, ttl=600)
        assert endpoint_requests(mock) == 3
        client.delete_sandbox(sid)
        with pytest.raises(sandgate.ApiError) as info:
            client.endpoint(sid, 8080, ttl=600)
        assert info.value.status == 404
        assert endpoint_requests(mock) == 4
        # Pausing twice is a conflict, sent once (a POST is never re-sent).
        other = client.create_sandbox("python:3.11").id
        client.pause_sandbox(other)
        before = len(mock.requests())
        with pytest.raises(sandgate.ApiError) as conflict:
            client.pause_sandbox(other)
        assert (conflict.value.status, conflict.value.code) == (409, "SANDBOX::INVALID_STATE")
        assert len(mock.requests()) - before == 1
        with pytest.raises(sandgate.InvalidArgument):
            client.resume_sandbox("")


def test_cache_switched_off_asks_every_time() -> None:
    with MockServer() as mock:
        client = admin(mock, cache=CacheOptions(enabled=False))
        sid = client.create_sandbox("python:3.11").id
        for _ in range(3):
            client.endpoint(sid, 80)
        assert endpoint_requests(mock) == 3
        short = admin(mock, cache=CacheOptions(ttl=0.05))
        short.endpoint(sid, 80)
        short.endpoint(sid, 80)
        time.sleep(0.1)
        short.endpoint(sid, 80)
        assert endpoint_requests(mock) == 5
