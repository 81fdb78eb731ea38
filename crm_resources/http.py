"""The HTTP resource: a guarded, tenant-scoped client for outbound requests."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import dagster as dg
import httpx
from pydantic import Field

from automation.nodes.base import NodeError, TenantRef

from .guarded_http import LoopClients, ResolutionError
from .net_guard import AllowList, BlockedTarget, InvalidTarget, check_scheme, normalize_host
from .tenancy import load_tenant

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers not carried to another origin on a redirect.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
BODY_HEADERS = frozenset({"content-type", "content-length"})


@dataclass(frozen=True)
class HttpResponseData:
    """A fully read response: headers lower-cased (repeated ones joined with ", ")."""

    status_code: int
    headers: dict[str, str]
    body_bytes: bytes
    url: str

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def _normalise_url(url: str) -> str:
    """Check the scheme and host, and spell IP literals canonically (0177.0.0.1 -> 127.0.0.1)."""
    try:
        parts = urlsplit(url.strip())
        check_scheme(parts.scheme)
        host = normalize_host(parts.hostname or "")
        port = parts.port
    except ValueError as exc:  # InvalidTarget, or a bad port
        raise NodeError(f"invalid URL {url!r}: {exc}", error_type="invalid_url") from exc
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    if "@" in parts.netloc:
        netloc = f"{parts.netloc.rsplit('@', 1)[0]}@{netloc}"
    return parts._replace(netloc=netloc, fragment="").geturl()


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


@dataclass(frozen=True)
class _Hop:
    """One request of a redirect chain."""

    method: str
    url: str
    headers: dict[str, str]
    json: Any = None
    data: Any = None
    content: bytes | None = None

    def redirected(self, status: int, location: str) -> _Hop:
        """The next hop: GET after 303 (and 301/302 from POST), no credentials cross-origin."""
        url = _normalise_url(urljoin(self.url, location))
        headers = self.headers
        if _origin(url) != _origin(self.url):
            headers = {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}
        method = self.method
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method = "GET"
        if method == self.method:
            return replace(self, url=url, headers=headers)
        headers = {k: v for k, v in headers.items() if k.lower() not in BODY_HEADERS}
        return _Hop(method, url, headers)


class GuardedHttpClient:
    """Outbound HTTP for one tenant: every hop checked by the guard, bodies size-capped."""

    def __init__(self, allow: AllowList, *, max_redirects: int = 5):
        self.allow = allow
        self.max_redirects = max_redirects
        self._clients = LoopClients(allow)

    async def aclose(self) -> None:
        """Close the pooled connections of the running event loop."""
        await self._clients.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        content: bytes | None = None,
        timeout_s: float = 10.0,
        max_response_bytes: int = 1024 * 1024,
        follow_redirects: bool = True,
        truncate_body: bool = False,
    ) -> HttpResponseData:
        """Send a request; raise NodeError when refused, timed out, too large or failing.

        A body over `max_response_bytes` is an error, or cut there with `truncate_body`.
        """
        headers = {k: v for k, v in (headers or {}).items() if k.lower() != "host"}
        try:
            async with asyncio.timeout(timeout_s):
                hop = _Hop(method.upper(), _normalise_url(url), headers, json, data, content)
                return await self._follow(
                    hop, params, httpx.Timeout(timeout_s), max_response_bytes,
                    follow_redirects, truncate_body,
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise NodeError(
                f"HTTP {method.upper()} {_safe(url)} timed out after {timeout_s:g}s",
                error_type="timeout", transient=True,
            ) from exc
        except BlockedTarget as exc:
            raise NodeError(str(exc), error_type="blocked_target") from exc
        except (InvalidTarget, httpx.InvalidURL) as exc:
            raise NodeError(f"invalid URL: {exc}", error_type="invalid_url") from exc
        except ResolutionError as exc:
            raise NodeError(str(exc), error_type="dns_error", transient=exc.transient) from exc
        except httpx.HTTPError as exc:
            raise NodeError(
                f"HTTP {method.upper()} {_safe(url)} failed: {type(exc).__name__}: {exc}",
                error_type="connection_error", transient=True,
            ) from exc

    async def _follow(
        self, hop: _Hop, params: Any, timeout: httpx.Timeout, max_bytes: int,
        follow_redirects: bool, truncate: bool,
    ) -> HttpResponseData:
        client = self._clients.get()
        first_url = hop.url
        for number in range(self.max_redirects + 1):
            request = client.build_request(
                hop.method, hop.url, headers=hop.headers, params=None if number else params,
                json=hop.json, data=hop.data, content=hop.content, timeout=timeout,
            )
            response = await client.send(request, stream=True)
            try:
                location = response.headers.get("location")
                status = response.status_code
                if not (follow_redirects and status in REDIRECT_STATUSES and location):
                    log.debug("HTTP %s %s -> %s", hop.method, _safe(hop.url), status)
                    return HttpResponseData(
                        status_code=status,
                        headers=_lowered(response.headers),
                        body_bytes=await _read_capped(response, max_bytes, hop.url, truncate),
                        url=_without_credentials(str(request.url)),
                    )
            finally:
                await response.aclose()
            hop = replace(hop, url=str(request.url)).redirected(status, location)
        raise NodeError(
            f"more than {self.max_redirects} redirects from {_safe(first_url)}",
            error_type="too_many_redirects",
        )


async def _read_capped(
    response: httpx.Response, max_bytes: int, url: str, truncate: bool
) -> bytes:
    """Stream the body, stopping at max_bytes (an error unless truncating)."""
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(url, max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            if not truncate:
                raise _too_large(url, max_bytes)
            chunks.append(chunk[: max_bytes - (size - len(chunk))])
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(url: str, max_bytes: int) -> NodeError:
    return NodeError(
        f"response from {_safe(url)} is larger than max_response_bytes ({max_bytes} bytes)",
        error_type="response_too_large",
    )


def _lowered(headers: httpx.Headers) -> dict[str, str]:
    merged: dict[str, str] = {}
    for key, value in headers.multi_items():
        key = key.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl()


def _safe(url: str) -> str:
    """The URL without credentials or query string, for messages and logs."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{netloc}{parts.path}"


class HttpResource(dg.ConfigurableResource):
    """Outbound HTTP for nodes, refusing private/loopback/link-local targets by default."""

    max_redirects: int = Field(default=5, ge=0, le=20, description="Redirect hops followed")
    allow_private_default: bool = Field(
        default=False,
        description="Let every tenant reach non-public addresses (local development only)",
    )

    def for_tenant(self, tenant: TenantRef) -> GuardedHttpClient:
        """A client with the tenant's allow-list (loaded now, outside any event loop)."""
        entries = load_tenant(tenant).http_allowed_hosts or []
        allow = AllowList.from_entries(entries, allow_all=self.allow_private_default)
        return GuardedHttpClient(allow, max_redirects=self.max_redirects)
