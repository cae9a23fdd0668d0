"""Each kind of import (``ImportJob.Kind``) and its importer; the engine reads only this."""

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
