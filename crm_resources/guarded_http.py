"""An HTTP client that only connects to addresses the outbound guard allowed.

Name resolution happens in the connection layer (a custom httpcore network backend): the
addresses a host resolves to are checked there and the socket is opened to the checked
address, so a DNS answer cannot change between the check and the connection (rebinding).
IP literals in any spelling are checked before the request is built.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import weakref
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from .net_guard import AllowList, IPAddress, check_addresses, ip_literal, normalize_host


class RedactUrls(logging.Filter):
    """Strip credentials and query strings from URLs in httpx's request log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.copy_with(query=None, username=None, password=None)
                if isinstance(arg, httpx.URL) else arg
                for arg in record.args
            )
        return True


_httpx_log = logging.getLogger("httpx")
if not any(isinstance(f, RedactUrls) for f in _httpx_log.filters):
    _httpx_log.addFilter(RedactUrls())


class ResolutionError(Exception):
    """A host name did not resolve."""

    def __init__(self, host: str, error: socket.gaierror):
        super().__init__(f"could not resolve host {host!r}: {error.strerror or error}")
        self.transient = error.errno == socket.EAI_AGAIN


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves through the guard and connects to the address it checked."""

    def __init__(self, allow: AllowList):
        self._allow = allow
        self._inner = httpcore.AnyIOBackend()

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Resolve a host and check every address; return them, to connect to one of them."""
        host = normalize_host(host)
        literal = ip_literal(host)
        if literal is not None:
            addresses: Iterable[IPAddress] = [literal]
        else:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise ResolutionError(host, exc) from exc
            addresses = [ip_literal(str(info[4][0]).split("%")[0]) for info in infos]
        return check_addresses(host, [a for a in addresses if a is not None], self._allow)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.resolve(host, port)
        for address in addresses[:-1]:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError:
                continue  # try the next checked address (e.g. ::1, then 127.0.0.1)
        return await self._inner.connect_tcp(
            str(addresses[-1]), port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool on the guarded network backend."""

    def __init__(self, allow: AllowList, limits: httpx.Limits | None = None):
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        super().__init__(trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow),
        )


class LoopClients:
    """One guarded httpx.AsyncClient per event loop, created on first use."""

    def __init__(self, allow: AllowList):
        self._allow = allow
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()

    def get(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(
                transport=GuardedTransport(self._allow), trust_env=False, follow_redirects=False
            )
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        """Close the running loop's client (call before the loop ends)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()
