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
from pathlib import Path
from typing import Any, List

import pytest

import sandgate
from helpers import http_get
from sandgate import Client, RetryOptions, Secret
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
    raw = created.key.expose()
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


def test_client_renew_sandbox_moves_its_expiry() -> None:
    with MockServer() as mock:
        client = Client(domain=mock.domain, api_key=mock.admin_key)
        sandbox = client.create_sandbox("python:3.11", timeout=600)
        until = int(time.time()) + 7200
        renewed = client.renew_sandbox(sandbox.id, until)
        assert isinstance(renewed, sandgate.SandboxRenewal)
        assert renewed.expires == until and renewed.expires_at != sandbox.expires_at
        assert client.get_sandbox(sandbox.id).expires_at == renewed.expires_at
        shown = f"SandboxRenewal(expires_at={renewed.expires_at!r}, expires={until})"
        assert repr(renewed) == shown
        at = datetime.datetime.fromtimestamp(until + 60, tz=datetime.timezone.utc)
        assert client.renew_sandbox(sandbox.id, at).expires == until + 60
        by_ttl = client.renew_sandbox(sandbox.id, ttl=datetime.timedelta(days=1))
        assert abs(by_ttl.expires - (int(time.time()) + 86400)) <= 2
        assert client.get_sandbox(sandbox.id).expires_at == by_ttl.expires_at
        with pytest.raises(sandgate.ApiError) as info:
            client.renew_sandbox("does-not-exist", ttl=60)
        assert (info.value.status, info.value.code) == (404, "SANDBOX::NOT_FOUND")
        # A bad expiry is refused before any request.
        sent = len(mock.requests())
        for kwargs in ({}, {"expires": until, "ttl": 60}, {"ttl": 0}, {"expires": 1000}):
            with pytest.raises(sandgate.InvalidArgument):
                client.renew_sandbox(sandbox.id, **kwargs)
        assert len(mock.requests()) == sent


def test_client_reprs_hide_secrets() -> None:
    with MockServer(trusted_headers=True) as mock:
        admin_key = mock.admin_key.expose()
        signing = mock.signing_keys.expose()
        for text in (repr(mock), str(mock.admin_key), repr(mock.signing_keys)):
            assert admin_key not in text and signing not in text
        client = Client(domain=mock.domain, api_key=mock.admin_key)
        assert admin_key not in repr(client)
        created = Client(domain=mock.domain, headers=USER).create_api_key("k")
        raw = created.key.expose()
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
        monkeypatch.setenv("OPEN_SANDBOX_API_KEY", mock.admin_key.expose())
        client = Client()
        assert client.base_url == mock.api_url
        assert client.list_sandboxes() == []
        explicit = Client(domain=f"http://{mock.domain}", protocol="https", api_key="osk_other")
        assert explicit.base_url == mock.api_url


def test_client_retries_injected_503() -> None:
    with MockServer() as mock:
        mock.set_faults(fail_next=2, status=503, retry_after=0)
        client = Client(
            domain=mock.domain, api_key=mock.admin_key, retry=RetryOptions(max_retries=2)
        )
        assert client.list_sandboxes() == []
        assert [r.status for r in mock.requests()] == [503, 503, 200]
        mock.reset()
        mock.set_faults(fail_next=2, status=503, retry_after=0)
        with pytest.raises(sandgate.ApiError):
            Client(
                domain=mock.domain, api_key=mock.admin_key, retry=RetryOptions(max_retries=1)
            ).list_sandboxes()
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
        client = Client(
            domain=mock.domain, api_key=mock.admin_key, retry=RetryOptions(max_retries=0)
        )
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
        assert [r.status for r in mock.requests()] in ([], [0]), (
            "the interrupted request was not aborted")
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
    client = Client(
        domain=mock_server.domain, api_key=mock_server.admin_key, retry=RetryOptions(max_retries=0)
    )
    assert client.list_sandboxes() == []  # nothing was injected
    mock_server.set_faults(fail_next=1, status=429)
    with pytest.raises(sandgate.ApiError) as e:
        client.list_sandboxes()
    assert e.value.status == 429


def test_client_mock_stop_closes_the_listeners() -> None:
    mock = MockServer()
    client = Client(domain=mock.domain, api_key=mock.admin_key, retry=RetryOptions(max_retries=0))
    assert client.list_sandboxes() == []
    mock.stop()
    mock.stop()
    with pytest.raises(sandgate.TransportError):
        client.list_sandboxes()


def test_client_secret_wraps_any_key() -> None:
    secret = Secret("osk_explicit")
    assert secret.expose() == "osk_explicit"
    assert str(secret) == "***"
    with MockServer() as mock:
        client = Client(domain=mock.domain, api_key=Secret(mock.admin_key.expose()))
        assert client.list_sandboxes() == []


def test_client_secret_is_read_with_expose_only() -> None:
    secret = Secret("osk_explicit")
    assert secret.expose() == "osk_explicit"
    assert not hasattr(secret, "reveal")
    # A Secret goes wherever a key string goes.
    flag = Secret("a=bXktdGVzdC1zZWNyZXQ=")
    keys = sandgate.SigningKeys.from_flag(flag)
    assert keys.key_ids == sandgate.SigningKeys.from_flag(flag.expose()).key_ids
    toml = Secret('[ingress.secure_access]\nactive_key = "a"\n'
                  '[[ingress.secure_access.keys]]\nkey_id = "a"\nkey = "bXktdGVzdC1zZWNyZXQ="\n')
    assert sandgate.SigningKeys.from_toml(toml).active_key_id == "a"
    verifier = sandgate.RouteVerifier(keys)
    decision = verifier.decide(ingress_to="sbx-1-80", secure_access=Secret("tok"),
                               access_token=Secret("tok"), now=0)
    assert decision.grant == "header"
    assert not verifier.decide(ingress_to="sbx-1-80", secure_access=Secret("other"),
                               access_token="tok", now=0)
    generated = sandgate.generate_api_key()
    assert sandgate.hash_api_key(generated.key) == generated.hash
    assert sandgate.verify_api_key(generated.key, generated.hash)
    with pytest.raises(TypeError, match="Secret"):
        sandgate.SigningKeys.from_flag(42)  # type: ignore[arg-type]


def test_client_mock_start_classmethod() -> None:
    mock = MockServer.start(route_mode="wildcard", trusted_headers=True)
    try:
        assert isinstance(mock, MockServer) and mock.route_mode == "wildcard"
        created = Client(domain=mock.domain, headers=USER).create_api_key("k")
        assert Client(domain=mock.domain, api_key=created.key).list_sandboxes() == []
    finally:
        mock.stop()
    with pytest.raises(sandgate.TransportError):
        Client(domain=mock.domain, api_key=mock.admin_key,
               retry=RetryOptions(max_retries=0)).list_sandboxes()
    with MockServer.start() as again:
        assert again.route_mode == "header"
        assert Client(domain=again.domain, api_key=again.admin_key).list_sandboxes() == []
    with pytest.raises(sandgate.InvalidConfig, match="route mode"):
        MockServer.start(route_mode="sideways")


def test_client_retry_options_values() -> None:
    default = RetryOptions()
    assert (default.max_retries, default.initial_backoff, default.max_backoff) == (None, None, None)
    opts = RetryOptions(max_retries=4, initial_backoff=0.25,
                        max_backoff=datetime.timedelta(seconds=3))
    assert (opts.max_retries, opts.initial_backoff, opts.max_backoff) == (4, 0.25, 3.0)
    assert opts == RetryOptions(4, datetime.timedelta(milliseconds=250), 3)
    assert opts != RetryOptions(max_retries=4)
    assert repr(opts) == (
        "RetryOptions(max_retries=4, initial_backoff=0.25, max_backoff=3.0, multiplier=None, "
        "retry_statuses=None, post_retry_statuses=None, attempt_timeout=None, deadline=None)"
    )
    # A positive backoff never rounds down to zero.
    assert RetryOptions(initial_backoff=0.0001).initial_backoff == 0.001
    with pytest.raises(sandgate.InvalidConfig, match="initial_backoff"):
        RetryOptions(initial_backoff=5, max_backoff=1)
    with pytest.raises(sandgate.InvalidConfig, match="max_backoff"):
        RetryOptions(max_backoff=-1)
    with pytest.raises(sandgate.InvalidConfig, match="max_retries"):
        RetryOptions(max_retries=2**40)
    with pytest.raises(TypeError):
        RetryOptions(max_retries="3")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Client(domain="127.0.0.1:1", retry=3)  # type: ignore[arg-type]


def test_client_retry_backoff_reaches_the_core() -> None:
    with MockServer() as mock:
        # initial_backoff is waited before the retry (±25% jitter).
        mock.set_faults(fail_next=1, status=503)
        slow = RetryOptions(max_retries=1, initial_backoff=0.6, max_backoff=0.6)
        client = Client(domain=mock.domain, api_key=mock.admin_key, retry=slow)
        start = time.monotonic()
        assert client.list_sandboxes() == []
        assert time.monotonic() - start >= 0.45
        assert [r.status for r in mock.requests()] == [503, 200]
        # The server's Retry-After replaces the backoff (SPEC §2.1: capped at 60 s, not by
        # max_backoff): 1 s asked, 1 s waited.
        mock.reset()
        mock.set_faults(fail_next=1, status=503, retry_after=1)
        short = RetryOptions(max_retries=1, initial_backoff=0.05, max_backoff=0.05)
        client = Client(domain=mock.domain, api_key=mock.admin_key, retry=short)
        start = time.monotonic()
        assert client.list_sandboxes() == []
        assert time.monotonic() - start >= 0.95
        assert [r.status for r in mock.requests()] == [503, 200]


def test_client_readme_snippet_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    snippet = readme.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(snippet, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert printed.startswith("RouteInfo(sandbox_id=") and "port=8080" in printed, printed
