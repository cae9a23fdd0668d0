"""QR codes of token links, drawn by segno (already used for authenticator enrolment) as SVG
data URIs: no image files, nothing sent elsewhere."""

from __future__ import annotations

import segno


def svg_data_uri(text: str, *, scale: int = 3) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=scale, border=2)
