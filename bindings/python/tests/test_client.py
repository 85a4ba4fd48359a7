"""Client (blocking) against the in-process mock: every operation, results and their reprs,
threads, fork, Ctrl-C, and the GIL being released while a request runs."""

import datetime
import json
import os
import signal
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List

import pytest

import sandgate
from helpers import http_get
from sandgate import Client, Secret
from sandgate.testing import MockRequest, MockServer

USER = {"X-OpenSandbox-User": "ada", "X-OpenSandbox-Roles": "operator"}


def test_client_imports_the_installed_package() -> None:
    # The suite must exercise the wheel installed in the virtualenv, not the source tree.
    assert "site-packages" in sandgate.__file__, sandgate.__file__
    assert sandgate.__version__


@pytest.mark.sandgate_mock(trusted_headers=True)
def test_client_every_operation(mock_server: MockServer) -> None:
    user = Client(domain=mock_server.domain, headers=USER)
    assert user.base_url == mock_server.api_url
    assert user.user_agent.startswith("sandgate/") and user.user_agent.endswith("(python)")

    created = user.create_api_key("laptop", expires_at=int(time.time()) + 3600)
    assert created.name == "laptop" and created.expires_at
    raw = created.key.reveal()
    assert created.prefix == raw[:12]

    client = Client(domain=mock_server.domain, api_key=created.key)
    listed = client.list_api_keys()
    assert [k.id for k in listed] == [created.id]
    assert listed[0].revoked is False and listed[0].created_at

    sandbox = client.create_sandbox(
        "python:3.11", secure_access=True, metadata={"team": "red"}, timeout=600
    )
    assert sandbox.image == "python:3.11" and sandbox.secure_access
    assert sandbox.metadata == {"team": "red", "access.owner": "ada"}
    assert sandbox.state and sandbox.expires_at
    assert client.get_sandbox(sandbox.id) == sandbox
    assert [s.id for s in client.list_sandboxes()] == [sandbox.id]

    unsigned = client.get_endpoint(sandbox.id, 8080)
    assert unsigned.route is None
    assert unsigned.url == mock_server.gateway_url
    token = unsigned.headers["OpenSandbox-Secure-Access"]
    assert token and token not in repr(unsigned)

    signed = client.get_signed_endpoint(sandbox.id, 8080, ttl=datetime.timedelta(minutes=5))
    assert signed.route is not None and signed.route.signed
    assert signed.route.sandbox_id == sandbox.id and signed.route.port == 8080
    assert "OpenSandbox-Secure-Access" not in signed.headers
    at = client.get_signed_endpoint(sandbox.id, 8080, int(time.time()) + 60)
    assert at.route is not None and at.route.expires is not None
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=90)
    dt = client.get_signed_endpoint(sandbox.id, 8080, when)
    assert dt.route is not None and dt.route.expires == int(when.timestamp())

    status, _, body = http_get(signed.url + "/ping?from=client", signed.headers)
    assert status == 200, body
    echo = json.loads(body)
    assert (echo["sandbox_id"], echo["path"], echo["query"]) == (sandbox.id, "/ping", "from=client")

    client.delete_sandbox(sandbox.id)
    assert client.list_sandboxes() == []
    user.revoke_api_key(created.id)
    with pytest.raises(sandgate.ApiError) as info:
        client.list_sandboxes()
    assert info.value.status == 401

    paths = [(r.method, r.path) for r in mock_server.requests()]
    assert ("DELETE", f"/api/v1/keys/{created.id}") in paths
    assert all(isinstance(r, MockRequest) for r in mock_server.requests())
    assert {r.user_agent for r in mock_server.requests()} == {user.user_agent}


def test_client_reprs_hide_secrets() -> None:
    with MockServer(trusted_headers=True) as mock:
        admin_key = mock.admin_key.reveal()
        signing = mock.signing_keys.reveal()
        for text in (repr(mock), str(mock.admin_key), repr(mock.signing_keys)):
            assert admin_key not in text and signing not in text
        client = Client(domain=mock.domain, api_key=mock.admin_key)
        assert admin_key not in repr(client)
        created = Client(domain=mock.domain, headers=USER).create_api_key("k")
        raw = created.key.reveal()
        for text in (repr(created), str(created), repr(created.key), f"{created.key}"):
            assert raw not in text
        assert "Secret('***')" in repr(created)
        sandbox = client.create_sandbox("python:3.11", secure_access=True)
        endpoint = client.get_endpoint(sandbox.id, 80)
        token = endpoint.headers["OpenSandbox-Secure-Access"]
        assert token not in repr(endpoint) and token not in str(endpoint)
        assert "'OpenSandbox-Secure-Access': '***'" in repr(endpoint)
        assert repr(sandbox).startswith("Sandbox(id=")


def test_client_options_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    with MockServer() as mock:
        monkeypatch.setenv("OPEN_SANDBOX_DOMAIN", mock.domain)
        monkeypatch.setenv("OPEN_SANDBOX_API_KEY", mock.admin_key.reveal())
        client = Client()
        assert client.base_url == mock.api_url
        assert client.list_sandboxes() == []
        explicit = Client(domain=f"http://{mock.domain}", protocol="https", api_key="osk_other")
        assert explicit.base_url == mock.api_url


def test_client_retries_injected_503() -> None:
    with MockServer() as mock:
        mock.set_faults(fail_next=2, status=503, retry_after=0)
        client = Client(domain=mock.domain, api_key=mock.admin_key, retries=3)
        assert client.list_sandboxes() == []
        assert [r.status for r in mock.requests()] == [503, 503, 200]
        mock.reset()
        mock.set_faults(fail_next=2, status=503, retry_after=0)
        with pytest.raises(sandgate.ApiError):
            Client(domain=mock.domain, api_key=mock.admin_key, retries=2).list_sandboxes()
        assert [r.status for r in mock.requests()] == [503, 503]


def test_client_releases_the_gil_while_waiting() -> None:
    with MockServer() as mock:
        mock.set_faults(latency_ms=800)
        client = Client(domain=mock.domain, api_key=mock.admin_key)
        ticks: List[float] = []
        stop = threading.Event()

        def ticker() -> None:
            while not stop.is_set():
                ticks.append(time.monotonic())
                time.sleep(0.01)

        t = threading.Thread(target=ticker)
        t.start()
        try:
            start = time.monotonic()
            client.list_sandboxes()
            end = time.monotonic()
        finally:
            stop.set()
            t.join()
    assert end - start >= 0.8
    # Another Python thread ran while the call was in flight (not only before or after it).
    inside = [x for x in ticks if start + 0.2 < x < end - 0.2]
    assert inside, "no Python thread ran while the request was in flight"


def test_client_shared_by_eight_threads() -> None:
    with MockServer() as mock:
        mock.set_faults(latency_ms=50)
        client = Client(domain=mock.domain, api_key=mock.admin_key, retries=False)
        barrier = threading.Barrier(8)

        def work(n: int) -> Any:
            barrier.wait()
            sandbox = client.create_sandbox("python:3.11", metadata={"n": str(n)})
            again = client.get_sandbox(sandbox.id)
            endpoint = client.get_signed_endpoint(sandbox.id, 8000 + n, ttl=60)
            return n, sandbox, again, endpoint

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(8)))
        assert len({sandbox.id for _, sandbox, _, _ in results}) == 8
        for n, sandbox, again, endpoint in results:
            assert again == sandbox and sandbox.metadata["n"] == str(n)
            assert endpoint.route is not None
            assert (endpoint.route.sandbox_id, endpoint.route.port) == (sandbox.id, 8000 + n)
        assert len(client.list_sandboxes()) == 8
        assert len(mock.requests()) == 8 * 3 + 1
        assert all(r.status in (200, 202) for r in mock.requests())


def test_client_in_a_forked_child() -> None:
    with MockServer() as mock:
        parent = Client(domain=mock.domain, api_key=mock.admin_key)
        parent.create_sandbox("python:3.11")  # the runtime and the module are in use
        read_fd, write_fd = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
            pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(read_fd)
                child = Client(domain=mock.domain, api_key=mock.admin_key)
                made = child.create_sandbox("python:3.12")
                seen = [s.id for s in child.list_sandboxes()]
                os.write(write_fd, json.dumps({"made": made.id, "seen": seen}).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        deadline = time.monotonic() + 60
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail("the forked child hung")
            time.sleep(0.05)
        with os.fdopen(read_fd) as f:
            out = f.read()
        assert os.waitstatus_to_exitcode(status) == 0, out
        report = json.loads(out)
        assert report["made"] in report["seen"] and len(report["seen"]) == 2
        # The parent still works after the fork, and sees what the child made.
        assert {s.id for s in parent.list_sandboxes()} == set(report["seen"])


def test_client_ctrl_c_aborts_a_blocking_call() -> None:
    with MockServer() as mock:
        client = Client(domain=mock.domain, api_key=mock.admin_key)
        mock.set_faults(latency_ms=1500)
        # Control: an uninterrupted call with the same latency is logged by the mock.
        client.list_sandboxes()
        assert len(mock.requests()) == 1
        mock.reset()
        mock.set_faults(latency_ms=1500)
        # A process started in the background inherits SIGINT as ignored, and Python then
        # never raises KeyboardInterrupt: install Python's handler for this test.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                client.list_sandboxes()
        finally:
            timer.cancel()
            signal.signal(signal.SIGINT, previous)
        time.sleep(1.8)  # past the latency: a request still running would be answered by now
        # The mock logs a request when it arrives; the aborted one was never answered.
        assert [r.status for r in mock.requests()] in ([], [0]), "the interrupted request was not aborted"
        mock.clear_faults()
        assert client.list_sandboxes() == []


@pytest.mark.sandgate_mock(route_mode="uri", trusted_headers=True)
def test_client_mock_fixture_and_clock(mock_server: MockServer) -> None:
    assert mock_server.route_mode == "uri"
    assert mock_server.base_domain == "localhost"
    now = mock_server.now()
    assert abs(now - time.time()) < 5
    mock_server.advance(100)
    assert mock_server.now() >= now + 100
    mock_server.set_now(2_000_000_000)
    assert 2_000_000_000 <= mock_server.now() < 2_000_000_005
    mock_server.set_now(datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc))
    assert 1_893_456_000 <= mock_server.now() < 1_893_456_005
    mock_server.reset()
    assert abs(mock_server.now() - time.time()) < 5
    keys = sandgate.SigningKeys.from_flag(mock_server.signing_keys)
    assert keys.key_ids == ["a", "b"]


def test_client_mock_rejects_faults_out_of_range(mock_server: MockServer) -> None:
    for bad in ({"fail_next": 1, "status": 200}, {"retry_after": 3601}, {"latency_ms": 600_001}):
        with pytest.raises(sandgate.InvalidArgument):
            mock_server.set_faults(**bad)
    client = Client(domain=mock_server.domain, api_key=mock_server.admin_key, retries=False)
    assert client.list_sandboxes() == []  # nothing was injected
    mock_server.set_faults(fail_next=1, status=429)
    with pytest.raises(sandgate.ApiError) as e:
        client.list_sandboxes()
    assert e.value.status == 429


def test_client_mock_stop_closes_the_listeners() -> None:
    mock = MockServer()
    client = Client(domain=mock.domain, api_key=mock.admin_key, retries=False)
    assert client.list_sandboxes() == []
    mock.stop()
    mock.stop()
    with pytest.raises(sandgate.TransportError):
        client.list_sandboxes()


def test_client_secret_wraps_any_key() -> None:
    secret = Secret("osk_explicit")
    assert secret.reveal() == "osk_explicit"
    assert str(secret) == "***"
    with MockServer() as mock:
        client = Client(domain=mock.domain, api_key=Secret(mock.admin_key.reveal()))
        assert client.list_sandboxes() == []
