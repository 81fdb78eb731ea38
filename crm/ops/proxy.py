"""A small streaming HTTP reverse proxy to the Dagster webserver (httpx), WSGI side.

What it forwards: the method, the path below the prefix, the query string, the body and the
client's headers minus hop-by-hop headers and the CRM's credentials (the session and CSRF
cookies, `Authorization`, `X-CSRFToken`, `X-Tenant`): the webserver never sees them. What it
returns: the webserver's status, body (streamed, byte for byte) and headers minus hop-by-hop
headers and `Set-Cookie` (a cookie set by the webserver would land on the CRM's domain);
`Location` headers naming the webserver's own address are made relative.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

log = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# The CRM's credentials and tenant selector: never sent to the webserver.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "x-csrftoken", "x-tenant"})
# Set by httpx for the upstream connection.
UPSTREAM_OWN = frozenset({"host", "content-length"})
RESPONSE_DROPPED = frozenset({"set-cookie", "content-length"})
TIMEOUT = httpx.Timeout(300.0, connect=10.0)  # GraphQL over a large run history can be slow

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def client() -> httpx.Client:
    """One pooled client per process (thread-safe); no proxy from the environment."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False)
        return _client


def crm_cookie_names() -> set[str]:
    return {
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
    }


def _forwarded_cookie(raw: str) -> str | None:
    """The Cookie header without the CRM's cookies (None when nothing is left)."""
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None  # unparseable: forward nothing rather than risk forwarding the session
    drop = crm_cookie_names()
    kept = [f"{name}={morsel.coded_value}" for name, morsel in jar.items() if name not in drop]
    return "; ".join(kept) or None


def upstream_headers(request: HttpRequest) -> dict[str, str]:
    headers: dict[str, str] = {}
    connection_listed = {
        token.strip().lower() for token in request.headers.get("Connection", "").split(",")
    }
    for name, value in request.headers.items():
        lower = name.lower()
        if lower in HOP_BY_HOP or lower in connection_listed or lower in UPSTREAM_OWN:
            continue
        if lower in CREDENTIAL_HEADERS:
            continue
        headers[lower] = value
    cookie = _forwarded_cookie(request.headers.get("Cookie", ""))
    if cookie:
        headers["cookie"] = cookie
    headers["x-forwarded-proto"] = request.scheme
    headers["x-forwarded-host"] = request.get_host()
    return headers


def _relative_location(location: str, upstream_base: str) -> str:
    """A Location naming the webserver itself, as a path on the CRM."""
    base = urlsplit(upstream_base)
    target = urlsplit(location)
    if target.scheme and (target.scheme, target.netloc) != (base.scheme, base.netloc):
        return location  # somewhere else entirely: leave it
    path = target.path or "/"
    return path + (f"?{target.query}" if target.query else "")


def _stream(response: httpx.Response) -> Iterator[bytes]:
    try:
        yield from response.iter_raw()
    finally:
        response.close()


def forward(request: HttpRequest, upstream_base: str, subpath: str) -> HttpResponse:
    """Send the request to `upstream_base` + `subpath` and stream the answer back."""
    url = upstream_base.rstrip("/") + "/" + subpath.lstrip("/")
    query = request.META.get("QUERY_STRING", "")
    if query:
        url += "?" + query
    body = request.body if request.method not in ("GET", "HEAD", "OPTIONS") else None
    upstream_request = client().build_request(
        request.method or "GET", url, headers=upstream_headers(request), content=body
    )
    try:
        upstream = client().send(upstream_request, stream=True)
    except httpx.HTTPError as exc:
        # The exception names the address only, never a header or a cookie.
        log.warning("the Dagster webserver is not reachable: %s", type(exc).__name__)
        return HttpResponse(
            "The Dagster webserver is not reachable.\n",
            status=502,
            content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(_stream(upstream), status=upstream.status_code)
    response.headers.pop("Content-Type", None)
    connection_listed = {
        token.strip().lower() for token in upstream.headers.get("connection", "").split(",")
    }
    merged: dict[str, list[str]] = {}
    for name, value in upstream.headers.multi_items():
        lower = name.lower()
        if lower in HOP_BY_HOP or lower in connection_listed or lower in RESPONSE_DROPPED:
            continue
        if lower == "location":
            value = _relative_location(value, upstream_base)
        merged.setdefault(name, []).append(value)
    for name, values in merged.items():
        response.headers[name] = ", ".join(values)
    if "content-length" in upstream.headers:  # iter_raw passes the body as sent: same length
        response.headers["Content-Length"] = upstream.headers["content-length"]
    return response
