"""Shared helpers of the test suite: the case files and a tiny HTTP client."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

import sandgate

# bindings/python/tests/helpers.py -> the repository root.
ROOT = Path(__file__).resolve().parents[3]
CASES = ROOT / "sdk-tests" / "cases"

KIND_CLASSES = {
    "invalid_argument": sandgate.InvalidArgument,
    "invalid_config": sandgate.InvalidConfig,
    "access_denied": sandgate.AccessDenied,
    "api": sandgate.ApiError,
    "timeout": sandgate.TimeoutError,
    "transport": sandgate.TransportError,
    "decode": sandgate.DecodeError,
    "cancelled": sandgate.CancelledError,
    "internal": sandgate.InternalError,
}


def load(name: str) -> Any:
    """One shared case file, `sdk-tests/cases/<name>.json`."""
    with open(CASES / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)


def check_error(err: BaseException, expect: Mapping[str, Any]) -> None:
    """Asserts that `err` is the sandgate error `expect` describes (kind, status, code, ...)."""
    kind = expect["kind"]
    assert isinstance(err, KIND_CLASSES[kind]), f"expected {kind}, got {err!r}"
    assert isinstance(err, sandgate.SandgateError)
    assert err.kind == kind
    assert err.message, "an error must say what was wrong"
    if "status" in expect:
        assert err.status == expect["status"], err
    if "code" in expect:
        assert err.code == expect["code"], err
    if expect.get("request_id"):
        assert err.request_id, f"{err!r} has no request id"
    if "reason" in expect:
        assert err.reason == expect["reason"], err


def free_port() -> int:
    """A loopback port nothing listens on (bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(
    url: str, headers: Optional[Mapping[str, str]] = None
) -> Tuple[int, Dict[str, str], str]:
    """GET with urllib: (status, headers with lowercase names, body), also for 4xx/5xx."""
    req = urllib.request.Request(url, headers=dict(headers or {}), method="GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, lower(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, lower(e.headers), e.read().decode()


def lower(headers: Any) -> Dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
