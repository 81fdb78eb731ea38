"""Set Django up once inside non-Django processes (Dagster code server, run workers, CLI)."""

import os

_done = False


def setup_django() -> None:
    """Configure Django (settings from DJANGO_SETTINGS_MODULE, default: the embedded default)."""
    global _done
    if _done:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.dev")
    import django

    django.setup()
    _done = True
