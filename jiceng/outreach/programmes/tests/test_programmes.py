"""Service programmes (S27: a property company gave 589 households numbered special-service
cards, with 3 home safety checks and 1 free cleaning a year): the schedule, the cards, the
member's own tasks, the overdue worklist and bell, completion, the API and scoping."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from jiceng.accounts.models import RoleAssignment
from jiceng.core.notices import notices_for
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgType
from jiceng.outreach.programmes import selectors, services
from jiceng.outreach.programmes.models import ServiceCard, ServiceProgramme, ServiceTask
from jiceng.outreach.registry.models import NeedyCategory, NeedyPerson
from jiceng.scenario.programmes import _street_programmes

DEMO_DAY = "2005-09-20"


@pytest.fixture
def demo_day(settings):
    settings.JICENG_TODAY = DEMO_DAY
    return dt.date.fromisoformat(DEMO_DAY)


@pytest.fixture
def s27(world) -> ServiceProgramme:
    """The demo's S27 programme (the branch of branch.secretary and member.self)."""
    return ServiceProgramme.objects.get(card_prefix="TS2005")


def _new_programme(owner: Organization, **kw) -> ServiceProgramme:
    return services.programme_create(
        actor=None,
        owner=owner,
        name=kw.pop("name", "测试特色服务"),
        year=kw.pop("year", 2005),
        card_prefix=kw.pop("card_prefix", "TEST"),
        commitments=[
            services.CommitmentSpec("safety_check", "安全检查", 3, 90),
            services.CommitmentSpec("cleaning", "免费保洁", 1, 0),
        ],
        **kw,
    )


def test_the_demo_programme_is_s27s(s27):
    """S27: numbered cards, 3 safety checks ≥ 90 days apart and 1 cleaning a year; tiny: 30."""
    assert s27.cards.count() == 30
    assert [(c.label, c.times, c.min_gap_days) for c in s27.commitments.all()] == [
        ("安全检查", 3, 90),
        ("免费保洁", 1, 0),
    ]
    numbers = list(s27.cards.order_by("seq").values_list("number", flat=True))
    assert numbers == [f"TS2005-{i:04d}" for i in range(1, 31)]
    assert ServiceTask.objects.filter(programme=s27).count() == 30 * 4


def test_the_schedule_keeps_the_gaps_weekdays_and_the_balance(s27):
    """S27's schedule: a household's safety checks at least 90 days apart, all on weekdays,
    each household one responsible member, members' households differing by at most one."""
    tasks = list(ServiceTask.objects.filter(programme=s27).select_related("commitment"))
    by_kind: dict[tuple[int, str], list[dt.date]] = defaultdict(list)
    members_of_card: dict[int, set[int]] = defaultdict(set)
    for t in tasks:
        by_kind[t.card_id, t.commitment.code].append(t.due_on)
        members_of_card[t.card_id].add(t.responsible_id)
        assert t.due_on.weekday() < 5
        assert t.due_on.year == 2005
    for (_card, code), days in by_kind.items():
        days.sort()
        assert len(days) == (3 if code == "safety_check" else 1)
        assert all((b - a).days >= 90 for a, b in itertools.pairwise(days))
    assert all(len(m) == 1 for m in members_of_card.values())
    households = Counter(next(iter(m)) for m in members_of_card.values())
    serving = services.serving_members(s27.owner)
    per_member = [households.get(m.pk, 0) for m in serving]
    assert max(per_member) - min(per_member) <= 1
    load = Counter(t.responsible_id for t in tasks)
    loads = [load.get(m.pk, 0) for m in serving]
    assert max(loads) - min(loads) <= 4  # one household's 3 + 1 tasks


def test_rescheduling_replaces_only_planned_future_tasks(s27, settings):
    """Re-running the schedule mid-year keeps what was done and what fell due, and plans each
    household only what it is still owed."""
    settings.JICENG_TODAY = "2005-06-01"
    before_done = set(
        ServiceTask.objects.filter(programme=s27, state="done").values_list("pk", flat=True)
    )
    past = set(
        ServiceTask.objects.filter(programme=s27, due_on__lt=dt.date(2005, 6, 1)).values_list(
            "pk", flat=True
        )
    )
    result = services.programme_schedule(actor=None, programme=s27)
    kept = set(ServiceTask.objects.filter(programme=s27).values_list("pk", flat=True))
    assert past <= kept
    assert before_done & past <= kept
    assert result.start == dt.date(2005, 6, 1)
    per_card = Counter(ServiceTask.objects.filter(programme=s27).values_list("card_id", flat=True))
    assert set(per_card.values()) == {4}  # never more than promised
    new = ServiceTask.objects.filter(programme=s27).exclude(pk__in=past)
    assert all(t.due_on >= dt.date(2005, 6, 1) for t in new)


def test_cards_are_numbered_consecutively_and_enrolment_is_rerunnable(world):
    """Cards ``<prefix>-0001``… in order; enrolling again skips those holding a card and
    continues the numbers."""
    owner = world.branch_in(world.huangpu)
    programme = _new_programme(owner)
    people = list(services.enrolable(None, programme).order_by("id")[:6])
    assert len(people) == 6
    first = services.cards_enrol(actor=None, programme=programme, households=people[:4])
    assert [c.number for c in first] == ["TEST-0001", "TEST-0002", "TEST-0003", "TEST-0004"]
    again = services.cards_enrol(actor=None, programme=programme, households=people[2:])
    assert [c.number for c in again] == ["TEST-0005", "TEST-0006"]
    assert programme.cards.count() == 6
    assert services.cards_enrol(actor=None, programme=programme, households=people) == []


def test_enrolment_is_all_or_nothing(world):
    """One household out of the programme's area refuses the lot: no card is given."""
    owner = world.branch_in(world.huangpu)
    programme = _new_programme(owner)
    mine = list(services.enrolable(None, programme).order_by("id")[:3])
    foreign = NeedyPerson.objects.filter(path__startswith=world.xuhui.path).first()
    with pytest.raises(ValidationError) as exc:
        services.cards_enrol(actor=None, programme=programme, households=[*mine, foreign])
    assert foreign.name in str(exc.value)
    assert programme.cards.count() == 0


def test_enrolment_reads_categories_only_with_outreach_rights(world, client, login, s27):
    """Choosing households by category reads it: the street officer (outreach rights) sees
    the candidates; 徐汇's officer has no outreach rights there and gets 404 anyway."""
    street_officer = login("street.officer")
    programme = _new_programme(
        s27.owner, categories=list(NeedyCategory.objects.filter(code="elderly_alone"))
    )
    page = client.get(reverse("outreach:service-enrol", args=[programme.pk]))
    assert page.status_code == 200
    shown = list(services.enrolable(street_officer, programme))
    assert shown, "the street has elderly people living alone"
    assert all(p.categories.filter(code="elderly_alone").exists() for p in shown)
    response = client.post(
        reverse("outreach:service-enrol", args=[programme.pk]),
        {"households": [p.pk for p in shown[:2]]},
    )
    assert response.status_code == 302
    assert programme.cards.count() == 2


def test_a_member_marks_their_own_task_done_but_not_anothers(client, login, s27, demo_day):
    """The responsible member marks their task done with a note on 我的服务任务; another
    member's task is not theirs to see (404)."""
    user = login("member.self")
    mine = ServiceTask.objects.filter(programme=s27, responsible__user=user, state="planned")
    assert mine.exists(), "the demo gives member.self open tasks"
    task = mine.first()
    page = client.get(reverse("outreach:my-service-tasks"))
    assert page.status_code == 200
    assert f'data-task="{task.pk}"' in page.content.decode()
    response = client.post(
        reverse("outreach:service-task-done", args=[task.pk]), {"note": "检查燃气，正常"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.state, task.note, task.done_on) == ("done", "检查燃气，正常", demo_day)
    other = (
        ServiceTask.objects.filter(programme=s27, state="planned")
        .exclude(responsible__user=user)
        .first()
    )
    response = client.post(reverse("outreach:service-task-done", args=[other.pk]), {"note": "x"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.state == "planned"
    with pytest.raises(PermissionDenied):
        services.task_done(actor=user, task=other)


def test_the_branch_marks_done_and_missed_from_the_worklist(client, login, s27, demo_day):
    """The branch secretary sees the overdue worklist of the unit and clears tasks from it."""
    login("branch.secretary")
    page = client.get(reverse("outreach:service-overdue"))
    assert page.status_code == 200
    overdue = ServiceTask.objects.filter(
        programme=s27, state="planned", due_on__lt=demo_day
    ).order_by("due_on", "id")
    first, second = overdue[0], overdue[1]
    assert f'data-task="{first.pk}"' in page.content.decode()
    client.post(reverse("outreach:service-task-done", args=[first.pk]), {"note": "补做"})
    client.post(reverse("outreach:service-task-missed", args=[second.pk]), {"note": "外出"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("done", "missed")
    page = client.get(reverse("outreach:service-overdue"))
    assert f'data-task="{first.pk}"' not in page.content.decode()


def test_overdue_tasks_ring_the_bell_of_the_unit_and_of_the_member(world, s27, demo_day):
    """The bell: the secretary and the street officer (over the owner) see the unit's overdue
    count; the responsible member their own; 徐汇's officer nothing."""
    overdue = ServiceTask.objects.filter(programme=s27, state="planned", due_on__lt=demo_day)
    for username in ("branch.secretary", "street.officer"):
        notices = {n.key: n for n in notices_for(world.user(username))}
        assert notices["service-overdue"].count == overdue.count()
        assert notices["service-overdue"].overdue
    member = world.user("member.self")
    notices = {n.key: n for n in notices_for(member)}
    assert notices["service-mine-overdue"].count == overdue.filter(responsible__user=member).count()
    assert not [n for n in notices_for(world.user("xuhui.officer")) if "service" in n.key]


def test_completion_equals_an_independent_count(s27, demo_day, client, login):
    """Completion by commitment and by member equals counting the tasks one by one."""
    tasks = list(ServiceTask.objects.filter(programme=s27).select_related("commitment"))
    total, per = selectors.programme_completion(s27)
    assert total.tasks == len(tasks)
    assert total.due == sum(t.due_on <= demo_day for t in tasks)
    assert total.done == sum(t.state == "done" for t in tasks)
    assert total.on_time == sum(t.state == "done" and t.done_on <= t.due_on for t in tasks)
    assert total.overdue == sum(t.state == "planned" and t.due_on < demo_day for t in tasks)
    for row in per:
        assert row.done == sum(t.state == "done" and t.commitment.label == row.name for t in tasks)
    for row in selectors.member_completion(s27):
        assert row.tasks == sum(t.responsible_id == row.key for t in tasks)
        assert row.overdue == sum(
            t.responsible_id == row.key and t.state == "planned" and t.due_on < demo_day
            for t in tasks
        )
    login("huangpu.officer")
    page = client.get(reverse("outreach:service-detail", args=[s27.pk])).content.decode()
    assert 'data-testid="service-chart"' in page
    assert f'data-testid="total-done">{total.done}<' in page


def test_the_worklist_pages_without_counting_and_in_few_queries(
    client, login, s27, demo_day, django_assert_max_num_queries
):
    """One query for the rows (plus the page's own), whatever the number of tasks."""
    login("huangpu.officer")
    with django_assert_max_num_queries(14):
        page = client.get(reverse("outreach:service-overdue"), {"programme": s27.pk})
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="overdue-task"') == min(
        50,
        ServiceTask.objects.filter(programme=s27, state="planned", due_on__lt=demo_day).count(),
    )


def test_the_printed_card_shows_what_was_promised(client, login, s27):
    """The card: its number, the household's name exactly as written, the services and how
    many a year, the hotline and the unit."""
    login("branch.secretary")
    card = s27.cards.select_related("household").first()
    page = client.get(reverse("outreach:service-card", args=[card.pk])).content.decode()
    assert 'data-testid="service-card"' in page
    for text in (card.number, card.household.name, "安全检查", "每年 3 次", s27.hotline):
        assert text in page
    assert s27.owner.name in page


def test_withdrawing_a_card_drops_its_future_tasks(s27, settings):
    settings.JICENG_TODAY = "2005-09-20"
    card = s27.cards.first()
    services.card_withdraw(actor=None, card=card, reason="迁出本街道")
    card.refresh_from_db()
    assert card.state == "withdrawn"
    assert not card.tasks.filter(state="planned", due_on__gte=dt.date(2005, 9, 20)).exists()
    with pytest.raises(ValidationError):
        services.card_withdraw(actor=None, card=card, reason="再次")


def test_a_programme_is_drafted_activated_and_closed_with_clear_refusals(world, client, login):
    """Create from the page; an impossible commitment is refused in words, not a 500."""
    login("branch.secretary")
    branch = RoleAssignment.objects.get(user__username="branch.secretary").organization
    data = {
        "owner": branch.code,
        "name": "独居老人上门服务",
        "year": 2005,
        "card_prefix": "DJ",
        "hotline": "63280000",
        "c1_label": "安全检查",
        "c1_times": 5,
        "c1_gap": 100,
    }
    page = client.post(reverse("outreach:service-new"), data)
    assert page.status_code == 200
    assert "一年内排不下" in page.content.decode()
    data["c1_times"] = 3
    response = client.post(reverse("outreach:service-new"), data)
    assert response.status_code == 302
    programme = ServiceProgramme.objects.get(name="独居老人上门服务")
    assert programme.state == "draft"
    client.post(reverse("outreach:service-activate", args=[programme.pk]))
    programme.refresh_from_db()
    assert programme.state == "active"
    client.post(reverse("outreach:service-close", args=[programme.pk]))
    programme.refresh_from_db()
    assert programme.state == "closed"
    response = client.post(reverse("outreach:service-schedule", args=[programme.pk]), follow=True)
    assert "不能排定服务任务" in response.content.decode()


def test_an_officer_of_another_district_gets_404(client, login, s27):
    login("xuhui.officer")
    card = s27.cards.first()
    task = ServiceTask.objects.filter(programme=s27).first()
    for url in (
        reverse("outreach:service-detail", args=[s27.pk]),
        reverse("outreach:service-card", args=[card.pk]),
        reverse("api-service-detail", args=[s27.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("outreach:service-task-done", args=[task.pk])).status_code == 404
    listed = client.get(reverse("outreach:service-list")).content.decode()
    assert s27.name not in listed


def test_the_api_lists_tasks_and_the_member_marks_done(client, login, s27, demo_day):
    """The API: programmes with completion, overdue tasks, a member's own, marking done."""
    login("branch.secretary")
    data = client.get(reverse("api-service-list")).json()
    assert s27.pk in [p["id"] for p in data["results"]]
    detail = client.get(reverse("api-service-detail", args=[s27.pk])).json()
    assert detail["completion"]["tasks"] == ServiceTask.objects.filter(programme=s27).count()
    overdue = client.get(reverse("api-service-tasks"), {"overdue": "true", "limit": 1000}).json()
    expected = ServiceTask.objects.filter(programme=s27, state="planned", due_on__lt=demo_day)
    assert overdue["count"] == expected.count()
    cards = client.get(reverse("api-service-cards", args=[s27.pk])).json()
    assert cards["results"][0]["number"] == "TS2005-0001"
    user = login("member.self")
    mine = client.get(reverse("api-service-tasks"), {"overdue": "true"}).json()
    own = expected.filter(responsible__user=user)
    assert {t["id"] for t in mine["results"]} == set(own.values_list("pk", flat=True))
    task_id = mine["results"][0]["id"]
    done = client.post(
        reverse("api-service-task-done", args=[task_id]),
        {"note": "清扫完毕"},
        content_type="application/json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["state"] == "done"
    refused = client.post(
        reverse("api-service-task-done", args=[task_id]), {}, content_type="application/json"
    )
    assert refused.status_code == 400


def test_street_programmes_for_the_city_benchmark(world):
    """At city scale every street runs a programme for all its needy people (the code path
    of the ~350,000 tasks, tried here on one street)."""
    counts = _street_programmes(7, lambda *_: None, limit=1)
    assert counts["street programmes"] == 1
    programme = ServiceProgramme.objects.exclude(card_prefix__in=["TS2005"]).get()
    assert programme.owner.org_type in (OrgType.STREET_COMMITTEE, OrgType.TOWN_COMMITTEE)
    assert counts["street tasks"] == ServiceTask.objects.filter(programme=programme).count() > 0
    assert (
        Member.objects.filter(
            pk__in=ServiceTask.objects.filter(programme=programme).values("responsible")
        ).count()
        <= 40
    )
    assert ServiceCard.objects.filter(programme=programme).count() == counts["street cards"]
