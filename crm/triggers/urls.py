"""Webhook ingress routes (mounted at /hooks/)."""

from django.urls import path

from .views import webhook

urlpatterns = [path("<str:key>", webhook, name="webhook")]
