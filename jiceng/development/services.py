"""Every write of membership development (发展党员): registering an application, taking a step
(checked by the stage engine against the rule table, then the rules of this app: age, vote,
training, extension, introducers), admission (the member enters the roll as probationary,
through ``members.services.member_create``), full membership (the category changes, through
``members.services.member_update``) and the audited reveal. Keyword-only, atomic, audited.

Who takes a step: the table says ``by="branch"`` (CHANGE over the branch) or ``by="above"``
(CHANGE over the basic-level committee above the branch, its nearest committee ancestor);
``step_rights`` answers both the pages' buttons and ``development_step``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, tree
from jiceng.core.idnumber import IdNumberError, mask_id_number, parse_id_number
from jiceng.core.scoping import Action, Actor, actor_name, actor_user, can, require
from jiceng.core.stages import Open, Pipeline, Record, Records, Step, StepError
from jiceng.members import services as member_services
from jiceng.members.models import Member, MemberCategory
from jiceng.members.phones import display_phone, mask_phone, normalize_phone
from jiceng.orgs.models import COMMITTEE_TYPES, RECEIVING_TYPES, Organization

from . import rules
from .models import Development, DevelopmentPerson, DevelopmentStep
from .rules import By, DevelopmentState

AUDITED = (
    "name",
    "id_number",
    "phone",
    "org",
    "applied_on",
    "stage",
    "state",
    "next_step",
    "next_due",
    "application_form_no",
    "member",
)
SECRET = ("id_number", "phone")
REVEALABLE = {"id_number": _("公民身份号码"), "phone": _("联系电话")}


def _snapshot(d: Development) -> dict:
    return audit.snapshot(d, AUDITED, masked=SECRET)


# ----- the rules of a case ------------------------------------------------------------------


def pipeline_of(d: Development) -> Pipeline:
    return rules.pipeline(d.rules_version)


def records_of(d: Development) -> Records:
    if not d.pk:
        return Records([])
    return Records(Record(s.step, s.on, s.value) for s in d.steps.all())


def committee_above(d: Development) -> Organization | None:
    """The basic-level committee above the branch: its nearest ancestor that is a committee."""
    return _committee_above(d.path)


def _committee_above(path: str) -> Organization | None:
    ancestors = tree.ancestor_paths(path)
    return (
        Organization.objects.filter(path__in=ancestors, org_type__in=COMMITTEE_TYPES)
        .order_by("-depth")
        .first()
    )


def taker_path_at(path: str, by: str) -> str:
    """Where a step taken ``by`` the branch or the committee above is taken, for a case at
    the branch ``path``."""
    if by == By.ABOVE:
        above = _committee_above(path)
        return above.path if above else tree.parent_path(path) or path
    return path


def taker_path(d: Development, by: str) -> str:
    return taker_path_at(d.path, by)


def refresh(d: Development, records: Records | None = None) -> None:
    """Stage, state, next step and next due date from the engine (what worklists read)."""
    p = pipeline_of(d)
    records = records if records is not None else records_of(d)
    d.stage = p.stage(records)
    ended = p.ended(records)
    if ended is not None:
        d.state = (
            DevelopmentState.CANCELLED if ended.code == rules.CANCEL_STEP else DevelopmentState.FULL
        )
    elif d.state != DevelopmentState.WITHDRAWN:
        d.state = rules.stage_state(d.stage)
    nxt = p.next_due(records) if ended is None and d.state != DevelopmentState.WITHDRAWN else None
    if nxt is None and ended is None and d.state != DevelopmentState.WITHDRAWN:
        opened = p.open_steps(records, include_optional=False)
        d.next_step = opened[0].step.code if opened else ""
        d.next_due = None
    else:
        d.next_step = nxt.step.code if nxt else ""
        d.next_due = nxt.due if nxt else None


@dataclass(frozen=True)
class StepRight:
    """An open step of a case, its window, and whether the user may take it (else why)."""

    open: Open
    allowed: bool
    refusal: str
    citation: str
    by_label: str

    @property
    def code(self) -> str:
        return self.open.step.code


def _refusal_for(actor: Actor, d: Development, by: str) -> str | None:
    return refusal_at(actor, d.path, by)


def refusal_at(actor: Actor, path: str, by: str, *, taker: str = "") -> str | None:
    """Why ``actor`` may not take a step ``by`` the branch or the committee above on a case at
    the branch ``path`` (None: they may); ``taker``: where it is taken, if known."""
    if actor is None or can(actor, Action.CHANGE, taker or taker_path_at(path, by)):
        return None
    if by == By.ABOVE:
        return str(_("该环节须由上级党委办理（备案、预审、谈话、审批），党支部无权办理"))
    return str(_("您无权办理该党支部的发展党员工作"))


def step_rights(actor: Actor, d: Development) -> list[StepRight]:
    """The steps open on ``d`` now and whether ``actor`` may take each: the one function the
    page's buttons, the API and ``development_step`` ask."""
    if d.state == DevelopmentState.WITHDRAWN:
        return []
    p = pipeline_of(d)
    out = []
    above_ok = branch_ok = None
    for o in p.open_steps(records_of(d)):
        if o.step.by == By.ABOVE:
            if above_ok is None:
                above_ok = _refusal_for(actor, d, By.ABOVE) or ""
            why = above_ok
        else:
            if branch_ok is None:
                branch_ok = _refusal_for(actor, d, By.BRANCH) or ""
            why = branch_ok
        out.append(
            StepRight(
                open=o,
                allowed=not why,
                refusal=why,
                citation=p.citation(o.step),
                by_label=str(By(o.step.by).label),
            )
        )
    return out


# ----- applicants ---------------------------------------------------------------------------


def _apply_id_number(d: Development, raw: str) -> None:
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError({"id_number": _("请填写公民身份号码")})
    try:
        parsed = parse_id_number(raw, today=clock.today())
    except IdNumberError as exc:
        raise ValidationError({"id_number": exc.message}) from exc
    d.id_number = parsed.value
    d.id_number_index = member_services.id_number_index(parsed.value)
    d.id_number_masked = mask_id_number(parsed.value)
    d.birth_date = parsed.birth_date
    d.sex = parsed.sex


def _apply_phone(d: Development, raw: str) -> None:
    try:
        e164 = normalize_phone(raw or "")
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    d.phone = e164
    d.phone_index = member_services.phone_index(e164) if e164 else ""
    d.phone_masked = mask_phone(e164)


def _check_branch(org: Organization) -> None:
    if org.org_type not in RECEIVING_TYPES:
        raise ValidationError({"org": _("入党申请书应向工作、学习所在单位的党支部（党总支）递交")})
    if org.is_abolished:
        raise ValidationError({"org": _("该组织已撤销")})


@transaction.atomic
def development_register(
    *,
    actor: Actor,
    org: Organization,
    name: str,
    id_number: str,
    applied_on: dt.date,
    phone: str = "",
    work_unit: str = "",
) -> Development:
    """Register an application (step 1, 递交入党申请书) at a branch. Refused: under 18 on the
    day of application (第五条), a date after today, the same person with an open case at
    the same branch."""
    d = _new_case(
        actor=actor,
        org=org,
        name=name,
        id_number=id_number,
        applied_on=applied_on,
        phone=phone,
        work_unit=work_unit,
    )
    refresh(d, Records([Record(rules.APPLY_STEP, applied_on)]))
    d.save()
    DevelopmentStep.objects.create(
        development=d,
        step=rules.APPLY_STEP,
        on=applied_on,
        by=By.BRANCH,
        actor=actor_user(actor),
        actor_repr=actor_name(actor)[:150],
    )
    audit.record(actor=actor, verb="create", obj=d, org_path=d.path, after=_snapshot(d))
    return d


def _new_case(
    *,
    actor: Actor,
    org: Organization,
    name: str,
    id_number: str,
    applied_on: dt.date,
    phone: str,
    work_unit: str,
) -> Development:
    """A new case, not yet saved, refused as ``development_register`` says."""
    require(actor, Action.CHANGE, org.path, _("无权在该党支部登记入党申请"))
    _check_branch(org)
    if applied_on > clock.today():
        raise ValidationError({"applied_on": _("日期不能晚于今天")})
    d = Development(
        name=(name or "").strip(),
        org=org,
        path=org.path,
        applied_on=applied_on,
        work_unit=(work_unit or "").strip(),
        rules_version=rules.pipeline_on(applied_on).version,
    )
    _apply_id_number(d, id_number)
    _apply_phone(d, phone)
    if not d.name:
        raise ValidationError({"name": _("请填写姓名")})
    too_young = rules.age_refusal(d.birth_date, applied_on)
    if too_young:
        raise ValidationError({"applied_on": too_young})
    if (
        Development.objects.filter(id_number_index=d.id_number_index, org=org)
        .exclude(state__in=(DevelopmentState.CANCELLED, DevelopmentState.WITHDRAWN))
        .exists()
    ):
        raise ValidationError({"id_number": _("该申请人在本支部已有发展党员记录")})
    return d


def _full_members_of(d: Development, members: list[Member], label: str) -> None:
    for m in members:
        if m.category != MemberCategory.FULL or not m.home_path.startswith(taker_path(d, By.ABOVE)):
            raise ValidationError(
                _("%(label)s须为本单位的正式党员：%(name)s") % {"label": label, "name": m.name}
            )


def _checks(
    d: Development,
    code: str,
    *,
    value: int | None,
    details: dict[str, Any],
    people: list[Member],
    form_no: str,
) -> None:
    """The rules of this app beyond order and time (each refusal cites its article)."""
    if code in rules.VOTE_STEPS:
        why = rules.vote_refusal(details)
        if why:
            raise StepError(why, code="vote")
    elif code == rules.TRAINING_STEP:
        why = rules.training_refusal(details.get("days"), details.get("hours"))
        if why:
            raise StepError(why, code="training")
    elif code == rules.EXTEND_STEP:
        why = rules.extension_refusal(value)
        if why:
            raise StepError(why, code="extension")
    elif code == rules.INTRODUCERS_STEP:
        if len(people) != 2:
            raise StepError(
                _("入党介绍人一般为两名正式党员（%(cite)s第十四条）") % {"cite": rules.SOURCE},
                code="introducers",
            )
        _full_members_of(d, people, str(_("入党介绍人")))
    elif code == rules.MENTORS_STEP:
        if not 1 <= len(people) <= 2:
            raise StepError(
                _("培养联系人为一至两名正式党员（%(cite)s第九条（待核））")
                % {"cite": rules.SOURCE},
                code="mentors",
            )
        _full_members_of(d, people, str(_("培养联系人")))
    elif code == rules.PRE_REVIEW_STEP and not form_no.strip():
        raise StepError(_("预审合格发放入党志愿书，请填写入党志愿书编号"), code="form_no")


def _record(
    actor: Actor,
    d: Development,
    s: Step,
    on: dt.date,
    *,
    late: bool,
    reason: str = "",
    value: int | None = None,
    details: dict[str, Any] | None = None,
    people: list[Member] | None = None,
    note: str = "",
    above: str = "",
) -> None:
    """Write a step the checks let through, with what follows from it: the introducers or
    contacts named, the member on the roll on admission, full membership. ``above``: the
    committee above the branch, if known."""
    _step_row(
        actor, d, s, on, late=late, reason=reason, value=value, details=details, note=note,
        above=above,
    ).save()  # fmt: skip
    role = {
        rules.INTRODUCERS_STEP: DevelopmentPerson.Role.INTRODUCER,
        rules.MENTORS_STEP: DevelopmentPerson.Role.MENTOR,
    }.get(s.code)
    if role and people:
        DevelopmentPerson.objects.bulk_create(
            [DevelopmentPerson(development=d, member=m, role=role) for m in people]
        )
    if s.code == rules.ADMIT_STEP:
        _admit(actor, d, on)
    elif s.code == rules.FULL_STEP:
        _make_full(actor, d, on)


# steps whose writing does more than keep the step (``_record``)
CONSEQUENTIAL = (rules.ADMIT_STEP, rules.FULL_STEP, rules.INTRODUCERS_STEP, rules.MENTORS_STEP)


def _step_row(
    actor: Actor,
    d: Development,
    s: Step,
    on: dt.date,
    *,
    late: bool,
    reason: str = "",
    value: int | None = None,
    details: dict[str, Any] | None = None,
    note: str = "",
    above: str = "",
) -> DevelopmentStep:
    return DevelopmentStep(
        development=d,
        step=s.code,
        on=on,
        value=value,
        details=details or {},
        reason=reason.strip()[:300] if late else "",
        late=late,
        by=s.by,
        approver_path=(above or taker_path(d, s.by)) if s.by == By.ABOVE else "",
        note=note[:300],
        actor=actor_user(actor),
        actor_repr=actor_name(actor)[:150],
    )


def _admit(actor: Actor, d: Development, on: dt.date) -> None:
    """Step 17: the member enters the roll as probationary, at the branch, joined on the day of
    the general meeting's vote (the probation counts from it, 第三十二条)."""
    records = records_of(d)
    joined = records.last("general_meeting") or on
    member, _warnings = member_services.member_create(
        actor=None,  # the upper committee's approval; the branch's roll is written by the system
        home_org=d.org,
        participating_org=d.org,
        id_number=d.id_number,
        phone=d.phone,
        name=d.name,
        category=MemberCategory.PROBATIONARY,
        joined_on=joined,
        work_unit=d.work_unit,
    )
    d.member = member


def _make_full(actor: Actor, d: Development, on: dt.date) -> None:
    if d.member is None:
        return
    member_services.member_update(
        actor=None, member=d.member, category=MemberCategory.FULL, full_member_on=on
    )


@transaction.atomic
def development_step(
    *,
    actor: Actor,
    development: Development,
    step: str,
    on: dt.date,
    reason: str = "",
    value: int | None = None,
    details: dict[str, Any] | None = None,
    people: list[Member] | None = None,
    application_form_no: str = "",
    note: str = "",
) -> Development:
    """Take ``step`` on ``development`` on ``on``. Refused with the article: out of order,
    repeated, too early, late without a reason (the engine); the vote, training, extension and
    introducer rules (``rules``); by a user who may not take it (``step_rights``)."""
    d = Development.objects.select_for_update().get(pk=development.pk)
    p = pipeline_of(d)
    s = p.step(step)
    why = _refusal_for(actor, d, s.by)
    if why:
        require(actor, Action.CHANGE, taker_path(d, s.by), why)
    if d.state == DevelopmentState.WITHDRAWN:
        raise ValidationError(_("此发展党员记录已终止"))
    details = {k: v for k, v in (details or {}).items() if v not in (None, "")}
    people = list(people or [])
    records = records_of(d)
    checked = p.check(records, step, on, today=clock.today(), reason=reason)
    _checks(d, step, value=value, details=details, people=people, form_no=application_form_no)
    before = _snapshot(d)
    if step == rules.PRE_REVIEW_STEP:
        d.application_form_no = application_form_no.strip()
        d.form_committee_path = taker_path(d, By.ABOVE)
        if (
            Development.objects.filter(
                form_committee_path=d.form_committee_path,
                application_form_no=d.application_form_no,
            )
            .exclude(pk=d.pk)
            .exists()
        ):
            raise ValidationError(_("该入党志愿书编号已被本党委使用"))
    _record(
        actor,
        d,
        s,
        on,
        late=checked.late,
        reason=reason,
        value=value,
        details=details,
        people=people,
        note=note,
    )
    refresh(d)
    d.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=d,
        org_path=d.path,
        before=before,
        after=_snapshot(d),
        note=str(_("办理「%(step)s」%(on)s") % {"step": s.label, "on": on})
        + (str(_("（逾期，原因：%(r)s）")) % {"r": reason.strip()} if checked.late else ""),
    )
    return d


@transaction.atomic
def development_withdraw(*, actor: Actor, development: Development, reason: str) -> Development:
    """End a case that has not reached admission (the applicant withdrew, or was not
    developed), with the reason."""
    d = Development.objects.select_for_update().get(pk=development.pk)
    require(actor, Action.CHANGE, d.path, _("您无权办理该党支部的发展党员工作"))
    if d.state != DevelopmentState.ACTIVE:
        raise ValidationError(_("只有尚未接收为预备党员的记录可以终止"))
    if not reason.strip():
        raise ValidationError({"reason": _("请写明终止原因")})
    before = _snapshot(d)
    d.state = DevelopmentState.WITHDRAWN
    d.next_step, d.next_due = "", None
    d.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=d,
        org_path=d.path,
        before=before,
        after=_snapshot(d),
        note=reason.strip()[:300],
    )
    return d


def development_reveal(*, actor: Actor, development: Development, field: str) -> str:
    """The ID number or phone in clear for a role with REVEAL over the branch; audited,
    naming the field, never the value."""
    if field not in REVEALABLE:
        raise ValidationError(_("不能查看该字段"))
    if actor is not None and not can(actor, Action.REVEAL, development.path):
        raise PermissionDenied(_("您的角色无权查看完整的敏感信息"))
    audit.record(
        actor=actor,
        verb="reveal",
        obj=development,
        org_path=development.path,
        note=f"查看发展党员{REVEALABLE[field]}",
    )
    if field == "phone":
        return display_phone(development.phone)
    return development.id_number


# ----- import (issue 23: each applicant's stage dates from a spreadsheet) -------------------


class ImportOutcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


IMPORT_NOTE = "导入"  # the note on each step an import records


@dataclass(frozen=True)
class ImportedStep:
    """A step's date as a file gives it; ``value``: the months of an extension."""

    step: str
    on: dt.date
    value: int | None = None


@dataclass(frozen=True)
class ImportedCase:
    """One applicant's row of an import: the name as written, the ID number and phone in
    clear, the steps' dates, and the one reason given for any late step of the row."""

    name: str
    id_number: str
    steps: tuple[ImportedStep, ...]
    phone: str = ""
    work_unit: str = ""
    reason: str = ""
    application_form_no: str = ""


@dataclass(frozen=True)
class ImportPlan:
    """What importing a row would do to its case: the steps to record, in the order they are
    checked and written, each with whether it is late; the steps already recorded on the
    same day (skipped); the row's problems ``(step code or field, message)``, said before
    anything is written; the 入党志愿书 number to record."""

    new: tuple[tuple[ImportedStep, bool], ...] = ()
    same: tuple[ImportedStep, ...] = ()
    problems: tuple[tuple[str, str], ...] = ()
    form_no: str = ""

    @property
    def changes(self) -> bool:
        return bool(self.new or self.form_no)


def import_case_of(cases: Iterable[Development]) -> Development | None:
    """The case an import row is matched to among the cases of its key (the ID number's blind
    index at the branch): the open one, else the latest one ended."""
    found = sorted(cases, key=lambda d: d.pk or 0, reverse=True)
    ended = (DevelopmentState.CANCELLED, DevelopmentState.WITHDRAWN)
    return next((d for d in found if d.state not in ended), found[0] if found else None)


def import_plan(
    imported: ImportedCase,
    *,
    existing: Development | None,
    records: Iterable[Record],
    birth_date: dt.date | None,
    today: dt.date,
    above_refusal: str | None,
    on_roll: bool,
    form_taken: bool,
) -> ImportPlan:
    """Check an import row against its case (``existing``, with its ``records``) through the
    engine, step by step in date order, as ``development_step`` checks one step: out of order,
    too early, after today or late without the row's reason is a problem citing the rule;
    an application under 18 (第五条); a step of the committee above that the importer may not
    take (``above_refusal``); an admission of someone already on the roll (``on_roll``). A step
    already recorded on the same day is skipped; on another day it is a problem (an import
    never changes a step taken)."""
    done: dict[str, list[dt.date]] = {}
    running = list(records)
    for r in running:
        done.setdefault(r.step, []).append(r.on)
    applied = next((s.on for s in imported.steps if s.step == rules.APPLY_STEP), None)
    p = pipeline_of(existing) if existing else rules.pipeline_on(applied or today)
    problems: list[tuple[str, str]] = []
    new: list[ImportedStep] = []
    same: list[ImportedStep] = []
    for st in imported.steps:
        s = p.step(st.step)
        if st.on in done.get(st.step, ()):
            same.append(st)
        elif done.get(st.step) and not s.repeats:
            recorded = max(done[st.step])
            problems.append(
                (
                    st.step,
                    _("「%(step)s」已记录为 %(day)s，导入不修改已办理的环节")
                    % {"step": s.label, "day": recorded},
                )
            )
        else:
            new.append(st)
    if existing is None and applied is None:
        problems.append((rules.APPLY_STEP, _("尚无发展党员记录，须填写递交入党申请书日期")))
    if existing is None and applied is not None:
        too_young = rules.age_refusal(birth_date, applied)
        if too_young:
            problems.append((rules.APPLY_STEP, too_young))
    if existing is not None and existing.state == DevelopmentState.WITHDRAWN and new:
        problems.append(("", _("此发展党员记录已终止，导入不再增加环节")))
    form_no = imported.application_form_no.strip()
    if form_no and existing is not None and existing.application_form_no:
        if existing.application_form_no != form_no:
            problems.append(
                (
                    "application_form_no",
                    _("入党志愿书编号已记录为 %(no)s，导入不修改已办理的环节")
                    % {"no": existing.application_form_no},
                )
            )
        form_no = ""
    elif form_no:
        if rules.PRE_REVIEW_STEP not in done and not any(
            st.step == rules.PRE_REVIEW_STEP for st in new
        ):
            problems.append(
                (
                    "application_form_no",
                    _("入党志愿书在上级党委预审合格后发放，请同时填写上级党委预审日期"),
                )
            )
        elif form_taken:
            problems.append(("application_form_no", _("该入党志愿书编号已被本党委使用")))
    if problems:
        return ImportPlan(same=tuple(same), problems=tuple(problems))
    order = {s.code: i for i, s in enumerate(p.steps)}
    planned: list[tuple[ImportedStep, bool]] = []
    for st in sorted(new, key=lambda st: (st.on, order[st.step])):
        s = p.step(st.step)
        why, late = _import_check(p, s, st, running, new, imported.reason, today, above_refusal)
        if why is None and s.code == rules.ADMIT_STEP and on_roll:
            why = str(
                _(
                    "该公民身份号码已登记在党员名册中，不能再接收为预备党员"
                    "（请核对是否已由其他途径登记）"
                )
            )
        if why is not None:
            problems.append((st.step, why))
            break
        running.append(Record(st.step, st.on, st.value))
        planned.append((st, late))
    if problems:
        return ImportPlan(same=tuple(same), problems=tuple(problems))
    return ImportPlan(new=tuple(planned), same=tuple(same), form_no=form_no)


def _import_check(
    p: Pipeline,
    s: Step,
    st: ImportedStep,
    running: list[Record],
    new: list[ImportedStep],
    reason: str,
    today: dt.date,
    above_refusal: str | None,
) -> tuple[str | None, bool]:
    """Why the engine (or the rules of this app it applies to a date) refuses ``st`` after the
    steps ``running``, the message naming the step and citing its article (None when it
    passes), and whether the step is late."""
    if s.by == By.ABOVE and above_refusal:
        return f"「{s.label}」：{above_refusal}", False
    try:
        checked = p.check(Records(running), st.step, st.on, today=today, reason=reason)
    except StepError as exc:
        said = "；".join(exc.messages)
        if exc.code == "order":
            later = [o for o in new if o.step in (*s.requires, *s.requires_any) and o.on > st.on]
            if later:
                said += str(
                    _("：文件中「%(first)s」的日期 %(day)s 晚于「%(step)s」的日期 %(on)s")
                ) % {"first": p.step(later[0].step).label, "day": later[0].on, "step": s.label,
                     "on": st.on}  # fmt: skip
        elif exc.code == "late":
            said += str(_("（请在“逾期原因”列写明）"))
        elif exc.code == "date":
            said = f"「{s.label}」{st.on}：{said}（{p.citation(s)}）"
        elif exc.code == "future":
            said = f"「{s.label}」{st.on}：{said}"
        return said, False
    if s.code == rules.EXTEND_STEP:
        return rules.extension_refusal(st.value), checked.late
    return None, checked.late


@transaction.atomic
def development_import_row(
    *, actor: Actor, org: Organization, imported: ImportedCase
) -> tuple[Development | None, str]:
    """Write one applicant's row of an import at the branch ``org``: a new case with its steps
    (registered as ``development_register`` does), or the steps missing from the case of the
    same key (the ID number's blind index at the branch). Every step is checked by the engine
    as ``import_plan`` says and written as ``development_step`` writes it, an admission
    putting the probationary member on the roll; vote counts, training length, introducers
    and contacts are not in a file and are not asked. Audited once per case changed."""
    require(actor, Action.CHANGE, org.path, _("无权在该党支部登记入党申请"))
    _check_branch(org)
    today = clock.today()
    try:
        parsed = parse_id_number((imported.id_number or "").strip(), today=today)
    except IdNumberError as exc:
        raise ValidationError({"id_number": exc.message}) from exc
    index = member_services.id_number_index(parsed.value)
    existing = import_case_of(
        Development.objects.select_for_update().filter(org=org, id_number_index=index)
    )
    records = [Record(s.step, s.on, s.value) for s in existing.steps.all()] if existing else []
    form_no = imported.application_form_no.strip()
    above = taker_path_at(org.path, By.ABOVE)
    same_number = Development.objects.filter(form_committee_path=above, application_form_no=form_no)
    if existing is not None:
        same_number = same_number.exclude(pk=existing.pk)
    form_taken = bool(form_no) and same_number.exists()
    plan = import_plan(
        imported,
        existing=existing,
        records=records,
        birth_date=parsed.birth_date,
        today=today,
        above_refusal=refusal_at(actor, org.path, By.ABOVE, taker=above),
        on_roll=Member.objects.filter(id_number_index=index).exists(),
        form_taken=form_taken,
    )
    if plan.problems:
        raise ValidationError([message for _field, message in plan.problems])
    if not plan.changes:
        return existing, ImportOutcome.UNCHANGED
    before = _snapshot(existing) if existing is not None else None
    if existing is None:
        applied_on = plan.new[0][0].on  # the application comes first (the engine's order)
        d = _new_case(
            actor=actor,
            org=org,
            name=imported.name,
            id_number=parsed.value,
            applied_on=applied_on,
            phone=imported.phone,
            work_unit=imported.work_unit,
        )
        refresh(d, Records([Record(rules.APPLY_STEP, applied_on)]))
        d.save()
    else:
        d = existing
    if plan.form_no:
        d.application_form_no = plan.form_no
        d.form_committee_path = above
    p = pipeline_of(d)
    said = []
    pending: list[DevelopmentStep] = []  # written together up to a step with consequences
    for st, late in plan.new:
        s = p.step(st.step)
        kw: dict[str, Any] = {"late": late, "reason": imported.reason, "value": st.value}
        if s.code in CONSEQUENTIAL:
            DevelopmentStep.objects.bulk_create(pending)
            pending = []
            _record(actor, d, s, st.on, note=IMPORT_NOTE, above=above, **kw)
        else:
            pending.append(_step_row(actor, d, s, st.on, note=IMPORT_NOTE, above=above, **kw))
        said.append(f"{s.label} {st.on}" + (str(_("（逾期）")) if late else ""))
    DevelopmentStep.objects.bulk_create(pending)
    refresh(d)
    d.imported_at = timezone.now()
    d.save()
    note = str(_("导入：%(steps)s")) % {"steps": "、".join(said)}
    if any(late for _st, late in plan.new):
        note += str(_("；逾期原因：%(r)s")) % {"r": imported.reason.strip()}
    audit.record(
        actor=actor,
        verb="create" if existing is None else "update",
        obj=d,
        org_path=d.path,
        before=before,
        after=_snapshot(d),
        note=note,
    )
    return d, ImportOutcome.CREATED if existing is None else ImportOutcome.UPDATED
