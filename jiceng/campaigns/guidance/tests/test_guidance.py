"""Pilots and their lessons (S5), classified guidance and the unit's own plan (S7, S14, S15)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiceng.campaigns.guidance import selectors, services
from jiceng.campaigns.models import Campaign, CampaignUnit, PilotLesson
from jiceng.orgs.models import Sector


@pytest.fixture
def second(world):
    return Campaign.objects.get(root=world.city, batch="second")


@pytest.fixture
def branch_unit(world, second):
    org = world.user("branch.secretary").primary_assignment.organization
    return CampaignUnit.objects.select_related("org").get(campaign=second, org=org)


def test_pilot_lessons_of_the_first_batch_guide_the_same_sector_in_the_second(world, second):
    assert second.previous is not None
    assert second.previous.batch == "first"
    lessons = list(selectors.lessons_for(second, Sector.STREET_COMMUNITY))
    assert lessons
    assert {lesson.sector for lesson in lessons} == {Sector.STREET_COMMUNITY}
    assert all(lesson.unit.is_pilot for lesson in lessons)
    assert all(lesson.unit.campaign_id == second.previous_id for lesson in lessons)


def test_only_a_pilot_records_lessons_and_only_the_parent_flags_it(world, second, branch_unit):
    secretary, street = world.user("branch.secretary"), world.user("street.officer")
    with pytest.raises(ValidationError, match="只有试点单位"):
        services.lesson_record(actor=secretary, unit=branch_unit, title="经验", text="做法")
    with pytest.raises(PermissionDenied):
        services.unit_set_pilot(actor=secretary, unit=branch_unit, is_pilot=True)
    services.unit_set_pilot(actor=street, unit=branch_unit, is_pilot=True)
    lesson = services.lesson_record(actor=secretary, unit=branch_unit, title="经验", text="做法")
    assert lesson.sector == branch_unit.sector
    assert PilotLesson.objects.filter(unit=branch_unit).count() == 1


def test_a_units_plan_comes_from_its_sectors_template_and_takes_its_own_items(
    world, second, branch_unit
):
    secretary = world.user("branch.secretary")
    template = selectors.template_for(branch_unit)
    assert template is not None
    assert template.sector == branch_unit.sector  # S14
    branch_unit.plan_items.all().delete()
    n = services.unit_plan_instantiate(actor=secretary, unit=branch_unit)
    assert n == len(template.items())
    assert services.unit_plan_instantiate(actor=secretary, unit=branch_unit) == 0  # re-runnable
    own = services.unit_plan_add(
        actor=secretary, unit=branch_unit, kind="carrier", text="楼组党员议事会"
    )
    assert own.is_own  # S7
    item = branch_unit.plan_items.filter(template=template).first()
    services.unit_plan_mark(actor=secretary, item=item, done=True, note="已召开")
    item.refresh_from_db()
    assert item.done


def test_the_nearest_issuers_template_wins_and_an_org_type_one_wins_over_all(world, second):
    hospital = (
        CampaignUnit.objects.filter(campaign=second, sector=Sector.HOSPITAL)
        .select_related("org")
        .first()
    )
    admin = world.user("city.admin")
    city_wide = services.template_create(
        actor=admin,
        campaign=second,
        owner=world.city,
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
        owner=world.city,
        name="医院党总支专用",
        sector=Sector.HOSPITAL,
        org_type=hospital.org.org_type,
        focus="专用重点",
    )
    assert selectors.template_for(hospital) == specific
