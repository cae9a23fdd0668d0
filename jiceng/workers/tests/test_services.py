"""Recruiting party-mass workers (S3): every order and deadline rule of the pipeline, the
ranking and its tie rule, scoping and audit, on a small world of the test's own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from jiceng.core.models import AuditEvent
from jiceng.workers import services
from jiceng.workers.models import PartyWorker, WorkerApplication
from jiceng.workers.rules import AppState

from .helpers import apply, scored

D = dt.date
pytestmark = pytest.mark.django_db


NOTICE_ON, HIRE_ON, CERT_ON = D(2005, 6, 1), D(2005, 6, 9), D(2005, 7, 1)


def _hired(small, post, day, *, notice_on=NOTICE_ON, hire_on=HIRE_ON):
    first, _second = scored(small.alice, post, [("80", "90"), ("70", "70")], day, "2005-09-20")
    services.post_rank(actor=small.alice, post=post)
    services.notice_publish(actor=small.alice, post=post, on=notice_on)
    first.refresh_from_db()
    return services.application_hire(actor=small.alice, application=first, on=hire_on)


# ----- intake -------------------------------------------------------------------------------


def test_one_application_per_id_number_per_round(post, day):
    a = apply(post)
    with pytest.raises(ValidationError, match="已报名本次招聘"):
        services.application_submit(
            actor=None,
            post=post,
            name="再报一次",
            id_number=a.id_number,
            phone="13900000000",
            education="college",
        )


def test_application_is_refused_outside_the_round_days(post, day):
    day("2005-05-21")
    with pytest.raises(ValidationError, match="现在不能报名"):
        apply(post)


def test_id_number_and_phone_are_stored_encrypted_and_masked(post, day):
    a = apply(post)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone FROM workers_workerapplication WHERE id = %s", [a.pk]
        )
        raw = cursor.fetchone()
    assert a.id_number not in raw[0]
    assert "13800000000" not in raw[1]
    assert a.id_number_masked == a.id_number[:6] + "********" + a.id_number[-4:]
    assert a.phone_masked != "13800000000"


def test_a_bad_id_number_is_refused_in_words(post, day):
    with pytest.raises(ValidationError) as exc:
        apply(post, id_number="310104198003011234")
    assert "id_number" in exc.value.error_dict


def test_receipt_is_followed_with_the_last_four_of_the_id_number(post, day):
    a = apply(post)
    typed = a.receipt_display.lower()
    assert services.application_follow(typed, a.id_number[-4:]) == a
    assert (
        services.application_follow(typed, "0000" if a.id_number[-4:] != "0000" else "1111") is None
    )
    wrong = a.receipt[:11] + ("A" if a.receipt[11] != "A" else "B")
    assert services.normalize_receipt(wrong) is None


# ----- screening ----------------------------------------------------------------------------


def test_screening_refuses_eligible_when_age_or_education_is_short(post, day):
    young = apply(post, born=D(1985, 6, 1))  # 19 at the close
    low = apply(post, education="high_school")
    day("2005-05-23")
    for a in (young, low):
        with pytest.raises(ValidationError, match="不符合岗位条件"):
            services.application_screen(actor=None, application=a, eligible=True)
    counts = services.applications_screen_auto(actor=None, post=post)
    assert counts == {"eligible": 0, "ineligible": 2}
    young.refresh_from_db()
    assert young.state == AppState.INELIGIBLE
    assert "19 岁" in young.ineligible_reason


def test_ineligible_needs_a_reason_and_ends_the_application(post, day):
    a = apply(post)
    day("2005-05-23")
    with pytest.raises(ValidationError, match="原因"):
        services.application_screen(actor=None, application=a, eligible=False)
    services.application_screen(actor=None, application=a, eligible=False, reason="材料不实")
    with pytest.raises(ValidationError, match="结束"):
        services.scores_enter(actor=None, post=post, scores={a.pk: ("80", "")})


# ----- scores and ranking -------------------------------------------------------------------


def test_scores_are_all_or_nothing(small, post, day):
    a, b = apply(post), apply(post)
    day("2005-06-30")
    for x in (a, b):
        services.application_screen(
            actor=small.alice, application=x, eligible=True, on=D(2005, 5, 23)
        )
    with pytest.raises(ValidationError, match="0 至 100"):
        services.scores_enter(
            actor=small.alice,
            post=post,
            scores={a.pk: ("80", "90"), b.pk: ("180", "")},
            on=D(2005, 5, 28),
        )
    a.refresh_from_db()
    assert a.written_score is None
    assert a.state == AppState.ELIGIBLE
    assert not a.steps.filter(step="written").exists()


def test_interview_before_written_is_refused(small, post, day):
    a = apply(post)
    day("2005-06-30")
    services.application_screen(actor=small.alice, application=a, eligible=True, on=D(2005, 5, 23))
    with pytest.raises(ValidationError, match="笔试"):
        services.scores_enter(actor=small.alice, post=post, scores={a.pk: ("", "90")})


def test_ranking_uses_the_district_weights_and_the_tie_rule(small, post, day):
    day("2005-06-30")
    # totals: 0.4*80+0.6*90=86; 0.4*90+0.6*80=84; 0.4*95+0.6*80=86 (tie with the first:
    # higher interview first); 0.4*80+0.6*90=86 again (same marks: the earlier applicant)
    a, b, c, d = scored(
        small.alice,
        post,
        [("80", "90"), ("90", "80"), ("95", "80"), ("80", "90")],
        day,
        "2005-06-30",
    )
    services.post_rank(actor=small.alice, post=post)
    for x in (a, b, c, d):
        x.refresh_from_db()
    assert a.total_score == c.total_score == Decimal("86.00")
    assert [a.rank, d.rank, c.rank, b.rank] == [1, 2, 3, 4]


def test_ranking_matches_the_python_sort_of_the_rule(small, post, day):
    from jiceng.workers.rules import rank_key, total_score

    day("2005-06-30")
    marks = [(str(60 + i * 7 % 31), str(55 + i * 11 % 41)) for i in range(12)]
    apps = scored(small.alice, post, marks, day, "2005-06-30")
    services.post_rank(actor=small.alice, post=post)
    expected = sorted(
        apps,
        key=lambda x: rank_key(
            total_score(x.written_score, x.interview_score, Decimal("0.4"), Decimal("0.6")),
            x.interview_score,
            x.written_score,
            x.applied_at,
            x.pk,
        ),
    )
    got = list(WorkerApplication.objects.filter(post=post).order_by("rank"))
    assert got == expected


# ----- public notice, objections, hiring ----------------------------------------------------


def test_notice_runs_working_days_and_hiring_waits_for_its_end(small, post, day):
    first, _second = scored(small.alice, post, [("80", "90"), ("70", "70")], day, "2005-09-20")
    with pytest.raises(ValidationError, match="须先排名"):
        services.notice_publish(actor=small.alice, post=post, on=D(2005, 6, 1))
    services.post_rank(actor=small.alice, post=post)
    services.notice_publish(actor=small.alice, post=post, on=D(2005, 6, 1))  # a Wednesday
    first.refresh_from_db()
    assert first.state == AppState.ON_NOTICE
    assert first.notice_until == D(2005, 6, 8)  # Thu, Fri, Mon, Tue, Wed
    with pytest.raises(ValidationError, match="最早在 2005-06-09"):
        services.application_hire(actor=small.alice, application=first, on=D(2005, 6, 8))
    w = services.application_hire(actor=small.alice, application=first, on=D(2005, 6, 9))
    assert w.hired_on == D(2005, 6, 9)


def test_notice_over_national_day_counts_the_make_up_working_days(small, post, day):
    (a,) = scored(small.alice, post, [("80", "90")], day, "2005-10-31", on=D(2005, 9, 20))
    services.post_rank(actor=small.alice, post=post)
    services.notice_publish(actor=small.alice, post=post, on=D(2005, 9, 29))
    a.refresh_from_db()
    # 30 Sep, then 1-7 Oct off, then Sat 8 and Sun 9 Oct (make-up days), Mon 10, Tue 11
    assert a.notice_until == D(2005, 10, 11)
    with pytest.raises(ValidationError, match="最早在 2005-10-12"):
        services.application_hire(actor=small.alice, application=a, on=D(2005, 10, 11))
    services.application_hire(actor=small.alice, application=a, on=D(2005, 10, 12))


def test_objection_must_come_within_the_notice_and_blocks_hiring_until_resolved(small, post, day):
    first, _ = scored(small.alice, post, [("80", "90"), ("70", "70")], day, "2005-09-20")
    services.post_rank(actor=small.alice, post=post)
    services.notice_publish(actor=small.alice, post=post, on=D(2005, 6, 1))
    first.refresh_from_db()
    with pytest.raises(ValidationError, match="公示期内"):
        services.objection_record(
            actor=small.alice, application=first, content="x", received_on=D(2005, 6, 9)
        )
    o = services.objection_record(
        actor=small.alice, application=first, content="学历造假", received_on=D(2005, 6, 3)
    )
    with pytest.raises(ValidationError, match="异议"):
        services.application_hire(actor=small.alice, application=first, on=D(2005, 6, 9))
    services.objection_resolve(actor=small.alice, objection=o, upheld=False, resolution="核实无误")
    services.application_hire(actor=small.alice, application=first, on=D(2005, 6, 9))


def test_upheld_objection_ends_it_and_the_next_in_rank_replaces(small, post, day):
    day("2005-09-20")
    post.places = 1
    post.save()
    first, second = scored(small.alice, post, [("80", "90"), ("70", "70")], day, "2005-09-20")
    services.post_rank(actor=small.alice, post=post)
    services.notice_publish(actor=small.alice, post=post, on=D(2005, 6, 1))
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.state == AppState.SCORED  # one place: only the first on notice
    o = services.objection_record(
        actor=small.alice, application=first, content="x", received_on=D(2005, 6, 2)
    )
    services.objection_resolve(
        actor=small.alice, objection=o, upheld=True, resolution="属实", on=D(2005, 6, 6)
    )
    first.refresh_from_db()
    assert first.state == AppState.DISQUALIFIED
    with pytest.raises(ValidationError, match="结束"):
        services.application_hire(actor=small.alice, application=first, on=D(2005, 6, 9))
    (nominee,) = services.notice_publish(actor=small.alice, post=post, on=D(2005, 6, 7))
    assert nominee == second


# ----- training, deployment, leaving --------------------------------------------------------


def test_deploy_before_training_is_refused(small, post, two_new, day):
    w = _hired(small, post, day)
    with pytest.raises(ValidationError, match="须先办理「岗前培训合格」"):
        services.worker_deploy(actor=small.alice, worker=w, org=two_new, on=D(2005, 6, 20))


def test_certificate_needs_the_minimum_hours(small, post, day):
    w = _hired(small, post, day)
    services.training_record(
        actor=small.alice, worker=w, course="党的基本知识", hours=24, finished_on=D(2005, 6, 20)
    )
    with pytest.raises(ValidationError, match="不足 40 学时"):
        services.certificate_issue(
            actor=small.alice, worker=w, certificate_no="A1", on=D(2005, 6, 30)
        )
    services.training_record(
        actor=small.alice, worker=w, course="两新组织党建实务", hours=16, finished_on=D(2005, 6, 25)
    )
    w = services.certificate_issue(
        actor=small.alice, worker=w, certificate_no="A1", on=D(2005, 6, 30)
    )
    assert w.trained_on == D(2005, 6, 30)


def test_training_before_hiring_is_refused(small, post, day):
    w = _hired(small, post, day)
    with pytest.raises(ValidationError, match="结业日期"):
        services.training_record(
            actor=small.alice, worker=w, course="x", hours=8, finished_on=D(2005, 6, 1)
        )


def _trained(small, post, day, on=CERT_ON, reason=""):
    w = _hired(small, post, day)
    services.training_record(
        actor=small.alice, worker=w, course="岗前培训", hours=40, finished_on=D(2005, 6, 30)
    )
    return services.certificate_issue(
        actor=small.alice, worker=w, certificate_no="C-1", on=on, late_reason=reason
    )


def test_a_late_certificate_needs_a_reason(small, post, day):
    with pytest.raises(ValidationError, match="逾期办理须写明原因"):
        _trained(small, post, day, on=D(2005, 8, 10))  # hired 9 June: due 9 August


def test_deploy_only_to_a_served_org(small, post, two_new, day):
    w = _trained(small, post, day)
    with pytest.raises(ValidationError, match="服务的党组织"):
        services.worker_deploy(
            actor=small.alice, worker=w, org=small.a.branches[1], on=D(2005, 7, 5)
        )
    w = services.worker_deploy(actor=small.alice, worker=w, org=two_new, on=D(2005, 7, 5))
    assert w.in_post
    assert w.org_path == two_new.path


def test_leaving_frees_the_place_for_the_next_in_rank(small, post, two_new, day):
    w = _trained(small, post, day)
    services.worker_deploy(actor=small.alice, worker=w, org=two_new, on=D(2005, 7, 5))
    with pytest.raises(ValidationError, match="离岗原因"):
        services.worker_leave(actor=small.alice, worker=w, reason="", on=D(2005, 9, 1))
    services.worker_leave(actor=small.alice, worker=w, reason="考取公务员", on=D(2005, 9, 1))
    post.refresh_from_db()
    assert services.free_places(post) == 1  # two places: the second was on notice
    assert PartyWorker.objects.get(pk=w.pk).until == D(2005, 9, 1)


# ----- scoping and audit --------------------------------------------------------------------


def test_another_district_officer_is_refused(small, post, day):
    a = apply(post)
    day("2005-05-23")
    with pytest.raises(PermissionDenied, match="不能办理"):
        services.application_screen(actor=small.bob, application=a, eligible=True)
    with pytest.raises(PermissionDenied):
        services.post_rank(actor=small.bob, post=post)
    assert not WorkerApplication.objects.visible_to(small.bob).exists()
    assert WorkerApplication.objects.visible_to(small.alice).count() == 1


def test_every_write_is_audited_without_the_id_number(small, post, day):
    a = apply(post)
    rows = AuditEvent.objects.filter(verb="workers.apply", object_id=str(a.pk))
    assert rows.count() == 1
    assert a.id_number not in str(rows.get().changes)
    assert rows.get().org_path == small.a.org.path
    assert AuditEvent.objects.filter(verb="workers.post_create").exists()


def test_weights_must_sum_to_one(small, day):
    with pytest.raises(ValidationError, match="之和须为 1"):
        services.recruitment_create(
            actor=small.alice,
            district=small.a.org,
            title="x",
            opens_on=D(2005, 5, 9),
            closes_on=D(2005, 5, 20),
            written_weight=Decimal("0.5"),
            interview_weight=Decimal("0.6"),
            notice_days=5,
        )


def test_the_rank_command_ranks_every_post_of_the_round(small, post, day):
    from io import StringIO

    from django.core.management import call_command

    _a, b = scored(small.alice, post, [("60", "60"), ("90", "90")], day, "2005-06-30")
    out = StringIO()
    call_command("workers_rank", str(post.recruitment_id), stdout=out, stderr=StringIO())
    assert "排名 2 人" in out.getvalue()
    b.refresh_from_db()
    assert b.rank == 1
