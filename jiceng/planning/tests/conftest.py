"""The planning tests' own world: a sector committee whose dispersed members live in two
districts (``factories.sector_world``) and its officer."""

from __future__ import annotations

import pytest

from .factories import SectorWorld, sector_world


@pytest.fixture
def sector(small) -> SectorWorld:
    return sector_world(small)


@pytest.fixture
def officer(sector):
    return sector.officer
