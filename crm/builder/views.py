"""Serve the built builder (index.html with the caller's tenants, hashed assets) under login."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.static import serve

from crm.tenants.models import Membership

BOOT_MARKER = "<!--builder-boot-->"


def dist_dir() -> Path:
    return Path(settings.BUILDER_DIST_DIR)


def boot_data(request: HttpRequest) -> dict:
    """What the app needs before its first API call: the user, their tenants, the URLs."""
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("tenant")
        .order_by("tenant__slug")
    )
    return {
        "user": request.user.get_username(),
        "tenants": [
            {"slug": m.tenant.slug, "name": m.tenant.name, "role": m.role} for m in memberships
        ],
        "base": reverse("builder:app", kwargs={"route": ""}),
        "api": "/api",
        "logout": reverse("builder:logout"),
    }


def boot_script(request: HttpRequest) -> str:
    # json.dumps + escaping "<" keeps the data inert inside <script> (like json_script).
    payload = json.dumps(boot_data(request)).replace("<", "\\u003c")
    return f'<script id="builder-boot" type="application/json">{payload}</script>'


@login_required(login_url=reverse_lazy("builder:login"))
@ensure_csrf_cookie
def app(request: HttpRequest, route: str = "") -> HttpResponse:
    """The single-page app (every /builder/ path); a clear page when it is not built."""
    index = dist_dir() / "index.html"
    if not index.is_file():
        context = {"dist": str(dist_dir()), "user": request.user.get_username()}
        return render(request, "builder/not_built.html", context, status=503)
    html = index.read_text(encoding="utf-8")
    html = html.replace(BOOT_MARKER, boot_script(request))
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store"
    return response


def asset(request: HttpRequest, path: str) -> HttpResponse:
    """A built asset (content-hashed file names, so cached for a year)."""
    root = dist_dir() / "assets"
    if not root.is_dir():
        raise Http404("The builder is not built.")
    try:
        response = serve(request, path, document_root=str(root))
    except SuspiciousFileOperation:  # a path leaving assets/
        raise Http404("No such asset.") from None
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


class BuilderLoginView(LoginView):
    template_name = "builder/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("builder:app", kwargs={"route": ""})


class BuilderLogoutView(LogoutView):
    next_page = reverse_lazy("builder:login")


__all__ = ["app", "asset", "BuilderLoginView", "BuilderLogoutView"]
