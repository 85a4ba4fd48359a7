"""Type stubs of the native module ``sandgate._native`` (Rust, pyo3).

Every docstring here is the native object's own ``__doc__`` (a test compares them)."""

import datetime
import os
from types import TracebackType
from typing import (
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Tuple,
    Type,
    Union,
    final,
)

from ._errors import AccessDenied, SandgateError

__all__ = [
    "AccessDecision",
    "ApiKeyInfo",
    "AsyncClient",
    "CacheOptions",
    "Client",
    "CreatedApiKey",
    "Endpoint",
    "Freshness",
    "Gateway",
    "GatewayVerdict",
    "GeneratedApiKey",
    "MockRequest",
    "MockServer",
    "RetryDecision",
    "RetryEvent",
    "RetryOptions",
    "RouteInfo",
    "RouteSigner",
    "RouteVerifier",
    "Sandbox",
    "SandboxRenewal",
    "Secret",
    "SignedRoute",
    "SigningKeys",
    "__version__",
    "cache_decision",
    "generate_api_key",
    "hash_api_key",
    "retry_decision",
    "verify_api_key",
]
__version__: str

_Seconds = Union[int, float, datetime.timedelta]
_When = Union[int, datetime.datetime]
_Text = Union[str, "Secret"]
_Keys = Union["SigningKeys", str, "Secret"]
_Header = Union[str, bytes]
_Headers = Union[Mapping[str, _Header], Iterable[Tuple[_Header, _Header]]]

@final
class Secret:
    """A secret string (a raw API key, an admin key, signing keys, an access token). `str()` and
    `repr()` show `***`; `expose()` returns the text. Accepted wherever a key string is.
    """

    def __new__(cls, value: str) -> Secret: ...
    def expose(self) -> str:
        """The secret text. Call it only where the secret is really needed."""

@final
class SigningKeys:
    """A validated set of signing keys, from the ingress flag string or the server TOML."""

    @staticmethod
    def from_flag(text: _Text) -> SigningKeys:
        """Parses the ingress flag string `a=BASE64,b=BASE64` (a `str` or a `Secret`)."""
    @staticmethod
    def from_toml(text: _Text) -> SigningKeys:
        """Parses the server TOML table `[ingress.secure_access]` (a `str` or a `Secret`)."""
    @staticmethod
    def from_env(env: Optional[Mapping[str, _Text]] = None) -> Optional[SigningKeys]:
        """Reads the server's environment pair `OPENSANDBOX_SECURE_ACCESS_KEYS` and
        `OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY` from `env` (any mapping; default: the process
        environment). `None` when neither is set."""
    @property
    def key_ids(self) -> List[str]:
        """The key ids (one-character strings), in configuration order."""
    @property
    def active_key_id(self) -> Optional[str]:
        """The active key id, or `None`."""
    def __len__(self) -> int: ...
    def __contains__(self, key_id: object, /) -> bool: ...

@final
class RouteInfo:
    """The facts of a route: sandbox id, port, and for a signed route its expiry and key id."""

    @property
    def sandbox_id(self) -> str:
        """The sandbox id."""
    @property
    def port(self) -> int:
        """The port."""
    @property
    def expires(self) -> Optional[int]:
        """Expiry in Unix seconds (signed routes), else `None`."""
    @property
    def key_id(self) -> Optional[str]:
        """The signing key id, one character (signed routes), else `None`."""
    @property
    def signed(self) -> bool:
        """Whether the route is signed (has an expiry and a key id)."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class SignedRoute:
    """A signed route as plain data, in every form a gateway accepts."""

    @property
    def token(self) -> str:
        """The route token `{sandbox_id}-{port}-{expires_b36}-{signature}`."""
    @property
    def sandbox_id(self) -> str:
        """The sandbox id."""
    @property
    def port(self) -> int:
        """The port."""
    @property
    def expires(self) -> int:
        """Expiry in Unix seconds."""
    @property
    def expires_b36(self) -> str:
        """Expiry in base 36, as it appears in the token."""
    @property
    def signature(self) -> str:
        """The 9-character signature (8 hex digits and the key id)."""
    @property
    def key_id(self) -> str:
        """The signing key id (one character)."""
    @property
    def uri_prefix(self) -> str:
        """The uri-mode prefix `/{sandbox_id}/{port}/{expires_b36}/{signature}`."""
    @property
    def header_value(self) -> str:
        """The value of the `OpenSandbox-Ingress-To` header (the token)."""
    @property
    def info(self) -> RouteInfo:
        """The route facts."""
    def host(self, base_domain: str) -> str:
        """The wildcard host `{token}.{base_domain}`; a base domain that is not a DNS name is an
        `InvalidArgument`."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class RouteSigner:
    """Signs routes with one key of a `SigningKeys` set (the active key by default)."""

    def __new__(cls, keys: SigningKeys, key_id: Optional[str] = None) -> RouteSigner: ...
    @property
    def key_id(self) -> str:
        """The key id this signer signs with."""
    def sign(
        self,
        sandbox_id: str,
        port: int,
        expires: Optional[_When] = None,
        *,
        ttl: Optional[_Seconds] = None,
        now: Optional[_When] = None,
    ) -> SignedRoute:
        """Signs a route to `port` of `sandbox_id` expiring at `expires` (Unix seconds or a
        `datetime`) or `ttl` after `now` (seconds or a `timedelta`; `now` defaults to the system
        clock). Give exactly one of `expires` and `ttl`.
        """

@final
class AccessDecision:
    """The outcome of an access decision (SPEC §1.5)."""

    @property
    def allowed(self) -> bool:
        """Whether the request is allowed."""
    @property
    def reason(self) -> Optional[str]:
        """The denial reason code (`expired`, `bad_signature`, ...), or `None` when allowed."""
    @property
    def status(self) -> int:
        """The HTTP status a gateway answers: 200 when allowed."""
    @property
    def detail(self) -> Optional[str]:
        """A short explanation of a denial."""
    @property
    def grant(self) -> Optional[str]:
        """How access was granted: `open`, `header` or `signature`."""
    @property
    def route(self) -> Optional[RouteInfo]:
        """The route (allowed requests)."""
    @property
    def path(self) -> Optional[str]:
        """The upstream path (allowed requests)."""
    @property
    def query(self) -> Optional[str]:
        """The upstream query without `?` (allowed requests that had one)."""
    @property
    def error(self) -> Optional[AccessDenied]:
        """The denial as an `AccessDenied` exception (not raised), or `None` when allowed."""
    def raise_if_denied(self) -> None:
        """Raises the denial as `AccessDenied`; does nothing when the request is allowed."""
    def __bool__(self) -> bool: ...

@final
class RouteVerifier:
    """Verifies signed routes and takes full access decisions."""

    def __new__(cls, keys: SigningKeys) -> RouteVerifier: ...
    @property
    def keys(self) -> SigningKeys:
        """The keys this verifier holds."""
    def replace_keys(self, keys: SigningKeys) -> SigningKeys:
        """Takes a new key set without a restart (key rotation): every later verification uses
        `keys`, one already running finishes with the old set. The swap is atomic. Returns the set
        it replaced.
        """
    def verify(self, token: str, now: Optional[_When] = None) -> RouteInfo:
        """Verifies a route token at `now` (default: the system clock). Raises `AccessDenied`."""
    def verify_host(self, host: str, now: Optional[_When] = None) -> RouteInfo:
        """Verifies the route in the first label of a `Host` value at `now` (default: the system
        clock). Raises `AccessDenied`.
        """
    def verify_path(self, path: str, now: Optional[_When] = None) -> RouteInfo:
        """Verifies a uri-mode path `/{id}/{port}/{expires_b36}/{signature}[/rest]` at `now`
        (default: the system clock). Raises `AccessDenied`.
        """
    def decide(
        self,
        *,
        ingress_to: Optional[str] = None,
        host: Optional[str] = None,
        path: Optional[str] = None,
        secure_access: Optional[_Text] = None,
        access_token: Optional[_Text] = None,
        now: Optional[_When] = None,
    ) -> AccessDecision:
        """The full access decision for one gateway request. The route comes from `ingress_to`, else
        `host`, else `path` (uri mode). `secure_access` is the `OpenSandbox-Secure-Access` header
        (`None` = not sent); `access_token` is the sandbox's token (`None` = the sandbox does not
        require secure access); `now` defaults to the system clock.
        """

@final
class GeneratedApiKey:
    """A freshly generated key: the raw key (a `Secret`), its display prefix and its hash."""

    @property
    def key(self) -> Secret:
        """The raw key; show it to its owner once and never store it."""
    @property
    def prefix(self) -> str:
        """The first 12 characters of the key, safe to display and store."""
    @property
    def hash(self) -> str:
        """Lowercase hex SHA-256 of the key: the only form to store."""

def generate_api_key(prefix: str = "osk_") -> GeneratedApiKey:
    """Generates a key: `prefix` + 43 characters of URL-safe base64 from the OS CSPRNG."""
def hash_api_key(key: _Text) -> str:
    """Lowercase hex SHA-256 of the key: the form to store."""
def verify_api_key(
    key: _Text,
    hash: str,
    expires_at: Optional[str] = None,
    revoked: bool = False,
    now: Optional[_When] = None,
) -> bool:
    """Whether `key` matches the stored `hash` (constant time), is not `revoked`, and has not passed
    `expires_at` (RFC 3339 or epoch seconds/milliseconds; unparseable counts as expired) at `now`
    (default: the system clock).
    """

@final
class Endpoint:
    """An endpoint of a sandbox port. Send `headers` with every request to `url`."""

    @property
    def endpoint(self) -> str:
        """The endpoint exactly as the server returned it (no scheme)."""
    @property
    def url(self) -> str:
        """The endpoint as a URL."""
    @property
    def headers(self) -> Dict[str, str]:
        """Headers to send on every request to this endpoint (a new dict each time)."""
    @property
    def route(self) -> Optional[RouteInfo]:
        """The signed route this endpoint carries, or `None` for an unsigned endpoint."""
    @property
    def origin(self) -> Optional[str]:
        """The server's `OPEN-SANDBOX-ORIGIN` for this endpoint, or `None` when it sent none."""
    @property
    def kind(self) -> str:
        """What kind of endpoint this is: `direct`, `server_proxy` or `signed`."""
    def shareable_url(self, path: str = "") -> str:
        """A URL carrying everything a request to `path` needs, to hand to someone else (a signed
        endpoint in wildcard or uri route mode, or an open sandbox's endpoint without headers).
        Raises `InvalidArgument` saying which header a URL cannot carry (header route mode, an
        access token, a server-proxy endpoint), or when `path` is neither empty nor starts with `/`.
        """

@final
class CreatedApiKey:
    """A key just minted. `key` is the raw key, returned this one time only."""

    @property
    def id(self) -> str:
        """The key's id (use it to revoke the key)."""
    @property
    def name(self) -> str:
        """The key's name."""
    @property
    def prefix(self) -> str:
        """Display prefix: the first 12 characters of the key."""
    @property
    def key(self) -> Secret:
        """The raw key as a `Secret`: `key.expose()` gives the text."""
    @property
    def expires_at(self) -> Optional[str]:
        """Expiry (RFC 3339), if any."""

@final
class ApiKeyInfo:
    """A key as listed: never its secret or hash."""

    @property
    def id(self) -> str:
        """The key's id."""
    @property
    def name(self) -> str:
        """The key's name."""
    @property
    def prefix(self) -> str:
        """Display prefix: the first 12 characters of the key."""
    @property
    def created_at(self) -> Optional[str]:
        """Creation time (RFC 3339), if the server sent it."""
    @property
    def expires_at(self) -> Optional[str]:
        """Expiry (RFC 3339), if any."""
    @property
    def revoked(self) -> bool:
        """Whether the key was revoked."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class Sandbox:
    """A sandbox."""

    @property
    def id(self) -> str:
        """The sandbox id."""
    @property
    def image(self) -> Optional[str]:
        """The image the sandbox runs, if the server sent it."""
    @property
    def state(self) -> str:
        """Lifecycle state, for example `Running`."""
    @property
    def metadata(self) -> Dict[str, str]:
        """Metadata, including the server-set `access.owner` (a new dict each time)."""
    @property
    def secure_access(self) -> bool:
        """Whether the sandbox requires secure access (an access token or a signed route)."""
    @property
    def created_at(self) -> Optional[str]:
        """Creation time (RFC 3339), if the server sent it."""
    @property
    def expires_at(self) -> Optional[str]:
        """Expiry (RFC 3339), if any."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class SandboxRenewal:
    """A sandbox's new expiry, as renewing it returned it."""

    @property
    def expires_at(self) -> str:
        """The new expiry exactly as the server returned it (RFC 3339)."""
    @property
    def expires(self) -> int:
        """The same instant in Unix seconds."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class RetryOptions:
    """Retry options of a client (SPEC §2.1); an option left `None` keeps sandgate's default.
    `max_retries` retries after the first attempt (default 3; 0 turns retrying off);
    `initial_backoff` (default 0.5 s) is the first delay and the least of any later one,
    `max_backoff` (default 30 s) the longest computed one, `multiplier` (default 2) the growth of
    the jitter's upper bound; `retry_statuses` (default 429, 502, 503) are retried for idempotent
    methods, `post_retry_statuses` (default none) opt POST in; `attempt_timeout` bounds one attempt
    (default: the client's timeout) and `deadline` all attempts and waits together (default none).
    Durations are seconds (a number) or a `timedelta`.
    """

    def __new__(
        cls,
        max_retries: Optional[int] = None,
        initial_backoff: Optional[_Seconds] = None,
        max_backoff: Optional[_Seconds] = None,
        *,
        multiplier: Optional[float] = None,
        retry_statuses: Optional[Iterable[int]] = None,
        post_retry_statuses: Optional[Iterable[int]] = None,
        attempt_timeout: Optional[_Seconds] = None,
        deadline: Optional[_Seconds] = None,
    ) -> RetryOptions: ...
    @property
    def max_retries(self) -> Optional[int]:
        """Retries after the first attempt (0 = off), or `None` for the default."""
    @property
    def initial_backoff(self) -> Optional[float]:
        """Delay before the first retry in seconds, or `None` for the default."""
    @property
    def max_backoff(self) -> Optional[float]:
        """Longest computed delay between attempts in seconds, or `None` for the default."""
    @property
    def multiplier(self) -> Optional[float]:
        """Growth factor of the jitter's upper bound, or `None` for the default."""
    @property
    def retry_statuses(self) -> Optional[List[int]]:
        """Statuses retried for idempotent methods, or `None` for the default."""
    @property
    def post_retry_statuses(self) -> Optional[List[int]]:
        """Statuses on which a POST is retried (an opt-in), or `None` for the default (none)."""
    @property
    def attempt_timeout(self) -> Optional[float]:
        """Timeout of one attempt in seconds, or `None` (the client's timeout)."""
    @property
    def deadline(self) -> Optional[float]:
        """Time allowed for all attempts and waits together in seconds, or `None` (no deadline)."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class CacheOptions:
    """Endpoint cache options of a client (SPEC §2.1); an option left `None` keeps sandgate's
    default. The cache is on by default (`enabled=False` turns it off) and keeps at most
    `max_entries` endpoints (default 1024); a direct or server-proxy endpoint is reused for `ttl`
    (default 600 s), a signed one until `margin` (default 30 s) before it expires. Durations are
    seconds (a number) or a `timedelta`.
    """

    def __new__(
        cls,
        enabled: Optional[bool] = None,
        max_entries: Optional[int] = None,
        ttl: Optional[_Seconds] = None,
        margin: Optional[_Seconds] = None,
    ) -> CacheOptions: ...
    @property
    def enabled(self) -> Optional[bool]:
        """Whether endpoints are cached, or `None` for the default (on)."""
    @property
    def max_entries(self) -> Optional[int]:
        """Most entries kept, or `None` for the default."""
    @property
    def ttl(self) -> Optional[float]:
        """How long a direct or server-proxy endpoint is reused in seconds, or `None`."""
    @property
    def margin(self) -> Optional[float]:
        """How long before its expiry a signed endpoint stops being reused in seconds, or `None`."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class RetryEvent:
    """What an `on_retry` hook is given before each retry sleeps: the `attempt` that failed (from
    1), the `delay` before the next one in seconds, and the failure as a `SandgateError` (`cause`,
    whose `retryable` is true).
    """

    @property
    def attempt(self) -> int:
        """The attempt that failed, from 1; the next one is `attempt + 1`."""
    @property
    def delay(self) -> float:
        """The delay before the next attempt, in seconds."""
    @property
    def cause(self) -> SandgateError:
        """The failure, a `SandgateError`."""

@final
class RetryDecision:
    """A retry decision (SPEC §2.1) as `retry_decision` returns it: whether the attempt is retried
    (`retry`, also its truth value), why (`verdict`: `retry`, `not_retryable`, `exhausted`,
    `deadline`), the bounds of the delay before the next attempt in seconds (`min_delay`,
    `max_delay`; both 0 when not retried), and what the error of this attempt reports as
    `retryable`.
    """

    @property
    def retry(self) -> bool:
        """Whether the attempt is retried."""
    @property
    def verdict(self) -> str:
        """Why: `retry`, `not_retryable`, `exhausted` or `deadline`."""
    @property
    def min_delay(self) -> float:
        """The least delay before the next attempt, in seconds."""
    @property
    def max_delay(self) -> float:
        """The most delay before the next attempt, in seconds."""
    @property
    def retryable(self) -> bool:
        """What the error of this attempt reports as `retryable`."""
    def __bool__(self) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...

def retry_decision(
    options: Optional[RetryOptions],
    method: str,
    outcome: str,
    *,
    status: Optional[int] = None,
    attempt: int = 1,
    prev_delay: Optional[_Seconds] = None,
    retry_after: Optional[str] = None,
    now: Optional[_When] = None,
    elapsed: Optional[_Seconds] = None,
) -> RetryDecision:
    """The client's retry rule (SPEC §2.1) for one failed attempt under `options` (`None`: the
    defaults): `method`; `outcome` (`status` with `status`, `pre_send` when nothing was sent,
    `post_send` when the connection failed after sending, `timeout`); `attempt` (from 1);
    `prev_delay`, the delay slept before it (`None` for the first); `retry_after`, the answer's
    `Retry-After` text; `now`, what an HTTP-date `Retry-After` is counted from (Unix seconds or a
    `datetime`; default the system clock); `elapsed`, the time since the first attempt. Durations
    are seconds or a `timedelta`. Raises `InvalidArgument` for a bad attempt.
    """

@final
class Freshness:
    """Whether a cached endpoint is served, as `cache_decision` returns it: `fresh` (also its truth
    value) and `until`, the first instant (Unix seconds) it is no longer served.
    """

    @property
    def fresh(self) -> bool:
        """Whether the entry is served (`now < until` and the cache is on)."""
    @property
    def until(self) -> float:
        """The first instant the entry is no longer served, Unix seconds (millisecond precision)."""
    def __bool__(self) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...

def cache_decision(
    options: Optional[CacheOptions],
    *,
    signed_expires: Optional[_When],
    fetched_at: Union[int, float, datetime.datetime],
    now: Union[int, float, datetime.datetime],
) -> Freshness:
    """The endpoint cache's freshness rule (SPEC §2.1) under `options` (`None`: the defaults): an
    entry signed until `signed_expires` (Unix seconds or a `datetime`; `None` for a direct or
    server-proxy entry), fetched at `fetched_at`, looked up at `now` (both Unix seconds, fractions
    count to the millisecond, or `datetime`s; for a signed entry `now` is the server's clock).
    """

@final
class GatewayVerdict:
    """What the gateway decided for one request: forward it (`allowed`, also its truth value) or
    answer exactly `status`, `response_headers` and `body`.
    """

    @property
    def allowed(self) -> bool:
        """Whether the request goes on to the sandbox."""
    @property
    def status(self) -> int:
        """200 when allowed, else the refusal's status (400, 401, 404 or 503)."""
    @property
    def reason(self) -> Optional[str]:
        """The refusal's reason code (`expired`, `unknown_key`, ..., `policy_unavailable`), or
        `None` when allowed.
        """
    @property
    def grant(self) -> Optional[str]:
        """How access was granted (`open`, `signature`, `header`), or `None` when refused."""
    @property
    def route(self) -> Optional[RouteInfo]:
        """The verified route, or `None` when refused."""
    @property
    def upstream_target(self) -> Optional[str]:
        """The target to forward: the path (escaping kept, a uri-mode route prefix removed) and its
        `?query`; `None` when refused.
        """
    @property
    def headers_to_strip(self) -> List[str]:
        """Request headers to remove before forwarding (compare names case-insensitively)."""
    @property
    def response_headers(self) -> List[Tuple[str, str]]:
        """The refusal's response headers as `(name, value)` pairs (`content-type`,
        `x-sandgate-reason`, `retry-after` on a 503); empty when allowed.
        """
    @property
    def body(self) -> str:
        """The refusal's `text/plain` body (`OpenSandbox Ingress: ...`); empty when allowed."""
    @property
    def message(self) -> str:
        """The refusal's message (the body without its prefix); empty when allowed."""
    def __bool__(self) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Gateway:
    """A verifying gateway: which sandboxes need secure access comes from `policy` (a JSON or TOML
    document as text, or a mapping, in the form of docs/gateway.md), or from `policy_file` (a path,
    re-read when it changes; a bad file keeps the last good policy), or neither: signature-only
    (every sandbox needs a valid signed route). `keys` are the signing keys (a `SigningKeys` or the
    flag string); `route_mode` is `header`, `wildcard` or `uri`; `now` fixes the clock (tests;
    default the system clock). A bad option raises `InvalidConfig` saying what was wrong.
    """

    def __new__(
        cls,
        keys: _Keys,
        route_mode: str = "header",
        *,
        policy: Optional[Union[str, Mapping[str, object]]] = None,
        policy_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        now: Optional[_When] = None,
    ) -> Gateway: ...
    @property
    def route_mode(self) -> str:
        """`header`, `wildcard` or `uri`."""
    def check(self, target: str, headers: _Headers) -> GatewayVerdict:
        """Checks one request: `target` as received (path and query, still percent-encoded) and
        `headers` as `(name, value)` pairs in arrival order (a repeated header repeated; the host is
        the `Host` pair) or a mapping. Values are `str` or `bytes`.
        """
    def replace_keys(self, keys: _Keys) -> SigningKeys:
        """Takes a new key set without a restart (key rotation; a `SigningKeys` or a flag string):
        requests already being checked finish with the old set. Returns the set it replaced.
        """

@final
class Client:
    """A blocking client for the OpenSandbox lifecycle and keys APIs. Calls release the GIL (Ctrl-C
    aborts a call); one client can be shared by many threads. Options: `domain`, `protocol`,
    `api_key` (a `str` or a `Secret`), `timeout` (seconds or a `timedelta`), `headers`, `retry` (a
    `RetryOptions`), `on_retry` (called with a `RetryEvent` before each retry sleeps) and `cache` (a
    `CacheOptions`; endpoints are cached by default); unset options come from `OPEN_SANDBOX_DOMAIN`,
    `OPEN_SANDBOX_API_KEY` and `OPEN_SANDBOX_PROTOCOL`.
    """

    def __new__(
        cls,
        domain: Optional[str] = None,
        protocol: Optional[str] = None,
        api_key: Optional[_Text] = None,
        timeout: Optional[_Seconds] = None,
        headers: Optional[Mapping[str, str]] = None,
        retry: Optional[RetryOptions] = None,
        *,
        on_retry: Optional[Callable[[RetryEvent], object]] = None,
        cache: Optional[CacheOptions] = None,
    ) -> Client: ...
    @property
    def base_url(self) -> str:
        """`protocol://domain`, the server root."""
    @property
    def user_agent(self) -> str:
        """The user agent sent with every request."""
    def endpoint(
        self,
        sandbox_id: str,
        port: int,
        *,
        server_proxy: bool = False,
        expires: Optional[_When] = None,
        ttl: Optional[_Seconds] = None,
    ) -> Endpoint:
        """The endpoint of `port` of a sandbox in one explicit mode: direct (the default), through
        the lifecycle server (`server_proxy=True`; its headers carry the API key), or signed,
        expiring at `expires` (Unix seconds or a `datetime`) or `ttl` after the server's now
        (seconds or a `timedelta`). A server-proxy endpoint cannot be signed. Endpoints are cached
        (see `CacheOptions`).
        """
    def get_endpoint(self, sandbox_id: str, port: int) -> Endpoint:
        """The unsigned (direct) endpoint of `port` of a sandbox."""
    def get_signed_endpoint(
        self,
        sandbox_id: str,
        port: int,
        expires: Optional[_When] = None,
        *,
        ttl: Optional[_Seconds] = None,
    ) -> Endpoint:
        """An endpoint with a signed route expiring at `expires` (Unix seconds or a `datetime`) or
        `ttl` from now (seconds or a `timedelta`); give exactly one.
        """
    def create_api_key(
        self, name: Optional[str] = None, expires_at: Optional[_When] = None
    ) -> CreatedApiKey:
        """Mints an API key for the calling user; the raw key is in the result once."""
    def list_api_keys(self) -> List[ApiKeyInfo]:
        """The calling user's keys (never a secret or hash)."""
    def revoke_api_key(self, key_id: str) -> None:
        """Revokes one of the calling user's keys."""
    def create_sandbox(
        self,
        image: str,
        *,
        secure_access: bool = False,
        metadata: Optional[Mapping[str, str]] = None,
        timeout: Optional[int] = None,
    ) -> Sandbox:
        """Creates a sandbox running `image`; `timeout` is its lifetime in seconds."""
    def get_sandbox(self, sandbox_id: str) -> Sandbox:
        """Gets a sandbox."""
    def list_sandboxes(self) -> List[Sandbox]:
        """The sandboxes the caller may see."""
    def delete_sandbox(self, sandbox_id: str) -> None:
        """Deletes a sandbox."""
    def pause_sandbox(self, sandbox_id: str) -> None:
        """Pauses a sandbox; its cached endpoints are dropped."""
    def resume_sandbox(self, sandbox_id: str) -> None:
        """Resumes a paused sandbox; its cached endpoints are dropped."""
    def renew_sandbox(
        self,
        sandbox_id: str,
        expires: Optional[_When] = None,
        *,
        ttl: Optional[_Seconds] = None,
    ) -> SandboxRenewal:
        """Renews a sandbox to expire at `expires` (Unix seconds or a `datetime`) or `ttl` from now
        (seconds or a `timedelta`); give exactly one.
        """

@final
class AsyncClient:
    """An asyncio client with the operations and options of `Client`: every operation is a coroutine
    running on sandgate's runtime, and cancelling its task cancels the request.
    """

    def __new__(
        cls,
        domain: Optional[str] = None,
        protocol: Optional[str] = None,
        api_key: Optional[_Text] = None,
        timeout: Optional[_Seconds] = None,
        headers: Optional[Mapping[str, str]] = None,
        retry: Optional[RetryOptions] = None,
        *,
        on_retry: Optional[Callable[[RetryEvent], object]] = None,
        cache: Optional[CacheOptions] = None,
    ) -> AsyncClient: ...
    @property
    def base_url(self) -> str:
        """`protocol://domain`, the server root."""
    @property
    def user_agent(self) -> str:
        """The user agent sent with every request."""
    async def endpoint(
        self,
        sandbox_id: str,
        port: int,
        *,
        server_proxy: bool = False,
        expires: Optional[_When] = None,
        ttl: Optional[_Seconds] = None,
    ) -> Endpoint:
        """The endpoint of `port` of a sandbox in one explicit mode: direct (the default), through
        the lifecycle server (`server_proxy=True`; its headers carry the API key), or signed,
        expiring at `expires` (Unix seconds or a `datetime`) or `ttl` after the server's now
        (seconds or a `timedelta`). A server-proxy endpoint cannot be signed. Endpoints are cached
        (see `CacheOptions`).
        """
    async def get_endpoint(self, sandbox_id: str, port: int) -> Endpoint:
        """The unsigned (direct) endpoint of `port` of a sandbox."""
    async def get_signed_endpoint(
        self,
        sandbox_id: str,
        port: int,
        expires: Optional[_When] = None,
        *,
        ttl: Optional[_Seconds] = None,
    ) -> Endpoint:
        """An endpoint with a signed route expiring at `expires` (Unix seconds or a `datetime`) or
        `ttl` from now (seconds or a `timedelta`); give exactly one.
        """
    async def create_api_key(
        self, name: Optional[str] = None, expires_at: Optional[_When] = None
    ) -> CreatedApiKey:
        """Mints an API key for the calling user; the raw key is in the result once."""
    async def list_api_keys(self) -> List[ApiKeyInfo]:
        """The calling user's keys (never a secret or hash)."""
    async def revoke_api_key(self, key_id: str) -> None:
        """Revokes one of the calling user's keys."""
    async def create_sandbox(
        self,
        image: str,
        *,
        secure_access: bool = False,
        metadata: Optional[Mapping[str, str]] = None,
        timeout: Optional[int] = None,
    ) -> Sandbox:
        """Creates a sandbox running `image`; `timeout` is its lifetime in seconds."""
    async def get_sandbox(self, sandbox_id: str) -> Sandbox:
        """Gets a sandbox."""
    async def list_sandboxes(self) -> List[Sandbox]:
        """The sandboxes the caller may see."""
    async def delete_sandbox(self, sandbox_id: str) -> None:
        """Deletes a sandbox."""
    async def pause_sandbox(self, sandbox_id: str) -> None:
        """Pauses a sandbox; its cached endpoints are dropped."""
    async def resume_sandbox(self, sandbox_id: str) -> None:
        """Resumes a paused sandbox; its cached endpoints are dropped."""
    async def renew_sandbox(
        self,
        sandbox_id: str,
        expires: Optional[_When] = None,
        *,
        ttl: Optional[_Seconds] = None,
    ) -> SandboxRenewal:
        """Renews a sandbox to expire at `expires` (Unix seconds or a `datetime`) or `ttl` from now
        (seconds or a `timedelta`); give exactly one.
        """

@final
class MockRequest:
    """One API request the mock received."""

    @property
    def method(self) -> str:
        """The HTTP method."""
    @property
    def path(self) -> str:
        """The path, without the query."""
    @property
    def status(self) -> int:
        """The status answered (0 when the connection was dropped)."""
    @property
    def user_agent(self) -> Optional[str]:
        """The `User-Agent` the request carried, if any."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class MockServer:
    """A mock OpenSandbox platform (lifecycle API, keys API, verifying gateway) running in this
    process on free loopback ports. Start it with `MockServer.start(...)` (or `MockServer(...)`);
    use it as a context manager, or call `stop()`.
    """

    def __new__(
        cls,
        route_mode: str = "header",
        trusted_headers: bool = False,
        *,
        signing_keys: Optional[_Keys] = None,
        endpoint_origin: Optional[str] = None,
    ) -> MockServer: ...
    @classmethod
    def start(
        cls,
        route_mode: str = "header",
        trusted_headers: bool = False,
        *,
        signing_keys: Optional[_Keys] = None,
        endpoint_origin: Optional[str] = None,
    ) -> MockServer:
        """Starts a mock (the same as `MockServer(...)`): `route_mode` is `header`, `wildcard` or
        `uri`; `trusted_headers` lets `X-OpenSandbox-User`/`-Roles` name the caller; `signing_keys`
        (a `SigningKeys` or a flag string; default two random keys, `a` active) are the keys it
        signs and verifies with; `endpoint_origin` is sent as the `OPEN-SANDBOX-ORIGIN` header of
        every endpoint answer.
        """
    @property
    def api_url(self) -> str:
        """Base URL of the API, `http://127.0.0.1:PORT`."""
    @property
    def domain(self) -> str:
        """`host:port` of the API: the `domain` to give a client."""
    @property
    def gateway_url(self) -> str:
        """Base URL of the gateway."""
    @property
    def route_mode(self) -> str:
        """`header`, `wildcard` or `uri`."""
    @property
    def base_domain(self) -> str:
        """The base domain of wildcard hosts."""
    @property
    def admin_key(self) -> Secret:
        """The static admin key (role `service_admin`)."""
    @property
    def signing_keys(self) -> Secret:
        """The signing keys the mock signs with, as a flag string `a=BASE64,b=BASE64` inside a
        `Secret` (give it to `SigningKeys.from_flag`).
        """
    def set_signing_keys(self, keys: _Keys) -> None:
        """Replaces the signing keys while the mock runs (key rotation; a `SigningKeys` or a flag
        string): its gateway verifies with them from the next request on (a link signed with a key
        they lack answers 401 `unknown_key`) and new signed endpoints use their active key. An empty
        set makes a mock without keys. `reset()` puts back the starting keys.
        """
    def now(self) -> int:
        """The time on the mock clock, Unix seconds."""
    def set_now(self, now: _When) -> None:
        """Sets the mock clock (Unix seconds or a `datetime`); it keeps running from there."""
    def advance(self, seconds: int) -> None:
        """Moves the mock clock by `seconds` (negative goes back)."""
    def set_faults(
        self,
        *,
        fail_next: int = 0,
        status: int = 503,
        retry_after: Optional[int] = None,
        latency_ms: int = 0,
        drop_next: int = 0,
        corrupt_next: int = 0,
    ) -> None:
        """Replaces the injected faults: fail the next `fail_next` API requests with `status` (and
        `Retry-After: retry_after`), add `latency_ms` to every API request, drop the connection
        of the next `drop_next`, answer the next `corrupt_next` with a body that is not JSON.
        """
    def clear_faults(self) -> None:
        """Clears every injected fault."""
    def reset(self) -> None:
        """Forgets every sandbox, key, fault, logged request and clock offset."""
    def requests(self) -> List[MockRequest]:
        """The API requests received so far, oldest first."""
    def stop(self) -> None:
        """Stops both listeners. Safe to call more than once."""
    def __enter__(self) -> MockServer: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
