"""Settings for `make demo` and development: embedded SQLite under var/, debug on."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = os.environ.get("DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("SECRET_KEY") or "local-development-only-not-secret"
# Demo keys: fixed so the demo database stays readable across restarts. Never used in production.
FIELD_ENCRYPTION_KEYS = [
    os.environ.get("FIELD_ENCRYPTION_KEYS") or "ZGVtby1rZXktZGVtby1rZXktZGVtby1rZXktMDAwMDA="
]
BLIND_INDEX_KEY = os.environ.get("BLIND_INDEX_KEY") or "demo-blind-index-key"
VAR_DIR.mkdir(parents=True, exist_ok=True)
