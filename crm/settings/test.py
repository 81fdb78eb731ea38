"""Settings for the test suite: a throwaway SQLite file (shared with Dagster run processes)."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import database_from_env, sqlite_database

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
_test_dir = Path(os.environ.get("CRM_TEST_DATA_DIR", tempfile.gettempdir()))
DATABASES = {
    "default": database_from_env()
    if os.environ.get("CRM_DATABASE_URL")
    else sqlite_database(_test_dir / "crm-test.sqlite3")
}
# A file, not ":memory:", so that Dagster run processes and threads see the test data.
DATABASES["default"].setdefault("TEST", {})
# The test database is NAME itself (a throwaway: a temporary SQLite file, or the PostgreSQL
# database named in CRM_DATABASE_URL), so subprocesses started by tests (the CLI, dagster,
# Celery workers) see the test data.
DATABASES["default"]["TEST"]["NAME"] = DATABASES["default"]["NAME"]
