"""/builder/: sign in and out, the built assets, and the app for every other path."""

from django.urls import path, re_path

from . import views

app_name = "builder"

urlpatterns = [
    path("login/", views.BuilderLoginView.as_view(), name="login"),
    path("logout/", views.BuilderLogoutView.as_view(), name="logout"),
    re_path(r"^assets/(?P<path>.+)$", views.asset, name="asset"),
    re_path(r"^(?P<route>.*)$", views.app, name="app"),
]
