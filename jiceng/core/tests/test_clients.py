"""The address of a request, once for the site: behind the TLS proxy the audit log records the
client the proxy names, not the proxy, and a client cannot pass itself off as another."""

from __future__ import annotations

import pytest
from django.http import HttpResponse

from jiceng.core import audit
from jiceng.core.models import AuditEvent


@pytest.mark.parametrize(
    ("remote", "forwarded", "recorded"),
    [
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),  # through our proxy
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own claim ignored
        ("203.0.113.5", "198.51.100.7", "203.0.113.5"),  # not our proxy: its header ignored
    ],
)
def test_the_audit_log_records_the_client_behind_the_sites_proxy(
    db, rf, remote, forwarded, recorded
):
    def view(request):
        audit.record(
            actor=None,
            verb="create",
            object_type="test",
            object_id="1",
            object_repr="an audited write",
            org_path="",
        )
        return HttpResponse()

    request = rf.post("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    audit.AuditContextMiddleware(view)(request)
    assert AuditEvent.objects.get(object_repr="an audited write").ip_address == recorded
