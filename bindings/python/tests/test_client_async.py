"""AsyncClient: the operations as coroutines, concurrency on one loop, and cancellation that
reaches the Rust request."""

import asyncio
import json
import time

import pytest

import sandgate
from helpers import http_get
from sandgate import AsyncClient, RetryOptions
from sandgate.testing import MockServer

USER = {"X-OpenSandbox-User": "grace", "X-OpenSandbox-Roles": "operator"}


def test_client_async_every_operation() -> None:
    async def flow(mock: MockServer) -> None:
        user = AsyncClient(domain=mock.domain, headers=USER)
        assert user.user_agent.endswith("(python)")
        assert repr(user) == f"AsyncClient(base_url={mock.api_url!r})"
        created = await user.create_api_key("ci")
        client = AsyncClient(domain=mock.domain, api_key=created.key)
        assert [k.id for k in await client.list_api_keys()] == [created.id]
        sandbox = await client.create_sandbox("python:3.11", secure_access=True)
        assert sandbox.metadata["access.owner"] == "grace"
        assert await client.get_sandbox(sandbox.id) == sandbox
        unsigned, signed = await asyncio.gather(
            client.get_endpoint(sandbox.id, 8080),
            client.get_signed_endpoint(sandbox.id, 8080, ttl=120),
        )
        assert unsigned.route is None and signed.route is not None
        status, _, body = await asyncio.get_running_loop().run_in_executor(
            None, http_get, signed.url + "/ping", signed.headers
        )
        assert status == 200 and json.loads(body)["sandbox_id"] == sandbox.id
        await client.delete_sandbox(sandbox.id)
        assert await client.list_sandboxes() == []
        await user.revoke_api_key(created.id)
        with pytest.raises(sandgate.ApiError) as info:
            await client.list_sandboxes()
        assert (info.value.status, info.value.code) == (401, "INVALID_API_KEY")

    with MockServer(trusted_headers=True) as mock:
        asyncio.run(flow(mock))


def test_client_async_renew_sandbox() -> None:
    async def flow(mock: MockServer) -> None:
        client = AsyncClient(domain=mock.domain, api_key=mock.admin_key)
        sandbox = await client.create_sandbox("python:3.11", timeout=600)
        renewed = await client.renew_sandbox(sandbox.id, ttl=3600)
        assert abs(renewed.expires - (int(time.time()) + 3600)) <= 2
        assert (await client.get_sandbox(sandbox.id)).expires_at == renewed.expires_at

    with MockServer() as mock:
        asyncio.run(flow(mock))


def test_client_async_calls_run_concurrently_on_one_loop() -> None:
    async def many(client: AsyncClient) -> None:
        tasks = [asyncio.create_task(client.create_sandbox("python:3.11")) for _ in range(8)]
        made = await asyncio.gather(*tasks)
        assert len({s.id for s in made}) == 8
        listed = await client.list_sandboxes()
        assert {s.id for s in listed} == {s.id for s in made}

    with MockServer() as mock:
        mock.set_faults(latency_ms=100)
        asyncio.run(many(AsyncClient(domain=mock.domain, api_key=mock.admin_key)))
        assert len(mock.requests()) == 9


def test_client_async_cancel_in_flight_aborts_the_request() -> None:
    async def cancel_one(client: AsyncClient, mock: MockServer) -> None:
        # Control: the same call left alone is answered and logged by the mock.
        await client.list_sandboxes()
        assert len(mock.requests()) == 1
        mock.reset()
        mock.set_faults(latency_ms=1500)
        task = asyncio.create_task(client.list_sandboxes())
        await asyncio.sleep(0.3)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(1.8)  # past the latency: a request still running is answered by now
        # The mock logs a request when it arrives; the cancelled one was never answered.
        assert [r.status for r in mock.requests()] in ([], [0]), (
            "the cancelled request still reached the handler's end")
        mock.clear_faults()
        assert await client.list_sandboxes() == []

    with MockServer() as mock:
        mock.set_faults(latency_ms=1500)
        asyncio.run(cancel_one(AsyncClient(domain=mock.domain, api_key=mock.admin_key), mock))


def test_client_async_wait_for_timeout_cancels() -> None:
    async def timed_out(client: AsyncClient, mock: MockServer) -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.list_sandboxes(), timeout=0.2)
        await asyncio.sleep(1.5)
        assert [r.status for r in mock.requests()] in ([], [0]), (
            "the timed-out request was answered")

    with MockServer() as mock:
        mock.set_faults(latency_ms=1000)
        asyncio.run(timed_out(AsyncClient(domain=mock.domain, api_key=mock.admin_key), mock))


def test_client_async_does_not_block_the_loop() -> None:
    async def ticking(client: AsyncClient) -> int:
        ticks = 0
        call = asyncio.create_task(client.list_sandboxes())
        start = time.monotonic()
        while not call.done():
            ticks += 1
            await asyncio.sleep(0.01)
        await call
        assert time.monotonic() - start >= 0.5
        return ticks

    with MockServer() as mock:
        mock.set_faults(latency_ms=600)
        ticks = asyncio.run(ticking(AsyncClient(domain=mock.domain, api_key=mock.admin_key)))
    # The loop kept running other coroutines while the request was in flight.
    assert ticks >= 10


def test_client_async_timeout_kind() -> None:
    async def slow(client: AsyncClient) -> None:
        with pytest.raises(sandgate.TimeoutError) as info:
            await client.list_sandboxes()
        assert isinstance(info.value, TimeoutError) and info.value.kind == "timeout"

    with MockServer() as mock:
        mock.set_faults(latency_ms=2000)
        client = AsyncClient(
            domain=mock.domain, api_key=mock.admin_key, timeout=0.2,
            retry=RetryOptions(max_retries=0),
        )
        asyncio.run(slow(client))


def test_client_async_works_on_several_loops() -> None:
    with MockServer() as mock:
        client = AsyncClient(domain=mock.domain, api_key=mock.admin_key)
        for _ in range(3):
            assert asyncio.run(client.list_sandboxes()) == []


def test_client_async_methods_are_coroutines() -> None:
    client = AsyncClient(domain="127.0.0.1:1", retry=RetryOptions(max_retries=0))
    pending = client.list_sandboxes()
    assert asyncio.iscoroutine(pending)
    pending.close()  # never awaited: nothing ran, nothing to clean up
    # Bad arguments are reported when the coroutine runs, before anything is sent.
    with pytest.raises(sandgate.InvalidArgument, match="port"):
        asyncio.run(client.get_endpoint("sbx", 0))
    with pytest.raises(sandgate.TransportError):
        asyncio.run(client.get_endpoint("sbx", 80))
