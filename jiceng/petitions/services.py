"""Every write of petitions (信访, S21): intake, routing (suggested from the street and the
category, confirmed by the officer), acceptance, extension, reply, review and re-review,
closure with the petitioner's satisfaction, reopening, transfer between organisations, and the
audited reveal of the petitioner's ID number and phone. Keyword-only, atomic, audited; each
step written in the case's dated history. The deadlines come from ``rules`` (one table)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, tree
from jiceng.core.idnumber import IdNumberError, mask_id_number, parse_id_number
from jiceng.core.scoping import Action, Actor, actor_name, actor_user, can, require
from jiceng.geo.models import Street
from jiceng.members.phones import display_phone, mask_phone, normalize_phone
from jiceng.members.services import id_number_index, phone_index
from jiceng.orgs.models import Organization, OrgType

from . import rules
from .models import CategoryRoute, Petition, PetitionEvent, PetitionTransfer
from .rules import Body, PetitionAction, Satisfaction, State, Step

AUDITED = (
    "channel",
    "received_on",
    "petitioner_name",
    "id_number",
    "phone",
    "subject",
    "category",
    "street",
    "people",
    "org",
    "state",
    "due_on",
    "extended_days",
    "satisfaction",
)
SECRET = ("id_number", "phone")
REVEALABLE = {"id_number": _("公民身份号码"), "phone": _("联系电话")}
STREET_TYPES = (OrgType.STREET_COMMITTEE, OrgType.TOWN_COMMITTEE)


def _snapshot(p: Petition) -> dict:
    return audit.snapshot(p, AUDITED, masked=SECRET)


def _place(p: Petition) -> str:
    return p.org_path or p.intake_path


# ----- who may do what -----------------------------------------------------------------------


def _handler_path(p: Petition) -> str:
    """Where the handling body sits: the responsible organisation, else the intake one."""
    return p.org_path or p.intake_path


def _upper(path: str, levels: int = 1) -> str:
    """The organisation ``levels`` above ``path`` (never above the root)."""
    for _i in range(levels):
        parent = tree.parent_path(path)
        if not parent:
            break
        path = parent
    return path


def _decider_path(p: Petition, action: str) -> str:
    # A review is decided by the level above the handling body, a re-review by the level
    # above that (2005 arts. 34, 35: 上一级行政机关).
    if action == PetitionAction.DECIDE_REVIEW:
        return _upper(_handler_path(p), 1)
    if action == PetitionAction.DECIDE_RE_REVIEW:
        return _upper(_handler_path(p), 2)
    if action in (PetitionAction.ROUTE,):
        return p.intake_path
    return _handler_path(p)


def _rule_refusal(p: Petition, action: str) -> str | None:
    """A refusal by the case itself (not by the state table), in words."""
    if action == PetitionAction.REOPEN:
        if p.is_final:
            return str(_("已经复核终结的信访事项不再重新办理（%(cite)s）")) % {
                "cite": rules.FINAL_ARTICLE[p.version]
            }
        if p.satisfaction != Satisfaction.NOT_SATISFIED:
            return str(_("只有信访人对答复不满意的，才能重新办理"))
    if action == PetitionAction.EXTEND and p.extended_days:
        return str(_("办理期限只能延长一次（%(cite)s）")) % {
            "cite": rules.rule(p.version, p.body, Step.EXTEND).citation
        }
    if action == PetitionAction.ROUTE and p.body != Body.OFFICE:
        return str(_("由有权处理的单位直接登记的信访事项无需转送交办"))
    return None


def refusal(actor: Actor, p: Petition, action: str) -> str | None:
    """Why ``actor`` may not take ``action`` on ``p`` now (``None`` when they may): the state
    machine, the case's own rules, then the actor's rights. The page's buttons and the
    services ask this one function."""
    why = rules.refusal(action, p.state) or _rule_refusal(p, action)
    if why:
        return why
    if actor is not None and not can(actor, Action.CHANGE, _decider_path(p, action)):
        if action in (PetitionAction.DECIDE_REVIEW, PetitionAction.DECIDE_RE_REVIEW):
            return str(_("复查、复核意见由原办理单位的上一级提出，您无权办理"))
        return str(_("您无权办理该信访事项"))
    return None


def permitted_actions(actor: Actor, p: Petition) -> list[str]:
    """The actions ``actor`` may take on ``p`` now, in the table's order."""
    return [a for a in PetitionAction.values if refusal(actor, p, a) is None]


def _require(actor: Actor, p: Petition, action: str) -> None:
    why = rules.refusal(action, p.state) or _rule_refusal(p, action)
    if why:
        raise ValidationError(why)
    require(actor, Action.CHANGE, _decider_path(p, action), refusal(actor, p, action) or "")


# ----- the running deadline and history -------------------------------------------------------


def _deadline_error(exc: rules.DeadlineError, field: str | None = None) -> ValidationError:
    return ValidationError({field: str(exc)} if field else str(exc))


def refresh_due(p: Petition) -> None:
    """Set ``due_step`` and ``due_on`` to the deadline running in the case's state."""
    try:
        # the running step never counts from a transfer: a working-day window in a year the
        # holiday calendar does not know yet must not block the handling itself
        deadlines = rules.due_dates(replace(p.case_dates(), transferred_on=None))
    except rules.DeadlineError as exc:
        raise _deadline_error(exc) from exc
    step = rules.RUNNING_STEP.get(p.state, "")
    if p.state == State.REGISTERED and Step.ROUTE not in deadlines:
        step = Step.ACCEPT
    found = deadlines.get(step) if step else None
    p.due_step = step if found else ""
    p.due_on = found.due_on if found else None


def _on(on: dt.date | None, p: Petition) -> dt.date:
    on = on or clock.today()
    if on > clock.today():
        raise ValidationError({"on": _("日期不能晚于今天")})
    if on < p.received_on:
        raise ValidationError({"on": _("日期不能早于收到信访事项的日期")})
    last = p.events.order_by("-on").values_list("on", flat=True).first() if p.pk else None
    if last is not None and on < last:
        raise ValidationError(
            {"on": _("日期不能早于上一环节的日期（%(d)s）") % {"d": last.isoformat()}}
        )
    return on


def _event(
    actor: Actor, p: Petition, action: str, before_state: str, on: dt.date, reason: str
) -> None:
    user = actor_user(actor)
    PetitionEvent.objects.create(
        petition=p,
        action=action,
        from_state=before_state,
        to_state=p.state,
        on=on,
        reason=reason[:500],
        actor=user,
        actor_repr=actor_name(actor)[:150],
        at=timezone.now(),
    )


def _locked(p: Petition) -> Petition:
    return Petition.objects.select_for_update().get(pk=p.pk)


def _place_at(p: Petition, org: Organization) -> None:
    p.org = org
    p.org_path = org.path
    p.org_depth = tree.depth(org.path)


# ----- intake ------------------------------------------------------------------------------------


def _apply_id_number(p: Petition, raw: str) -> None:
    raw = (raw or "").strip()
    if not raw:
        p.id_number = p.id_number_index = p.id_number_masked = ""
        return
    try:
        parsed = parse_id_number(raw)
    except IdNumberError as exc:
        raise ValidationError({"id_number": exc.message}) from exc
    p.id_number = parsed.value
    p.id_number_index = id_number_index(parsed.value)
    p.id_number_masked = mask_id_number(parsed.value)


def _apply_phone(p: Petition, raw: str) -> None:
    try:
        e164 = normalize_phone(raw or "")
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    p.phone = e164
    p.phone_index = phone_index(e164) if e164 else ""
    p.phone_masked = mask_phone(e164)


def _final_warnings(p: Petition) -> list[str]:
    """Earlier cases of the same petitioner (blind index) and category already re-reviewed:
    the same facts are not accepted again."""
    if not p.id_number_index:
        return []
    finals = Petition.objects.filter(
        id_number_index=p.id_number_index,
        category=p.category,
        re_review_decided_on__isnull=False,
    ).exclude(pk=p.pk)
    return [
        _("该信访人同类事项 %(number)s 已复核终结；如为同一事实和理由，不再受理（%(cite)s）")
        % {"number": f.number, "cite": rules.FINAL_ARTICLE[f.version]}
        for f in finals[:3]
    ]


@transaction.atomic
def petition_register(
    *,
    actor: Actor,
    intake_org: Organization,
    channel: str,
    received_on: dt.date,
    petitioner_name: str,
    subject: str,
    category: str,
    id_number: str = "",
    phone: str = "",
    content: str = "",
    street: Street | None = None,
    people: int = 1,
    body: str = Body.OFFICE,
    same_facts_as: Petition | None = None,
) -> tuple[Petition, list[str]]:
    """Register a petition received by ``intake_org`` (letter, visit, phone or web). The
    regulation in force on ``received_on`` governs its deadlines. A case on the same facts as
    one already re-reviewed is refused; a likely one (same petitioner and category) is flagged
    in the warnings. A joint visit of five or more people is flagged (2005 art. 18)."""
    require(actor, Action.CHANGE, intake_org.path, _("无权在该单位登记信访事项"))
    if intake_org.is_abolished:
        raise ValidationError({"intake_org": _("该组织已撤销")})
    if received_on > clock.today():
        raise ValidationError({"received_on": _("收到日期不能晚于今天")})
    try:
        version = rules.version_on(received_on)
    except rules.DeadlineError as exc:
        raise _deadline_error(exc, "received_on") from exc
    if same_facts_as is not None and same_facts_as.is_final:
        raise ValidationError(
            {
                "same_facts_as": _(
                    "前案 %(number)s 已经复核终结，信访人以同一事实和理由提出的投诉请求不再受理"
                    "（%(cite)s）"
                )
                % {
                    "number": same_facts_as.number,
                    "cite": rules.FINAL_ARTICLE[same_facts_as.version],
                }
            }
        )
    if people < 1:
        raise ValidationError({"people": _("人数至少为1")})
    p = Petition(
        number=f"tmp{uuid.uuid4().hex[:16]}",  # replaced by XF<year><id> once saved
        channel=channel,
        received_on=received_on,
        version=version,
        body=body,
        petitioner_name=(petitioner_name or "").strip(),
        subject=(subject or "").strip(),
        content=(content or "").strip(),
        category=category,
        street=street,
        people=people,
        joint=people >= rules.JOINT_VISIT_PEOPLE,
        same_facts_as=same_facts_as,
        intake_org=intake_org,
        intake_path=intake_org.path,
        state=State.REGISTERED,
        registered_by=actor_user(actor),
        registered_at=timezone.now(),
    )
    if body == Body.AGENCY:
        # the handling body registered it itself: it is responsible from the start
        _place_at(p, intake_org)
    _apply_id_number(p, id_number)
    _apply_phone(p, phone)
    p.full_clean(exclude=["number", "version", "id_number_index", "intake_path", "org_path"])
    refresh_due(p)
    p.save()
    p.number = f"XF{received_on.year}{p.pk:07d}"
    p.save(update_fields=["number"])
    _event(actor, p, "register", "", received_on, p.get_channel_display())
    audit.record(actor=actor, verb="create", obj=p, org_path=_place(p), after=_snapshot(p))
    warnings = _final_warnings(p)
    if p.joint:
        warnings.append(
            _("%(n)s人集体访：应推选不超过5名代表（%(cite)s）")
            % {"n": people, "cite": rules.JOINT_VISIT_ARTICLE}
        )
    return p, warnings


def suggest_org(
    *, street: Street | None, category: str, near: Organization | None = None
) -> Organization | None:
    """Where a case should go (the officer confirms): the committee of the street where the
    problem arises, else the organisation the category is routed to in the intake's district."""
    if street is not None:
        found = (
            Organization.objects.filter(street=street, org_type__in=STREET_TYPES)
            .filter(abolished_on__isnull=True)
            .order_by("path")
            .first()
        )
        if found is not None:
            return found
    routes = CategoryRoute.objects.filter(category=category).select_related("org")
    if near is not None:
        routes = routes.filter(org_path__startswith=tree.district_path(near.path))
    route = routes.order_by("org_path").first()
    return route.org if route is not None else None


@transaction.atomic
def category_route_set(*, actor: Actor, category: str, org: Organization) -> CategoryRoute:
    """Route a category to ``org`` by default (one per category and district)."""
    require(actor, Action.CHANGE, org.path, _("无权设置该单位为默认责任单位"))
    district = tree.district_path(org.path)
    CategoryRoute.objects.filter(category=category, org_path__startswith=district).delete()
    route = CategoryRoute.objects.create(category=category, org=org, org_path=org.path)
    audit.record(actor=actor, verb="create", obj=route, org_path=org.path)
    return route


# ----- the steps ---------------------------------------------------------------------------------


def _write(
    actor: Actor, p: Petition, action: str, before: dict, prior: str, on: dt.date, reason: str = ""
) -> Petition:
    target = rules.TRANSITIONS[action][1]
    if target:
        p.state = target
    refresh_due(p)
    p.save()
    _event(actor, p, action, prior, on, reason)
    audit.record(
        actor=actor,
        verb="update",
        obj=p,
        org_path=_place(p),
        before=before,
        after=_snapshot(p),
        note=str(PetitionAction(action).label),
    )
    return p


@transaction.atomic
def petition_route(
    *,
    actor: Actor,
    petition: Petition,
    org: Organization,
    on: dt.date | None = None,
    reason: str = "",
) -> Petition:
    """The petition office routes the case to the organisation responsible (art. 21)."""
    p = _locked(petition)
    _require(actor, p, PetitionAction.ROUTE)
    if org.is_abolished:
        raise ValidationError({"org": _("该组织已撤销")})
    if actor is not None and not can(actor, Action.VIEW, org.path):
        raise PermissionDenied(_("无权把信访事项转送到该组织"))
    on = _on(on, p)
    before, prior = _snapshot(p), p.state
    _place_at(p, org)
    p.routed_on = on
    return _write(actor, p, PetitionAction.ROUTE, before, prior, on, reason or org.name)


@transaction.atomic
def petition_accept(*, actor: Actor, petition: Petition, on: dt.date | None = None) -> Petition:
    """The handling body accepts the case; the 60 days of handling start (art. 33)."""
    p = _locked(petition)
    _require(actor, p, PetitionAction.ACCEPT)
    on = _on(on, p)
    before, prior = _snapshot(p), p.state
    if p.org_id is None:
        _place_at(p, p.intake_org)
    p.accepted_on = on
    return _write(actor, p, PetitionAction.ACCEPT, before, prior, on)


@transaction.atomic
def petition_reject(
    *, actor: Actor, petition: Petition, reason: str, on: dt.date | None = None
) -> Petition:
    """Not accepted, with the reason told to the petitioner in writing (art. 22)."""
    p = _locked(petition)
    _require(actor, p, PetitionAction.REJECT)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请说明不予受理的理由")})
    on = _on(on, p)
    before, prior = _snapshot(p), p.state
    accept_due = p.due_on
    p.on_time = accept_due is None or on <= accept_due
    p.replied_on = None
    return _write(actor, p, PetitionAction.REJECT, before, prior, on, reason.strip())


@transaction.atomic
def petition_extend(
    *, actor: Actor, petition: Petition, days: int, reason: str, on: dt.date | None = None
) -> Petition:
    """Extend the handling time once, by at most 30 days, the reason told to the petitioner
    (art. 33)."""
    p = _locked(petition)
    try:
        rules.check_extension(p.version, p.body, days, p.extended_days)
    except rules.DeadlineError as exc:
        raise _deadline_error(exc, "days") from exc
    _require(actor, p, PetitionAction.EXTEND)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写延期理由（须告知信访人）")})
    on = _on(on, p)
    if p.due_on is not None and on > p.due_on:
        raise ValidationError(_("办理期限已过，不能再延长"))
    before, prior = _snapshot(p), p.state
    p.extended_days = days
    p.extension_reason = reason.strip()
    return _write(actor, p, PetitionAction.EXTEND, before, prior, on, reason.strip())


@transaction.atomic
def petition_reply(
    *, actor: Actor, petition: Petition, reply: str, on: dt.date | None = None
) -> Petition:
    """The written reply (处理意见书): the handling ends; on time if by the due date."""
    p = _locked(petition)
    _require(actor, p, PetitionAction.REPLY)
    if not (reply or "").strip():
        raise ValidationError({"reply": _("请填写处理意见")})
    on = _on(on, p)
    if p.accepted_on and on < p.accepted_on:
        raise ValidationError({"on": _("答复日期不能早于受理日期")})
    before, prior = _snapshot(p), p.state
    p.on_time = p.due_on is None or on <= p.due_on
    p.replied_on = on
    p.reply = reply.strip()
    return _write(actor, p, PetitionAction.REPLY, before, prior, on)


def _ask(
    actor: Actor,
    petition: Petition,
    action: str,
    step: str,
    since: str,
    asked: str,
    on: dt.date | None,
    reason: str,
) -> Petition:
    """The petitioner asks for a review or a re-review: refused outside its window, counted
    from the reply (``since``) or the review opinion, with the article cited."""
    p = _locked(petition)
    _require(actor, p, action)
    on = _on(on, p)
    try:
        rules.check_window(p.version, p.body, step, getattr(p, since) or on, on)
    except rules.DeadlineError as exc:
        raise _deadline_error(exc) from exc
    before, prior = _snapshot(p), p.state
    setattr(p, asked, on)
    return _write(actor, p, action, before, prior, on, reason)


def _decide(
    actor: Actor,
    petition: Petition,
    action: str,
    decided: str,
    reason: str,
    missing: str,
    on: dt.date | None,
) -> Petition:
    """The body above gives its review (or re-review) opinion, in words."""
    p = _locked(petition)
    _require(actor, p, action)
    if not (reason or "").strip():
        raise ValidationError({"reason": missing})
    on = _on(on, p)
    before, prior = _snapshot(p), p.state
    setattr(p, decided, on)
    return _write(actor, p, action, before, prior, on, reason.strip())


@transaction.atomic
def petition_review(
    *, actor: Actor, petition: Petition, on: dt.date | None = None, reason: str = ""
) -> Petition:
    """The petitioner asks for a review within 30 days of the written reply (art. 34)."""
    return _ask(
        actor,
        petition,
        PetitionAction.REVIEW,
        Step.REVIEW_ASK,
        "replied_on",
        "review_asked_on",
        on,
        reason,
    )


@transaction.atomic
def petition_decide_review(
    *, actor: Actor, petition: Petition, reason: str, on: dt.date | None = None
) -> Petition:
    """The level above gives its review opinion within 30 days (art. 34)."""
    return _decide(
        actor,
        petition,
        PetitionAction.DECIDE_REVIEW,
        "review_decided_on",
        reason,
        _("请填写复查意见"),
        on,
    )


@transaction.atomic
def petition_re_review(
    *, actor: Actor, petition: Petition, on: dt.date | None = None, reason: str = ""
) -> Petition:
    """The petitioner asks for a re-review within 30 days of the review opinion (art. 35)."""
    return _ask(
        actor,
        petition,
        PetitionAction.RE_REVIEW,
        Step.RE_REVIEW_ASK,
        "review_decided_on",
        "re_review_asked_on",
        on,
        reason,
    )


@transaction.atomic
def petition_decide_re_review(
    *, actor: Actor, petition: Petition, reason: str, on: dt.date | None = None
) -> Petition:
    """The re-review opinion: final; the same facts are not accepted again (art. 35)."""
    return _decide(
        actor,
        petition,
        PetitionAction.DECIDE_RE_REVIEW,
        "re_review_decided_on",
        reason,
        _("请填写复核意见"),
        on,
    )


@transaction.atomic
def petition_close(
    *,
    actor: Actor,
    petition: Petition,
    satisfaction: str,
    on: dt.date | None = None,
    reason: str = "",
) -> Petition:
    """Close the case with the petitioner's satisfaction (满意 / 基本满意 / 不满意)."""
    p = _locked(petition)
    _require(actor, p, PetitionAction.CLOSE)
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("请选择信访人对处理结果的评价")})
    on = _on(on, p)
    before, prior = _snapshot(p), p.state
    p.satisfaction = satisfaction
    p.closed_on = on
    return _write(
        actor,
        p,
        PetitionAction.CLOSE,
        before,
        prior,
        on,
        reason or str(Satisfaction(satisfaction).label),
    )


@transaction.atomic
def petition_reopen(
    *, actor: Actor, petition: Petition, reason: str, on: dt.date | None = None
) -> Petition:
    """A petitioner not satisfied with the reply: the case is handled again (accepted anew,
    its 60 days counted from the reopening)."""
    p = _locked(petition)
    _require(actor, p, PetitionAction.REOPEN)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请说明重新办理的原因")})
    on = _on(on, p)
    before, prior = _snapshot(p), p.state
    p.accepted_on = on
    p.extended_days = 0
    p.extension_reason = ""
    p.replied_on = None
    p.review_asked_on = p.review_decided_on = p.re_review_asked_on = None
    p.closed_on = None
    p.satisfaction = ""
    p.on_time = None
    return _write(actor, p, PetitionAction.REOPEN, before, prior, on, reason.strip())


@transaction.atomic
def petition_transfer(
    *,
    actor: Actor,
    petition: Petition,
    to_org: Organization,
    reason: str,
    on: dt.date | None = None,
) -> PetitionTransfer:
    """Hand the case to another organisation, with the reason; the state is kept."""
    p = _locked(petition)
    _require(actor, p, PetitionAction.TRANSFER)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请说明转交理由")})
    if to_org.is_abolished:
        raise ValidationError({"to_org": _("该组织已撤销")})
    if p.org_id == to_org.pk:
        raise ValidationError({"to_org": _("已由该组织负责")})
    if actor is not None and not can(actor, Action.VIEW, to_org.path):
        raise PermissionDenied(_("无权把信访事项转交到该组织"))
    on = _on(on, p)
    before, prior = _snapshot(p), p.state
    moved = PetitionTransfer.objects.create(
        petition=p,
        from_org=p.org,
        to_org=to_org,
        reason=reason.strip(),
        on=on,
        by=actor_user(actor),
    )
    _place_at(p, to_org)
    p.transferred_on = on
    _write(actor, p, PetitionAction.TRANSFER, before, prior, on, reason.strip())
    return moved


def petition_reveal(*, actor: Actor, petition: Petition, field: str) -> str:
    """The ID number or phone in clear for a role allowed to see it (REVEAL over where the
    case is placed), and an audit row naming what was read (never the value)."""
    if field not in REVEALABLE:
        raise ValidationError(_("不能查看该字段"))
    if actor is not None and not (
        can(actor, Action.REVEAL, petition.intake_path)
        or (petition.org_path and can(actor, Action.REVEAL, petition.org_path))
    ):
        raise PermissionDenied(_("您的角色无权查看完整的敏感信息"))
    audit.record(
        actor=actor,
        verb="reveal",
        obj=petition,
        org_path=_place(petition),
        note=f"查看信访人{REVEALABLE[field]}",
    )
    if field == "phone":
        return display_phone(petition.phone)
    return petition.id_number


# ----- historical cases, imported from a petition office's records ---------------------------


@dataclass(frozen=True)
class PastCase:
    """A case as a petition office's own records give it (``importer.PetitionImporter``): the
    office's number (``reference``), the dates of the steps taken and the outcome. The ID
    number and phone in clear (the service encrypts them as intake does); ``street_id`` a
    ``geo.Street`` code, ``org_id`` the responsible organisation."""

    reference: str
    channel: str
    received_on: dt.date
    petitioner_name: str
    subject: str
    category: str
    id_number: str = ""
    phone: str = ""
    content: str = ""
    people: int = 1
    street_id: str | None = None
    org_id: int | None = None
    routed_on: dt.date | None = None
    accepted_on: dt.date | None = None
    replied_on: dt.date | None = None
    reply: str = ""
    closed_on: dt.date | None = None
    satisfaction: str = ""


# The steps of a past case in the order they happen; each date may not precede the one before.
PAST_STEPS: tuple[tuple[str, str], ...] = (
    ("received_on", "收到日期"),
    ("routed_on", "转送交办日期"),
    ("accepted_on", "受理日期"),
    ("replied_on", "答复日期"),
    ("closed_on", "办结日期"),
)
# What an import sets on a case (``PastCase``'s fields); compared to tell an update from a
# re-run that changes nothing.
PAST_FIELDS: tuple[str, ...] = (
    "channel", "received_on", "petitioner_name", "id_number", "phone", "subject", "content",
    "category", "street_id", "people", "org_id", "routed_on", "accepted_on", "replied_on",
    "reply", "closed_on", "satisfaction",
)  # fmt: skip
MAX_PEOPLE = 9999


class PastOutcome:
    """What ``petition_import`` did with a case."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # imported before with the same values
    KEPT = "kept"  # handled in the system since it was imported: the import changes nothing


def past_case_problems(case: PastCase) -> list[tuple[str, str]]:
    """Why a past case cannot be written as it stands, as (field, message): a date after
    today, before the regulations this system holds, or out of the order the steps happen
    in; a step recorded without the one it needs (a reply without acceptance, a closure
    without a reply or without the petitioner's satisfaction). Empty when it can."""
    problems: list[tuple[str, str]] = []
    today = clock.today()
    for name, label in PAST_STEPS:
        day = getattr(case, name)
        if day is not None and day > today:
            problems.append((name, f"{label}（{day.isoformat()}）晚于今天"))
    try:
        rules.version_on(case.received_on)
    except rules.DeadlineError as exc:
        problems.append(("received_on", str(exc)))
    last: tuple[str, dt.date] | None = None
    for name, label in PAST_STEPS:
        day = getattr(case, name)
        if day is None:
            continue
        if last is not None and day < last[1]:
            problems.append(
                (
                    name,
                    f"日期先后顺序不对：{label}（{day.isoformat()}）"
                    f"早于{last[0]}（{last[1].isoformat()}）",
                )
            )
        else:
            last = (label, day)
    if case.replied_on and not case.accepted_on:
        problems.append(("accepted_on", "有答复日期的信访件须填写受理日期"))
    if case.closed_on and not case.replied_on:
        problems.append(("replied_on", "已办结的信访件须填写答复日期"))
    if case.closed_on and not case.satisfaction:
        problems.append(
            ("satisfaction", "已办结的信访件须填写信访人满意度（满意、基本满意、不满意）")
        )
    if case.satisfaction and not case.closed_on:
        problems.append(("closed_on", "填写了信访人满意度的信访件须填写办结日期"))
    if case.routed_on and case.org_id is None:
        problems.append(("org_id", "填写了转送交办日期的信访件须填写责任单位"))
    if case.org_id is not None and not (case.routed_on or case.accepted_on):
        problems.append(("routed_on", "填写了责任单位但尚未受理的信访件须填写转送交办日期"))
    if not 1 <= case.people <= MAX_PEOPLE:
        problems.append(("people", f"人数应为 1 至 {MAX_PEOPLE} 的整数"))
    return problems


def _past_values(p: Petition) -> dict[str, Any]:
    """The stored case in ``PastCase``'s terms (the ID number and phone by blind index)."""
    values = {f: getattr(p, f) for f in PAST_FIELDS if f not in ("id_number", "phone")}
    values["id_number"] = p.id_number_index
    values["phone"] = p.phone_index
    return values


def _case_values(case: PastCase) -> dict[str, Any]:
    values = {f: getattr(case, f) for f in PAST_FIELDS if f not in ("id_number", "phone")}
    try:
        number = parse_id_number(case.id_number).value if case.id_number.strip() else ""
    except IdNumberError:
        number = case.id_number
    values["id_number"] = id_number_index(number) if number else ""
    try:
        phone = normalize_phone(case.phone or "")
    except ValidationError:
        phone = case.phone
    values["phone"] = phone_index(phone) if phone else ""
    values["petitioner_name"] = (case.petitioner_name or "").strip()
    values["subject"] = (case.subject or "").strip()
    values["content"] = (case.content or "").strip()
    values["reply"] = (case.reply or "").strip()
    return values


def past_case_changes(p: Petition, case: PastCase) -> list[str]:
    """The fields (``PAST_FIELDS``) on which ``case`` differs from the stored ``p``."""
    stored, given = _past_values(p), _case_values(case)
    if case.org_id is None and case.accepted_on:  # accepted where registered (``_apply_past_case``)
        given["org_id"] = p.intake_org_id
    return [f for f in PAST_FIELDS if stored[f] != given[f]]


def handled_since_import(p: Petition) -> bool:
    """Whether a step was taken on ``p`` in the system after an import last wrote it (or it
    was registered in the system): an import then leaves it as it is."""
    if p.imported_at is None:
        return True
    return PetitionEvent.objects.filter(petition=p, at__gt=p.imported_at).exists()


def _past_state(case: PastCase) -> str:
    if case.closed_on:
        return State.CLOSED
    if case.replied_on:
        return State.REPLIED
    if case.accepted_on:
        return State.ACCEPTED
    if case.routed_on:
        return State.ROUTED
    return State.REGISTERED


def _apply_past_case(p: Petition, case: PastCase, org: Organization | None) -> None:
    """Set every imported field, the state the dates reach, the running deadline and whether
    the reply came in time, all by the regulation in force on the received date."""
    p.channel = case.channel
    p.received_on = case.received_on
    p.version = rules.version_on(case.received_on)
    p.body = Body.OFFICE
    p.petitioner_name = (case.petitioner_name or "").strip()
    p.subject = (case.subject or "").strip()
    p.content = (case.content or "").strip()
    p.category = case.category
    p.street_id = case.street_id
    p.people = case.people
    p.joint = case.people >= rules.JOINT_VISIT_PEOPLE
    p.routed_on = case.routed_on
    p.accepted_on = case.accepted_on
    p.replied_on = case.replied_on
    p.reply = (case.reply or "").strip()
    p.closed_on = case.closed_on
    p.satisfaction = case.satisfaction
    p.state = _past_state(case)
    if org is not None:
        _place_at(p, org)
    elif case.accepted_on:  # handled where it was registered, as ``petition_accept`` does
        _place_at(p, p.intake_org)
    else:
        p.org, p.org_path, p.org_depth = None, "", 0
    _apply_id_number(p, case.id_number)
    _apply_phone(p, case.phone)
    p.on_time = None
    if case.replied_on:
        try:
            handle = rules.due_dates(p.case_dates()).get(Step.HANDLE)
        except rules.DeadlineError as exc:
            raise _deadline_error(exc, "received_on") from exc
        p.on_time = handle is None or case.replied_on <= handle.due_on
    refresh_due(p)


def _past_events(actor: Actor, p: Petition, case: PastCase, at: dt.datetime) -> None:
    """The case's dated history as the records give it, one event per step, each noted as
    imported."""
    note = "历史信访件导入"
    steps: list[tuple[str, str, dt.date, str]] = [
        ("register", State.REGISTERED, case.received_on, f"{p.get_channel_display()}（{note}）")
    ]
    if case.routed_on:
        steps.append((PetitionAction.ROUTE, State.ROUTED, case.routed_on, note))
    if case.accepted_on:
        steps.append((PetitionAction.ACCEPT, State.ACCEPTED, case.accepted_on, note))
    if case.replied_on:
        steps.append((PetitionAction.REPLY, State.REPLIED, case.replied_on, note))
    if case.closed_on:
        said = str(Satisfaction(case.satisfaction).label)
        steps.append((PetitionAction.CLOSE, State.CLOSED, case.closed_on, f"{said}（{note}）"))
    user, name = actor_user(actor), actor_name(actor)[:150]
    prior = ""
    events = []
    for action, state, on, reason in steps:
        events.append(
            PetitionEvent(
                petition=p,
                action=action,
                from_state=prior,
                to_state=state,
                on=on,
                reason=reason[:500],
                actor=user,
                actor_repr=name,
                at=at,
            )
        )
        prior = state
    PetitionEvent.objects.bulk_create(events)


@transaction.atomic
def petition_import(
    *, actor: Actor, intake_org: Organization, case: PastCase
) -> tuple[Petition | None, str]:
    """Write a past case of ``intake_org``'s petition office from its records, keyed by the
    office's number (``case.reference``): registered with its history if new, updated if it
    was imported before and differs, left alone if it is the same (``UNCHANGED``) or has
    been handled in the system since (``KEPT``). Its deadlines and whether it was answered in
    time come from the rules of the regulation in force on the received date, as for a case
    registered by hand; its dates must follow one another (``past_case_problems``); the
    responsible organisation must be one the actor may change. Audited per case."""
    require(actor, Action.CHANGE, intake_org.path, _("无权在该单位登记信访事项"))
    if intake_org.is_abolished:
        raise ValidationError({"intake_org": _("该组织已撤销")})
    reference = (case.reference or "").strip()
    if not reference:
        raise ValidationError({"reference": _("缺少原编号")})
    problems = past_case_problems(case)
    if problems:
        found: dict[str, list[str]] = {}
        for name, message in problems:
            found.setdefault(name, []).append(message)
        raise ValidationError(found)
    org = None
    if case.org_id is not None:
        org = Organization.objects.filter(pk=case.org_id).first()
        if org is None or org.is_abolished:
            raise ValidationError({"org_id": _("责任单位不存在或已撤销")})
        require(
            actor,
            Action.CHANGE,
            org.path,
            _("责任单位“%(name)s”不在您的管辖范围内") % {"name": org.name},
        )
    existing = (
        Petition.objects.select_for_update()
        .filter(intake_org=intake_org, reference=reference)
        .first()
    )
    if existing is not None:
        if not past_case_changes(existing, case):
            return existing, PastOutcome.UNCHANGED
        if handled_since_import(existing):
            return existing, PastOutcome.KEPT
    now = timezone.now()
    p = existing or Petition(
        number=f"tmp{uuid.uuid4().hex[:16]}",  # replaced by XF<year><id> once saved
        reference=reference,
        intake_org=intake_org,
        intake_path=intake_org.path,
        registered_by=actor_user(actor),
        registered_at=now,
    )
    before = _snapshot(existing) if existing is not None else None
    _apply_past_case(p, case, org)
    p.imported_at = now
    p.full_clean(exclude=["number", "version", "id_number_index", "intake_path", "org_path"])
    p.save()
    if existing is None:
        p.number = f"XF{case.received_on.year}{p.pk:07d}"
        p.save(update_fields=["number"])
    else:
        p.events.all().delete()  # the import's own history of the case, written again
    _past_events(actor, p, case, now)
    audit.record(
        actor=actor,
        verb="create" if existing is None else "update",
        obj=p,
        org_path=_place(p),
        before=before,
        after=_snapshot(p),
        note=f"历史信访件导入（原编号 {reference}）",
    )
    return p, PastOutcome.CREATED if existing is None else PastOutcome.UPDATED


# ----- one entry for the buttons and the API -------------------------------------------------


@dataclass(frozen=True)
class Handler:
    service: Any
    needs: tuple[str, ...]  # the form fields the action takes


HANDLERS: dict[str, Handler] = {
    PetitionAction.ACCEPT: Handler(petition_accept, ()),
    PetitionAction.REJECT: Handler(petition_reject, ("reason",)),
    PetitionAction.EXTEND: Handler(petition_extend, ("days", "reason")),
    PetitionAction.REPLY: Handler(petition_reply, ("reply",)),
    PetitionAction.REVIEW: Handler(petition_review, ("reason",)),
    PetitionAction.DECIDE_REVIEW: Handler(petition_decide_review, ("reason",)),
    PetitionAction.RE_REVIEW: Handler(petition_re_review, ("reason",)),
    PetitionAction.DECIDE_RE_REVIEW: Handler(petition_decide_re_review, ("reason",)),
    PetitionAction.CLOSE: Handler(petition_close, ("satisfaction", "reason")),
    PetitionAction.REOPEN: Handler(petition_reopen, ("reason",)),
}


def petition_act(
    *, actor: Actor, petition: Petition, action: str, on: dt.date | None = None, **values: Any
) -> Any:
    """Take ``action`` (one of ``HANDLERS``) with the values it needs; routing and transfer
    have their own services (they name an organisation)."""
    handler = HANDLERS.get(action)
    if handler is None:
        raise ValidationError(_("未知的办理环节"))
    kwargs = {k: values[k] for k in handler.needs if k in values}
    if action == PetitionAction.EXTEND:
        try:
            kwargs["days"] = int(kwargs.get("days") or 0)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"days": _("延长天数应为整数")}) from exc
    return handler.service(actor=actor, petition=petition, on=on, **kwargs)
