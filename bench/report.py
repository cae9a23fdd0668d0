"""Writes one section of bench/BENCHMARKS.md, keeping the others."""

from __future__ import annotations

from pathlib import Path

PATH = Path(__file__).resolve().parent / "BENCHMARKS.md"
TITLE = "# Benchmarks"
INTRO = "Measured by `make bench` (`bench/*.py`); raw numbers in `bench/results/*.json`."


def write_section(heading: str, lines: list[str]) -> None:
    """Replace (or add) the ``## heading`` section with ``lines``."""
    text = PATH.read_text() if PATH.exists() else f"{TITLE}\n\n{INTRO}\n"
    parts = text.split("\n## ")
    head, sections = parts[0], parts[1:]
    body = "\n".join([heading, "", *lines]).rstrip() + "\n"
    kept = [s for s in sections if not s.startswith(heading)]
    ordered = (
        [*kept, body]
        if len(kept) == len(sections)
        else [body if s.startswith(heading) else s for s in sections]
    )
    PATH.write_text("\n## ".join([head.rstrip() + "\n", *[s.rstrip() + "\n" for s in ordered]]))
