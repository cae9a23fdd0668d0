"""Settings for the test suite: SQLite in memory unless DATABASE_URL is set."""

import os
import tempfile
from pathlib import Path

import dj_database_url

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"
FIELD_ENCRYPTION_KEYS = ["dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMDAwMDA="]
BLIND_INDEX_KEY = "test-blind-index-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
    DATABASES["default"]["OPTIONS"] = {"options": PG_SESSION_OPTIONS}  # noqa: F405
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
            "OPTIONS": {"init_command": "PRAGMA foreign_keys=ON;"},
        }
    }
# One process: the memory cache (the database cache's table is still made by migrate).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
AXES_ENABLED = True
ALLOWED_HOSTS = ["*"]

IMPORT_ROOT = Path(tempfile.mkdtemp(prefix="jiceng-imports-"))
EXPORT_ROOT = Path(tempfile.mkdtemp(prefix="jiceng-exports-"))
ATTACHMENT_ROOT = Path(tempfile.mkdtemp(prefix="jiceng-attachments-"))
AUDIT_ARCHIVE_DIR = Path(tempfile.mkdtemp(prefix="jiceng-audit-archive-"))
