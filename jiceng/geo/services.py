"""Load the 2005 gazetteer (``geo/data/shanghai_2005.json``) into the database, idempotently."""

from __future__ import annotations

from django.db import transaction

from . import gazetteer
from .models import CoordSource, District, DivisionChange, Street


@transaction.atomic
def gazetteer_load() -> tuple[int, int, int]:
    """Upsert districts, streets and the history of changes. Returns the three counts."""
    n_streets = 0
    for d in gazetteer.districts_2005():
        District.objects.update_or_create(
            code=d.code,
            defaults={
                "name": d.name,
                "kind": d.kind,
                "lng": d.lng,
                "lat": d.lat,
                "coord_source": d.coord_source,
            },
        )
        for s in d.streets:
            Street.objects.update_or_create(
                code=s.code,
                defaults={
                    "name": s.name,
                    "kind": s.kind,
                    "district_id": d.code,
                    "lng": s.lng,
                    "lat": s.lat,
                    "coord_source": CoordSource.SYNTHETIC
                    if s.coord_source == "synthetic"
                    else s.coord_source,
                },
            )
            n_streets += 1
    events = gazetteer.history()
    for e in events:
        DivisionChange.objects.update_or_create(
            date=e.date,
            from_code=e.from_code,
            to_code=e.to_code,
            defaults={
                "from_name": e.from_name,
                "to_name": e.to_name,
                "event": e.event,
                "note": e.note[:300],
            },
        )
    return len(gazetteer.districts_2005()), n_streets, len(events)
