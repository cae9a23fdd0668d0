"""Apps depend downward only (issue 16). import-linter checks the imports; this checks that no
app reaches a model by its name instead (``apps.get_model``), which import-linter cannot see.
A lower app needing a higher one's figures declares a protocol the higher app registers (as
``orgs.roll`` and ``core.home`` do)."""

from __future__ import annotations

import re
from pathlib import Path

JICENG = Path(__file__).resolve().parent.parent / "jiceng"

# Undoing a merge of duplicate member records puts back the references it re-pointed: rows of
# whatever model pointed at the dropped record, recorded by label when merged (Django's own
# Collector walks relations the same way).
ALLOWED = {"members/duplicates/services.py"}


def test_no_app_looks_a_model_up_by_name():
    found = []
    for path in sorted(JICENG.rglob("*.py")):
        rel = path.relative_to(JICENG).as_posix()
        if "/migrations/" in rel or "/tests/" in rel or rel in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bget_model\(", line):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert found == []


def test_the_layers_contract_lists_every_app():
    import tomllib

    config = tomllib.loads((JICENG.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    apps = {p.name for p in JICENG.iterdir() if (p / "apps.py").exists()}
    assert {layer.removeprefix("jiceng.") for layer in contract["layers"]} == apps
