"""The official OpenSandbox Python SDK (PyPI `opensandbox`, pinned in ../requirements.txt)
against `sandgate mock`, with no workaround: everything the SDK does short of talking to a
real in-sandbox daemon. The SDK's readiness probe (`GET /ping` on the execd port through the
gateway or the server proxy) is answered by the mock's built-in sandbox app.
"""
import asyncio
import re
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from conftest import ExplicitHost
from opensandbox import Sandbox, SandboxManagerSync, SandboxSync
from opensandbox.config import ConnectionConfig
from opensandbox.config.connection_sync import ConnectionConfigSync
from opensandbox.exceptions import SandboxApiException
from opensandbox.models.sandboxes import SandboxFilter, SnapshotFilter

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SECURE = "OpenSandbox-Secure-Access"
INGRESS = "OpenSandbox-Ingress-To"


def config(mock, **kw):
    kw.setdefault("request_timeout", timedelta(seconds=10))
    return ConnectionConfigSync(domain=mock.domain, api_key=mock.admin_key,
                                transport=ExplicitHost(), **kw)


def create(mock, cfg=None, **kw):
    return SandboxSync.create("python:3.11", connection_config=cfg or config(mock),
                              ready_timeout=timedelta(seconds=15), **kw)


def get(endpoint, path="/ping", headers=None, drop=()):
    """GET `path` on an SDK endpoint with the headers it came with (minus `drop`)."""
    h = dict(endpoint.headers if headers is None else headers)
    for d in drop:
        h.pop(d, None)
    with httpx.Client(transport=ExplicitHost(), timeout=10) as c:
        return c.get("http://" + endpoint.endpoint + path, headers=h)


def tampered(endpoint):
    """The endpoint with the signature's last hex digit changed, wherever the mode put it."""
    route = endpoint.headers.get(INGRESS)
    if route is None:
        e = endpoint.endpoint
        route = e.rsplit("/", 1)[1] if "/" in e else e.split(".", 1)[0]
    sig = route[-9:]
    bad = sig[:7] + ("1" if sig[7] != "1" else "0") + sig[8]
    ep = endpoint.model_copy()
    ep.endpoint = endpoint.endpoint.replace(sig, bad)
    ep.headers = {k: v.replace(sig, bad) for k, v in endpoint.headers.items()}
    return ep


def test_scenario_secure_sandbox_signed_endpoint_ping(mock):
    sb = create(mock, secure_access=True, metadata={"team": "compat"})
    try:
        assert UUID.match(sb.id), sb.id
        info = sb.get_info()
        assert info.id == sb.id
        assert info.status.state == "Running"
        assert info.image.image == "python:3.11"
        assert info.entrypoint == ["tail", "-f", "/dev/null"]
        assert info.metadata["team"] == "compat"
        assert info.expires_at > info.created_at

        expires = mock.now() + 300
        ep = sb.get_signed_endpoint(8080, expires)
        assert SECURE not in ep.headers, "a signed endpoint never carries the access token"
        r = get(ep)
        assert r.status_code == 200, r.text
        echo = r.json()
        assert (echo["sandbox_id"], echo["port"], echo["path"]) == (sb.id, 8080, "/ping")
        assert not any(k.lower() in ("opensandbox-ingress-to", "opensandbox-secure-access")
                       for k in echo["headers"])

        r = get(tampered(ep))
        assert r.status_code == 401
        assert r.headers["x-sandgate-reason"] in ("bad_signature", "unknown_key")
        assert r.text.startswith("OpenSandbox Ingress: ")
        assert r.headers["content-type"].startswith("text/plain")

        mock.advance(301)
        try:
            r = get(ep)
            assert r.status_code == 401
            assert r.headers["x-sandgate-reason"] == "expired"
        finally:
            mock.advance(-301)
        # The SDK reported its create latency, as it does against the platform.
        # It is fire-and-forget (a background thread): wait for it a little.
        deadline = time.monotonic() + 10
        while True:
            events = mock.admin("GET", "/_mock/metrics")["items"]
            if any(e.get("sandboxId") == sb.id and e["success"] is True for e in events):
                break
            assert time.monotonic() < deadline, events
            time.sleep(0.05)
    finally:
        sb.kill()
        sb.close()


def test_access_unsigned_endpoints_and_the_access_header(mock):
    sb = create(mock, secure_access=True)
    open_sb = create(mock)
    try:
        ep = sb.get_endpoint(8080)
        assert ep.headers.get(SECURE)
        assert get(ep).status_code == 200
        r = get(ep, drop=[SECURE])
        assert r.status_code == 401
        assert r.headers["x-sandgate-reason"] == "credential_required"
        r = get(ep, headers={**ep.headers, SECURE: "wrong"})
        assert (r.status_code, r.headers["x-sandgate-reason"]) == (401, "header_mismatch")
        open_ep = open_sb.get_endpoint(3000)
        assert SECURE not in open_ep.headers
        r = get(open_ep, "/files/a%2Fb?x=1")
        assert r.status_code == 200
        assert (r.json()["path"], r.json()["query"]) == ("/files/a%2Fb", "x=1")
    finally:
        for s in (sb, open_sb):
            s.kill()
            s.close()


def test_lifecycle_list_renew_pause_resume_kill(mock):
    cfg = config(mock)
    manager = SandboxManagerSync.create(connection_config=cfg)
    tag = "run%d" % time.time_ns()
    boxes = [create(mock, metadata={"batch": tag, "n": str(i)}) for i in range(3)]
    try:
        page = manager.list_sandbox_infos(
            SandboxFilter(states=["Running"], metadata={"batch": tag}, page_size=2, page=1))
        assert [i.id for i in page.sandbox_infos] == [b.id for b in boxes[:2]]
        assert page.pagination.total_items == 3
        assert page.pagination.total_pages == 2
        assert page.pagination.has_next_page is True
        page = manager.list_sandbox_infos(SandboxFilter(metadata={"batch": tag, "n": "2"}))
        assert [i.id for i in page.sandbox_infos] == [boxes[2].id]

        sb = boxes[0]
        renewed = sb.renew(timedelta(hours=2))
        want = datetime.now(timezone.utc) + timedelta(hours=2)
        assert abs((renewed.expires_at - want).total_seconds()) < 60
        assert abs((sb.get_info().expires_at - renewed.expires_at).total_seconds()) < 1
        manager.renew_sandbox(boxes[1].id, timedelta(hours=1))

        sb.pause()
        assert sb.get_info().status.state == "Paused"
        paused = manager.list_sandbox_infos(SandboxFilter(states=["Paused"], metadata={"batch": tag}))
        assert [i.id for i in paused.sandbox_infos] == [sb.id]
        r = get(sb.get_endpoint(8080))
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        resumed = SandboxSync.resume(sb.id, connection_config=cfg,
                                     resume_timeout=timedelta(seconds=15))
        assert resumed.get_info().status.state == "Running"
        assert resumed.is_healthy()
        manager.pause_sandbox(boxes[2].id)
        manager.resume_sandbox(boxes[2].id)

        sb.kill()
        with pytest.raises(SandboxApiException) as e:
            sb.get_info()
        assert e.value.status_code == 404
        manager.kill_sandbox(boxes[1].id)
        # A sandbox is gone once its expiresAt passes on the mock clock.
        left = boxes[2]
        assert left.get_info().status.state == "Running"
        mock.advance(11 * 60)
        try:
            with pytest.raises(SandboxApiException) as e:
                left.get_info()
            assert e.value.status_code == 404
        finally:
            mock.advance(-11 * 60)
    finally:
        for b in boxes:
            b.close()
        manager.close()


def test_metadata_snapshots_and_diagnostics(header_mock):
    mock = header_mock
    cfg = config(mock)
    manager = SandboxManagerSync.create(connection_config=cfg)
    sb = create(mock, metadata={"a": "1", "b": "2"}, entrypoint=["python", "-m", "http.server"])
    restored = None
    try:
        info = sb.patch_metadata({"a": "x", "b": None, "c": "3"})
        assert info.metadata == {"a": "x", "c": "3"}
        snap = sb.create_snapshot(name="before-import")
        assert snap.status.state == "Creating"
        assert snap.sandbox_id == sb.id
        got = manager.get_snapshot(snap.id)
        assert (got.name, got.status.state) == ("before-import", "Ready")
        listed = manager.list_snapshots(SnapshotFilter(sandbox_id=sb.id))
        assert [s.id for s in listed.snapshot_infos] == [snap.id]
        restored = SandboxSync.create(snapshot_id=snap.id, connection_config=cfg,
                                      ready_timeout=timedelta(seconds=15))
        rinfo = restored.get_info()
        assert rinfo.snapshot_id == snap.id and rinfo.image is None
        logs = sb.get_diagnostic_events("lifecycle")
        assert "Running" in logs.content
        manager.delete_snapshot(snap.id)
        with pytest.raises(SandboxApiException) as e:
            manager.get_snapshot(snap.id)
        assert e.value.status_code == 404
    finally:
        for s in (sb, restored):
            if s is not None:
                s.kill()
                s.close()
        manager.close()


def test_errors_are_the_sdks_own_types(header_mock):
    mock = header_mock
    sb = create(mock, secure_access=True)
    try:
        # 400: an expiry that is not in the future.
        with pytest.raises(SandboxApiException) as e:
            sb.get_signed_endpoint(8080, mock.now() - 10)
        err = e.value
        assert err.status_code == 400
        assert err.error.code == "SANDBOX::INVALID_PARAMETER"
        assert UUID.match(err.request_id or ""), err.request_id
        # 401: a wrong API key.
        bad = SandboxManagerSync.create(connection_config=ConnectionConfigSync(
            domain=mock.domain, api_key="not-the-key", request_timeout=timedelta(seconds=10)))
        with pytest.raises(SandboxApiException) as e:
            bad.get_sandbox_info(sb.id)
        assert (e.value.status_code, e.value.error.code) == (401, "INVALID_API_KEY")
        bad.close()
        # 404: an unknown sandbox.
        manager = SandboxManagerSync.create(connection_config=config(mock))
        with pytest.raises(SandboxApiException) as e:
            manager.get_sandbox_info("3f2504e0-4f89-41d3-9a0c-0305e82c3301")
        assert (e.value.status_code, e.value.error.code) == (404, "SANDBOX::NOT_FOUND")
        # 409: resuming a running sandbox.
        with pytest.raises(SandboxApiException) as e:
            manager.resume_sandbox(sb.id)
        assert e.value.status_code == 409
        manager.close()
    finally:
        sb.kill()
        sb.close()


@pytest.mark.parametrize("secure", [True, False])
def test_server_proxy_mode(header_mock, secure):
    mock = header_mock
    cfg = config(mock, use_server_proxy=True)
    # Creating waits for the execd port's /ping through the server proxy.
    sb = create(mock, cfg=cfg, secure_access=secure)
    try:
        ep = sb.get_endpoint(8080)
        assert ep.endpoint == "%s/v1/sandboxes/%s/proxy/8080" % (mock.domain, sb.id)
        assert INGRESS not in ep.headers
        assert (SECURE in ep.headers) == secure
        headers = ep.build_request_headers(cfg)
        r = get(ep, "/run?x=%20", headers=headers)
        assert r.status_code == 200, r.text
        echo = r.json()
        assert (echo["sandbox_id"], echo["port"], echo["path"], echo["query"]) == (sb.id, 8080, "/run", "x=%20")
        assert "open-sandbox-api-key" not in echo["headers"]
        if secure:
            r = get(ep, headers={k: v for k, v in headers.items() if k != SECURE})
            assert r.status_code == 401
            assert r.json()["code"] == "MISSING_OR_INVALID_SECURE_ACCESS"
        # The platform refuses a signed route through the proxy.
        with pytest.raises(SandboxApiException) as e:
            sb.get_signed_endpoint(8080, mock.now() + 300)
        assert e.value.status_code == 400
    finally:
        sb.kill()
        sb.close()


def test_async_sdk_scenario(header_mock):
    mock = header_mock

    async def flow():
        cfg = ConnectionConfig(domain=mock.domain, api_key=mock.admin_key,
                               request_timeout=timedelta(seconds=10))
        sb = await Sandbox.create("python:3.11", secure_access=True, connection_config=cfg,
                                  ready_timeout=timedelta(seconds=15))
        try:
            assert (await sb.get_info()).status.state == "Running"
            ep = await sb.get_signed_endpoint(8080, mock.now() + 300)
            async with httpx.AsyncClient(timeout=10) as c:
                r = await c.get("http://" + ep.endpoint + "/ping", headers=ep.headers)
            assert r.status_code == 200
            assert r.json()["sandbox_id"] == sb.id
        finally:
            await sb.kill()
            await sb.close()

    asyncio.run(flow())
