"""``AsyncClient``: the asyncio face of the client.

Each method is a coroutine. The request runs on sandgate's Rust runtime; cancelling the
awaiting task (``task.cancel()``, ``asyncio.wait_for`` timing out) aborts the request.
"""

from __future__ import annotations

import datetime
from typing import List, Mapping, Optional, Union

from . import _native
from ._native import ApiKeyInfo, CreatedApiKey, Endpoint, RetryOptions, Sandbox, Secret

__all__ = ["AsyncClient"]

_Seconds = Union[int, float, datetime.timedelta]
_When = Union[int, datetime.datetime]


class AsyncClient:
    """An asyncio client for the OpenSandbox lifecycle and keys APIs.

    Options are those of :class:`sandgate.Client`: ``domain``, ``protocol``, ``api_key`` (a
    ``str`` or a :class:`~sandgate.Secret`), ``timeout`` (seconds or a ``timedelta``),
    ``headers`` and ``retry`` (a :class:`~sandgate.RetryOptions`). Unset options come from
    ``OPEN_SANDBOX_DOMAIN``, ``OPEN_SANDBOX_API_KEY`` and ``OPEN_SANDBOX_PROTOCOL``.
    """

    __slots__ = ("_native",)

    def __init__(
        self,
        domain: Optional[str] = None,
        protocol: Optional[str] = None,
        api_key: Union[str, Secret, None] = None,
        timeout: Optional[_Seconds] = None,
        headers: Optional[Mapping[str, str]] = None,
        retry: Optional[RetryOptions] = None,
    ) -> None:
        self._native = _native._AsyncClient(
            domain,
            protocol,
            api_key,
            timeout,
            headers,
            retry,
        )

    @property
    def base_url(self) -> str:
        """``protocol://domain``, the server root."""
        return self._native.base_url

    @property
    def user_agent(self) -> str:
        """The user agent sent with every request."""
        return self._native.user_agent

    async def get_endpoint(self, sandbox_id: str, port: int) -> Endpoint:
        """The unsigned endpoint of ``port`` of a sandbox."""
        return await self._native.get_endpoint(sandbox_id, port)

    async def get_signed_endpoint(
        self,
        sandbox_id: str,
        port: int,
        expires: Optional[_When] = None,
        *,
        ttl: Optional[_Seconds] = None,
    ) -> Endpoint:
        """An endpoint with a signed route expiring at ``expires`` (Unix seconds or a
        ``datetime``) or ``ttl`` from now (seconds or a ``timedelta``); give exactly one."""
        return await self._native.get_signed_endpoint(sandbox_id, port, expires, ttl=ttl)

    async def create_api_key(
        self, name: Optional[str] = None, expires_at: Optional[_When] = None
    ) -> CreatedApiKey:
        """Mints an API key for the calling user; the raw key is in the result once."""
        return await self._native.create_api_key(name, expires_at)

    async def list_api_keys(self) -> List[ApiKeyInfo]:
        """The calling user's keys (never a secret or hash)."""
        return await self._native.list_api_keys()

    async def revoke_api_key(self, key_id: str) -> None:
        """Revokes one of the calling user's keys."""
        await self._native.revoke_api_key(key_id)

    async def create_sandbox(
        self,
        image: str,
        *,
        secure_access: bool = False,
        metadata: Optional[Mapping[str, str]] = None,
        timeout: Optional[int] = None,
    ) -> Sandbox:
        """Creates a sandbox running ``image``."""
        return await self._native.create_sandbox(
            image,
            secure_access=secure_access,
            metadata=metadata,
            timeout=timeout,
        )

    async def get_sandbox(self, sandbox_id: str) -> Sandbox:
        """Gets a sandbox."""
        return await self._native.get_sandbox(sandbox_id)

    async def list_sandboxes(self) -> List[Sandbox]:
        """The sandboxes the caller may see."""
        return await self._native.list_sandboxes()

    async def delete_sandbox(self, sandbox_id: str) -> None:
        """Deletes a sandbox."""
        await self._native.delete_sandbox(sandbox_id)

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self.base_url!r})"


AsyncClient.__module__ = "sandgate"
