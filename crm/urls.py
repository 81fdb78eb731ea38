"""CRM URL routes."""

from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path

from crm.api.api import api


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("health", health),
    path("hooks/", include("crm.triggers.urls")),  # webhook triggers
    path("builder/", include("crm.builder.urls")),
    path("ops/", include("crm.ops.urls")),  # the Dagster UI, for platform operators
]
