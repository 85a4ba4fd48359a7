"""sandgate: sandbox access control for OpenSandbox.

- sign and verify OSEP-0011 routes (:class:`SigningKeys`, :class:`RouteSigner`,
  :class:`RouteVerifier`);
- generate, hash and check show-once API keys (:func:`generate_api_key`,
  :func:`hash_api_key`, :func:`verify_api_key`);
- talk to the OpenSandbox lifecycle and keys APIs (:class:`Client`, :class:`AsyncClient`);
- test against an in-process mock platform (:mod:`sandgate.testing`).

Secrets (raw API keys, admin keys, access tokens) come back as :class:`Secret`, which prints
``***``; call ``.expose()`` where you really need the text; a :class:`Secret` is accepted
wherever a key string is.
"""

from ._errors import (
    AccessDenied,
    ApiError,
    CancelledError,
    DecodeError,
    InternalError,
    InvalidArgument,
    InvalidConfig,
    SandgateError,
    TimeoutError,
    TransportError,
)
from ._native import (
    AccessDecision,
    ApiKeyInfo,
    AsyncClient,
    Client,
    CreatedApiKey,
    Endpoint,
    GeneratedApiKey,
    RetryOptions,
    RouteInfo,
    RouteSigner,
    RouteVerifier,
    Sandbox,
    SandboxRenewal,
    Secret,
    SignedRoute,
    SigningKeys,
    __version__,
    generate_api_key,
    hash_api_key,
    verify_api_key,
)

__all__ = [
    "__version__",
    "AccessDecision",
    "AccessDenied",
    "ApiError",
    "ApiKeyInfo",
    "AsyncClient",
    "CancelledError",
    "Client",
    "CreatedApiKey",
    "DecodeError",
    "Endpoint",
    "GeneratedApiKey",
    "InternalError",
    "InvalidArgument",
    "InvalidConfig",
    "RetryOptions",
    "RouteInfo",
    "RouteSigner",
    "RouteVerifier",
    "Sandbox",
    "SandboxRenewal",
    "SandgateError",
    "Secret",
    "SignedRoute",
    "SigningKeys",
    "TimeoutError",
    "TransportError",
    "generate_api_key",
    "hash_api_key",
    "verify_api_key",
]
