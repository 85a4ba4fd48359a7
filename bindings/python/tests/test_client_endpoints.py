"""Endpoints (SPEC §2, §2.1) through `Client.endpoint` on the mock: the three modes and where
the API key travels, `origin`, `kind`, `shareable_url`, and TTLs on the server's clock (the
endpoint cache is tested in test_cache.py)."""

import json
import time

import pytest

import sandgate
from helpers import http_get
from sandgate import Client, Endpoint
from sandgate.testing import MockServer

API_KEY_HEADER = "OPEN-SANDBOX-API-KEY"


def admin(mock: MockServer, **options: object) -> Client:
    return Client(domain=mock.domain, api_key=mock.admin_key, **options)  # type: ignore[arg-type]


def has_api_key(e: Endpoint) -> bool:
    return any(k.lower() == API_KEY_HEADER.lower() for k in e.headers)


def test_client_endpoint_modes_carry_the_api_key_only_through_the_server_proxy() -> None:
    with MockServer() as mock:
        client = admin(mock)
        key = mock.admin_key.expose()
        sid = client.create_sandbox("python:3.11", secure_access=True).id

        direct = client.endpoint(sid, 8080)
        assert direct.kind == "direct" and direct.route is None
        assert not has_api_key(direct) and "OpenSandbox-Ingress-To" in direct.headers
        assert client.get_endpoint(sid, 8080) == direct or client.get_endpoint(sid, 8080).kind \
            == "direct"

        proxy = client.endpoint(sid, 8080, server_proxy=True)
        assert proxy.kind == "server_proxy"
        assert proxy.headers[API_KEY_HEADER] == key
        assert proxy.endpoint.endswith(f"/v1/sandboxes/{sid}/proxy/8080")
        assert key not in repr(proxy) and "'***'" in repr(proxy)
        status, _, body = http_get(proxy.url + "/ping", proxy.headers)
        assert status == 200, body

        for signed in (client.endpoint(sid, 8080, ttl=600),
                       client.endpoint(sid, 8080, expires=int(time.time()) + 900),
                       client.get_signed_endpoint(sid, 8080, ttl=60)):
            assert signed.kind == "signed" and signed.route is not None
            assert not has_api_key(signed), signed

        # One explicit choice: a server-proxy endpoint cannot be signed; one expiry at most.
        sent = len(mock.requests())
        for kwargs in ({"server_proxy": True, "ttl": 60}, {"expires": 5, "ttl": 5}, {"ttl": 0}):
            with pytest.raises(sandgate.InvalidArgument):
                client.endpoint(sid, 8080, **kwargs)  # type: ignore[arg-type]
        assert len(mock.requests()) == sent


def test_client_endpoint_origin_when_the_server_sends_it() -> None:
    origin = "https://sandboxes.example.com"
    with MockServer(endpoint_origin=origin) as mock:
        client = admin(mock)
        sid = client.create_sandbox("python:3.11").id
        assert client.endpoint(sid, 80).origin == origin
        assert client.endpoint(sid, 80, ttl=60).origin == origin
        assert f"origin={origin!r}" in repr(client.endpoint(sid, 80))
    with MockServer() as mock:
        client = admin(mock)
        sid = client.create_sandbox("python:3.11").id
        assert client.endpoint(sid, 80).origin is None


def test_client_shareable_url_in_wildcard_and_uri_mode_and_its_error_in_header_mode() -> None:
    with MockServer(route_mode="uri") as mock:
        client = admin(mock)
        sid = client.create_sandbox("python:3.11", secure_access=True).id
        signed = client.endpoint(sid, 8080, ttl=300)
        url = signed.shareable_url("/ping?x=1")
        assert url.startswith(signed.url) and url.endswith("/ping?x=1")
        status, _, body = http_get(url)  # no header at all
        assert status == 200, body
        assert json.loads(body)["sandbox_id"] == sid
        assert signed.shareable_url() == signed.url
        with pytest.raises(sandgate.InvalidArgument, match="path"):
            signed.shareable_url("ping")
        direct = client.endpoint(sid, 8080)
        with pytest.raises(sandgate.InvalidArgument, match="OpenSandbox-Secure-Access") as info:
            direct.shareable_url("/ping")
        assert direct.headers["OpenSandbox-Secure-Access"] not in str(info.value)
        with pytest.raises(sandgate.InvalidArgument, match="server-proxy"):
            client.endpoint(sid, 8080, server_proxy=True).shareable_url("/")
    with MockServer(route_mode="wildcard") as mock:
        client = admin(mock)
        sid = client.create_sandbox("python:3.11", secure_access=True).id
        url = client.endpoint(sid, 8080, ttl=300).shareable_url("/ping")
        assert url.startswith(f"http://{sid}-8080-") and ".localhost:" in url, url
    with MockServer(route_mode="header") as mock:
        client = admin(mock)
        sid = client.create_sandbox("python:3.11", secure_access=True).id
        with pytest.raises(sandgate.InvalidArgument, match="header mode"):
            client.endpoint(sid, 8080, ttl=300).shareable_url("/ping")


@pytest.mark.parametrize("skew", [3600, -3600])
def test_client_ttl_counts_on_the_server_clock(skew: int) -> None:
    with MockServer() as mock:
        mock.set_now(int(time.time()) + skew)
        client = admin(mock)
        sid = client.create_sandbox("python:3.11", secure_access=True).id
        for c in (client, admin(mock)):  # one that learnt the clock, one that did not yet
            e = c.endpoint(sid, 8080, ttl=60)
            assert e.route is not None and e.route.expires is not None
            assert abs(e.route.expires - (mock.now() + 60)) <= 1, (e.route, mock.now())
            renewed = c.renew_sandbox(sid, ttl=120)
            assert abs(renewed.expires - (mock.now() + 120)) <= 1
