"""gunicorn settings for jiceng (``gunicorn -c config/gunicorn.conf.py config.wsgi``).

Sync workers, two per core plus one (gunicorn's own rule of thumb): each request is short and
holds one database connection; long work (imports, exports, plans) runs in the task worker.
Every setting can be overridden from the environment (``WEB_WORKERS``, ``BIND``...).
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None  # "" turns it off
errorlog = "-"
# Behind a TLS-terminating proxy on the same host, trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "jiceng-web"
