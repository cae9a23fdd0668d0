"""Background tasks of the glue: ``probe``, a task that says which worker ran it."""

from __future__ import annotations

import os
import socket
import time

from django_tasks import task


@task()
def probe(seconds: float = 0.0) -> dict[str, object]:
    """Sleep ``seconds`` (at most 60) and return the host and process of the worker: enqueue
    it to see that a worker runs tasks end to end (and, in the scale-out test, which one)."""
    time.sleep(max(0.0, min(float(seconds), 60.0)))
    return {"host": socket.gethostname(), "pid": os.getpid()}
