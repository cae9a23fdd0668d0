"""The scenario's public voice (issue 21 item 5): petitions whose every step follows the state
machine and the deadlines table of the 2005 regulations (S21), the transport sector's passenger
satisfaction surveys (S23), rectification items linked to their sources with standing
arrangements, Tianlin's ten-year problem kept solved (S22); nothing dated after the demo's day;
the same for the same seed.

The shared test world is built without it (those apps' tests start from empty tables): each
test here builds it on top, inside the test's transaction."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from conftest import mark_verified
from jiceng.orgs.models import Organization, OrgType, Sector
from jiceng.petitions import rules, selectors
from jiceng.petitions.models import Petition, PetitionEvent, PetitionTransfer
from jiceng.petitions.rules import OPEN_STATES, RUNNING_STEP, TRANSITIONS, State, Step
from jiceng.rectification.models import (
    ArrangementCheck,
    RectificationItem,
    RectificationSource,
    StandingArrangement,
)
from jiceng.rectification.rules import ACCEPTED_VERDICTS, ItemState, SourceKind
from jiceng.satisfaction import selectors as survey_selectors
from jiceng.satisfaction.models import (
    SatisfactionSurvey,
    SurveyComment,
    SurveyResponse,
    SurveyToken,
    SurveyUnit,
)
from jiceng.satisfaction.rules import SurveyState
from jiceng.scenario import voice

DEMO_DAY = dt.date(2005, 9, 20)
STREETS = (OrgType.STREET_COMMITTEE, OrgType.TOWN_COMMITTEE)


@pytest.fixture
def built(world):
    """The tiny world with its voice (seed 7, as the world itself)."""
    voice.build_voice("tiny", 7)
    return world


def test_the_rate_gives_two_hundred_thousand_petitions_at_city_scale():
    """Issue 21: ~200,000 petitions at city scale (~2,058,000 members in the streets' trees)."""
    assert 195_000 < voice.PETITIONS_PER_MEMBER * 2_058_000 < 205_000


def test_every_street_has_its_petitions_and_the_tiny_world_stays_small(built):
    streets = Organization.objects.filter(org_type__in=STREETS, street__isnull=False)
    assert streets.exists()
    for st in streets:
        assert Petition.objects.filter(street=st.street).count() >= voice.MIN_PER_STREET
    assert Petition.objects.count() < 60, "a handful in the tiny world"
    for p in Petition.objects.all():
        assert voice.WINDOW_START <= p.received_on <= DEMO_DAY
        assert p.version == rules.Version.V2005
        assert p.joint == (p.people >= rules.JOINT_VISIT_PEOPLE)
        assert p.number == f"XF2005{p.pk:07d}"
    assert Petition.objects.filter(joint=True).exists()


def test_every_state_is_present_and_each_history_follows_the_state_machine(built):
    states = set(Petition.objects.values_list("state", flat=True))
    wanted = set(State.values) - {State.RE_REVIEWED}  # closed at once after its opinion
    assert wanted <= states
    for p in Petition.objects.all():
        events = list(PetitionEvent.objects.filter(petition=p).order_by("at", "id"))
        assert events[0].action == "register"
        assert events[0].on == p.received_on
        prior = ""
        last_on = p.received_on
        for e in events:
            assert e.from_state == prior, (p.number, e.action)
            assert e.on >= last_on, (p.number, e.action)
            assert e.on <= DEMO_DAY
            if e.action != "register":
                sources, target = TRANSITIONS[e.action]
                assert e.from_state in sources, (p.number, e.action, e.from_state)
                assert e.to_state == (target or e.from_state)
            prior, last_on = e.to_state, e.on
        assert prior == p.state, p.number
        assert len([e for e in events if e.action == "extend"]) <= 1
        if p.state == State.CLOSED:
            assert p.satisfaction in rules.Satisfaction.values
            assert p.closed_on is not None
        transfers = PetitionTransfer.objects.filter(petition=p).count()
        assert transfers == len([e for e in events if e.action == "transfer"])


def test_deadlines_are_those_of_the_rules_table(built):
    """The running deadline, the on-time flag and the review windows come from
    ``rules.due_dates`` (the 2005 regulations' arts. 21, 22, 33, 34, 35)."""
    for p in Petition.objects.all():
        deadlines = rules.due_dates(p.case_dates())
        if p.state in OPEN_STATES:
            step = RUNNING_STEP[p.state]
            if p.state == State.REGISTERED and Step.ROUTE not in deadlines:
                step = Step.ACCEPT
            assert p.due_step == step
            assert p.due_on == deadlines[step].due_on, p.number
        if p.replied_on is not None:
            assert p.on_time == (p.replied_on <= deadlines[Step.HANDLE].due_on), p.number
        assert p.extended_days <= rules.rule(p.version, p.body, Step.EXTEND).days
        if p.review_asked_on is not None:
            assert p.review_asked_on <= deadlines[Step.REVIEW_ASK].due_on
        if p.re_review_asked_on is not None:
            assert p.re_review_asked_on <= deadlines[Step.RE_REVIEW_ASK].due_on


def test_some_cases_are_overdue_and_reach_the_bell(built):
    overdue = Petition.objects.filter(state__in=OPEN_STATES, due_on__lt=DEMO_DAY)
    assert overdue.exists()
    with override_settings(JICENG_TODAY="2005-09-20"):
        counts = [
            sum(n.count for n in selectors.petition_notices(built.user(name)))
            for name in ("huangpu.officer", "xuhui.officer", "city.admin")
        ]
    assert sum(counts) > 0


def test_petitioners_are_stored_like_members_and_some_come_back(built):
    with_id = list(Petition.objects.exclude(id_number=""))
    assert with_id
    for p in with_id:
        assert p.id_number_masked == p.id_number[:6] + "*" * 8 + p.id_number[-4:]
        assert p.id_number_index
    assert not Petition.objects.exclude(phone="").filter(phone_index="").exists()
    repeats = Counter(p.id_number_index for p in with_id)
    assert max(repeats.values()) >= 2, "a petitioner who came before"


def test_the_transport_sector_surveys_every_unit_with_tokens_and_answers(built):
    sector = Organization.objects.get(org_type=OrgType.SECTOR_COMMITTEE, sector=Sector.TRANSPORT)
    units = set(
        Organization.objects.filter(
            path__startswith=sector.path, depth__gt=sector.depth
        ).values_list("pk", flat=True)
    )
    surveys = list(SatisfactionSurvey.objects.order_by("opens_on"))
    assert [s.state for s in surveys] == [SurveyState.CLOSED, SurveyState.OPEN]
    for survey in surveys:
        assert survey.owner == sector
        assert survey.scale == ["满意", "基本满意", "不满意"]
        assert set(SurveyUnit.objects.filter(survey=survey).values_list("org", flat=True)) == units
        for unit in SurveyUnit.objects.filter(survey=survey):
            assert unit.tokens.count() == voice.TOKENS_PER_UNIT["tiny"]
        used = SurveyToken.objects.filter(survey=survey, used_at__isnull=False)
        responses = SurveyResponse.objects.filter(survey=survey)
        assert used.count() == responses.count() > 0
        assert not responses.filter(token__isnull=True).exists()
        for r in responses.select_related("token"):
            assert r.token.unit_id == r.unit_id
            assert r.submitted_at.date() <= min(survey.closes_on, DEMO_DAY)
    closed = surveys[0]
    results = survey_selectors.results_by_unit(closed)
    assert any(r.redo for r in results), "a unit below 60 % redoes the work"
    assert any(not r.redo for r in results)
    assert SurveyComment.objects.filter(survey=closed).exists()


def test_rectification_items_link_their_sources_and_keep_their_history(built):
    kinds = set(RectificationSource.objects.values_list("kind", flat=True))
    assert {SourceKind.PETITION, SourceKind.SURVEY_COMMENT, SourceKind.MEETING} <= kinds
    # many comments, one item
    assert (
        RectificationItem.objects.filter(sources__kind=SourceKind.SURVEY_COMMENT).distinct().count()
        < RectificationSource.objects.filter(kind=SourceKind.SURVEY_COMMENT).count()
    )
    for item in RectificationItem.objects.prefetch_related("events"):
        events = sorted(item.events.all(), key=lambda e: (e.at, e.pk))
        assert events[0].action == "create"
        assert events[-1].to_state == item.state
        assert item.raised_on <= item.deadline
        assert all(e.on <= DEMO_DAY for e in events)
        if item.state == ItemState.CLOSED:
            assert item.verdict in ACCEPTED_VERDICTS
            assert item.closed_on is not None
    for source in RectificationSource.objects.filter(kind=SourceKind.PETITION):
        assert source.petition.received_on <= source.item.raised_on


def test_tianlins_ten_year_problem_is_kept_solved_by_a_standing_arrangement(built):
    """S22: a ten-year illegal building in 田林 (徐汇区), solved in the second batch and kept
    solved: its standing arrangement's checks all passed."""
    item = RectificationItem.objects.get(title__contains="田林")
    assert item.state == ItemState.CLOSED
    assert item.long_running
    assert item.since is not None
    assert item.raised_on.year - item.since.year >= 10
    assert item.owner.path.startswith(built.xuhui.path)
    arrangement = StandingArrangement.objects.get(item=item)
    checks = list(arrangement.checks.all())
    assert checks
    assert all(c.passed for c in checks)
    assert arrangement.next_check_on == max(c.checked_on for c in checks) + dt.timedelta(
        days=arrangement.check_every_days
    )
    assert item.campaigns.count() >= 1


def test_a_failed_check_reopened_its_item(built):
    failed = ArrangementCheck.objects.get(passed=False)
    item = failed.arrangement.item
    assert item.state == ItemState.IN_PROGRESS
    assert item.reopened_count >= 1
    assert item.closed_on is None
    assert item.events.filter(action="check_failed", on=failed.checked_on).exists()


def test_the_pages_show_the_data(built, client):
    user = built.user("xuhui.officer")
    client.force_login(user)
    mark_verified(client, user)
    with override_settings(JICENG_TODAY="2005-09-20"):
        some = Petition.objects.visible_to(user).order_by("id").first()
        assert some is not None
        pages = [
            (reverse("petitions:list"), some.number),
            (reverse("petitions:statistics"), ""),
            (reverse("petitions:overdue"), ""),
            (reverse("petitions:detail", args=[some.pk]), some.subject),
            (reverse("rectification:item-list"), "田林"),
            (reverse("rectification:checks"), ""),
        ]
        for url, text in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            assert text in response.content.decode(), url
        admin = built.user("city.admin")
        client.force_login(admin)
        mark_verified(client, admin)
        survey = SatisfactionSurvey.objects.order_by("opens_on").first()
        response = client.get(reverse("satisfaction:results", args=[survey.pk]))
        assert response.status_code == 200
        assert survey.units.first().org.name in response.content.decode()


def test_the_part_adds_voice_to_a_world_without_it_and_refuses_to_run_twice(world):
    assert not voice.is_built()
    call_command("scenario", "--part", "voice", "--scale", "tiny", "--seed", "7")
    assert voice.is_built()
    with pytest.raises(RuntimeError, match="already exists"):
        voice.build_voice("tiny", 7)
    with pytest.raises(CommandError, match="already holds voice"):
        call_command("scenario", "--part", "voice", "--scale", "tiny")


def _fingerprint() -> list[tuple]:
    petitions = [
        (
            *(p.received_on, p.channel, p.petitioner_name, p.id_number, p.phone, p.subject),
            *(p.state, p.org_path, p.due_on, p.people, p.satisfaction),
            tuple(p.events.order_by("at", "id").values_list("action", "on")),
        )
        for p in Petition.objects.order_by("id")
    ]
    responses = [
        (r.path, r.overall_level, r.submitted_at)
        for r in SurveyResponse.objects.order_by("submitted_at", "path", "id")
    ]
    items = [
        (i.title, i.path, i.state, i.raised_on, i.closed_on, i.reopened_count)
        for i in RectificationItem.objects.order_by("path", "title", "raised_on")
    ]
    return [*petitions, *responses, *items]


def test_same_seed_same_voice_data(world):
    with transaction.atomic():
        voice.build_voice("tiny", 7)
        first = _fingerprint()
        transaction.set_rollback(True)
    with transaction.atomic():
        voice.build_voice("tiny", 7)
        assert _fingerprint() == first
        transaction.set_rollback(True)
    with transaction.atomic():
        voice.build_voice("tiny", 8)
        assert _fingerprint() != first
        transaction.set_rollback(True)
