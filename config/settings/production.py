"""Production settings: PostgreSQL, HTTPS, secrets from the environment only."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import FIELD_ENCRYPTION_KEYS, SECRET_KEY

DEBUG = False
if not SECRET_KEY or not FIELD_ENCRYPTION_KEYS or not os.environ.get("BLIND_INDEX_KEY"):
    raise ImproperlyConfigured("SECRET_KEY, FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY must be set")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "jiceng.core.storage.StaticStorage"},
}
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
