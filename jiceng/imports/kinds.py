"""Each kind of import (``ImportJob.Kind``) and its importer; the engine reads only this.

The kinds of the roll (members, organisations) are this app's own. An app above imports in
the layers registers its kind from its ``AppConfig.ready()`` with :func:`register` (the
needy-people registry, ``jiceng.outreach.registry.importer``), so that the engine never names
it and never branches on the kind.
"""

from __future__ import annotations

from typing import Any

from .importer import Importer
from .members import MemberImporter
from .models import ImportJob
from .organizations import OrganizationImporter

IMPORTERS: dict[str, Importer[Any]] = {
    ImportJob.Kind.MEMBER: MemberImporter(),
    ImportJob.Kind.ORGANIZATION: OrganizationImporter(),
}


def register(kind: str, importer: Importer[Any]) -> None:
    """Add the importer of ``kind`` (one of ``ImportJob.Kind``), once, at start-up."""
    if kind not in ImportJob.Kind.values:
        raise ValueError(f"{kind!r} is not an ImportJob.Kind")
    IMPORTERS[kind] = importer
