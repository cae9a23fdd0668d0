"""Who is on the other end of a request, once for the whole site: the audit log's address and
the public pages' rate limit read it here.

Behind the TLS-terminating proxy every request comes from the proxy, so ``REMOTE_ADDR``
alone would give every entry of the audit log, and every public answer, the proxy's address.
"""

from __future__ import annotations

import ipaddress

import segno
from django.conf import settings


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_address(request: object) -> str:
    """The address a request came from: ``REMOTE_ADDR``, unless that is one of the site's own
    proxies (``settings.TRUSTED_PROXIES``); then the last address of ``X-Forwarded-For`` that
    is not a proxy (the addresses before it are whatever the client chose to send). Only an
    IP address is ever returned, because the audit log keeps it in an address column that
    refuses anything else: a garbled forwarded hop gives the proxy's own address, and a
    missing or malformed ``REMOTE_ADDR`` (a test client's placeholder) the empty string,
    stored as no address."""
    meta = getattr(request, "META", {})
    remote = str(meta.get("REMOTE_ADDR", "") or "")
    trusted = set(getattr(settings, "TRUSTED_PROXIES", ()))
    if remote in trusted:
        hops = [h.strip() for h in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        for hop in reversed([h for h in hops if h]):
            if hop not in trusted:
                return hop if _valid(hop) else remote
    return remote if _valid(remote) else ""


def qr_data_uri(text: str, *, scale: int = 3) -> str:
    """A QR code of ``text`` as an SVG data URI (segno): no image file, nothing sent
    elsewhere. Authenticator enrolment and the survey sheets draw theirs with it."""
    return segno.make(text, error="m").svg_data_uri(scale=scale, border=2)
