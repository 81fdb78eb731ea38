"""/ops/: the Dagster UI behind the CRM's authentication (see crm.ops.views)."""

from django.urls import path, re_path

from . import views

app_name = "ops"

urlpatterns = [
    path("dagster-auth", views.dagster_auth, name="dagster-auth"),  # nginx auth_request
    path("dagster", views.dagster_root, name="dagster-root"),
    re_path(r"^dagster/(?P<subpath>.*)$", views.dagster_proxy, name="dagster"),
]
