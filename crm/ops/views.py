"""/ops/dagster/...: the Dagster UI behind the CRM's login, for platform operators only.

Two ways to serve it, both checked here:

- `dagster_proxy`: the CRM forwards the request to the webserver (started on loopback with
  `--path-prefix /ops/dagster`, `DAGSTER_WEBSERVER_URL`) and streams the answer back. HTTP
  only: a WSGI server cannot carry WebSockets, so upgrade requests get 501 and the Dagster UI
  falls back to polling (it marks WebSockets unavailable on the failed handshake).
- `dagster_auth`: the `auth_request` endpoint for nginx (deploy/production/nginx.conf), which
  then proxies `/ops/dagster/` itself, WebSockets included. It answers 204, 401 or 403.

Refusals: anonymous users are sent to the admin's login page (browser navigations) or get 401;
signed-in users who are not platform operators (see crm.ops.access) get 403. Requests that
could be forged by another site are refused as well (403): state-changing methods and WebSocket
handshakes whose Origin is another host or whose Sec-Fetch-Site is cross-site; GraphQL over
GET with a query string (other than the GraphiQL page) and GraphQL POSTs whose media type is
not JSON are refused as the Dagster UI never sends them (the webserver would otherwise run a
mutation from a plain link or a form post).
"""

from __future__ import annotations

import logging
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.encoding import escape_uri_path
from django.views.decorators.csrf import csrf_exempt

from . import proxy
from .access import is_platform_operator

log = logging.getLogger(__name__)

PREFIX = "/ops/dagster"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
GRAPHQL_CONTENT_TYPES = ("application/json", "application/graphql")


def _refuse(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def _wants_html(request: HttpRequest, method: str) -> bool:
    return method == "GET" and "text/html" in request.headers.get("Accept", "")


def _same_host(origin: str, request: HttpRequest) -> bool:
    if origin in getattr(settings, "CSRF_TRUSTED_ORIGINS", []):
        return True
    # Host only: behind a TLS-terminating proxy the CRM may see http while the browser says https.
    return urlsplit(origin).netloc.lower() == request.get_host().lower()


def _forgeable(
    request: HttpRequest, method: str, subpath: str, query: str, upgrade: bool
) -> str | None:
    """Why this request could come from another site (None when it cannot)."""
    # Decoded (the webserver decodes %67raphql too); any path ending in graphql counts.
    is_graphql = unquote(subpath).strip("/").rsplit("/", 1)[-1] == "graphql"
    if is_graphql and method == "GET" and not upgrade and query:
        # The webserver runs a GET's ?query=... (even a mutation) unless it renders GraphiQL
        # for a browser page (Accept: text/html); the Dagster UI itself only POSTs.
        if "text/html" not in request.headers.get("Accept", ""):
            return "GraphQL over GET is not accepted here; POST JSON."
    if method in SAFE_METHODS and not upgrade:
        return None
    site = request.headers.get("Sec-Fetch-Site", "")
    if site and site not in ("same-origin", "none"):
        return "Cross-site requests are refused."
    origin = request.headers.get("Origin", "")
    if origin and not _same_host(origin, request):
        return "Requests from another origin are refused."
    if is_graphql and method == "POST":
        # The media type itself: "text/plain; x=application/json" is what a form could send.
        content_type = request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if content_type not in GRAPHQL_CONTENT_TYPES:
            return "GraphQL requests must be JSON."
    return None


def check(
    request: HttpRequest, method: str, subpath: str, query: str, upgrade: bool
) -> HttpResponse | None:
    """The refusal for this request, or None when it may reach the Dagster UI."""
    user = request.user
    if not user.is_authenticated:
        if _wants_html(request, method) and not upgrade:
            return redirect_to_login(request.get_full_path(), login_url=reverse("admin:login"))
        return _refuse(401, "ops.E001", "Sign in to the CRM first.")
    if not is_platform_operator(user):
        log.info("Dagster UI refused to user %s (not a platform operator)", user.pk)
        return _refuse(403, "ops.E002", "The Dagster UI is for platform operators only.")
    reason = _forgeable(request, method, subpath, query, upgrade)
    if reason:
        return _refuse(403, "ops.E003", reason)
    return None


@csrf_exempt  # the Dagster UI sends no CSRF token; _forgeable() does the cross-site checks
def dagster_proxy(request: HttpRequest, subpath: str = "") -> HttpResponse:
    method = (request.method or "GET").upper()
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    query = request.META.get("QUERY_STRING", "")
    refusal = check(request, method, subpath, query, upgrade)
    if refusal is not None:
        return refusal
    if upgrade:
        return HttpResponse(
            "WebSockets are not proxied by the CRM; the Dagster UI polls instead "
            "(deploy/production/nginx.conf proxies them).\n",
            status=501,
            content_type="text/plain; charset=utf-8",
        )
    return proxy.forward(request, settings.DAGSTER_WEBSERVER_URL, escape_uri_path(subpath))


def dagster_root(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(PREFIX + "/")


def dagster_auth(request: HttpRequest) -> HttpResponse:
    """nginx `auth_request`: 204 lets the original request through, 401/403 refuse it.

    nginx passes the original request's headers (cookies, Origin, Sec-Fetch-Site) and, as set in
    deploy/production/nginx.conf, X-Original-Method, X-Original-URI and X-Original-Upgrade.
    """
    method = request.headers.get("X-Original-Method", "GET").upper()
    uri = request.headers.get("X-Original-URI", PREFIX + "/")
    original = urlsplit(uri)
    path = original.path
    subpath = path[len(PREFIX) :] if path.startswith(PREFIX) else path
    upgrade = request.headers.get("X-Original-Upgrade", "").lower() == "websocket"
    refusal = check(request, method, subpath, original.query, upgrade)
    if refusal is None:
        return HttpResponse(status=204)
    if refusal.status_code not in (401, 403):  # a login redirect: nginx turns 401 into it
        return _refuse(401, "ops.E001", "Sign in to the CRM first.")
    return refusal
