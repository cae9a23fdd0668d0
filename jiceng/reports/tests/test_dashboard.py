"""The officer's dashboard and map (issue 22 item 2): the figures of every app for the
officer's subtree on the home page (loaded after the page), each leading to exactly the rows it
counts (S29's traceability), groups without data left out, the map's colours from the same
grouped counts, scoping (another district's unit is a 404), the self-service member without a
panel, and the counts cached under the writes' generations."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.urls import reverse

from jiceng.core import tree
from jiceng.members.models import Member
from jiceng.orgs.models import Organization
from jiceng.reports import dashboard
from jiceng.reports.figures import BY_KEY

pytestmark = pytest.mark.django_db

FIGURE = re.compile(
    r'href="(?P<href>[^"]+)" data-testid="dashboard-figure" data-key="(?P<key>[^"]+)" '
    r'data-count="(?P<count>\d+)"'
)


def panel_html(client: Any, org: Organization | None = None) -> str:
    query = {"under": org.pk} if org else {}
    response = client.get(reverse("reports:dashboard-panel"), query, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def figures_of(html: str) -> dict[str, tuple[int, str]]:
    return {
        m["key"]: (int(m["count"]), m["href"].replace("&amp;", "&")) for m in FIGURE.finditer(html)
    }


def map_data(html: str) -> dict[str, Any]:
    found = re.search(
        r'<script id="dashboard-map-data" type="application/json">(.*?)</script>', html
    )
    assert found, "the panel has a map"
    return json.loads(found.group(1))


def rows_count(client: Any, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, href
    found = re.search(r'data-testid="rows-count" data-count="(\d+)"', response.content.decode())
    assert found, href
    return int(found.group(1))


def test_home_page_loads_the_panel_of_the_officers_top_unit(client, login, world):
    login("huangpu.officer")
    body = client.get(reverse("core:home")).content.decode()
    assert 'data-testid="dashboard"' in body
    slot = f'hx-get="{reverse("reports:dashboard-panel")}?under={world.huangpu.pk}"'
    assert slot in body  # loaded after the page, not counted with it
    assert 'data-testid="dashboard-roots"' not in body  # one top unit: no switch


def test_panel_numbers_equal_their_rows_pages_counts(client, login, world):
    """Every number of the city's panel leads to a list of exactly that many rows."""
    login("city.admin")
    figures = figures_of(panel_html(client))
    assert {"members.on_roll", "members.placed", "campaign.units", "outreach.visits"} <= set(
        figures
    )
    assert figures["members.on_roll"][0] == Member.objects.on_roll().count()
    for key, (count, href) in figures.items():
        assert rows_count(client, href) == count, key


def test_a_districts_numbers_lead_to_its_rows(client, login, world):
    login("huangpu.officer")
    figures = figures_of(panel_html(client))
    on_roll, href = figures["members.on_roll"]
    assert (
        on_roll == Member.objects.on_roll().filter(home_path__startswith=world.huangpu.path).count()
    )
    assert f"under={world.huangpu.pk}" in href
    assert rows_count(client, href) == on_roll


def test_outsider_gets_404_for_another_districts_unit(client, login, world):
    login("xuhui.officer")
    huangpu = {"under": world.huangpu.pk}
    assert client.get(reverse("reports:dashboard-panel"), huangpu).status_code == 404
    assert client.get(reverse("reports:dashboard"), huangpu).status_code == 404
    rows = reverse("reports:figure-rows", args=["members.on_roll"])
    assert client.get(rows, huangpu).status_code == 404
    assert client.get(rows, {"under": "x"}).status_code == 404
    assert client.get(reverse("reports:figure-rows", args=["no.such"])).status_code == 404
    # their own district is theirs
    own = {"under": world.xuhui.pk}
    assert client.get(reverse("reports:dashboard"), own).status_code == 200
    assert rows_count(client, f"{rows}?under={world.xuhui.pk}") > 0


def test_a_group_without_data_is_not_shown(client, login, world):
    """The tiny world is built without the public's voice: no petitions, no surveys, so no
    民意 group (and no 0 件); once a petition is received, the group shows it."""
    login("huangpu.officer")
    html = panel_html(client)
    groups = re.findall(r'data-testid="dashboard-group" data-group="(\w+)"', html)
    assert "members" in groups
    assert "voice" not in groups
    assert "petitions.received" not in figures_of(html)
    assert "on_time_share" not in html  # nor a colour of the map

    from jiceng.petitions import services as petitions

    window, _campaign = dashboard.current_window()
    petitions.petition_register(
        actor=None,
        intake_org=world.branch_in(world.huangpu),
        channel="visit",
        received_on=window.end,
        petitioner_name="张三",
        subject="楼道照明",
        category="land",
        body="agency",  # handled by the branch itself: placed there from the start
    )
    # petitions carry no generation: the panel's counts stay up to five minutes old
    html = panel_html(client)
    assert "petitions.received" not in figures_of(html)
    from django.core.cache import cache

    cache.clear()
    html = panel_html(client)
    assert 'data-group="voice"' in html
    assert figures_of(html)["petitions.received"][0] == 1


def test_map_data_values_equal_by_child(client, login, world):
    """The city's map colours each district by its sub-tree's figure, as one grouped count
    (``Figure.by_child``) gives it; a click leads to that district's dashboard."""
    login("city.admin")
    data = map_data(panel_html(client))
    assert data["level"] == "city"
    window, _campaign = dashboard.current_window()
    city = world.city
    cut = tree.child_length(city.path)
    on_roll = BY_KEY["members.on_roll"].by_child(window, city.path, cut)
    placed = BY_KEY["members.placed"].by_child(window, city.path, cut)
    visits = BY_KEY["outreach.visits"].by_child(window, city.path, cut)
    districts = {a["name"]: a for a in data["areas"]}
    assert {"310101", "310104"} <= set(districts)  # coloured outlines of 黄浦 and 徐汇
    for code, area in districts.items():
        org = Organization.objects.get(code=code)
        assert area["href"] == f"{reverse('reports:dashboard')}?under={org.pk}"
        assert area["values"]["members.on_roll"] == on_roll.get(org.path, 0)
        assert area["values"]["outreach.visits"] == visits.get(org.path, 0)
        expected = round(100 * placed.get(org.path, 0) / on_roll[org.path], 1)
        assert area["values"]["placed_share"] == expected
    index = data["features"].index("310101")  # 黄浦's region of the outline file
    assert dashboard.outline_features()[index][1] == "黄浦区"
    assert "310230" in data["features"]  # 崇明县 is today's 崇明区 (its own outline)


def test_figures_counted_together_equal_each_figures_own_count(world):
    """Figures of one table counted in one scan (members on the roll and placed, the
    campaign's units and completed ones) give each figure's own grouped count."""
    window, _campaign = dashboard.current_window()
    for path in (world.city.path, world.huangpu.path):
        cut = tree.child_length(path)
        keys = [k for g in dashboard.GROUPS for k in g.figures]
        counted = dashboard.count_by_child(keys, window, path)
        for key in keys:
            assert counted[key] == BY_KEY[key].by_child(window, path, cut), (path, key)
        assert sum(counted["members.placed"].values()) < sum(counted["members.on_roll"].values())


def test_a_districts_map_shows_its_streets_as_points(client, login, world):
    login("huangpu.officer")
    data = map_data(panel_html(client))
    assert data["level"] == "district"
    assert data["features"][data["focus"]] == "310101"  # 黄浦's outline alone
    huangpu = world.huangpu
    window, _campaign = dashboard.current_window()
    visits = BY_KEY["outreach.visits"].by_child(
        window, huangpu.path, tree.child_length(huangpu.path)
    )
    streets = Organization.objects.filter(
        path__startswith=huangpu.path, depth=3, abolished_on__isnull=True
    )
    assert len(data["points"]) == streets.count() > 0
    by_href = {p["href"]: p for p in data["points"]}
    for street in streets:
        point = by_href[f"{reverse('reports:dashboard')}?under={street.pk}"]
        assert point["values"]["outreach.visits"] == visits.get(street.path, 0)
        assert len(point["coord"]) == 2
    # the street's own page, reached from the map, shows the street's figures
    street = streets.order_by("path").first()
    page = client.get(reverse("reports:dashboard"), {"under": street.pk}).content.decode()
    assert f'hx-get="{reverse("reports:dashboard-panel")}?under={street.pk}"' in page
    assert huangpu.name in page  # the way back up
    on_roll = figures_of(panel_html(client, street))["members.on_roll"][0]
    assert on_roll == Member.objects.on_roll().filter(home_path__startswith=street.path).count()


def test_self_service_member_sees_no_panel(client, login):
    login("member.self")
    body = client.get(reverse("core:home")).content.decode()
    assert 'data-testid="dashboard"' not in body
    assert client.get(reverse("reports:dashboard-panel")).status_code == 404
    rows = reverse("reports:figure-rows", args=["members.on_roll"])
    assert client.get(rows).status_code == 404


def test_counts_are_cached_and_a_write_with_a_generation_refreshes_them(
    client, login, world, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """The panel counts once per five minutes; a study session recorded (which bumps the
    members' activity generation) shows at once."""
    user = login("huangpu.officer")
    before = figures_of(panel_html(client))
    with django_assert_max_num_queries(12):  # the session, the user, the children; no counting
        again = figures_of(panel_html(client))
    assert again == before

    from jiceng.study import services as study
    from jiceng.study.models import StudyPeriod

    window, _campaign = dashboard.current_window()
    member = world.member_in(world.huangpu)
    period = StudyPeriod.objects.filter(starts_on__lte=window.end, ends_on__gte=window.start)[0]
    with django_capture_on_commit_callbacks(execute=True):
        study.session_record(
            actor=user,
            period=period,
            org=study.member_study_unit(member),
            held_on=min(period.ends_on, window.end),
            topic="学习党章",
            amount=2,
            attendance=[(member.pk, True)],
        )
    after = figures_of(panel_html(client))
    assert after["study.sessions"][0] == before.get("study.sessions", (0, ""))[0] + 1


def test_an_officer_with_two_top_units_switches_between_them(client, world):
    from conftest import mark_verified
    from jiceng.accounts.models import RoleAssignment
    from jiceng.accounts.roles import Role

    user = world.user("xuhui.officer")
    RoleAssignment.objects.create(user=user, role=Role.DISTRICT_OFFICER, organization=world.huangpu)
    client.force_login(user)
    mark_verified(client, user)
    body = client.get(reverse("core:home")).content.decode()
    assert 'data-testid="dashboard-roots"' in body
    first = min([world.huangpu, world.xuhui], key=lambda o: o.path)
    assert (
        f'hx-get="{reverse("reports:dashboard-panel")}?under={first.pk}" hx-trigger="load"' in body
    )
    for org in (world.huangpu, world.xuhui):
        assert f"?under={org.pk}" in body
        assert 'data-testid="dashboard-panel"' in panel_html(client, org)


def test_sector_committees_are_in_the_table_not_on_the_map(client, login, world):
    """A sector committee's units lie all over the city: at the city it is a row of the
    table, not a place on the map; its own officer's map is not framed by one district."""
    login("city.admin")
    html = panel_html(client)
    sector = world.org("31SDQ")
    href = f"{reverse('reports:dashboard')}?under={sector.pk}"
    data = map_data(html)
    assert href not in {p["href"] for p in data["areas"] + data["points"]}
    assert f'href="{href}" data-testid="dashboard-child-link"' in html
    client.logout()
    login("dianqi.officer")
    html = panel_html(client)
    assert 'data-group="members"' in html
    data = map_data(html)
    assert data["focus"] is None  # the whole city's outlines
    assert data["points"]  # its units, where they are
