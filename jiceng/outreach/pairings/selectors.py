"""Every read of double pairing (S26), from ``visible_to``: the pairings a user sees, one
pairing, the units a pairing may be made with, and the coverage of a subtree by street or by
district (grouped queries on the path prefix, whatever the size of the subtree)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from jiceng.core import tree
from jiceng.core.scoping import Action, get_visible_or_404
from jiceng.orgs.models import Organization

from ..registry.models import NeedyPerson
from ..registry.rules import NeedyStatus
from .models import Pairing, UnitPairing
from .rules import OPEN_STATES, PAIRING_BRANCH_TYPES, PairingState


def pairing_list(
    user: Any,
    *,
    under: Organization | None = None,
    state: str = "",
    street: Organization | None = None,
    branch: Organization | None = None,
) -> QuerySet[Pairing]:
    """The pairings the user sees (of people of their streets, or of their branches)."""
    rows = Pairing.objects.visible_to(user)
    if under is not None:
        rows = rows.filter(Q(path__startswith=under.path) | Q(branch_path__startswith=under.path))
    if state:
        rows = rows.filter(state=state)
    if street is not None:
        rows = rows.filter(path__startswith=street.path)
    if branch is not None:
        rows = rows.filter(branch_path__startswith=branch.path)
    return rows.select_related("needy", "branch").order_by("path", "-id")


def pairing_get(user: Any, pk: int, action: str = Action.VIEW) -> Pairing:
    return get_visible_or_404(
        Pairing.objects.select_related("needy", "branch", "created_by"), user, action, pk=pk
    )


def current_pairing(user: Any, needy: NeedyPerson) -> Pairing | None:
    """The person's open pairing (proposed or confirmed), if the user sees it."""
    return (
        Pairing.objects.visible_to(user)
        .filter(needy=needy, state__in=OPEN_STATES)
        .select_related("branch")
        .first()
    )


def unit_pairing_list(
    user: Any, *, under: Organization | None = None, state: str = "", partner_kind: str = ""
) -> QuerySet[UnitPairing]:
    rows = UnitPairing.objects.visible_to(user)
    if under is not None:
        rows = rows.filter(Q(path__startswith=under.path) | Q(partner_path__startswith=under.path))
    if state:
        rows = rows.filter(state=state)
    if partner_kind:
        rows = rows.filter(partner_kind=partner_kind)
    return rows.select_related("org", "partner").order_by("path", "-id")


def unit_pairing_get(user: Any, pk: int, action: str = Action.VIEW) -> UnitPairing:
    return get_visible_or_404(
        UnitPairing.objects.select_related("org", "partner", "created_by"), user, action, pk=pk
    )


def pairable_needy(user: Any) -> QuerySet[NeedyPerson]:
    """Active registrations the user may pair (change rights over their street), unpaired."""
    return (
        NeedyPerson.objects.visible_to(user, Action.CHANGE)
        .filter(status=NeedyStatus.ACTIVE, merged_into__isnull=True)
        .exclude(pairings__state__in=OPEN_STATES)
        .order_by("path", "name_pinyin")
    )


def pairable_branches(user: Any) -> QuerySet[Organization]:
    return Organization.objects.visible_to(user, Action.CHANGE).filter(
        org_type__in=PAIRING_BRANCH_TYPES, abolished_on__isnull=True
    )


# ----- coverage ----------------------------------------------------------------------------------


@dataclass
class Coverage:
    """One unit's coverage (S26): active needy people and how many are paired (confirmed),
    branches and how many pair, confirmed unit pairings and the partners they cover."""

    key: str
    name: str = ""
    org_id: int | None = None
    needy: int = 0
    paired: int = 0
    branches: int = 0
    branches_pairing: int = 0
    unit_pairings: int = 0
    partners: int = 0

    @property
    def unpaired(self) -> int:
        return self.needy - self.paired

    @property
    def paired_percent(self) -> float | None:
        return round(100 * self.paired / self.needy, 1) if self.needy else None

    @property
    def branches_percent(self) -> float | None:
        return round(100 * self.branches_pairing / self.branches, 1) if self.branches else None


COUNTS = ("needy", "paired", "branches", "branches_pairing", "unit_pairings", "partners")


def _grouped(qs: QuerySet[Any], field: str, length: int, **aggregates: Any) -> list[dict]:
    return list(
        qs.annotate(unit=Substr(field, 1, length))
        .values("unit")
        .annotate(**aggregates)
        .order_by("unit")
    )


def coverage(user: Any, under: Organization, *, depth: int | None = None) -> list[Coverage]:
    """Coverage per unit at ``depth`` under ``under`` (default: one level down; 2 groups by
    district, 3 by street), each figure one grouped query over what the user sees. A row
    placed above ``depth`` (at ``under`` itself) is counted on ``under``'s own row."""
    level = depth if depth and depth > under.depth else under.depth + 1
    length = level * tree.STEP
    below = under.path
    by_key: dict[str, Coverage] = {}

    def put(rows: list[dict], **names: str) -> None:
        for row in rows:
            item = by_key.setdefault(row["unit"], Coverage(key=row["unit"]))
            for attr, column in names.items():
                setattr(item, attr, row[column])

    people = NeedyPerson.objects.visible_to(user).filter(
        path__startswith=below, status=NeedyStatus.ACTIVE, merged_into__isnull=True
    )
    put(
        _grouped(
            people,
            "path",
            length,
            n=Count("id", distinct=True),
            p=Count("pairings", filter=Q(pairings__state=PairingState.CONFIRMED), distinct=True),
        ),
        needy="n",
        paired="p",
    )
    branches = Organization.objects.visible_to(user).filter(
        path__startswith=below, org_type__in=PAIRING_BRANCH_TYPES, abolished_on__isnull=True
    )
    put(_grouped(branches, "path", length, n=Count("id")), branches="n")
    pairing = Pairing.objects.visible_to(user).filter(
        branch_path__startswith=below, state=PairingState.CONFIRMED
    )
    put(
        _grouped(pairing, "branch_path", length, n=Count("branch_id", distinct=True)),
        branches_pairing="n",
    )
    units = UnitPairing.objects.visible_to(user).filter(
        partner_path__startswith=below, state=PairingState.CONFIRMED
    )
    put(
        _grouped(
            units, "partner_path", length, n=Count("id"), p=Count("partner_id", distinct=True)
        ),
        unit_pairings="n",
        partners="p",
    )
    names = {
        path: (name, pk)
        for path, name, pk in Organization.objects.filter(path__in=list(by_key)).values_list(
            "path", "name", "pk"
        )
    }
    out = []
    for key in sorted(by_key):
        item = by_key[key]
        item.name, item.org_id = names.get(key, ("", None))
        out.append(item)
    return out


def coverage_total(rows: list[Coverage]) -> Coverage:
    total = Coverage(key="")
    for row in rows:
        for attr in COUNTS:
            setattr(total, attr, getattr(total, attr) + getattr(row, attr))
    return total


def coverage_chart(rows: list[Coverage]) -> dict[str, Any]:
    """The coverage as stacked bars per unit: paired and unpaired needy people (together the
    active needy people of the unit), the same figures as the table's."""
    return {
        "categories": [r.name or r.key for r in rows],
        "series": [
            {"name": _("已结对"), "data": [r.paired for r in rows], "color": "#2e7d32"},
            {"name": _("未结对"), "data": [r.unpaired for r in rows], "color": "#f9a825"},
        ],
    }


def streets(user: Any) -> QuerySet[Organization]:
    """The streets and towns the user sees (the list's filter)."""
    from ..registry.services import STREET_TYPES

    return (
        Organization.objects.visible_to(user)
        .filter(org_type__in=STREET_TYPES, abolished_on__isnull=True)
        .order_by("path")
    )
