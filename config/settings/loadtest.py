"""Production settings served over plain HTTP on loopback, for the load test only
(``bench/load.py``): no HTTPS redirect and no Secure-only cookies, since the test client talks
to gunicorn on 127.0.0.1 without the TLS proxy a deployment has in front. Everything else
(DEBUG off, WhiteNoise's manifest storage, every middleware) is production's. Never deploy it.
"""

from .production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
