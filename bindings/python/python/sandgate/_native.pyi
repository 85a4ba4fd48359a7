"""Type stubs of the native module ``sandgate._native`` (Rust, pyo3).

Every docstring here is the native object's own ``__doc__`` (a test compares them)."""

import datetime
from types import TracebackType
from typing import Dict, List, Mapping, Optional, Type, Union, final

from ._errors import AccessDenied

__all__ = [
    "AccessDecision",
    "ApiKeyInfo",
    "AsyncClient",
    "Client",
    "CreatedApiKey",
    "Endpoint",
    "GeneratedApiKey",
    "MockRequest",
    "MockServer",
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
    "generate_api_key",
    "hash_api_key",
    "verify_api_key",
]
__version__: str

_Seconds = Union[int, float, datetime.timedelta]
_When = Union[int, datetime.datetime]
_Text = Union[str, "Secret"]

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
    """Retry options of a client: `max_retries` retries after the first attempt (0 turns retrying
    off), backing off from `initial_backoff` up to `max_backoff` (seconds as a number or a
    `timedelta`). An option left `None` keeps sandgate's default.
    """

    def __new__(
        cls,
        max_retries: Optional[int] = None,
        initial_backoff: Optional[_Seconds] = None,
        max_backoff: Optional[_Seconds] = None,
    ) -> RetryOptions: ...
    @property
    def max_retries(self) -> Optional[int]:
        """Retries after the first attempt (0 = off), or `None` for the default."""
    @property
    def initial_backoff(self) -> Optional[float]:
        """Delay before the first retry in seconds, or `None` for the default."""
    @property
    def max_backoff(self) -> Optional[float]:
        """Longest delay between attempts in seconds, or `None` for the default."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class Client:
    """A blocking client for the OpenSandbox lifecycle and keys APIs. Calls release the GIL (Ctrl-C
    aborts a call); one client can be shared by many threads. Options: `domain`, `protocol`,
    `api_key` (a `str` or a `Secret`), `timeout` (seconds or a `timedelta`), `headers` and
    `retry` (a `RetryOptions`); unset options come from `OPEN_SANDBOX_DOMAIN`,
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
    ) -> Client: ...
    @property
    def base_url(self) -> str:
        """`protocol://domain`, the server root."""
    @property
    def user_agent(self) -> str:
        """The user agent sent with every request."""
    def get_endpoint(self, sandbox_id: str, port: int) -> Endpoint:
        """The unsigned endpoint of `port` of a sandbox."""
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
    ) -> AsyncClient: ...
    @property
    def base_url(self) -> str:
        """`protocol://domain`, the server root."""
    @property
    def user_agent(self) -> str:
        """The user agent sent with every request."""
    async def get_endpoint(self, sandbox_id: str, port: int) -> Endpoint:
        """The unsigned endpoint of `port` of a sandbox."""
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

    def __new__(cls, route_mode: str = "header", trusted_headers: bool = False) -> MockServer: ...
    @classmethod
    def start(cls, route_mode: str = "header", trusted_headers: bool = False) -> MockServer:
        """Starts a mock (the same as `MockServer(...)`): `route_mode` is `header`, `wildcard` or
        `uri`; `trusted_headers` lets `X-OpenSandbox-User`/`-Roles` name the caller.
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
