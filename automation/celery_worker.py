"""Imported by every Celery worker (dagster-celery `include`): set Django up once per worker."""

from crm.django_setup import setup_django

setup_django()
