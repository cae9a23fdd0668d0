"""Sensitive fields at rest (DESIGN rule 3): encrypted, authenticated, rotatable; blind index."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from jiceng.core.crypto import blind_index, decrypt, encrypt

NEW_KEY = base64.urlsafe_b64encode(b"n" * 32).decode()


def test_round_trip_and_no_clear_text_in_the_token():
    token = encrypt("310230196203151234")
    assert "310230196203151234" not in token
    assert decrypt(token) == "310230196203151234"


def test_same_value_encrypts_differently_each_time():
    assert encrypt("13812345678") != encrypt("13812345678")


def test_tampered_token_is_refused(settings):
    token = encrypt("secret")
    body = token.rsplit(".", 1)[1]
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(ImproperlyConfigured):
        decrypt(token.rsplit(".", 1)[0] + "." + flipped)


def test_rotation_new_key_encrypts_old_key_still_decrypts(settings):
    old_token = encrypt("old")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, *settings.FIELD_ENCRYPTION_KEYS]
    new_token = encrypt("new")
    assert decrypt(old_token) == "old"
    assert decrypt(new_token) == "new"
    assert old_token.split(".")[1] != new_token.split(".")[1]
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(ImproperlyConfigured):
        decrypt(old_token)


def test_blind_index_is_stable_and_separates_purposes():
    a = blind_index("310101195806051234", purpose="id_number")
    assert a == blind_index("310101195806051234", purpose="id_number")
    assert a != blind_index("310101195806051234", purpose="phone")
    assert "310101" not in a


def test_blind_index_is_hmac_sha256_of_the_purpose_key(settings):
    """Stored indexes stay valid across releases: the index is HMAC-SHA256 under
    sha256("<BLIND_INDEX_KEY>:<purpose>"), hex, first 40 characters."""
    import hashlib
    import hmac

    settings.BLIND_INDEX_KEY = "test-key"
    key = hashlib.sha256(b"test-key:id_number").digest()
    expected = hmac.new(key, b"310101195806051234", hashlib.sha256).hexdigest()[:40]
    assert blind_index("310101195806051234", purpose="id_number") == expected
