"""The coverage chart of double pairing (S26): paired against unpaired needy people, stacked
per child unit, the very figures of the coverage (and of the table beside it)."""

from __future__ import annotations

import json
import re

from django.urls import reverse

from conftest import mark_verified
from jiceng.orgs.models import OrgType
from jiceng.outreach.pairings import selectors, services
from jiceng.outreach.pairings.models import Pairing
from jiceng.outreach.pairings.rules import PairingState
from jiceng.outreach.registry.models import NeedyPerson
from tests.factories import OrganizationFactory

from .conftest import register


def _chart(body: str) -> dict:
    found = re.search(
        r'<script id="pairings-by-unit" type="application/json">(.*?)</script>', body, re.S
    )
    assert found, "the page embeds the chart's data"
    return json.loads(found.group(1))


def _table(body: str) -> dict[str, tuple[int, int, int]]:
    """The coverage table as {unit id: (needy, paired, unpaired)}."""
    out = {}
    for unit, cells in re.findall(
        r'data-testid="coverage-row" data-unit="(\d*)">(.*?)</tr>', body, re.S
    ):
        numbers = re.findall(r'<td class="text-end">([\d,]+)</td>', cells)
        out[unit] = tuple(int(n.replace(",", "")) for n in numbers[:3])
    return out


def test_the_chart_stacks_paired_and_unpaired_as_the_coverage_counts(client, pw):
    small = pw.small
    # a's street: three people, one paired; a second street of a: one person, unpaired
    services.pairings_from_plan(actor=None, rows=[(pw.people[0].pk, pw.branch.pk, None)], plan_id=3)

    second = OrganizationFactory(
        parent=small.a.org, name="甲区二街道党工委", org_type=OrgType.STREET_COMMITTEE
    )
    register(second, "周阿婆", "甲区二街道长寿路5号")
    client.force_login(small.alice)
    mark_verified(client, small.alice)
    body = client.get(reverse("outreach:pairing-coverage"), {"under": small.a.org.pk})
    body = body.content.decode()
    chart = _chart(body)
    rows = selectors.coverage(small.alice, small.a.org)
    assert chart["categories"] == [r.name or r.key for r in rows]
    paired, unpaired = chart["series"]
    assert paired["name"] == "已结对"
    assert unpaired["name"] == "未结对"
    assert paired["data"] == [r.paired for r in rows]
    assert unpaired["data"] == [r.needy - r.paired for r in rows]
    # the figures are the registry's and the pairings' own counts
    active = NeedyPerson.objects.filter(path__startswith=small.a.org.path, status="active")
    confirmed = Pairing.objects.filter(
        state=PairingState.CONFIRMED, needy__path__startswith=small.a.org.path
    )
    assert sum(paired["data"]) == confirmed.count() == 1
    assert sum(paired["data"]) + sum(unpaired["data"]) == active.count() == 4
    by_street = dict(
        zip(chart["categories"], zip(paired["data"], unpaired["data"], strict=True), strict=True)
    )
    assert by_street[small.a.street.name] == (1, 2)
    assert by_street[second.name] == (0, 1)
    # the table beside it says the same
    table = _table(body)
    for r, p, u in zip(rows, paired["data"], unpaired["data"], strict=True):
        assert table[str(r.org_id)] == (p + u, p, u)
    assert 'data-chart-kind="stacked"' in body
