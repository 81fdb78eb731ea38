"""The embedded default: SQLite under data/, debug on, one machine, no keys."""

from .base import *  # noqa: F403

DEBUG = True
