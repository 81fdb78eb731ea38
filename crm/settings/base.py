"""Settings shared by every environment."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("CRM_DATA_DIR", BASE_DIR / "data"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "embedded-default-not-for-production")
# Key for encrypting tenant secrets at rest (Fernet, urlsafe base64 of 32 bytes).
# When unset it is derived from SECRET_KEY (fine for the embedded default only).
CRM_ENCRYPTION_KEY = os.environ.get("CRM_ENCRYPTION_KEY", "")
DEBUG = False
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crm.tenants",
    "crm.records",
    "crm.workflows",
    "crm.ai",
    "ninja",  # serves the API docs' Swagger UI from local static files (no CDN)
    "crm.api",
    "crm.builder",  # the React Flow builder (frontend/dist) at /builder/
    "crm.triggers",  # webhook endpoints and events, trigger deliveries
    "crm.ops",  # the Dagster UI behind the CRM's login, for platform operators (/ops/dagster/)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def sqlite_database(path: Path) -> dict:
    """A SQLite database tuned for several processes (Django, Dagster runs) writing at once."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Keep each server thread's connection: opening one costs more than most requests
        # (and closing the last one checkpoints the WAL), about 10 ms against 2 ms for a webhook.
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


def database_from_url(url: str) -> dict:
    """Django database settings from postgresql://user:password@host:port/name."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if not parsed.scheme.startswith("postgres"):
        raise ValueError(f"unsupported database URL scheme {parsed.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parsed.path.lstrip("/"),
        "USER": parsed.username or "",
        "PASSWORD": parsed.password or "",
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": {},
    }


def database_from_env() -> dict:
    """PostgreSQL when CRM_DATABASE_URL is set (postgresql://user@host:port/name), else SQLite."""
    url = os.environ.get("CRM_DATABASE_URL", "")
    return database_from_url(url) if url else sqlite_database(DATA_DIR / "crm.sqlite3")


DATABASES = {"default": database_from_env()}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The built builder app (`npm run build` in frontend/), served by crm.builder at /builder/.
BUILDER_DIST_DIR = Path(os.environ.get("BUILDER_DIST_DIR", BASE_DIR / "frontend" / "dist"))

# Where Dagster's UI is reachable, for links from executions to runs.
DAGSTER_UI_URL = os.environ.get("DAGSTER_UI_URL", "http://127.0.0.1:3000")
# The Dagster webserver as the CRM reaches it (loopback; code-location reloads after a publish
# go there), including its --path-prefix. In production the prefix must be /ops/dagster:
# /ops/dagster/... is forwarded there for platform operators (crm.ops). The embedded default
# (no prefix, the UI on loopback) uses DAGSTER_UI_URL.
DAGSTER_WEBSERVER_URL = os.environ.get("DAGSTER_WEBSERVER_URL", DAGSTER_UI_URL).rstrip("/")

# The JSON API (crm.api): list endpoints page with limit/offset up to this many items.
API_PAGE_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
