"""Templates obey the Content-Security-Policy (``style-src 'self'``, no inline script): no
``style`` attribute and no inline ``<script>`` body (data travels in ``json_script``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "jiceng").glob("*/templates/**/*.html"))


def test_there_are_templates():
    assert len(TEMPLATES) > 20


def test_no_inline_style_attributes():
    offenders = [
        str(t.relative_to(ROOT)) for t in TEMPLATES if re.search(r"\sstyle=", t.read_text())
    ]
    assert not offenders, offenders


def test_no_inline_script_bodies():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.IGNORECASE)
    offenders = [str(t.relative_to(ROOT)) for t in TEMPLATES if inline.search(t.read_text())]
    assert not offenders, offenders
