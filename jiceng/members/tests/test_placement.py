"""Placement (S10, S16): every member has a participating unit; the unplaced worklist with
one-click suggestions (the optimal capacitated assignment of the district's worklist, the
nearest branch with room where seats are short) is driven to zero."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from jiceng.accounts.roles import Role
from jiceng.core.models import AuditEvent
from jiceng.core.notices import notices_for
from jiceng.members import services
from jiceng.members.models import EmploymentStatus, Member, Placement
from jiceng.members.placement import selectors
from jiceng.members.placement import services as placement_services
from jiceng.members.placement.rules import (
    CAPACITY,
    NO_LOCATION,
    NO_ROOM,
    Candidate,
    PlacementReason,
    Pool,
    Unit,
    default_reason,
    distance_km,
    plan,
    suggest,
    total_km,
)
from jiceng.orgs.models import Organization, OrgType
from tests.factories import UserFactory, make_member

from .factories_records import LAT, LNG, bare_world, locate, sign_in, unplaced_member

# ----- rules (pure) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "entrusted", "reason"),
    [
        (EmploymentStatus.AT_POST, False, PlacementReason.HOME),
        (EmploymentStatus.AT_POST, True, PlacementReason.ENTRUSTED),
        (EmploymentStatus.MOBILE, False, PlacementReason.MOBILE),
        (EmploymentStatus.ON_ROLL_NOT_AT_POST, False, PlacementReason.NEARBY),
        (EmploymentStatus.RETIRED, False, PlacementReason.NEARBY),
        (EmploymentStatus.ON_ROLL_NOT_AT_POST, True, PlacementReason.ENTRUSTED),
    ],
)
def test_who_takes_part_at_home_and_who_nearby(status, entrusted, reason):
    """S10: at post → own branch; off post, mobile or entrusted → a nearby unit."""
    assert default_reason(employment_status=status, entrusted=entrusted) == reason


def _unit(pk: int, lat: float, lng: float, room: int, path: str = "00010001") -> Unit:
    return Unit(pk, f"支部{pk}", f"{path}{pk:04d}", lat, lng, room)


def _member(pk: int, lat: float | None, lng: float | None, **kw) -> Candidate:
    return Candidate(
        id=pk,
        home_org_id=kw.get("home", 999),
        employment_status=kw.get("status", EmploymentStatus.ON_ROLL_NOT_AT_POST),
        entrusted=kw.get("entrusted", False),
        lat=lat,
        lng=lng,
        district_path=kw.get("district", "00010001"),
    )


def test_the_nearest_unit_with_room_is_suggested_and_seats_are_consumed_on_the_page():
    near = _unit(1, 31.230, 121.470, room=1)
    middle = _unit(2, 31.240, 121.470, room=5)
    far = _unit(3, 31.300, 121.470, room=5)
    pool = Pool([far, near, middle])
    out = suggest([_member(10, 31.231, 121.470), _member(11, 31.231, 121.470)], pool)
    assert [s.unit.id for s in out] == [1, 2]  # the second member finds the nearest one full
    assert out[0].distance_km == pytest.approx(0.11, abs=0.01)
    assert (near.room, middle.room) == (0, 4)


def test_at_post_members_go_home_even_to_a_full_branch():
    home = _unit(7, 31.0, 121.0, room=0)
    out = suggest([_member(1, 31.5, 121.5, home=7, status=EmploymentStatus.AT_POST)], Pool([home]))
    assert out[0].unit is home
    assert out[0].reason == PlacementReason.HOME


def test_suggestions_stay_in_the_members_district():
    other_district = _unit(1, 31.230, 121.470, room=9, path="00010002")
    own = _unit(2, 31.400, 121.470, room=9)
    out = suggest([_member(1, 31.230, 121.470)], Pool([other_district, own]))
    assert out[0].unit is own


def test_no_room_and_no_location_say_what_to_do():
    full = _unit(1, 31.2, 121.4, room=0)
    out = suggest([_member(1, 31.2, 121.4), _member(2, None, None)], Pool([full]))
    assert out[0].unit is None
    assert out[0].problem == str(NO_ROOM)
    assert "新建区域性党支部" in out[0].problem
    assert out[1].problem == str(NO_LOCATION)


def test_great_circle_distance():
    # 1 degree of latitude is about 111.2 km anywhere
    assert distance_km(31.0, 121.0, 32.0, 121.0) == pytest.approx(111.2, abs=0.1)


# ----- services on a small world ------------------------------------------------------------


@pytest.fixture
def small(db):
    """The small world of ``tests.factories`` with located units and, in each district, per
    branch one member at post and one retired member living by the street's centre still to
    place, and one member placed already."""
    made = bare_world()
    for district in (made.a, made.b):
        locate(district.street, *district.branches)
        for branch in district.branches:
            district.members.append(unplaced_member(branch))
            district.members.append(
                unplaced_member(branch, employment_status="retired", lat=LAT, lng=LNG)
            )
        district.members.append(make_member(district.branches[0]))
    return made


def _unplaced(district) -> list[int]:
    return list(
        Member.objects.filter(
            home_path__startswith=district.path,
            participating_org__isnull=True,
            transferred_out_on__isnull=True,
        ).values_list("id", flat=True)
    )


@pytest.mark.django_db
def test_accepting_a_page_places_members_with_history_and_one_audit_row(small):
    officer = small.alice
    ids = _unplaced(small.a.org)
    assert len(ids) == 4, "two members to place per branch of district a"
    audits = AuditEvent.objects.count()
    result = placement_services.members_place_suggested(actor=officer, member_ids=ids)
    assert result.placed == len(ids) - len(result.unplaceable)
    placed = Member.objects.filter(pk__in=ids, participating_org__isnull=False)
    assert placed.count() == result.placed
    for m in placed.select_related("participating_org"):
        assert m.participating_path == m.participating_org.path
        assert m.participating_org.org_type in (
            OrgType.BRANCH,
            OrgType.JOINT_BRANCH,
            OrgType.GENERAL_BRANCH,
        )
        assert m.participating_path.startswith(small.a.org.path)  # within the district
    history = Placement.objects.filter(member_id__in=ids)
    assert history.count() == result.placed
    assert set(history.values_list("placed_by", flat=True)) == {officer.pk}
    assert AuditEvent.objects.count() == audits + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert event.object_type == "members.placementbatch"
    assert event.changes["placed"] == [None, result.placed]
    # re-running changes nothing
    again = placement_services.members_place_suggested(actor=officer, member_ids=ids)
    assert again.placed == 0
    assert Placement.objects.filter(member_id__in=ids).count() == result.placed


@pytest.mark.django_db
def test_a_foreign_member_in_the_batch_refuses_the_whole_batch(small):
    officer = small.bob
    ids = _unplaced(small.b.org) + _unplaced(small.a.org)[:1]
    before = Placement.objects.count()
    with pytest.raises(PermissionDenied):
        placement_services.members_place_suggested(actor=officer, member_ids=ids)
    assert Placement.objects.count() == before
    assert Member.objects.filter(pk__in=ids, participating_org__isnull=False).count() == 0


@pytest.mark.django_db
def test_placing_one_member_checks_the_unit(small):
    officer = small.alice
    member = Member.objects.get(pk=_unplaced(small.a.org)[0])
    with pytest.raises(ValidationError):  # a committee is not a unit members take part in
        services.member_place(actor=officer, member=member, participating_org=small.a.org)
    with pytest.raises(PermissionDenied):  # a unit the officer cannot see
        services.member_place(actor=officer, member=member, participating_org=small.b.branches[0])
    unit = small.a.branches[0]
    services.member_place(actor=officer, member=member, participating_org=unit)
    p = Placement.objects.get(member=member)
    assert (p.org, p.reason, p.period) == (unit, PlacementReason.MANUAL, "2005-第二批")


@pytest.mark.django_db
def test_the_whole_city_reaches_zero_and_no_unit_is_overfilled_by_suggestions(world):
    """S10 on the scenario data: accepting suggestions drives the worklist to zero, and a unit
    that received nearby members never goes over its size limit. (On the demo's city: whether
    its whole roll can be placed without overfilling a unit is the point.)"""
    admin = world.user("city.admin")
    assert selectors.unplaced(admin, world.city).count() > 0
    result = placement_services.subtree_place_suggested(actor=admin, root=world.city)
    assert result.unplaceable == []
    assert selectors.unplaced(admin, world.city).count() == 0
    received = Placement.objects.exclude(reason=PlacementReason.HOME).values("org_id")
    units = Organization.objects.filter(pk__in=received).annotate(n=Count("participating_members"))
    for unit in units:
        assert unit.n <= CAPACITY[unit.org_type], unit


@pytest.mark.django_db
def test_the_bell_counts_unplaced_members_in_scope(small):
    """Placing members is the street's and the branch's work: their bell counts them; the
    district's and the city's totals are on the home page, not on the bell (issue 17)."""
    officer = UserFactory(username="erin", role=Role.COMMITTEE_OFFICER, role__over=small.a.street)
    n = len(_unplaced(small.a.org))
    notice = {x.key: x for x in notices_for(officer)}["placement.unplaced"]
    assert (
        notice.count
        == Member.objects.visible_to(officer, "change")
        .filter(participating_org__isnull=True, transferred_out_on__isnull=True)
        .count()
    )
    assert notice.count == n == 4  # district b's members to place are not erin's
    assert "placement.unplaced" not in {x.key for x in notices_for(small.alice)}
    placement_services.subtree_place_suggested(actor=officer, root=small.a.org)
    after = {x.key: x.count for x in notices_for(officer)}
    assert after.get("placement.unplaced", 0) == notice.count - n


# ----- pages, API, command --------------------------------------------------------------------


@pytest.mark.django_db
def test_worklist_page_shows_count_suggestions_and_places_with_one_click(client, small):
    sign_in(client, small.alice)
    ids = _unplaced(small.a.org)
    response = client.get(reverse("members:unplaced"), {"org": small.a.org.pk})
    body = response.content.decode()
    assert f"共 {len(ids)} 人" in body
    first = Member.objects.filter(pk__in=ids).order_by("home_path", "id").first()
    assert f'data-testid="suggested-{first.pk}"' in body
    suggestion = selectors.suggestions_for(
        selectors.page_members(Member.objects.filter(pk=first.pk)), user=small.alice
    )[first.pk]
    response = client.post(
        reverse("members:place", args=[first.pk]),
        {"org": suggestion.unit.id, "reason": suggestion.reason, "distance_km": "1.5"},
        HTTP_HX_REQUEST="true",
    )
    assert "已落实到" in response.content.decode()
    first.refresh_from_db()
    assert first.participating_org_id == suggestion.unit.id
    assert Placement.objects.get(member=first).reason == suggestion.reason


@pytest.mark.django_db
def test_worklist_accept_subtree_reaches_zero(client, small):
    sign_in(client, small.alice)
    assert _unplaced(small.a.org)
    response = client.post(
        reverse("members:unplaced-accept", args=[small.a.org.pk]), {"scope": "subtree"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "共 0 人" in page
    assert 'data-testid="unplaced-empty"' in page
    assert _unplaced(small.a.org) == []


@pytest.mark.django_db
def test_placing_by_code_of_a_foreign_unit_is_refused_with_a_message(client, small):
    sign_in(client, small.alice)
    member_id = _unplaced(small.a.org)[0]
    response = client.post(
        reverse("members:place", args=[member_id]),
        {"code": small.b.branches[0].code},
        HTTP_HX_REQUEST="true",
    )
    assert "未找到可参加活动的党支部" in response.content.decode()
    assert Member.objects.get(pk=member_id).participating_org_id is None


@pytest.mark.django_db
def test_outsider_gets_404_for_a_foreign_subtree(client, small):
    sign_in(client, small.bob)
    assert client.get(reverse("members:unplaced"), {"org": small.a.org.pk}).status_code == 404
    assert client.get(reverse("members:unplaced"), {"org": small.b.org.pk}).status_code == 200


@pytest.mark.django_db
def test_api_lists_with_suggestions_places_and_accepts(client, small):
    sign_in(client, small.alice)
    ids = _unplaced(small.a.org)
    data = client.get(reverse("api-unplaced-list"), {"org": small.a.org.pk}).json()
    assert data["count"] == len(ids)
    row = data["results"][0]
    assert row["suggestion"]["org_id"]
    response = client.post(
        reverse("api-member-place", args=[row["id"]]),
        {"org_id": row["suggestion"]["org_id"], "reason": row["suggestion"]["reason"]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["participating_org_id"] == row["suggestion"]["org_id"]
    response = client.post(
        reverse("api-placement-accept"),
        {"org_id": small.a.org.pk, "scope": "subtree"},
        content_type="application/json",
    )
    assert response.json()["placed"] == len(ids) - 1
    assert client.get(reverse("api-unplaced-list"), {"org": small.a.org.pk}).json()["count"] == 0


@pytest.mark.django_db
def test_command_places_a_subtree_and_reports_json(small):
    out = StringIO()
    n = len(_unplaced(small.a.org))
    call_command(
        "place_members", org=small.a.org.code, user=small.alice.username, json=True, stdout=out
    )
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["placed"] == n > 0
    assert result["still_unplaced"] == 0
    dry = StringIO()
    call_command(
        "place_members", org=small.b.org.code, user=small.bob.username, dry_run=True, stdout=dry
    )
    assert "公里" in dry.getvalue() or "本支部" in dry.getvalue()


# ----- the optimal plan (S10, S17: optimize.assign over the whole worklist) -------------------


def test_the_plan_is_the_least_total_distance_where_greedy_is_not():
    """S10/S17: two units with one seat each; the first member of the worklist is about as
    near to either, the second right by the first unit. Nearest-with-room in worklist order
    sends the second member to the far unit; the plan places both near (total 0.96 km, not
    1.90 km), and says why each goes there."""
    first, second = _member(1, 31.230, 121.4749), _member(2, 31.230, 121.465)

    def pool() -> Pool:
        return Pool([_unit(10, 31.230, 121.470, room=1), _unit(11, 31.230, 121.480, room=1)])

    greedy = suggest([first, second], pool())
    optimal = plan([first, second], pool())
    assert [s.unit.id for s in greedy] == [10, 11]
    assert [s.unit.id for s in optimal] == [11, 10]
    assert total_km(greedy) == pytest.approx(1.90, abs=0.02)
    assert total_km(optimal) == pytest.approx(0.96, abs=0.02)
    assert {s.reason for s in optimal} == {PlacementReason.NEARBY}


def test_the_plan_keeps_the_rule_for_home_no_location_and_too_few_seats():
    """At post → home (even full); no point → NO_LOCATION; a district whose seats cannot hold
    its members falls back to nearest-with-room in worklist order, the rest NO_ROOM."""
    home = _unit(7, 31.0, 121.0, room=0)
    one_seat = _unit(8, 31.2, 121.4, room=1)
    out = plan(
        [
            _member(1, 31.5, 121.5, home=7, status=EmploymentStatus.AT_POST),
            _member(2, None, None),
            _member(3, 31.2, 121.4),
            _member(4, 31.2, 121.4),
        ],
        Pool([home, one_seat]),
    )
    assert (out[0].unit, out[0].reason) == (home, PlacementReason.HOME)
    assert out[1].problem == str(NO_LOCATION)
    assert out[2].unit is one_seat
    assert out[3].problem == str(NO_ROOM)


@pytest.fixture
def tight(db):
    """District a's two branches with one seat left each (49 members taking part in each,
    of 50), 1 km apart on a line, and two retired members of the first branch to place: the
    first (in worklist order) between the branches, the second right by the first branch."""
    made = bare_world()
    a, b = made.a.branches
    Organization.objects.filter(pk=a.pk).update(lat=31.230, lng=121.470)
    Organization.objects.filter(pk=b.pk).update(lat=31.230, lng=121.480)
    for branch in (a, b):
        for _ in range(CAPACITY[OrgType.BRANCH] - 1):
            make_member(branch)
    first = unplaced_member(a, employment_status="retired", lat=31.230, lng=121.4749)
    second = unplaced_member(a, employment_status="retired", lat=31.230, lng=121.465)
    return made, first, second


def test_the_worklist_page_shows_the_plan_and_accepting_places_it(client, tight):
    """S10: the page suggests the optimal units (the first member to the farther branch, so
    the second need not cross), and accepting the page places exactly what it showed."""
    made, first, second = tight
    a, b = made.a.branches
    sign_in(client, made.alice)
    body = client.get(reverse("members:unplaced"), {"org": made.a.org.pk}).content.decode()
    assert f'data-testid="suggested-{first.pk}">{b.name}<' in body
    assert f'data-testid="suggested-{second.pk}">{a.name}<' in body
    shown = selectors.suggestions_for(
        selectors.page_members(Member.objects.filter(pk__in=[first.pk, second.pk])),
        user=made.alice,
    )
    assert total_km(shown.values()) == pytest.approx(0.96, abs=0.02)
    client.post(
        reverse("members:unplaced-accept", args=[made.a.org.pk]),
        {"member": [first.pk, second.pk]},
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.participating_org_id, second.participating_org_id) == (b.pk, a.pk)


def test_a_placement_makes_the_cached_plan_anew(tight, django_capture_on_commit_callbacks):
    """The plan is cached; placing a member by hand changes the suggestions once committed."""
    made, first, second = tight
    a, b = made.a.branches
    assert selectors.suggestions_for([first], user=made.alice)[first.pk].unit.id == b.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.member_place(actor=made.alice, member=second, participating_org=b)
    assert selectors.suggestions_for([first], user=made.alice)[first.pk].unit.id == a.pk
    result = placement_services.subtree_place_suggested(actor=made.alice, root=made.a.org)
    assert result.placed == 1
    first.refresh_from_db()
    assert first.participating_org_id == a.pk
