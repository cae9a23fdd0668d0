"""The table of kinds: every kind of import has its importer, whose table names its key and
every required column."""

from __future__ import annotations

from jiceng.imports.kinds import IMPORTERS
from jiceng.imports.models import ImportJob


def test_every_kind_of_import_has_an_importer():
    assert set(IMPORTERS) == set(ImportJob.Kind.values)


def test_an_importer_requires_its_key_and_knows_every_required_column():
    for importer in IMPORTERS.values():
        assert importer.key_field in importer.required
        assert set(importer.required) <= set(importer.columns)
        assert importer.labels[importer.key_field] == importer.columns[importer.key_field][0]
