"""What guards the public pages, written once: single-use tokens derived from the server's key,
a rate limit per address (``core.clients.client_address``) through Django's cache (the
project's shared database cache), and a self-hosted arithmetic captcha (an image drawn with
Pillow, checked through a signed challenge; no foreign captcha service: it does not load in
China)."""

from __future__ import annotations

import base64
import hashlib
import io
import random
import secrets

from django.core import signing
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac

TOKEN_SALT = "jiceng.satisfaction.token"  # noqa: S105  (a salt, not a secret)
CAPTCHA_SALT = "jiceng.satisfaction.captcha"
# A captcha is answered within ten minutes, once.
CAPTCHA_MAX_AGE = 600
# The open link: at most this many submissions per address per window. Generous, since a
# housing estate or an office may share one public address behind its router.
RATE_LIMIT = 20
RATE_WINDOW = 3600


# ----- tokens ------------------------------------------------------------------------------------


def new_nonce() -> str:
    return secrets.token_hex(8)


def token_for(survey_id: int, nonce: str) -> str:
    """The printable token of ``nonce``: 24 characters of base32 (no 0/1/8/9 to misread),
    derived from the server's secret key, so the database alone cannot tell it."""
    digest = salted_hmac(TOKEN_SALT, f"{survey_id}:{nonce}", algorithm="sha256").digest()
    return base64.b32encode(digest[:15]).decode().lower()


def token_hash(token: str) -> str:
    """What is stored and looked up: SHA-256 of the token as typed (case folded)."""
    return hashlib.sha256(token.strip().lower().encode()).hexdigest()


# ----- rate limit ---------------------------------------------------------------------------------


def rate_limited(scope: str, address: str, *, limit: int | None = None) -> bool:
    """Count one attempt of ``address`` on ``scope``; ``True`` once it has made more than
    ``limit`` (default ``RATE_LIMIT``) within the window (which starts at its first attempt)."""
    if limit is None:
        limit = RATE_LIMIT
    key = "satisfaction:rate:" + hashlib.sha256(f"{scope}|{address}".encode()).hexdigest()
    if cache.add(key, 1, RATE_WINDOW):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, RATE_WINDOW)
        count = 1
    return count > limit


# ----- captcha ------------------------------------------------------------------------------------


def _operands(nonce: str) -> tuple[int, int]:
    digest = salted_hmac(CAPTCHA_SALT, nonce, algorithm="sha256").digest()
    return 1 + digest[0] % 9, 1 + digest[1] % 9


def captcha_new() -> str:
    """A new challenge: a signed, timestamped nonce. The answer is derived from it with the
    server's key, so it never appears in the page."""
    return signing.TimestampSigner(salt=CAPTCHA_SALT).sign(secrets.token_hex(8))


def _nonce(challenge: str, max_age: int = CAPTCHA_MAX_AGE) -> str | None:
    try:
        return signing.TimestampSigner(salt=CAPTCHA_SALT).unsign(challenge, max_age=max_age)
    except signing.BadSignature:
        return None


def captcha_answer(challenge: str) -> int | None:
    nonce = _nonce(challenge)
    if nonce is None:
        return None
    a, b = _operands(nonce)
    return a + b


def captcha_check(challenge: str, answer: str) -> bool:
    """Whether ``answer`` solves ``challenge``; a challenge is spent by its first check."""
    nonce = _nonce(challenge)
    if nonce is None:
        return False
    if not cache.add(f"satisfaction:captcha:{nonce}", 1, CAPTCHA_MAX_AGE):
        return False  # already used
    a, b = _operands(nonce)
    return constant_time_compare(str(a + b), (answer or "").strip())


def captcha_image(challenge: str) -> bytes | None:
    """The PNG of "a + b = ?" for ``challenge`` (digits only: Pillow's own font), with noise
    lines and jittered glyphs; ``None`` for a challenge that is not ours or has expired."""
    from PIL import Image, ImageDraw, ImageFont

    nonce = _nonce(challenge)
    if nonce is None:
        return None
    a, b = _operands(nonce)
    rng = random.Random(nonce)  # noqa: S311  (drawing noise, not a secret)
    width, height = 160, 56
    image = Image.new("RGB", (width, height), (246, 243, 236))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        draw.line(
            [(rng.randint(0, width), rng.randint(0, height)) for _ in range(2)],
            fill=(rng.randint(120, 200), rng.randint(120, 200), rng.randint(120, 200)),
            width=1,
        )
    font = ImageFont.load_default(size=30)
    x = 10
    for glyph in f"{a}+{b}=?":
        draw.text(
            (x, 10 + rng.randint(-5, 5)),
            glyph,
            font=font,
            fill=(rng.randint(20, 90), rng.randint(20, 60), rng.randint(20, 60)),
        )
        x += 22 + rng.randint(-2, 3)
    for _ in range(120):
        draw.point((rng.randint(0, width - 1), rng.randint(0, height - 1)), fill=(90, 90, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
