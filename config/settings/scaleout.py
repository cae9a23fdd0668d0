"""Settings of the scale-out on one machine (``scripts/scaleout.py``; docs/operations.md
"Scale-out"): the load test's (production's over plain HTTP on loopback) with ``default`` going
through pgbouncer in transaction pooling mode and a ``replica`` database (``DATABASE_REPLICA_URL``)
for the reads of safe requests. Never deploy it as is: a deployment takes production's and the
same two changes to its database settings.
"""

import os
from pathlib import Path

from .loadtest import *  # noqa: F403
from .loadtest import DATABASES

# pgbouncer in transaction mode hands each transaction to any server connection: no
# server-side cursors (they outlive a transaction), no prepared statements (psycopg 3 prepares
# a query after it ran 5 times on a connection), and no ``options`` startup parameter (jit is
# off in the cluster's configuration instead).
# The replica is reached directly (it has no pgbouncer here), so it keeps both.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options.pop("options", None)
_options["prepare_threshold"] = None

# The collected static files may be shared between runs (scripts/scaleout.py keeps them).
if os.environ.get("JICENG_STATIC_ROOT"):
    STATIC_ROOT = Path(os.environ["JICENG_STATIC_ROOT"])

# Which database served a page, in the response's headers (X-Jiceng-DB, X-Jiceng-DB-Queries).
DATABASE_ROUTE_HEADER = True
