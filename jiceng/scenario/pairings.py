"""Demo double pairing (双结对, S26): the active needy people paired with branches of their
street, and units' party organisations paired with residential areas and two-new organisations.

**Needy people.** S26: about 87,000 needy people were paired with the city's branches. Every
active registration (built by ``scenario.outreach``) is paired at city scale; in the tiny and demo
worlds one in ten (``UNPAIRED_SHARE``) is left unpaired so a pairing plan has work to do. A
person visited by a branch in the year of visits is paired with the branch that visited them most
(the visits stay consistent: the branch visits the people it is paired with); the others are
paired with the nearest branches of their street that still have seats by ``jiceng.optimize.pair``
(``PEOPLE_PER_BRANCH`` a branch, at most; all people of a street are reachable). Of the pairings
about 3 % are still proposed (waiting for the branch's confirmation, so the demo shows the
button); the rest are confirmed, started between the person's registration and the demo's day,
and the person's ``paired_path`` is the branch's. At city scale that is about 78,000 pairings
(all active people), at demo scale about 930, in the tiny world about 25.

**Units.** S26: 15,000+ units' party organisations were paired with residential areas or two-new
organisations. The partners are the street-community (居民区) and two-new branches; about one in
four (``PARTNER_SHARE``, 25 %) is paired with a unit's party organisation (a primary committee
or branch of an enterprise, a university, a hospital, an agency: any sector but the partners'
own and the towns'), the nearest with a seat (``pair`` again). The units lie in a few central
districts (at city scale about 900 organisations in 4 districts), so a partner is paired across
district lines, as the city's agencies and enterprises pair with suburban villages (城乡结对):
about 15,300 at city scale (of 61,776 partners on the map), and proportionally fewer at the
smaller scales. All confirmed, a few proposed.

Everything is written with bulk inserts and one UPDATE for the paired paths; one audit row.
Same database, same seed, same data.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable

import numpy as np
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from jiceng.core import audit, tree
from jiceng.optimize import pair
from jiceng.orgs.models import Organization, OrgType, Sector
from jiceng.outreach.pairings.models import Pairing, UnitPairing
from jiceng.outreach.pairings.rules import (
    PAIRING_BRANCH_TYPES,
    PEOPLE_PER_BRANCH,
    PairingSource,
    PairingState,
    partner_kind_of,
)
from jiceng.outreach.pairings.services import set_paired_paths
from jiceng.outreach.registry.models import NeedyPerson
from jiceng.outreach.registry.rules import NeedyStatus
from jiceng.outreach.visits.models import Visit
from jiceng.outreach.visits.rules import TargetKind

from .outreach import last_day

Progress = Callable[[str, int, int], None]

UNPAIRED_SHARE = {"tiny": 0.10, "demo": 0.10, "city": 0.0}
PROPOSED_SHARE = 0.03
PARTNER_SHARE = 0.25  # S26: 15,000+ of the city's 61,776 residential and two-new branches
PARTNER_SECTORS = (Sector.STREET_COMMUNITY, Sector.NEW_ECONOMIC, Sector.NEW_SOCIAL)
UNIT_PAIRED_FROM = dt.date(2004, 3, 1)
CHUNK = 5_000
STREET_DEPTH = tree.DISTRICT_DEPTH + 1


def is_built() -> bool:
    """Whether pairing data is already there (the part refuses to run twice)."""
    return Pairing.objects.exists() or UnitPairing.objects.exists()


def _day(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    if hi <= lo:
        return hi
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


class PairingBuilder:
    def __init__(self, scale: str, seed: int, progress: Progress) -> None:
        self.scale = scale
        self.rng = random.Random(seed * 131 + 26)
        self.progress = progress
        self.end = last_day()
        self.now = timezone.now()
        self.counts: dict[str, int] = defaultdict(int)

    # ----- needy people ------------------------------------------------------------------------
    def people(self) -> list[tuple[int, str, float | None, float | None, dt.datetime]]:
        rows = list(
            NeedyPerson.objects.filter(status=NeedyStatus.ACTIVE, merged_into__isnull=True)
            .order_by("path", "id")
            .values_list("id", "path", "lat", "lng", "registered_at")
        )
        share = UNPAIRED_SHARE.get(self.scale, 0.0)
        return [r for r in rows if self.rng.random() >= share]

    def visiting_branch(self) -> dict[int, int]:
        """Each needy person's most frequent visiting branch (ties: the lower id)."""
        counts: dict[int, Counter[int]] = defaultdict(Counter)
        for needy_id, org_id, n in (
            Visit.objects.filter(target_kind=TargetKind.NEEDY, needy__isnull=False)
            .values("needy_id", "org_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("needy_id", "org_id", "n")
            .iterator(chunk_size=CHUNK)
        ):
            counts[needy_id][org_id] += n
        return {k: max(c.items(), key=lambda kv: (kv[1], -kv[0]))[0] for k, c in counts.items()}

    def pair_people(self) -> list[Pairing]:
        people = self.people()
        branches = {
            pk: (path, lat, lng)
            for pk, path, lat, lng in Organization.objects.filter(
                org_type__in=PAIRING_BRANCH_TYPES, abolished_on__isnull=True
            ).values_list("id", "path", "lat", "lng")
        }
        visited = self.visiting_branch()
        load: Counter[int] = Counter()
        chosen: dict[int, int] = {}
        rest = []
        for row in people:
            branch = visited.get(row[0], 0)
            same_street = branch in branches and branches[branch][0].startswith(row[1])
            if same_street and load[branch] < PEOPLE_PER_BRANCH:
                chosen[row[0]] = branch
                load[branch] += 1
            else:
                rest.append(row)
        self.progress("pairings", len(chosen), len(people))
        street_branches = [
            (pk, path, lat, lng)
            for pk, (path, lat, lng) in branches.items()
            if tree.depth(path) > STREET_DEPTH and lat is not None and lng is not None
        ]
        placed = [r for r in rest if r[2] is not None and r[3] is not None]
        if placed and street_branches:
            result = pair(
                [(float(r[2] or 0), float(r[3] or 0)) for r in placed],
                [(float(b[2] or 0), float(b[3] or 0)) for b in street_branches],
                np.array([max(0, PEOPLE_PER_BRANCH - load[b[0]]) for b in street_branches]),
                people_district=[r[1][: STREET_DEPTH * tree.STEP] for r in placed],
                branch_district=[b[1][: STREET_DEPTH * tree.STEP] for b in street_branches],
            )
            for i, j in enumerate(result.branch.tolist()):
                if j >= 0:
                    chosen[placed[i][0]] = street_branches[j][0]
        distance = {}
        pairings = []
        for pk, path, lat, lng, registered_at in people:
            if pk not in chosen:
                continue
            branch = chosen[pk]
            bpath, blat, blng = branches[branch]
            if None not in (lat, lng, blat, blng):
                distance[pk] = _metres(lat, lng, blat, blng)  # type: ignore[arg-type]
            proposed = self.rng.random() < PROPOSED_SHARE
            start = _day(self.rng, registered_at.date(), self.end)
            pairings.append(
                Pairing(
                    needy_id=pk,
                    branch_id=branch,
                    path=path,
                    branch_path=bpath,
                    distance_m=distance.get(pk),
                    state=PairingState.PROPOSED if proposed else PairingState.CONFIRMED,
                    source=PairingSource.MANUAL,
                    started_on=None if proposed else start,
                    created_at=self.now,
                    updated_at=self.now,
                )
            )
        return pairings

    # ----- units ------------------------------------------------------------------------------
    def pair_units(self) -> list[UnitPairing]:
        partners = [
            row
            for row in Organization.objects.filter(
                sector__in=PARTNER_SECTORS,
                org_type__in=PAIRING_BRANCH_TYPES,
                abolished_on__isnull=True,
                lat__isnull=False,
                lng__isnull=False,
            )
            .order_by("path")
            .values_list("id", "path", "sector", "district_id", "lat", "lng")
            if self.rng.random() < PARTNER_SHARE
        ]
        # A unit's party organisation: a primary committee or branch outside the partners'
        # own sectors and the towns'.
        orgs = [
            row
            for row in Organization.objects.filter(
                org_type__in=(OrgType.PRIMARY_COMMITTEE, OrgType.BRANCH),
                abolished_on__isnull=True,
                lat__isnull=False,
                lng__isnull=False,
            )
            .exclude(sector=Sector.TOWN)
            .order_by("path")
            .values_list("id", "path", "sector", "district_id", "lat", "lng")
            if partner_kind_of(row[2]) is None
        ]
        if not partners or not orgs:
            return []
        per_org = math.ceil(2 * len(partners) / len(orgs)) + 1
        result = pair(
            [(p[4], p[5]) for p in partners],
            [(o[4], o[5]) for o in orgs],
            per_org,
        )
        out = []
        for i, j in enumerate(result.branch.tolist()):
            if j < 0:
                continue
            partner, org = partners[i], orgs[j]
            proposed = self.rng.random() < PROPOSED_SHARE
            out.append(
                UnitPairing(
                    org_id=org[0],
                    partner_id=partner[0],
                    partner_kind=partner_kind_of(partner[2]) or "",
                    path=org[1],
                    partner_path=partner[1],
                    state=PairingState.PROPOSED if proposed else PairingState.CONFIRMED,
                    source=PairingSource.MANUAL,
                    started_on=None if proposed else _day(self.rng, UNIT_PAIRED_FROM, self.end),
                    created_at=self.now,
                    updated_at=self.now,
                )
            )
        return out

    def build(self) -> dict[str, int]:
        pairings = self.pair_people()
        for i in range(0, len(pairings), CHUNK):
            Pairing.objects.bulk_create(pairings[i : i + CHUNK])
            self.progress("pairings", min(i + CHUNK, len(pairings)), len(pairings))
        set_paired_paths(Pairing.objects.filter(state=PairingState.CONFIRMED))
        units = self.pair_units()
        UnitPairing.objects.bulk_create(units, batch_size=CHUNK)
        self.progress("unit pairings", len(units), len(units))
        self.counts["pairings"] = len(pairings)
        self.counts["unit pairings"] = len(units)
        return dict(self.counts)


def _metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine), rounded to the metre."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * 6_371_000 * math.asin(math.sqrt(a)))


@transaction.atomic
def build_pairings(
    scale: str = "demo", seed: int = 2005, progress: Progress | None = None
) -> dict[str, int]:
    """The demo's pairings (S26), in one transaction; refuses to run when there are some."""
    if is_built():
        raise RuntimeError("pairing data already exists")
    counts = PairingBuilder(scale, seed, progress or (lambda *_: None)).build()
    root = Organization.objects.filter(depth=1).order_by("path").values_list("path", flat=True)
    audit.record(
        actor=None,
        verb="create",
        object_type="scenario",
        object_id="pairings",
        object_repr=f"scenario pairings {scale} seed {seed}",
        org_path=root.first() or "",
        note=", ".join(f"{n} {what}" for what, n in counts.items()),
    )
    return counts
