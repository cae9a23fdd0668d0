"""The scoping matrix: every URL pattern and every API operation, tried by an officer of
another district (DESIGN rule 1).

A 徐汇 district officer must get 404 for each 黄浦 object, and must see none of 黄浦's rows in
lists, counts and search results. ``ROUTES`` says how each named route is exercised; a route
that is not listed fails ``test_every_route_is_covered``, so a new page or API operation
cannot land without its scoping check.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jiceng.accounts.models import RoleAssignment
from jiceng.campaigns.models import (
    Campaign,
    CampaignUnit,
    FourOnesItem,
    ResponsibilityTask,
    ThemePractice,
    UnitPlanItem,
)
from jiceng.core.attachments.models import Attachment
from jiceng.core.attachments.services import attachments_add
from jiceng.core.attachments.tests.files import photo
from jiceng.imports.models import ImportJob
from jiceng.members.models import (
    DuplicateDismissal,
    LostContactCase,
    Member,
    MemberMerge,
    Transfer,
)
from jiceng.orgs.models import Organization, OrgType, Rectification, RectificationState
from jiceng.outreach.models import NeedyPerson
from jiceng.outreach.visits.models import Visit
from jiceng.planning.models import Plan
from jiceng.study.models import SelfStudy, StudyPeriod, StudySession
from jiceng.surveys.models import Appraisal

OUTSIDER = "xuhui.officer"


@dataclass(frozen=True)
class Foreign:
    """Objects of 黄浦 (outside the outsider's scope)."""

    org: Organization
    study_session: StudySession  # a session of a 黄浦 branch, with attendance
    self_study: SelfStudy  # a 黄浦 member's self-study
    member: Member
    account_pk: int
    assignment_pk: int
    import_job: ImportJob
    transfer: Transfer  # 黄浦 → outside the city, letter issued
    rectification: Rectification
    lost_case: LostContactCase  # a 黄浦 member out of contact, found
    merge: MemberMerge  # a merge of two 黄浦 records
    dismissal: DuplicateDismissal  # two 黄浦 members judged to be two people
    plan: Plan  # a 黄浦 plan
    campaign: Campaign  # a campaign of 黄浦 only
    unit: CampaignUnit  # a 黄浦 unit of the city-wide campaign
    plan_item: UnitPlanItem  # an item of that unit's plan
    task: ResponsibilityTask  # a task of that unit
    four_ones: FourOnesItem  # a 黄浦 member's "four ones" item
    practice: ThemePractice  # a theme practice organised by 黄浦
    appraisal: Appraisal  # a 黄浦 member's appraisal in the city-wide campaign (demo data)
    attachment: Attachment  # a photo of that "four ones" item
    needy: NeedyPerson  # a needy person living in a 黄浦 street
    visit: Visit  # a 黄浦 branch's visit to that person, with a need raised (S19)


@dataclass(frozen=True)
class Route:
    kind: str  # "object": 404 expected; "list": no foreign rows; "open": no scoped data
    kwargs: Callable[[Foreign], dict[str, Any]] | None = None
    methods: tuple[str, ...] = ("get",)
    query: Callable[[Foreign], dict[str, Any]] | None = None
    reason: str = ""
    data: Callable[[Foreign], dict[str, Any]] | None = None  # JSON body for POST
    # ids of foreign rows an API list must not return (default: the member or the unit)
    foreign_ids: Callable[[Foreign], set[int]] | None = None


def _org(f: Foreign) -> dict[str, Any]:
    return {"pk": f.org.pk}


def _member(f: Foreign) -> dict[str, Any]:
    return {"pk": f.member.pk}


def _transfer(f: Foreign) -> dict[str, Any]:
    return {"pk": f.transfer.pk}


def _study_session(f: Foreign) -> dict[str, Any]:
    return {"pk": f.study_session.pk}


def _self_study(f: Foreign) -> dict[str, Any]:
    return {"pk": f.self_study.pk}


def _bulk_foreign(f: Foreign) -> dict[str, Any]:
    return {"moves": [{"member_id": f.member.pk, "to_org_code": f.org.code}]}


def _lost(f: Foreign) -> dict[str, Any]:
    return {"pk": f.lost_case.pk}


def _merge(f: Foreign) -> dict[str, Any]:
    return {"pk": f.merge.pk}


def _twice(f: Foreign) -> dict[str, Any]:
    return {"keep": f.member.pk, "drop": f.member.pk}


def _rect(f: Foreign) -> dict[str, Any]:
    return {"pk": f.rectification.pk}


def _plan(f: Foreign) -> dict[str, Any]:
    return {"pk": f.plan.pk}


def _campaign(f: Foreign) -> dict[str, Any]:
    return {"pk": f.campaign.pk}


def _unit(f: Foreign) -> dict[str, Any]:
    return {"pk": f.unit.pk}


def _needy(f: Foreign) -> dict[str, Any]:
    return {"pk": f.needy.pk}


def _visit(f: Foreign) -> dict[str, Any]:
    return {"pk": f.visit.pk}


def _visit_need(f: Foreign) -> dict[str, Any]:
    return {"pk": f.visit.needs.get().pk}


def _service(f: Foreign) -> dict[str, Any]:
    """The demo's S27 service programme, run by a 黄浦 branch."""
    from jiceng.core.tree import district_path
    from jiceng.outreach.programmes.models import ServiceProgramme

    district = district_path(f.org.path)
    return {"pk": ServiceProgramme.objects.get(card_prefix="TS2005", path__startswith=district).pk}


def _service_run(f: Foreign) -> dict[str, Any]:
    """The S27 programme with a scheduling run queued, so its progress exists."""
    from jiceng.outreach.programmes.models import ScheduleRun, ServiceProgramme

    programme = ServiceProgramme.objects.get(**_service(f))
    if not programme.schedule_runs.exists():
        ScheduleRun.objects.create(programme=programme, path=programme.path)
    return {"pk": programme.pk}


def _service_card(f: Foreign) -> dict[str, Any]:
    from jiceng.outreach.programmes.models import ServiceCard

    return {"pk": ServiceCard.objects.filter(programme_id=_service(f)["pk"]).first().pk}


def _service_task(f: Foreign) -> dict[str, Any]:
    from jiceng.outreach.programmes.models import ServiceTask

    return {"pk": ServiceTask.objects.filter(programme_id=_service(f)["pk"]).first().pk}


def _pairing(f: Foreign) -> dict[str, Any]:
    """A proposed pairing of the 黄浦 needy person with the 黄浦 branch (S26)."""
    from jiceng.outreach.pairings.models import Pairing
    from jiceng.outreach.pairings.services import pairing_propose

    pairing = Pairing.objects.filter(needy=f.needy).first()
    if pairing is None:
        pairing = pairing_propose(actor=None, needy=f.needy, branch=f.org)
    return {"pk": pairing.pk}


def _unit_pairing(f: Foreign) -> dict[str, Any]:
    """A proposed pairing of a 黄浦 committee with a 黄浦 residential-area branch (S26)."""
    from jiceng.core import tree
    from jiceng.outreach.pairings.models import UnitPairing
    from jiceng.outreach.pairings.services import unit_pairing_propose

    district = tree.district_path(f.org.path)
    pairing = UnitPairing.objects.filter(
        path__startswith=district, partner_path__startswith=district
    ).first()
    if pairing is None:
        partner = Organization.objects.filter(
            path__startswith=district, sector="street_community", org_type=OrgType.BRANCH
        ).first()
        org = Organization.objects.get(path=district)
        pairing = unit_pairing_propose(actor=None, org=org, partner=partner)
    return {"pk": pairing.pk}


def _project(f: Foreign) -> Any:
    """A 黄浦 branch's support project (S28) with a goal and an assigned member, made when a
    route is tried (found again by the next route of the same test)."""
    from jiceng.outreach.projects import services as ps
    from jiceng.outreach.projects.models import SupportProject

    project = SupportProject.objects.filter(owner=f.org, title="黄浦帮扶项目").first()
    if project is None:
        project = ps.project_create(
            actor=None,
            owner=f.org,
            title="黄浦帮扶项目",
            beneficiary_kind="village",
            beneficiary_name="某村",
            starts_on=dt.date(2005, 7, 1),
            ends_on=dt.date(2005, 12, 31),
        )
        ps.goal_add(actor=None, project=project, measure="收入", unit="万元", baseline=1, target=2)
        ps.project_member_add(actor=None, project=project, member=f.member)
    return project


def _project_pk(f: Foreign) -> dict[str, Any]:
    return {"pk": _project(f).pk}


def _project_made(f: Foreign) -> dict[str, Any]:
    _project(f)
    return {}


def _ritem(f: Foreign) -> Any:
    """A 黄浦 branch's rectification item (S20, S22), closed with a standing arrangement and a
    source, made when a route is tried (found again by the next route of the same test)."""
    from jiceng.core import clock
    from jiceng.rectification import services as rs
    from jiceng.rectification.models import RectificationItem

    item = RectificationItem.objects.filter(owner=f.org, title="黄浦整改事项").first()
    if item is None:
        today = clock.today()
        item = rs.item_create(
            actor=None,
            owner=f.org,
            title="黄浦整改事项",
            since=today.replace(year=today.year - 10),
            deadline=today,
        )
        rs.source_link(actor=None, item=item, kind="other", note="黄浦群众来信")
        rs.item_start(actor=None, item=item)
        rs.item_complete(actor=None, item=item, result="x", notice_text="x", noticed_on=today)
        rs.item_verdict(actor=None, item=item, verdict="satisfied")
        rs.arrangement_set(
            actor=None,
            item=item,
            keeper_org=f.org,
            keeper="黄浦居委会主任",
            duties="x",
            check_every_days=7,
            starts_on=today - dt.timedelta(days=30),
        )
    return item


def _ritem_pk(f: Foreign) -> dict[str, Any]:
    return {"pk": _ritem(f).pk}


def _ritem_made(f: Foreign) -> dict[str, Any]:
    _ritem(f)
    return {}


def _petition(f: Foreign) -> Any:
    """A petition registered by the 黄浦 district and routed to its branch (S21), made when a
    route is tried (found again by the next route of the same test)."""
    from jiceng.core import tree
    from jiceng.petitions.models import Petition
    from jiceng.petitions.services import petition_register, petition_route

    petition = Petition.objects.filter(subject="黄浦信访事项").first()
    if petition is None:
        district = Organization.objects.get(path=tree.district_path(f.org.path))
        petition, _warnings = petition_register(
            actor=None,
            intake_org=district,
            channel="letter",
            received_on=dt.date(2005, 9, 1),
            petitioner_name="黄浦信访人",
            subject="黄浦信访事项",
            category="land",
            phone="13812345678",
        )
        petition = petition_route(actor=None, petition=petition, org=f.org, on=dt.date(2005, 9, 2))
    return petition


def _petition_pk(f: Foreign) -> dict[str, Any]:
    return {"pk": _petition(f).pk}


def _petition_made(f: Foreign) -> dict[str, Any]:
    _petition(f)
    return {}


# development (issue 23 item 2)
def _development(f: Foreign) -> Any:
    """An application at a 黄浦 branch, its talk overdue (made when a route is tried)."""
    from jiceng.core import tree
    from jiceng.core.idnumber import make_id_number
    from jiceng.development.models import Development
    from jiceng.development.services import development_register

    found = Development.objects.filter(name="黄浦申请人").first()
    if found is None:
        branch = (
            Organization.objects.filter(
                path__startswith=tree.district_path(f.org.path), org_type="branch"
            )
            .order_by("path")
            .first()
        )
        found = development_register(
            actor=None,
            org=branch,
            name="黄浦申请人",
            id_number=make_id_number("310101", dt.date(1983, 3, 3), 77, "M"),
            phone="13812345679",
            applied_on=dt.date(2005, 7, 1),
        )
    return found


def _development_pk(f: Foreign) -> dict[str, Any]:
    return {"pk": _development(f).pk}


def _development_made(f: Foreign) -> dict[str, Any]:
    _development(f)
    return {}


def _survey(f: Foreign) -> Any:
    """A satisfaction survey of the 黄浦 district over its branch (S23), opened, with tokens
    and one response with a comment, made when a route is tried (found again by the next route
    of the same test)."""
    from jiceng.core import clock, tree
    from jiceng.satisfaction import guard
    from jiceng.satisfaction import services as ss
    from jiceng.satisfaction.models import SatisfactionSurvey

    survey = SatisfactionSurvey.objects.filter(title="黄浦满意度测评").first()
    if survey is None:
        today = clock.today()
        district = Organization.objects.get(path=tree.district_path(f.org.path))
        survey = ss.survey_create(
            actor=None,
            owner=district,
            title="黄浦满意度测评",
            opens_on=today - dt.timedelta(days=1),
            closes_on=today + dt.timedelta(days=30),
            open_link=True,
        )
        rating = ss.question_add(actor=None, survey=survey, kind="rating", text="总体评价")
        text = ss.question_add(actor=None, survey=survey, kind="text", text="意见", required=False)
        ss.units_add(actor=None, survey=survey, orgs=[f.org])
        ss.tokens_generate(actor=None, survey=survey, per_unit=2)
        survey = ss.survey_act(actor=None, survey=survey, action="open")
        token = survey.tokens.order_by("id").first()
        ss.response_submit(
            actor=None,
            token=ss.token_find(guard.token_for(survey.pk, token.nonce)),
            answers={rating.pk: 0, text.pk: "黄浦群众的意见"},
        )
    return survey


def _survey_pk(f: Foreign) -> dict[str, Any]:
    return {"pk": _survey(f).pk}


def _survey_made(f: Foreign) -> dict[str, Any]:
    _survey(f)
    return {}


def _survey_unit(f: Foreign) -> dict[str, Any]:
    survey = _survey(f)
    return {"pk": survey.pk, "unit_pk": survey.units.get().pk}


def _appraisal(f: Foreign) -> dict[str, Any]:
    return {"pk": f.appraisal.pk}


def _appraisal_unit(f: Foreign) -> dict[str, Any]:
    return {"pk": f.appraisal.unit_id}


def _unit_score(f: Foreign) -> Any:
    """The 黄浦 unit's score in a run of the city-wide campaign (unit appraisal, issue 21),
    computed when a route is tried (found again by the next route of the same test)."""
    from jiceng.appraisal import services as aps
    from jiceng.appraisal.models import UnitScore

    score = UnitScore.objects.filter(unit=f.unit).first()
    if score is None:
        run = aps.appraisal_recompute(actor=None, campaign=f.unit.campaign)
        score = UnitScore.objects.get(run=run, unit=f.unit)
    return score


def _unit_score_pk(f: Foreign) -> dict[str, Any]:
    return {"pk": _unit_score(f).pk}


def _unit_score_made(f: Foreign) -> dict[str, Any]:
    _unit_score(f)
    return {}


def _huangpu_run(f: Foreign) -> Any:
    """A run of the 黄浦-only campaign (appraisal)."""
    from jiceng.appraisal import services as aps
    from jiceng.appraisal.models import AppraisalRun

    run = AppraisalRun.objects.filter(campaign=f.campaign).first()
    return run or aps.appraisal_recompute(actor=None, campaign=f.campaign)


def _huangpu_report(f: Foreign) -> Any:
    """A summary report of 黄浦 over its own campaign (reports, issue 22)."""
    from jiceng.reports import services as rs
    from jiceng.reports.models import SummaryReport

    district = Organization.objects.get(path=f.org.path[:8])
    report = SummaryReport.objects.filter(path=district.path).first()
    return report or rs.report_now(actor=None, root=district, campaign=f.campaign)


def _report_made(f: Foreign) -> dict[str, Any]:
    _huangpu_report(f)
    return {}


def _search_foreign(f: Foreign) -> dict[str, Any]:
    return {"q": f.member.name_initials}


# workers (issue 23 item 1, S3)
def _wround(f: Foreign) -> Any:
    """The 黄浦 recruitment round of the demo (S3), with its posts, applications and workers."""
    from jiceng.workers.models import WorkerRecruitment

    return WorkerRecruitment.objects.filter(path__startswith=f.org.path[:8]).order_by("id").first()


def _wround_pk(f: Foreign) -> dict[str, Any]:
    return {"pk": _wround(f).pk}


def _wpost_pk(f: Foreign) -> dict[str, Any]:
    return {"pk": _wround(f).posts.order_by("id").first().pk}


def _wapp_pk(f: Foreign) -> dict[str, Any]:
    return {"pk": _wround(f).applications.order_by("id").first().pk}


def _wobjection_pk(f: Foreign) -> dict[str, Any]:
    """An objection to a 黄浦 candidate (made when a route is tried)."""
    from jiceng.workers.models import WorkerObjection

    a = _wround(f).applications.order_by("id").first()
    o = WorkerObjection.objects.filter(application=a).first() or WorkerObjection.objects.create(
        application=a, received_on=dt.date(2005, 6, 14), content="黄浦异议"
    )
    return {"pk": o.pk}


def _wworker(f: Foreign) -> Any:
    from jiceng.workers.models import PartyWorker

    return PartyWorker.objects.filter(path__startswith=f.org.path[:8]).order_by("id").first()


def _wworker_pk(f: Foreign) -> dict[str, Any]:
    return {"pk": _wworker(f).pk}


def _export_job(f: Foreign) -> dict[str, Any]:
    """A 黄浦 officer's finished export job (made when the route is tried)."""
    from django.utils import timezone

    from jiceng.imports.models import ExportJob

    job = ExportJob.objects.create(
        kind="members",
        format="csv",
        status="done",
        org_path=f.org.path,
        created_by_id=f.account_pk,
        expires_at=timezone.now(),
    )
    return {"pk": job.pk}


ROUTES: dict[str, Route] = {
    # pages
    "core:home": Route("list"),
    "core:audit": Route("list", query=lambda f: {"object": f.member.name}),
    "core:notices": Route("list", reason="counts only; see members/tests/test_notices.py"),
    "core:health": Route("open", reason="liveness probe, no data"),
    "core:attachment": Route("object", kwargs=lambda f: {"pk": f.attachment.pk}),
    "core:attachment-thumb": Route("object", kwargs=lambda f: {"pk": f.attachment.pk}),
    "core:attachment-remove": Route(
        "object", kwargs=lambda f: {"pk": f.attachment.pk}, methods=("post",)
    ),
    "core:attachment-upload": Route(
        "object",
        kwargs=lambda f: {"key": "four-ones", "owner_id": f.four_ones.pk},
        methods=("post",),
    ),
    "set_language": Route("open", reason="language switch, no data"),
    "accounts:login": Route("open", reason="login form"),
    "accounts:logout": Route("open", reason="logout"),
    "accounts:list": Route("list"),
    "accounts:create": Route("list", reason="organisation dropdown lists only own subtree"),
    "accounts:detail": Route("object", lambda f: {"pk": f.account_pk}, ("get", "post")),
    "accounts:deactivate": Route("object", lambda f: {"pk": f.account_pk}, ("get", "post")),
    "accounts:withdraw": Route("object", lambda f: {"pk": f.assignment_pk}, ("get", "post")),
    "accounts:otp-reset": Route("object", lambda f: {"pk": f.account_pk}, ("post",)),
    "accounts:security": Route("open", reason="the user's own second factor and API token"),
    "accounts:otp-enrol": Route("open", reason="the user's own authenticator enrolment"),
    "accounts:otp-verify": Route("open", reason="the user's own second-factor code"),
    "accounts:otp-recovery": Route("open", reason="the user's own recovery codes"),
    "accounts:otp-recovery-download": Route("open", reason="the user's own recovery codes"),
    "accounts:token": Route("open", reason="issues or revokes the user's own API token"),
    "orgs:tree": Route("list"),
    "orgs:search": Route("list", query=lambda f: {"q": f.org.name_initials}),
    # scope=receiving searches every receiving unit's name and code by design (a transfer's
    # receiver): orgs/tests/test_picker.py; the default scope is the user's own
    "orgs:pick": Route("list", query=lambda f: {"q": f.org.name_initials}),
    "orgs:detail": Route("object", _org),
    "orgs:children": Route("object", _org),
    "orgs:found": Route("object", _org, ("get", "post")),
    "orgs:edit": Route("object", _org, ("get", "post")),
    "orgs:move": Route("object", _org, ("get", "post")),
    "orgs:merge": Route("object", _org, ("get", "post")),
    "orgs:abolish": Route("object", _org, ("get", "post")),
    "orgs:health-home": Route("list"),
    "orgs:health": Route("object", _org),
    "orgs:designate": Route("object", _org, ("get", "post")),
    "orgs:rectification": Route("object", _rect),
    "orgs:rectification-plan": Route("object", _rect, ("get", "post")),
    "orgs:rectification-note": Route("object", _rect, ("get", "post")),
    "orgs:rectification-close": Route("object", _rect, ("get", "post")),
    "orgs:rectification-step": Route(
        "object", lambda f: {"pk": f.rectification.pk, "step": "reopen"}, ("get", "post")
    ),
    "members:list": Route("list", query=_search_foreign),
    "members:create": Route("list", reason="organisation dropdown lists only own subtree"),
    "members:detail": Route("object", _member),
    "members:edit": Route("object", _member, ("get", "post")),
    "members:appoint-secretary": Route("object", lambda f: {"org_pk": f.org.pk}, ("get", "post")),
    "members:reveal": Route(
        "object", lambda f: {"pk": f.member.pk, "field": "id_number"}, ("post",)
    ),
    "members:my-reads": Route(
        "object", lambda f: {}, reason="self-service: an officer without a member record gets 404"
    ),
    "members:transfer-list": Route("list", query=lambda f: {"state": ""}),
    "members:transfer-bulk": Route("list", query=_search_foreign),
    "members:unplaced": Route("list"),
    "members:lost": Route("list", query=lambda f: {"tab": "closed"}),
    "members:lost-report": Route("list"),
    "members:lost-open": Route("object", _org, ("post",)),
    "members:lost-case": Route("object", _lost),
    "members:lost-attempt": Route("object", _lost, ("post",)),
    "members:lost-act": Route(
        "object", lambda f: {"pk": f.lost_case.pk, "action": "restore"}, ("post",)
    ),
    "members:contact": Route("object", _member, ("post",)),
    "members:duplicates": Route("list"),
    "members:duplicate-compare": Route("object", _twice, ("get", "post")),
    "members:duplicate-dismiss": Route("object", _twice, ("post",)),
    "members:dismissal-undo": Route("object", lambda f: {"pk": f.dismissal.pk}, ("post",)),
    "members:merges": Route("list"),
    "members:merge": Route("object", _merge),
    "members:merge-undo": Route("object", _merge, ("post",)),
    "members:unplaced-accept": Route("object", _org, ("post",)),
    "members:place": Route("object", _member, ("post",)),
    "members:transfer-detail": Route("object", _transfer),
    "members:transfer-letter": Route("object", _transfer),
    "members:transfer-act": Route(
        "object", lambda f: {"pk": f.transfer.pk, "action": "approve"}, ("post",)
    ),
    "members:transfer-request": Route(
        "object", lambda f: {"member_pk": f.member.pk}, ("get", "post")
    ),
    "study:home": Route("list"),
    "study:periods": Route("list", reason="city-wide reference data: periods and requirements"),
    "study:period": Route(
        "list",
        lambda f: {"pk": StudyPeriod.objects.order_by("id").values_list("pk", flat=True)[0]},
        reason="city-wide reference data",
    ),
    "study:mine": Route("list", reason="an officer without a member record sees a notice"),
    "study:unit": Route("object", _org),
    "study:below": Route("object", _org),
    "study:session-create": Route("object", _org, ("get", "post")),
    "study:session": Route("object", _study_session),
    "study:member": Route("object", _member),
    "study:selfstudy-create": Route("object", _member, ("get", "post")),
    "study:selfstudy-confirm": Route("object", _self_study, ("post",)),
    "planning:list": Route("list"),
    "planning:create": Route("list", reason="form only; the unit is typed by code and checked"),
    "planning:compare": Route(
        "object", lambda f: {}, reason="a foreign plan id is a 404: planning/tests"
    ),
    "planning:detail": Route("object", _plan),
    "planning:map": Route("object", _plan),
    "planning:export": Route("object", _plan),
    "planning:run": Route("object", _plan, ("post",)),
    "planning:move": Route("object", _plan, ("post",)),
    "planning:apply": Route("object", _plan, ("post",)),
    "planning:confirm": Route("object", _plan, ("post",)),
    "planning:revert": Route("object", _plan, ("post",)),
    "campaigns:list": Route("list"),
    "campaigns:create": Route("list", reason="form only; the unit is typed by code and checked"),
    "campaigns:detail": Route("object", _campaign),
    "campaigns:edit": Route("object", _campaign, ("get", "post")),
    "campaigns:lagging": Route("object", _campaign),
    "campaigns:launch": Route("object", _campaign, ("get", "post")),
    "campaigns:unit": Route("object", _unit),
    "campaigns:unit-act": Route(
        "object", lambda f: {"pk": f.unit.pk, "action": "launch"}, ("post",)
    ),
    "campaigns:unit-do": Route("object", lambda f: {"pk": f.unit.pk, "what": "pilot"}, ("post",)),
    "campaigns:plan-item": Route("object", lambda f: {"pk": f.plan_item.pk}, ("post",)),
    "campaigns:task-done": Route("object", lambda f: {"pk": f.task.pk}, ("post",)),
    "campaigns:four-ones-confirm": Route("object", lambda f: {"pk": f.four_ones.pk}, ("post",)),
    "campaigns:guidance": Route("object", _campaign, ("get", "post")),
    "campaigns:tasks": Route("object", _campaign),
    "campaigns:tasks-from-step": Route("object", _campaign, ("post",)),
    "campaigns:coverage": Route("object", _campaign),
    "campaigns:practices": Route("object", _campaign, ("get", "post")),
    "campaigns:practice-activity": Route("object", lambda f: {"pk": f.practice.pk}, ("post",)),
    "campaigns:mine": Route(
        "object", lambda f: {}, reason="self-service: an officer without a member record gets 404"
    ),
    "surveys:mine": Route(
        "list", reason="own appraisals; an officer without a member record sees a notice"
    ),
    "surveys:unit": Route("object", _appraisal_unit),
    "surveys:unit-open": Route("object", _appraisal_unit, ("post",)),
    "surveys:unit-close-peers": Route("object", _appraisal_unit, ("post",)),
    "surveys:unit-decide": Route("object", _appraisal_unit, ("post",)),
    "surveys:appraisal": Route("object", _appraisal),
    "surveys:appraisal-decide": Route("object", _appraisal, ("post",)),
    "surveys:self-analysis": Route("object", _appraisal, ("post",)),
    "surveys:rate": Route("object", _appraisal, ("post",)),
    "surveys:results": Route("object", _campaign),
    "imports:list": Route("list"),
    "imports:detail": Route("object", lambda f: {"pk": f.import_job.pk}),
    "imports:start": Route("object", lambda f: {"pk": f.import_job.pk}, ("get", "post")),
    "imports:errors": Route("object", lambda f: {"pk": f.import_job.pk}),
    "imports:export-members": Route("list", lambda f: {"fmt": "csv"}, query=_search_foreign),
    "imports:export-organizations": Route("list", lambda f: {"fmt": "csv"}),
    "imports:exports": Route("list"),
    "imports:export-detail": Route("object", _export_job),
    "imports:export-download": Route("object", _export_job),
    # API
    # outreach: the needy-people registry
    "outreach:needy-list": Route("list"),
    "outreach:needy-create": Route("list", reason="street dropdown lists only own subtree"),
    "outreach:needy-duplicates": Route("list"),
    "outreach:needy-export": Route(
        "list", lambda f: {"fmt": "csv"}, query=lambda f: {"q": f.needy.name_initials}
    ),
    "outreach:needy-detail": Route("object", _needy),
    "outreach:needy-edit": Route("object", _needy, ("get", "post")),
    "outreach:needy-status": Route("object", _needy, ("post",)),
    "outreach:needy-reveal": Route(
        "object", lambda f: {"pk": f.needy.pk, "field": "sensitive"}, ("post",)
    ),
    "outreach:needy-merge": Route("object", _needy, ("post",)),
    "outreach:categories": Route("open", reason="the city's one table of categories"),
    "outreach:category-active": Route(
        "open",
        lambda f: {"pk": 1},
        ("post",),
        reason="the city's one table; only a city-level officer may change it",
    ),
    "api-needy-list": Route("list", foreign_ids=lambda f: {f.needy.pk}),
    "api-needy-categories": Route("open", reason="the city's one table of categories"),
    "api-needy-detail": Route("object", _needy, ("get", "patch")),
    "api-needy-status": Route("object", _needy, ("post",)),
    "api-needy-reveal": Route(
        "object", lambda f: {"pk": f.needy.pk, "field": "id_number"}, ("post",)
    ),
    # public satisfaction surveys (S23)
    "satisfaction:list": Route("list", query=_survey_made),
    "satisfaction:create": Route("list", reason="owner picker lists only own subtree"),
    "satisfaction:detail": Route("object", _survey_pk),
    "satisfaction:edit": Route("object", _survey_pk, ("get", "post")),
    "satisfaction:act": Route(
        "object", lambda f: {"pk": _survey(f).pk, "action": "close"}, ("post",)
    ),
    "satisfaction:question-add": Route("object", _survey_pk, ("post",)),
    "satisfaction:question-remove": Route(
        "object",
        lambda f: {"pk": _survey(f).pk, "question_pk": _survey(f).questions.first().pk},
        ("post",),
    ),
    "satisfaction:question-move": Route(
        "object",
        lambda f: {
            "pk": _survey(f).pk,
            "question_pk": _survey(f).questions.first().pk,
            "direction": "down",
        },
        ("post",),
    ),
    "satisfaction:units-add": Route("object", _survey_pk, ("post",)),
    "satisfaction:unit-remove": Route("object", _survey_unit, ("post",)),
    "satisfaction:tokens-generate": Route("object", _survey_pk, ("post",)),
    "satisfaction:token-sheet": Route("object", _survey_unit),
    "satisfaction:results": Route("object", _survey_pk),
    "satisfaction:comments": Route("object", _survey_pk),
    "satisfaction:answer": Route(
        "open",
        lambda f: {"token": "x"},
        reason="public, no login: the single-use token is the credential (tests in satisfaction)",
    ),
    "satisfaction:open-answer": Route(
        "open",
        lambda f: {"key": "x"},
        reason="public, no login: only while the survey enables its open link; rate-limited",
    ),
    "satisfaction:captcha": Route(
        "open", lambda f: {"challenge": "x"}, reason="public captcha image, no data"
    ),
    "satisfaction:thanks": Route("open", reason="public thank-you page, no data"),
    "api-satisfaction-list": Route(
        "list", query=_survey_made, foreign_ids=lambda f: {_survey(f).pk}
    ),
    "api-satisfaction-detail": Route("object", _survey_pk, ("get", "patch")),
    "api-satisfaction-state": Route("object", _survey_pk, ("post",)),
    "api-satisfaction-results": Route("object", _survey_pk),
    "api-satisfaction-comments": Route("object", _survey_pk),
    "api-satisfaction-comment": Route("object", lambda f: {"pk": _survey(f).comments.get().pk}),
    # outreach: visits (S19)
    "outreach:visit-list": Route("list"),
    "outreach:visit-new": Route("list", reason="form only; the unit is picked in own scope"),
    "outreach:my-visits": Route(
        "object", lambda f: {}, reason="self-service: an officer without a member record gets 404"
    ),
    "outreach:visit-counts": Route("list"),
    "outreach:visit-detail": Route("object", _visit),
    "outreach:visit-confirm": Route("object", _visit, ("post",)),
    "outreach:visit-return": Route("object", _visit, ("post",)),
    "outreach:visit-resubmit": Route("object", _visit, ("post",)),
    "outreach:needs": Route("list"),
    "outreach:need-follow-up": Route("object", _visit_need, ("post",)),
    "api-visit-list": Route("list", foreign_ids=lambda f: {f.visit.pk}),
    "api-visit-counts": Route("list"),
    "api-visit-detail": Route("object", _visit),
    "api-visit-confirm": Route("object", _visit, ("post",)),
    "api-visit-return": Route("object", _visit, ("post",), data=lambda f: {"reason": "x"}),
    "api-visit-resubmit": Route("object", _visit, ("post",), data=lambda f: {"findings": "x"}),
    "api-visit-needs": Route("list", foreign_ids=lambda f: {f.visit.needs.get().pk}),
    "api-need-follow-up": Route(
        "object", _visit_need, ("post",), data=lambda f: {"state": "resolved", "note": "x"}
    ),
    # outreach: service programmes (S27)
    "outreach:service-list": Route("list"),
    "outreach:service-new": Route("list", reason="form only; the unit is picked in own scope"),
    "outreach:service-overdue": Route("list"),
    "outreach:my-service-tasks": Route(
        "object", lambda f: {}, reason="self-service: an officer without a member record gets 404"
    ),
    "outreach:service-detail": Route("object", _service),
    "outreach:service-edit": Route("object", _service, ("get", "post")),
    "outreach:service-activate": Route("object", _service, ("post",)),
    "outreach:service-close": Route("object", _service, ("post",)),
    "outreach:service-schedule": Route("object", _service, ("post",)),
    "outreach:service-schedule-progress": Route("object", _service_run),
    "outreach:service-enrol": Route("object", _service, ("get", "post")),
    "outreach:service-card": Route("object", _service_card),
    "outreach:service-card-withdraw": Route("object", _service_card, ("post",)),
    "outreach:service-task-done": Route("object", _service_task, ("post",)),
    "outreach:service-task-missed": Route("object", _service_task, ("post",)),
    "api-service-list": Route("list", foreign_ids=lambda f: set(_service(f).values())),
    "api-service-detail": Route("object", _service),
    "api-service-cards": Route(
        "object", _service, ("get", "post"), data=lambda f: {"household_ids": [f.needy.pk]}
    ),
    "api-service-schedule": Route("object", _service, ("post",)),
    "api-service-tasks": Route("list", foreign_ids=lambda f: set(_service_task(f).values())),
    "api-service-task-done": Route("object", _service_task, ("post",), data=lambda f: {}),
    # outreach: double pairing (S26)
    "outreach:pairing-list": Route("list", query=lambda f: _pairing(f) and {"state": ""}),
    "outreach:pairing-new": Route("list", reason="form only; people and branches of own scope"),
    "outreach:pairing-export": Route(
        "list", lambda f: {"fmt": "csv"}, query=lambda f: _pairing(f) and {"state": ""}
    ),
    "outreach:pairing-coverage": Route("list"),
    "outreach:pairing-confirm": Route("object", _pairing, ("post",)),
    "outreach:pairing-end": Route("object", _pairing, ("post",)),
    "outreach:unit-pairing-list": Route("list", query=lambda f: _unit_pairing(f) and {}),
    "outreach:unit-pairing-new": Route("list", reason="form only; the unit is in own scope"),
    "outreach:unit-pairing-confirm": Route("object", _unit_pairing, ("post",)),
    "outreach:unit-pairing-end": Route("object", _unit_pairing, ("post",)),
    "api-pairing-list": Route("list", foreign_ids=lambda f: {_pairing(f)["pk"]}),
    "api-pairing-coverage": Route("list"),
    "api-pairing-confirm": Route("object", _pairing, ("post",)),
    "api-pairing-end": Route("object", _pairing, ("post",), data=lambda f: {"reason": "x"}),
    "api-unit-pairing-list": Route("list", foreign_ids=lambda f: {_unit_pairing(f)["pk"]}),
    "api-unit-pairing-confirm": Route("object", _unit_pairing, ("post",)),
    "api-unit-pairing-end": Route(
        "object", _unit_pairing, ("post",), data=lambda f: {"reason": "x"}
    ),
    # outreach: support projects (S28)
    "outreach:project-list": Route("list", query=_project_made),
    "outreach:project-create": Route("list", reason="form only; the unit is picked in own scope"),
    "outreach:my-projects": Route(
        "object", lambda f: {}, reason="self-service: an officer without a member record gets 404"
    ),
    "outreach:project-detail": Route("object", _project_pk),
    "outreach:project-edit": Route("object", _project_pk, ("get", "post")),
    "outreach:project-act": Route(
        "object", lambda f: {"pk": _project(f).pk, "action": "start"}, ("post",)
    ),
    "outreach:project-goal-add": Route("object", _project_pk, ("post",)),
    "outreach:project-goal-remove": Route(
        "object",
        lambda f: {"pk": _project(f).pk, "goal_pk": _project(f).goals.get().pk},
        ("post",),
    ),
    "outreach:project-members": Route("object", _project_pk, ("get", "post")),
    "outreach:project-member-remove": Route(
        "object",
        lambda f: {"pk": _project(f).pk, "assignment_pk": _project(f).assignments.get().pk},
        ("post",),
    ),
    "outreach:project-progress": Route("object", _project_pk, ("get", "post")),
    # rectification items and standing arrangements (S20, S22)
    "rectification:item-list": Route("list", query=_ritem_made),
    "rectification:item-create": Route(
        "list", query=lambda f: {"petition": _petition(f).pk, "need": f.visit.needs.get().pk}
    ),
    "rectification:checks": Route("list", query=_ritem_made),
    "rectification:item-detail": Route("object", _ritem_pk),
    "rectification:item-edit": Route("object", _ritem_pk, ("get", "post")),
    "rectification:item-start": Route("object", _ritem_pk, ("post",)),
    "rectification:item-complete": Route("object", _ritem_pk, ("get", "post")),
    "rectification:item-verdict": Route("object", _ritem_pk, ("get", "post")),
    "rectification:source-add": Route("object", _ritem_pk, ("get", "post")),
    "rectification:campaign-add": Route("object", _ritem_pk, ("post",)),
    "rectification:arrangement": Route("object", _ritem_pk, ("get", "post")),
    "rectification:check-add": Route("object", _ritem_pk, ("get", "post")),
    # petitions (S21)
    "petitions:list": Route("list", query=_petition_made),
    "petitions:overdue": Route("list", query=_petition_made),
    "petitions:create": Route("list", reason="form only; the intake unit is picked in own scope"),
    "petitions:statistics": Route("list", query=_petition_made),
    "petitions:detail": Route("object", _petition_pk),
    "petitions:route": Route("object", _petition_pk, ("post",)),
    "petitions:transfer": Route("object", _petition_pk, ("post",)),
    "petitions:act": Route(
        "object", lambda f: {"pk": _petition(f).pk, "action": "accept"}, ("post",)
    ),
    "petitions:reveal": Route(
        "object", lambda f: {"pk": _petition(f).pk, "field": "phone"}, ("post",)
    ),
    "api-project-list": Route("list", query=_project_made, foreign_ids=lambda f: {_project(f).pk}),
    "api-project-figures": Route("list", query=_project_made),
    "api-project-detail": Route("object", _project_pk, ("get", "patch")),
    "api-project-state": Route(
        "object", _project_pk, ("post",), data=lambda f: {"action": "start"}
    ),
    "api-project-goals": Route(
        "object",
        _project_pk,
        ("post",),
        data=lambda f: {"measure": "x", "unit": "户", "baseline": 0, "target": 1},
    ),
    "api-project-goal-remove": Route(
        "object",
        lambda f: {"pk": _project(f).pk, "goal_pk": _project(f).goals.get().pk},
        ("delete",),
    ),
    "api-project-members": Route(
        "object", _project_pk, ("post",), data=lambda f: {"member_id": f.member.pk}
    ),
    "api-project-member-remove": Route(
        "object",
        lambda f: {"pk": _project(f).pk, "assignment_pk": _project(f).assignments.get().pk},
        ("delete",),
    ),
    "api-project-progress": Route(
        "object", _project_pk, ("post",), data=lambda f: {"noted_on": "2005-09-01", "note": "x"}
    ),
    "api-rectification-item-list": Route(
        "list", query=_ritem_made, foreign_ids=lambda f: {_ritem(f).pk}
    ),
    "api-rectification-item-figures": Route("list", query=_ritem_made),
    "api-rectification-item-checks-due": Route(
        "list", query=_ritem_made, foreign_ids=lambda f: {_ritem(f).arrangement.pk}
    ),
    "api-rectification-item-detail": Route("object", _ritem_pk, ("get", "patch")),
    "api-rectification-item-state": Route(
        "object", _ritem_pk, ("post",), data=lambda f: {"action": "start"}
    ),
    "api-rectification-item-sources": Route(
        "object", _ritem_pk, ("post",), data=lambda f: {"kind": "other", "note": "x"}
    ),
    "api-rectification-item-batches": Route(
        "object", _ritem_pk, ("post",), data=lambda f: {"campaign_id": f.campaign.pk}
    ),
    "api-rectification-item-arrangement": Route("object", _ritem_pk, ("put",)),
    "api-rectification-item-checks": Route(
        "object",
        _ritem_pk,
        ("post",),
        data=lambda f: {"checked_on": "2005-09-01", "passed": False, "note": "x"},
    ),
    "api-petition-list": Route(
        "list", query=_petition_made, foreign_ids=lambda f: {_petition(f).pk}
    ),
    "api-petition-statistics": Route("list", query=_petition_made),
    "api-petition-detail": Route("object", _petition_pk),
    "api-petition-route": Route(
        "object", _petition_pk, ("post",), data=lambda f: {"org_id": f.org.pk}
    ),
    "api-petition-transfer": Route(
        "object", _petition_pk, ("post",), data=lambda f: {"to_org_id": f.org.pk, "reason": "x"}
    ),
    "api-petition-act": Route(
        "object",
        lambda f: {"pk": _petition(f).pk, "action": "accept"},
        ("post",),
        data=lambda f: {},
    ),
    "api-petition-reveal": Route(
        "object", lambda f: {"pk": _petition(f).pk, "field": "phone"}, ("post",)
    ),
    "api-schema": Route("open", reason="OpenAPI document, no data"),
    "api-docs": Route("open", reason="API documentation page, no data"),
    "api-token": Route("open", reason="issues or revokes the caller's own API token"),
    "api-me": Route("list"),
    "api-org-list": Route("list", query=lambda f: {"q": f.org.name_initials}),
    "api-org-detail": Route("object", _org, ("get", "patch")),
    "api-org-weak-candidates": Route("object", _org),
    "api-org-secretary-vacancies": Route("object", _org),
    "api-org-size-suggestions": Route("object", _org),
    # unit appraisal (issue 21 item 4)
    "appraisal:ranking": Route("list", query=_unit_score_made),
    "appraisal:weights": Route("list", reason="the city's weights: no unit's rows"),
    "appraisal:run-start": Route("object", lambda f: {"campaign_pk": f.campaign.pk}, ("post",)),
    "appraisal:run-progress": Route("object", lambda f: {"pk": _huangpu_run(f).pk}),
    "appraisal:score": Route("object", _unit_score_pk),
    "appraisal:score-rows": Route(
        "object", lambda f: {"pk": _unit_score(f).pk, "indicator": "petitions_on_time"}
    ),
    "api-appraisal-runs": Route(
        "list",
        query=lambda f: _huangpu_run(f) and _unit_score_made(f),
        foreign_ids=lambda f: {_huangpu_run(f).pk},
    ),
    "api-appraisal-run": Route("object", lambda f: {"pk": _huangpu_run(f).pk}),
    "api-appraisal-scores": Route(
        "list", query=_unit_score_made, foreign_ids=lambda f: {_unit_score(f).pk}
    ),
    "api-appraisal-score": Route("object", _unit_score_pk),
    "api-appraisal-weights": Route("list", foreign_ids=lambda f: set()),
    "reports:list": Route("list", query=_report_made),
    "reports:detail": Route("object", lambda f: {"pk": _huangpu_report(f).pk}),
    "reports:progress": Route("object", lambda f: {"pk": _huangpu_report(f).pk}),
    "reports:docx": Route("object", lambda f: {"pk": _huangpu_report(f).pk}),
    "reports:rows": Route(
        "object", lambda f: {"pk": _huangpu_report(f).pk, "ref": "members.on_roll"}
    ),
    "reports:compare": Route(
        "object", lambda f: {"pk": _huangpu_report(f).pk, "other": _huangpu_report(f).pk}
    ),
    "reports:dashboard": Route("object", query=lambda f: {"under": f.org.pk}),
    "reports:dashboard-panel": Route("object", query=lambda f: {"under": f.org.pk}),
    "reports:figure-rows": Route(
        "object", lambda f: {"key": "members.on_roll"}, query=lambda f: {"under": f.org.pk}
    ),
    "api-reports": Route("list", query=_report_made, foreign_ids=lambda f: {_huangpu_report(f).pk}),
    "api-report": Route("object", lambda f: {"pk": _huangpu_report(f).pk}),
    "api-report-rows": Route(
        "object", lambda f: {"pk": _huangpu_report(f).pk, "ref": "members.on_roll"}
    ),
    "api-rectification-list": Route(
        "list", query=lambda f: {"group": "closed"}, foreign_ids=lambda f: {f.rectification.pk}
    ),
    "api-rectification-detail": Route("object", _rect),
    "api-rectification-step": Route(
        "object", lambda f: {"pk": f.rectification.pk, "step": "reopen"}, ("post",)
    ),
    "api-member-list": Route("list", query=_search_foreign),
    "api-member-detail": Route("object", _member, ("get", "patch")),
    "api-member-reveal": Route(
        "object", lambda f: {"pk": f.member.pk, "field": "id_number"}, ("post",)
    ),
    "api-member-my-reads": Route(
        "object", lambda f: {}, reason="self-service: an officer without a member record gets 404"
    ),
    "api-transfer-list": Route("list", query=lambda f: {"state": ""}),
    "api-transfer-detail": Route("object", _transfer),
    "api-transfer-act": Route(
        "object", lambda f: {"pk": f.transfer.pk, "action": "withdraw"}, ("post",)
    ),
    "api-transfer-bulk": Route("object", lambda f: {}, ("post",), data=_bulk_foreign),
    "api-unplaced-list": Route("list"),
    "api-lost-candidates": Route("list"),
    "api-lost-cases": Route(
        "list", query=lambda f: {"group": "closed"}, foreign_ids=lambda f: {f.lost_case.pk}
    ),
    "api-lost-case": Route("object", _lost),
    "api-lost-attempt": Route(
        "object",
        _lost,
        ("post",),
        data=lambda f: {"on": "2005-09-01", "channel": "phone", "result": "lead"},
    ),
    "api-lost-act": Route(
        "object",
        lambda f: {"pk": f.lost_case.pk, "action": "cancel"},
        ("post",),
        data=lambda f: {"note": "x"},
    ),
    "api-lost-report": Route("list"),
    "api-duplicate-groups": Route("list"),
    "api-member-merge": Route(
        "object",
        lambda f: {},
        ("post",),
        data=lambda f: {"keep_id": f.member.pk, "drop_id": f.member.pk},
    ),
    "api-duplicate-dismiss": Route(
        "object", lambda f: {}, ("post",), data=lambda f: {"a_id": f.member.pk, "b_id": f.member.pk}
    ),
    "api-merge-undo": Route("object", _merge, ("post",)),
    "api-member-place": Route("object", _member, ("post",), data=lambda f: {"org_id": f.org.pk}),
    "api-study-session-list": Route("list", foreign_ids=lambda f: {f.study_session.pk}),
    "api-study-session-detail": Route("object", _study_session),
    "api-study-completion": Route("object", _org),
    "api-study-below": Route("object", _org),
    "api-study-units": Route("object", _org),
    "api-study-selfstudy-list": Route("list", foreign_ids=lambda f: {f.self_study.pk}),
    "api-study-selfstudy-confirm": Route("object", _self_study, ("post",)),
    "api-plan-list": Route("list", foreign_ids=lambda f: {f.plan.pk}),
    "api-plan-detail": Route("object", _plan),
    "api-plan-run": Route("object", _plan, ("post",)),
    "api-plan-assignments": Route("object", _plan),
    "api-plan-pairings": Route("object", _plan),
    "api-plan-move": Route(
        "object", _plan, ("post",), data=lambda f: {"member_id": f.member.pk, "branch_index": 0}
    ),
    "api-plan-apply": Route("object", _plan, ("post",)),
    "api-plan-confirm": Route("object", _plan, ("post",)),
    "api-plan-revert": Route("object", _plan, ("post",), data=lambda f: {"reason": "x"}),
    "api-campaign-list": Route("list", foreign_ids=lambda f: {f.campaign.pk}),
    "api-campaign-detail": Route("object", _campaign),
    "api-campaign-progress": Route("object", _campaign),
    "api-campaign-lagging": Route("object", _campaign),
    "api-campaign-unit": Route("object", _unit),
    "api-campaign-unit-coverage": Route(
        "object",
        _unit,
        ("post",),
        data=lambda f: {"indicator": "owners", "numerator": 1, "denominator": 2},
    ),
    "api-campaign-tasks": Route("object", _campaign),
    "api-task-done": Route("object", lambda f: {"pk": f.task.pk}, ("post",)),
    "api-campaign-coverage": Route("object", _campaign),
    "api-four-ones": Route(
        "object",
        _campaign,
        ("get", "post"),
        data=lambda f: {
            "member_id": f.member.pk,
            "kind": "proposal",
            "description": "x",
            "done_on": "2005-08-01",
        },
    ),
    "api-four-ones-confirm": Route("object", lambda f: {"pk": f.four_ones.pk}, ("post",)),
    "api-campaign-guidance": Route("object", _campaign),
    "api-campaign-unit-act": Route(
        "object", lambda f: {"pk": f.unit.pk, "action": "launch"}, ("post",)
    ),
    "api-appraisal-unit": Route("object", _appraisal_unit),
    "api-appraisal-open": Route("object", _appraisal_unit, ("post",)),
    "api-appraisal-close-peers": Route("object", _appraisal_unit, ("post",)),
    "api-appraisal-decide-bulk": Route(
        "object",
        _appraisal_unit,
        ("post",),
        data=lambda f: {"decisions": [{"appraisal_id": f.appraisal.pk, "grade": "qualified"}]},
    ),
    "api-appraisal-detail": Route("object", _appraisal),
    "api-appraisal-self-analysis": Route(
        "object", _appraisal, ("post",), data=lambda f: {"text": "x"}
    ),
    "api-appraisal-rate": Route(
        "object", _appraisal, ("post",), data=lambda f: {"grade": "qualified"}
    ),
    "api-appraisal-decide": Route(
        "object", _appraisal, ("post",), data=lambda f: {"grade": "qualified"}
    ),
    "api-appraisal-results": Route("object", _campaign),
    "api-placement-accept": Route(
        "object", lambda f: {}, ("post",), data=lambda f: {"org_id": f.org.pk, "scope": "subtree"}
    ),
    # workers (issue 23 item 1, S3)
    "workers:round-list": Route("list"),
    "workers:round-create": Route("list", reason="form only; the district is picked in own scope"),
    "workers:figures": Route("list"),
    "workers:round-detail": Route("object", _wround_pk),
    "workers:round-edit": Route("object", _wround_pk, ("get", "post")),
    "workers:post-create": Route("object", _wround_pk, ("get", "post")),
    "workers:post-detail": Route("object", _wpost_pk),
    "workers:post-edit": Route("object", _wpost_pk, ("get", "post")),
    "workers:post-screen": Route("object", _wpost_pk, ("post",)),
    "workers:post-scores": Route("object", _wpost_pk, ("get", "post")),
    "workers:post-rank": Route("object", _wpost_pk, ("post",)),
    "workers:post-notice": Route("object", _wpost_pk, ("post",)),
    "workers:application-detail": Route("object", _wapp_pk),
    "workers:application-screen": Route("object", _wapp_pk, ("post",)),
    "workers:objection-add": Route("object", _wapp_pk, ("post",)),
    "workers:application-hire": Route("object", _wapp_pk, ("post",)),
    "workers:objection-resolve": Route("object", _wobjection_pk, ("post",)),
    "workers:worker-list": Route("list"),
    "workers:worker-detail": Route("object", _wworker_pk),
    "workers:training-add": Route("object", _wworker_pk, ("post",)),
    "workers:certificate": Route("object", _wworker_pk, ("post",)),
    "workers:deploy": Route("object", _wworker_pk, ("post",)),
    "workers:leave": Route("object", _wworker_pk, ("post",)),
    "workers:public-posts": Route("open", reason="the public's list of open posts, no data"),
    "workers:apply": Route("open", reason="the public's application form of a post (no login)"),
    "workers:applied": Route("open", reason="the applicant's own receipt, kept in their session"),
    "workers:follow": Route("open", reason="receipt + last four of the ID: state and dates only"),
    "api-workers-round-list": Route("list", foreign_ids=lambda f: {_wround(f).pk}),
    "api-workers-round-detail": Route("object", _wround_pk),
    "api-workers-post-create": Route(
        "object", _wround_pk, ("post",), data=lambda f: {"title": "x", "places": 1}
    ),
    "api-workers-post-applications": Route("object", _wpost_pk),
    "api-workers-post-scores": Route("object", _wpost_pk, ("post",), data=lambda f: {"scores": []}),
    "api-workers-post-rank": Route("object", _wpost_pk, ("post",)),
    "api-workers-post-notice": Route("object", _wpost_pk, ("post",), data=lambda f: {}),
    "api-workers-application-detail": Route("object", _wapp_pk),
    "api-workers-application-screen": Route(
        "object", _wapp_pk, ("post",), data=lambda f: {"eligible": True}
    ),
    "api-workers-application-hire": Route("object", _wapp_pk, ("post",), data=lambda f: {}),
    "api-workers-worker-list": Route("list", foreign_ids=lambda f: {_wworker(f).pk}),
    "api-workers-worker-deploy": Route(
        "object", _wworker_pk, ("post",), data=lambda f: {"org_id": f.org.pk}
    ),
    "api-workers-figures": Route("list"),
    # development (issue 23 item 2)
    "development:worklist": Route("list", query=_development_made),
    "development:list": Route("list", query=_development_made),
    "development:create": Route("list", reason="form only; the branch is picked in own scope"),
    "development:document": Route(
        "list", lambda f: {"kind": "register", "fmt": "csv"}, query=_development_made
    ),
    "development:detail": Route("object", _development_pk),
    "development:step": Route(
        "object", lambda f: {"pk": _development(f).pk, "step": "talk"}, ("post",)
    ),
    "development:withdraw": Route("object", _development_pk, ("post",)),
    "development:reveal": Route(
        "object", lambda f: {"pk": _development(f).pk, "field": "phone"}, ("post",)
    ),
    "api-development-list": Route(
        "list", query=_development_made, foreign_ids=lambda f: {_development(f).pk}
    ),
    "api-development-worklist": Route(
        "list", query=_development_made, foreign_ids=lambda f: {_development(f).pk}
    ),
    "api-development-figures": Route("list", query=_development_made),
    "api-development-detail": Route("object", _development_pk),
    "api-development-step": Route(
        "object", _development_pk, ("post",), data=lambda f: {"step": "talk", "on": "2005-07-05"}
    ),
    "api-development-reveal": Route(
        "object", lambda f: {"pk": _development(f).pk, "field": "phone"}, ("post",)
    ),
}

# Third-party routes that carry no domain data (static files are served by the web server).
IGNORED_NAMESPACES = {"djdt"}


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            if p.namespace in IGNORED_NAMESPACES:
                continue
            yield from _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{prefix}{p.name}"


def all_route_names() -> set[str]:
    return set(_walk(get_resolver().url_patterns))


def test_every_route_is_covered():
    """A new route must be added to ROUTES (with its scoping check) before it can land."""
    missing = sorted(all_route_names() - set(ROUTES))
    assert not missing, f"routes without a scoping check: {missing}"
    stale = sorted(set(ROUTES) - all_route_names())
    assert not stale, f"ROUTES lists routes that no longer exist: {stale}"


def test_every_route_without_a_check_says_why():
    for name, route in ROUTES.items():
        if route.kind == "open":
            assert route.reason, name


@pytest.fixture
def foreign(world) -> Foreign:
    huangpu = world.huangpu
    member = world.member_in(huangpu)
    account = world.user("huangpu.officer")
    assignment = RoleAssignment.objects.get(user=account)
    from django.utils import timezone

    from jiceng.members.transfers import services as ts

    transfer = ts.transfer_request(
        actor=account, member=member, dest_org_name="中共南京市鼓楼区委", dest_region="江苏省"
    )
    transfer = ts.transfer_approve(actor=account, transfer=transfer)
    transfer = ts.transfer_issue(
        actor=account, transfer=transfer, dues_paid_to=timezone.localdate()
    )
    job = ImportJob.objects.create(
        kind="member",
        organization=huangpu,
        org_path=huangpu.path,
        created_by=account,
        original_name="黄浦党员.xlsx",
        stored_path="/nonexistent",
        file_type="xlsx",
    )
    branch = world.branch_in(huangpu)
    rectification = Rectification.objects.create(
        org=branch,
        state=RectificationState.CLOSED,
        designated_on=dt.date(2005, 7, 1),
        closed_on=dt.date(2005, 11, 30),
        criteria={"irregular_life": {"met": True, "entered": True, "note": "x"}},
    )
    lost_case = LostContactCase.objects.create(
        member=member,
        member_path=member.home_path,
        state="found_relinked",
        opened_on=dt.date(2005, 7, 1),
        found_on=dt.date(2005, 9, 1),
    )
    other = (
        Member.objects.filter(home_path__startswith=huangpu.path)
        .exclude(pk=member.pk)
        .order_by("id")
        .first()
    )
    first, second = sorted([member, other], key=lambda m: m.pk)
    dismissal = DuplicateDismissal.objects.create(
        member_a=first, member_b=second, member_path=first.home_path
    )
    merge = MemberMerge.objects.create(
        kept=member,
        dropped_id=10**9,
        dropped_name="某某",
        member_path=member.home_path,
        dropped_row={},
        kept_before={},
    )
    from jiceng.study import services as study_services
    from jiceng.study.models import StudyPeriod

    period = StudyPeriod.objects.order_by("starts_on").first()
    study_unit = study_services.member_study_unit(member)
    study_session = study_services.session_record(
        actor=account,
        period=period,
        org=study_unit,
        held_on=dt.date(2005, 9, 1),
        topic="黄浦支部学习党章",
        amount=2,
        attendance=[(member.pk, True)],
    )
    self_study = study_services.selfstudy_record(
        actor=account,
        member=member,
        period=period,
        studied_on=dt.date(2005, 9, 2),
        topic="自学读本",
        amount=1,
    )
    plan = Plan.objects.create(
        name="黄浦区域党支部方案",
        kind="assign",
        state="ready",
        root=huangpu,
        root_path=huangpu.path,
        created_by=account,
        summary={"members": 0},
    )
    from jiceng.campaigns.chains.services import task_create
    from jiceng.campaigns.practices.services import four_ones_record, practice_create
    from jiceng.campaigns.progress.services import campaign_create

    campaign = campaign_create(
        actor=account,
        name="黄浦区专项活动",
        batch="second",
        root=huangpu,
        starts_on=dt.date(2005, 6, 30),
        ends_on=dt.date(2005, 12, 31),
    )
    unit = CampaignUnit.objects.filter(
        campaign__root=world.city, campaign__batch="second", org_path__startswith=huangpu.path
    ).first()
    appraisal = Appraisal.objects.filter(org_path__startswith=huangpu.path).order_by("id").first()
    assert appraisal is not None, "the demo has appraisals in 黄浦"
    city_campaign = unit.campaign
    plan_item = UnitPlanItem.objects.create(unit=unit, kind="carrier", text="黄浦自选载体")
    task = task_create(actor=account, unit=unit, title="黄浦任务", due_on=dt.date(2005, 9, 1))
    four_ones = four_ones_record(
        actor=account,
        campaign=city_campaign,
        member=member,
        kind="welfare",
        description="黄浦公益",
        done_on=dt.date(2005, 8, 1),
    )
    practice = practice_create(
        actor=account, campaign=city_campaign, owner=huangpu, name="黄浦主题实践"
    )
    (attachment,) = attachments_add(actor=account, record=four_ones, files=[photo("公益.jpg")])
    from jiceng.outreach.registry.services import needy_register

    needy, _warnings = needy_register(
        actor=account,
        street_org=Organization.objects.filter(
            path__startswith=huangpu.path, org_type=OrgType.STREET_COMMITTEE
        )
        .order_by("path")
        .first(),
        name="黄浦困难户",
        address="黄浦区某路1号",
        id_number="310101194503150020",
    )
    from jiceng.outreach.visits.services import visit_record

    visit = visit_record(
        actor=account,
        org=branch,
        target_kind="needy",
        needy=needy,
        visited_on=dt.date(2005, 9, 1),
        kind="home",
        visitors=[member] if member.home_org_id == branch.pk else [],
        needs=[("living", "黄浦困难户的需求")],
    )
    return Foreign(
        needy=needy,
        visit=visit,
        attachment=attachment,
        appraisal=appraisal,
        campaign=campaign,
        unit=unit,
        plan_item=plan_item,
        task=task,
        four_ones=four_ones,
        practice=practice,
        plan=plan,
        merge=merge,
        dismissal=dismissal,
        lost_case=lost_case,
        org=branch,
        member=member,
        account_pk=account.pk,
        assignment_pk=assignment.pk,
        import_job=job,
        transfer=transfer,
        study_session=study_session,
        self_study=self_study,
        rectification=rectification,
    )


OBJECT_ROUTES = sorted(n for n, r in ROUTES.items() if r.kind == "object")
LIST_ROUTES = sorted(n for n, r in ROUTES.items() if r.kind == "list")


@pytest.mark.parametrize("name", OBJECT_ROUTES)
def test_outsider_gets_404_for_each_foreign_object(client, login, foreign, name):
    login(OUTSIDER)
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(foreign) if route.kwargs else None)
    for method in route.methods:
        kwargs: dict[str, Any] = {}
        if method == "get" and route.query is not None:  # the foreign object in ?under=
            kwargs = {"data": route.query(foreign)}
        elif method == "post" and route.data is not None:
            kwargs = {"data": route.data(foreign), "content_type": "application/json"}
        elif method in ("post", "patch"):
            kwargs = {
                "data": {"name": "x", "reason": "x", "target": foreign.org.pk},
                "content_type": "application/json" if method == "patch" else None,
            }
            kwargs = {k: v for k, v in kwargs.items() if v is not None}
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == 404, f"{method.upper()} {url} → {response.status_code}"


def _foreign_links(foreign: Foreign) -> list[str]:
    return [
        reverse("members:detail", args=[foreign.member.pk]),
        reverse("orgs:detail", args=[foreign.org.pk]),
        reverse("accounts:detail", args=[foreign.account_pk]),
        reverse("imports:detail", args=[foreign.import_job.pk]),
        reverse("members:transfer-detail", args=[foreign.transfer.pk]),
        reverse("orgs:rectification", args=[foreign.rectification.pk]),
        reverse("outreach:needy-detail", args=[foreign.needy.pk]),
        reverse("outreach:visit-detail", args=[foreign.visit.pk]),
    ]


@pytest.mark.parametrize("name", LIST_ROUTES)
def test_outsider_sees_no_foreign_rows_in_lists_counts_and_search(
    client, login, foreign, world, name
):
    user = login(OUTSIDER)
    route = ROUTES[name]
    query = route.query(foreign) if route.query else {}
    url = reverse(name, kwargs=route.kwargs(foreign) if route.kwargs else None)
    response = client.get(url, query)
    assert response.status_code == 200, name
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode()
    assert foreign.member.id_number_masked not in body, name
    for link in _foreign_links(foreign):
        assert f'href="{link}"' not in body, f"{name} links to {link}"
    if response.get("Content-Type", "").startswith("application/json"):
        payload = response.json()
        rows = payload.get("results", []) if isinstance(payload, dict) else payload
        ids = {row.get("id") for row in rows if isinstance(row, dict)}
        if "transfer" in name:
            foreign_ids = {foreign.transfer.pk}
        else:
            foreign_ids = {foreign.member.pk} if "member" in name else {foreign.org.pk}
        if route.foreign_ids is not None:
            foreign_ids = route.foreign_ids(foreign)
        assert not ids & foreign_ids, name
        if "member" in name and isinstance(payload, dict) and "count" in payload:
            visible = Member.objects.visible_to(user).count()
            assert payload["count"] <= visible
    # foreign organisation names never show up as options or rows
    assert foreign.org.name not in body or world.xuhui.name in foreign.org.name, name


def test_counts_on_pages_equal_visible_rows_only(client, login, world):
    user = login(OUTSIDER)
    response = client.get(reverse("members:list"))
    # the roll: members transferred out of the city are history, not counted
    visible = Member.objects.visible_to(user).on_roll().count()
    total = Member.objects.count()
    assert visible < total
    assert re.search(rf"共\s*{visible:,}\s*人", response.content.decode())
