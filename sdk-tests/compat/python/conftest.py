"""Starts `sandgate mock` (the CLI binary, as a user would) for the official SDK's tests."""
import json
import os
import subprocess
import urllib.request

import httpx
import pytest


class Mock:
    """A running `sandgate mock` process and its admin routes."""

    def __init__(self, mode):
        binary = os.environ.get("SANDGATE_BIN")
        if not binary:
            raise RuntimeError("SANDGATE_BIN must name the sandgate binary (run.sh sets it)")
        self.proc = subprocess.Popen([binary, "mock", "--route-mode", mode],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("sandgate mock printed nothing (exit %s)" % self.proc.wait())
        info = json.loads(line)
        self.mode = mode
        self.api_url = info["api_url"]
        self.domain = self.api_url.split("://", 1)[1]
        self.gateway_url = info["gateway_url"]
        self.gateway_port = int(self.gateway_url.rsplit(":", 1)[1])
        self.admin_key = info["admin_key"]

    def admin(self, method, path, body=None):
        req = urllib.request.Request(
            self.api_url + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"OPEN-SANDBOX-API-KEY": self.admin_key, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def advance(self, seconds):
        return self.admin("POST", "/_mock/clock", {"advance": seconds})["now"]

    def now(self):
        return self.admin("GET", "/_mock/clock")["now"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ExplicitHost(httpx.HTTPTransport):
    """Sends requests for `*.localhost` to 127.0.0.1 with the original `Host`, for machines
    where `*.localhost` does not resolve (wildcard route mode)."""

    def handle_request(self, request):
        host = request.url.host
        if host.endswith(".localhost"):
            request.headers["Host"] = "%s:%d" % (host, request.url.port)
            request.url = request.url.copy_with(host="127.0.0.1")
        return super().handle_request(request)


@pytest.fixture(scope="module", params=["header", "uri", "wildcard"])
def mock(request):
    m = Mock(request.param)
    yield m
    m.stop()


@pytest.fixture(scope="module")
def header_mock():
    m = Mock("header")
    yield m
    m.stop()
