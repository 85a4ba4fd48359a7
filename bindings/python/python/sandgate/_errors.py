"""The exceptions sandgate raises: one base class, one subclass per error kind.

Every exception carries the same fields in every language: ``kind`` (a stable code such as
``"api"`` or ``"access_denied"``), ``message`` (the bare message), and where they apply the HTTP
``status``, the server's error ``code``, the server's ``request_id`` and the denial ``reason``;
``retryable`` says whether the client's retry policy retries this kind of failure, and
``retry_after`` is the server's ``Retry-After`` in seconds (on a 429 or 503 that sent one).
``str(e)`` is the full line, for example ``API error 404 SANDBOX::NOT_FOUND: ... (request id
r1)``.
"""

from __future__ import annotations

import builtins
from typing import Dict, Optional, Type

__all__ = [
    "SandgateError",
    "InvalidArgument",
    "InvalidConfig",
    "AccessDenied",
    "ApiError",
    "TimeoutError",
    "TransportError",
    "DecodeError",
    "CancelledError",
    "InternalError",
]


class SandgateError(Exception):
    """Base class of every sandgate error."""

    kind: str = "internal"

    def __init__(
        self,
        text: str,
        *,
        kind: Optional[str] = None,
        message: Optional[str] = None,
        status: Optional[int] = None,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
        reason: Optional[str] = None,
        retryable: bool = False,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(text)
        if kind is not None:
            self.kind = kind
        #: The bare message (never a secret); ``str(e)`` is the full line.
        self.message: str = text if message is None else message
        #: The HTTP status, for API errors and denials.
        self.status: Optional[int] = status
        #: The server's error code, for example ``SANDBOX::NOT_FOUND``.
        self.code: Optional[str] = code
        #: The server's ``X-Request-ID``, when it sent one.
        self.request_id: Optional[str] = request_id
        #: The denial reason (``expired``, ``bad_signature``, ...), for ``AccessDenied``.
        self.reason: Optional[str] = reason
        #: Whether the client's retry policy retries this kind of failure (a 429/502/503
        #: answer to an idempotent request, a connection failure, a timeout).
        self.retryable: bool = retryable
        #: The server's ``Retry-After`` in seconds (uncapped), when it sent one.
        self.retry_after: Optional[float] = retry_after


class InvalidArgument(SandgateError, ValueError):
    """A value you passed was rejected before any work was done."""

    kind = "invalid_argument"


class InvalidConfig(SandgateError, ValueError):
    """A configuration is invalid: signing keys, TOML, or client options."""

    kind = "invalid_config"


class AccessDenied(SandgateError):
    """A route or credential was denied; see ``reason`` and ``status``."""

    kind = "access_denied"


class ApiError(SandgateError):
    """The server answered with an error; see ``status``, ``code`` and ``request_id``."""

    kind = "api"


class TimeoutError(SandgateError, builtins.TimeoutError):
    """The request did not finish within its timeout."""

    kind = "timeout"


class TransportError(SandgateError):
    """Connecting to or talking with the server failed (refused, reset, TLS, DNS)."""

    kind = "transport"


class DecodeError(SandgateError):
    """The server's response could not be decoded."""

    kind = "decode"


class CancelledError(SandgateError):
    """The operation was cancelled."""

    kind = "cancelled"


class InternalError(SandgateError):
    """A bug inside sandgate."""

    kind = "internal"


_BY_KIND: Dict[str, Type[SandgateError]] = {
    cls.kind: cls
    for cls in (
        InvalidArgument,
        InvalidConfig,
        AccessDenied,
        ApiError,
        TimeoutError,
        TransportError,
        DecodeError,
        CancelledError,
        InternalError,
    )
}


def _from_native(
    kind: str,
    text: str,
    message: str,
    status: Optional[int],
    code: Optional[str],
    request_id: Optional[str],
    reason: Optional[str],
    retryable: bool = False,
    retry_after: Optional[float] = None,
) -> SandgateError:
    """Builds the exception for a core error (called by the native module)."""
    cls = _BY_KIND.get(kind, SandgateError)
    return cls(
        text,
        kind=kind,
        message=message,
        status=status,
        code=code,
        request_id=request_id,
        reason=reason,
        retryable=retryable,
        retry_after=retry_after,
    )


# Show the public names (`sandgate.ApiError`) in tracebacks and reprs.
for _cls in (SandgateError, *_BY_KIND.values()):
    _cls.__module__ = "sandgate"
del _cls
