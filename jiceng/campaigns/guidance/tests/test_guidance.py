"""Pilots and their lessons (S5), classified guidance and the unit's own plan (S7, S14, S15)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiceng.campaigns.guidance import selectors, services
from jiceng.campaigns.models import PilotLesson
from jiceng.campaigns.progress import services as progress_services
from jiceng.campaigns.progress.rules import Batch
from jiceng.campaigns.tests.factories import CampaignWorld, campaign_make, unit_of
from jiceng.orgs.models import OrgType, Sector
from tests.factories import OrganizationFactory


@pytest.fixture
def cw(small):
    return CampaignWorld.make(small)


@pytest.fixture
def second(cw):
    return cw.campaign


@pytest.fixture
def branch_unit(cw):
    return cw.unit


def test_pilot_lessons_of_the_first_batch_guide_the_same_sector_in_the_second(small):
    frank = CampaignWorld.make(small).frank
    residential = OrganizationFactory(
        parent=small.a.street, name="甲区居民区党支部", sector=Sector.STREET_COMMUNITY
    )
    first = campaign_make(
        actor=frank,
        root=small.city,
        name="测试第一批",
        batch=Batch.FIRST,
        starts_on=dt.date(2005, 1, 10),
        ends_on=dt.date(2005, 7, 10),
        as_of=dt.date(2005, 7, 10),
    )
    # two pilots of the first batch, of different sectors, each with a lesson
    for org in (residential, small.b.branches[0]):
        pilot = services.unit_set_pilot(actor=frank, unit=unit_of(first, org), is_pilot=True)
        services.lesson_record(actor=frank, unit=pilot, title="经验", text="做法")
    second = campaign_make(actor=frank, root=small.city, name="测试第二批（沿用）", previous=first)
    assert second.previous is not None
    assert second.previous.batch == "first"
    lessons = list(selectors.lessons_for(second, Sector.STREET_COMMUNITY))
    assert lessons
    assert {lesson.sector for lesson in lessons} == {Sector.STREET_COMMUNITY}
    assert all(lesson.unit.is_pilot for lesson in lessons)
    assert all(lesson.unit.campaign_id == second.previous_id for lesson in lessons)
    assert [lesson.unit.org for lesson in lessons] == [residential]


def test_only_a_pilot_records_lessons_and_only_the_parent_flags_it(cw, second, branch_unit):
    secretary, street = cw.small.charlie, cw.erin
    with pytest.raises(ValidationError, match="只有试点单位"):
        services.lesson_record(actor=secretary, unit=branch_unit, title="经验", text="做法")
    with pytest.raises(PermissionDenied):
        services.unit_set_pilot(actor=secretary, unit=branch_unit, is_pilot=True)
    services.unit_set_pilot(actor=street, unit=branch_unit, is_pilot=True)
    lesson = services.lesson_record(actor=secretary, unit=branch_unit, title="经验", text="做法")
    assert lesson.sector == branch_unit.sector
    assert PilotLesson.objects.filter(unit=branch_unit).count() == 1


def test_a_units_plan_comes_from_its_sectors_template_and_takes_its_own_items(
    cw, second, branch_unit
):
    secretary = cw.small.charlie
    services.template_create(
        actor=cw.frank,
        campaign=second,
        owner=cw.small.city,
        name="分类指导方案",
        sector=branch_unit.sector,
        focus="重点一\n重点二",
        steps="步骤一",
        indicators="指标一",
    )
    template = selectors.template_for(branch_unit)
    assert template is not None
    assert template.sector == branch_unit.sector  # S14
    branch_unit.plan_items.all().delete()
    n = services.unit_plan_instantiate(actor=secretary, unit=branch_unit)
    assert n == len(template.items()) == 4
    assert services.unit_plan_instantiate(actor=secretary, unit=branch_unit) == 0  # re-runnable
    own = services.unit_plan_add(
        actor=secretary, unit=branch_unit, kind="carrier", text="楼组党员议事会"
    )
    assert own.is_own  # S7
    item = branch_unit.plan_items.filter(template=template).first()
    services.unit_plan_mark(actor=secretary, item=item, done=True, note="已召开")
    item.refresh_from_db()
    assert item.done


def test_the_nearest_issuers_template_wins_and_an_org_type_one_wins_over_all(cw, second):
    admin = cw.frank
    committee = OrganizationFactory(
        parent=cw.small.city, name="科技教育党委", org_type=OrgType.SECTOR_COMMITTEE
    )
    OrganizationFactory(
        parent=committee,
        name="某医院党总支",
        org_type=OrgType.GENERAL_BRANCH,
        sector=Sector.HOSPITAL,
    )
    progress_services.participation_add(actor=admin, campaign=second, org=cw.small.city)
    (hospital,) = second.units.filter(sector=Sector.HOSPITAL).select_related("org")
    services.template_create(
        actor=admin,
        campaign=second,
        owner=committee,
        name="医院先进性教育活动实施方案",
        sector=Sector.HOSPITAL,
        focus="医德医风",
    )
    city_wide = services.template_create(
        actor=admin,
        campaign=second,
        owner=cw.small.city,
        name="医院通用",
        sector=Sector.HOSPITAL,
        focus="通用重点",
    )
    chosen = selectors.template_for(hospital)
    # the science-and-education committee's own hospital plan (S15), nearer than the city's
    assert chosen != city_wide
    assert chosen.name == "医院先进性教育活动实施方案"
    specific = services.template_create(
        actor=admin,
        campaign=second,
        owner=cw.small.city,
        name="医院党总支专用",
        sector=Sector.HOSPITAL,
        org_type=hospital.org.org_type,
        focus="专用重点",
    )
    assert selectors.template_for(hospital) == specific
