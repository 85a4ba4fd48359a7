"""sandgate: sandbox access control for OpenSandbox.

- sign and verify OSEP-0011 routes (:class:`SigningKeys`, :class:`RouteSigner`,
  :class:`RouteVerifier`);
- generate, hash and check show-once API keys (:func:`generate_api_key`,
  :func:`hash_api_key`, :func:`verify_api_key`);
- talk to the OpenSandbox lifecycle and keys APIs (:class:`Client`, :class:`AsyncClient`),
  with retries (:class:`RetryOptions`, :func:`retry_decision`) and an endpoint cache
  (:class:`CacheOptions`, :func:`cache_decision`);
- verify requests at your gateway (:class:`Gateway`, and the ASGI and WSGI middleware in
  :mod:`sandgate.middleware`);
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
    CacheOptions,
    Client,
    CreatedApiKey,
    Endpoint,
    Freshness,
    Gateway,
    GatewayVerdict,
    GeneratedApiKey,
    RetryDecision,
    RetryEvent,
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
    cache_decision,
    generate_api_key,
    hash_api_key,
    retry_decision,
    verify_api_key,
)

__all__ = [
    "__version__",
    "AccessDecision",
    "AccessDenied",
    "ApiError",
    "ApiKeyInfo",
    "AsyncClient",
    "CacheOptions",
    "CancelledError",
    "Client",
    "CreatedApiKey",
    "DecodeError",
    "Endpoint",
    "Freshness",
    "Gateway",
    "GatewayVerdict",
    "GeneratedApiKey",
    "InternalError",
    "InvalidArgument",
    "InvalidConfig",
    "RetryDecision",
    "RetryEvent",
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
    "cache_decision",
    "generate_api_key",
    "hash_api_key",
    "retry_decision",
    "verify_api_key",
]
