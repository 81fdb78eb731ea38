"""Production: PostgreSQL via CRM_DATABASE_URL, secrets from the environment."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
CRM_ENCRYPTION_KEY = os.environ["CRM_ENCRYPTION_KEY"]
