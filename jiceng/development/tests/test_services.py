"""Who takes a step (a branch secretary cannot approve: 须由上级党委), scoping (another
district's officer gets a 404), admission puts a probationary member on the roll, full
membership changes the category, every step audited, the worklists and documents."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from jiceng.core.idnumber import make_id_number
from jiceng.core.models import AuditEvent
from jiceng.development import selectors, services
from jiceng.members.models import Member, MemberCategory

from .conftest import D, date_of, extra_of, register, walk


def test_branch_secretary_takes_branch_steps_but_not_the_approval(small):
    d = register(small, actor=small.charlie)
    d = walk(small, d, "activist_filed", actor=small.charlie)
    rights = {r.code: r for r in services.step_rights(small.charlie, d)}
    assert rights["contacts"].allowed
    assert not rights["activist_filed"].allowed
    assert "上级党委" in rights["activist_filed"].refusal
    with pytest.raises(PermissionDenied, match="上级党委"):
        services.development_step(
            actor=small.charlie, development=d, step="activist_filed", on=D(2003, 3, 10)
        )
    # the district officer (over the street committee above the branch) may
    assert {r.code: r for r in services.step_rights(small.alice, d)}["activist_filed"].allowed
    services.development_step(
        actor=small.alice, development=d, step="activist_filed", on=D(2003, 3, 10)
    )


def test_above_step_records_the_committee_that_took_it(small):
    d = walk(small, register(small), "activist_filed")
    d = services.development_step(
        actor=small.alice, development=d, step="activist_filed", on=D(2003, 3, 10)
    )
    assert d.steps.get(step="activist_filed").approver_path == small.a.street.path


def test_other_district_officer_gets_404_and_cannot_act(small):
    d = register(small)
    with pytest.raises(Http404):
        selectors.development_get(small.bob, d.pk)
    with pytest.raises(PermissionDenied):
        services.development_step(actor=small.bob, development=d, step="talk", on=D(2003, 2, 1))
    with pytest.raises(PermissionDenied):
        register(small, actor=small.bob)


def test_admission_puts_a_probationary_member_on_the_roll_and_full_makes_full(small):
    before = Member.objects.count()
    d = walk(small, register(small), "approval")
    assert d.member is None
    d = services.development_step(
        actor=small.alice, development=d, step="approval", on=date_of("approval")
    )
    member = Member.objects.get(pk=d.member_id)
    assert Member.objects.count() == before + 1
    assert member.category == MemberCategory.PROBATIONARY
    assert member.name == "李曉明"  # as written, no script conversion
    assert member.home_org_id == small.a.branches[0].pk
    assert member.joined_on == date_of("general_meeting")
    assert member.id_number_index == d.id_number_index
    assert d.stage == "probationary"
    assert d.state == "admitted"
    d = walk(small, d, "full_approval")
    d = services.development_step(
        actor=small.alice, development=d, step="full_approval", on=date_of("full_approval")
    )
    member.refresh_from_db()
    assert member.category == MemberCategory.FULL
    assert member.full_member_on == date_of("full_approval")
    assert d.stage == "full"


def test_every_step_is_audited_and_secrets_masked(small):
    d = register(small)
    d = walk(small, d, "activist_filed")
    events = AuditEvent.objects.filter(object_type="development.development", object_id=str(d.pk))
    assert events.count() == 1 + 2  # the application, the talk and the activist
    created = events.get(verb="create")
    assert "13812345678" not in str(created.changes)
    assert d.id_number not in str(created.changes)
    assert services.development_reveal(actor=small.alice, development=d, field="id_number") == (
        d.id_number
    )
    assert events.filter(verb="reveal").count() == 1
    with pytest.raises(PermissionDenied):
        services.development_reveal(actor=small.dora, development=d, field="id_number")


def test_worklists_due_and_overdue_by_district(small, settings):
    settings.JICENG_TODAY = "2003-02-20"
    d = register(small, applied_on=D(2003, 1, 10))  # talk due 2003-02-10
    fresh = register(
        small,
        applied_on=D(2003, 2, 1),
        id_number=make_id_number("310101", D(1981, 6, 1), 3, "F"),
        name="王芳",
    )  # talk due 2003-03-01
    today = D(2003, 2, 20)
    overdue = list(selectors.worklist(small.alice, small.a.org, "overdue", today=today))
    due = list(selectors.worklist(small.alice, small.a.org, "due", today=today))
    assert overdue == [d]
    assert due == [fresh]
    assert list(selectors.worklist(small.bob, small.b.org, "overdue", today=today)) == []
    f = selectors.figures(small.alice, small.a.org, today=today)
    assert (f["overdue"], f["due"], f["open"]) == (1, 1, 2)
    funnel = selectors.funnel(small.alice, small.a.org)
    assert funnel[0]["counts"][0] == 2


def test_documents_list_applicants_and_numbered_forms(small):
    d = walk(small, register(small), "form_filled")
    rows = selectors.register_rows(small.alice, small.a.org)
    assert rows[0][0] == "李曉明"
    assert rows[0][5] == D(2003, 1, 10)
    assert rows[0][6] == date_of("talk")
    forms = selectors.form_rows(small.alice, small.a.org)
    assert forms[0][0] == extra_of(small, "pre_review")["application_form_no"]
    assert selectors.form_rows(small.bob, small.b.org) == []
    assert d.application_form_no


def test_late_talk_shows_overdue_until_taken_with_reason(small, settings):
    d = register(small, applied_on=D(2005, 1, 31))
    assert d.next_due == D(2005, 2, 28)
    assert d.overdue(dt.date(2005, 3, 1))
    d = services.development_step(
        actor=small.alice, development=d, step="talk", on=D(2005, 3, 3), reason="申请人外出学习"
    )
    assert d.next_step == "activist"
    assert d.next_due is None


def test_bell_counts_overdue_cases_at_own_units(small):
    from jiceng.core.notices import notices_for

    register(small)  # talk overdue since 2003-02-10
    notes = {n.key: n for n in notices_for(small.charlie)}
    assert notes["development.overdue"].count == 1
    assert notes["development.overdue"].overdue
    assert "development.overdue" not in {n.key for n in notices_for(small.bob)}


def test_recompute_restores_next_due_and_district_worklist_prints(small):
    from io import StringIO

    from django.core.management import call_command

    from jiceng.development.models import Development

    d = register(small)
    Development.objects.filter(pk=d.pk).update(next_due=None, next_step="")
    out = StringIO()
    call_command("development_due", "--recompute", stdout=out)
    d.refresh_from_db()
    assert (d.next_step, d.next_due) == ("talk", D(2003, 2, 10))
    assert "1 条有变化" in out.getvalue()
    out = StringIO()
    call_command("development_due", "--district", small.a.org.code, "--overdue", stdout=out)
    assert "李曉明" in out.getvalue()
