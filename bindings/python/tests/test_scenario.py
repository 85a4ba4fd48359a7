"""scenario.json: the whole flow against a fresh mock per route mode, with Client and with
AsyncClient, through the verifying gateway with urllib."""

import asyncio
import json
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import urlsplit

import pytest

import sandgate
from helpers import check_error, http_get, load
from sandgate import AccessDenied, AsyncClient, Client, Endpoint, RouteVerifier, SigningKeys
from sandgate.testing import MockServer

SCENARIO = load("scenario")
INGRESS = "OpenSandbox-Ingress-To"
SECURE = "OpenSandbox-Secure-Access"


def tamper(signature: str) -> str:
    """Replaces the 8th character (the last hex digit) with 1, or 0 if it is 1."""
    return signature[:7] + ("0" if signature[7] == "1" else "1") + signature[8:]


class Run:
    def __init__(self, mock: MockServer, use_async: bool) -> None:
        self.mock = mock
        self.use_async = use_async
        self.loop = asyncio.new_event_loop() if use_async else None
        self.saved: Dict[str, Any] = {}

    def close(self) -> None:
        if self.loop is not None:
            self.loop.close()

    def client(self, who: Dict[str, str]) -> Callable[..., Any]:
        """A caller for operations of a client acting as `who`."""
        if "key" in who:
            opts: Dict[str, Any] = {"api_key": self.saved[who["key"]].key}
        else:
            opts = {"headers": {"X-OpenSandbox-User": who["user"],
                                "X-OpenSandbox-Roles": who["roles"]}}
        if self.use_async:
            aclient = AsyncClient(domain=self.mock.domain, **opts)
            loop = self.loop
            assert loop is not None
            return lambda op, *a, **kw: loop.run_until_complete(getattr(aclient, op)(*a, **kw))
        client = Client(domain=self.mock.domain, **opts)
        return lambda op, *a, **kw: getattr(client, op)(*a, **kw)

    def token(self, e: Endpoint) -> str:
        """The route token of an endpoint, where the mode puts it."""
        mode = self.mock.route_mode
        if mode == "header":
            return e.headers[INGRESS]
        if mode == "wildcard":
            return e.endpoint.split(".", 1)[0]
        return urlsplit(e.url).path

    def verify_local(self, e: Endpoint) -> Any:
        verifier = RouteVerifier(SigningKeys.from_flag(self.mock.signing_keys))
        now = self.mock.now()
        mode = self.mock.route_mode
        if mode == "header":
            return verifier.verify(self.token(e), now=now)
        if mode == "wildcard":
            return verifier.verify_host(e.endpoint, now=now)
        return verifier.verify_path(self.token(e), now=now)

    def gateway_get(self, e: Endpoint, step: Dict[str, Any]) -> Tuple[int, Dict[str, str], str]:
        url, headers = e.url, dict(e.headers)
        host: Optional[str] = None
        token = self.token(e)
        if step.get("tamper"):
            parts = token.rsplit("/" if self.mock.route_mode == "uri" else "-", 1)
            bad = parts[0] + ("/" if self.mock.route_mode == "uri" else "-") + tamper(parts[1])
            url = url.replace(token, bad)
            headers = {k: v.replace(token, bad) for k, v in headers.items()}
            token = bad
        if self.mock.route_mode == "wildcard":
            # *.localhost need not resolve: send to the gateway with the endpoint's Host.
            host = urlsplit(url).netloc
            url = self.mock.gateway_url
        if "secure_header" in step:
            headers[SECURE] = step["secure_header"]
        if step.get("drop_secure_header"):
            headers.pop(SECURE, None)
        if host is not None:
            headers["Host"] = host
        return http_get(url + step["path"], headers)

    def step(self, step: Dict[str, Any]) -> None:
        op, expect = step["op"], step.get("expect", {})
        saved = self.saved
        if op == "advance_clock":
            self.mock.advance(step["seconds"])
            return
        if op == "verify_local":
            e = saved[step["endpoint"]]
            if expect["allowed"]:
                info = self.verify_local(e)
                assert info.sandbox_id == saved["sandbox"].id
                assert info == e.route
            else:
                with pytest.raises(AccessDenied) as denied:
                    self.verify_local(e)
                assert denied.value.reason == expect["reason"]
                assert denied.value.status == expect["status"]
            return
        if op == "gateway_get":
            status, headers, body = self.gateway_get(saved[step["endpoint"]], step)
            assert status == expect["status"], body
            if "reason" in expect:
                assert headers.get("x-sandgate-reason") == expect["reason"]
            if "echo" in expect:
                echo = json.loads(body)
                assert echo["sandbox_id"] == saved["sandbox"].id
                for k, v in expect["echo"].items():
                    assert echo[k] == v, (k, echo)
            return
        call = self.client(step["as"])
        args: Tuple[Any, ...] = ()
        kwargs: Dict[str, Any] = {}
        if op == "create_api_key":
            args = (step["name"],)
        elif op == "create_sandbox":
            args, kwargs = (step["image"],), {"secure_access": step["secure_access"]}
        elif op == "get_signed_endpoint":
            args, kwargs = (saved[step["sandbox"]].id, step["port"]), {"ttl": step["ttl_seconds"]}
        elif op == "get_endpoint":
            args = (saved[step["sandbox"]].id, step["port"])
        elif op == "revoke_api_key":
            args = (saved[step["key"]].id,)
        if "error" in expect:
            with pytest.raises(sandgate.SandgateError) as info:
                call(op, *args, **kwargs)
            check_error(info.value, expect["error"])
            return
        result = call(op, *args, **kwargs)
        if "save" in step:
            saved[step["save"]] = result
        self.check(op, result, expect)

    def check(self, op: str, result: Any, expect: Dict[str, Any]) -> None:
        if op == "create_api_key":
            raw = result.key.expose()
            assert result.name == expect["name"]
            if expect.get("prefix_is_key_start"):
                assert result.prefix == raw[:12]
            assert raw not in repr(result)
        elif op == "list_api_keys":
            assert len(result) == expect["count"]
            raw = self.saved[expect["never_contains_key"]].key.expose()
            for info in result:
                fields = [info.id, info.name, info.prefix, info.created_at, info.expires_at,
                          repr(info)]
                assert all(raw not in (f or "") for f in fields)
        elif op == "list_sandboxes":
            assert len(result) == expect["count"]
        elif op == "create_sandbox":
            assert result.metadata["access.owner"] == expect["owner"]
            assert result.secure_access == expect["secure_access"]
        elif op in ("get_signed_endpoint", "get_endpoint"):
            if "route" in expect:
                assert result.route is not None
                assert result.route.sandbox_id == self.saved["sandbox"].id
                for k, v in expect["route"].items():
                    assert getattr(result.route, k) == v
            if expect.get("no_route"):
                assert result.route is None
            if "no_header" in expect:
                assert expect["no_header"] not in result.headers
            if "has_header" in expect:
                assert expect["has_header"] in result.headers
                assert result.headers[expect["has_header"]] not in repr(result)


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("mode", SCENARIO["modes"])
def test_scenario(mode: str, flavor: str) -> None:
    with MockServer(route_mode=mode, trusted_headers=True) as mock:
        assert mock.route_mode == mode
        run = Run(mock, use_async=flavor == "async")
        try:
            for n, step in enumerate(SCENARIO["steps"], 1):
                try:
                    run.step(step)
                except AssertionError as e:
                    raise AssertionError(f"step {n} ({step['op']}): {e}") from e
        finally:
            run.close()
