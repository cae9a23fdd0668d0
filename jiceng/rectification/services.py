"""Every write of rectification items (S20, S22): an item created from scratch, from a
petition or from a need found at a visit; its sources linked (many to one item, each source
once); started, completed with the public notice of its result, judged by the public
(satisfied or basically satisfied closes it, not satisfied reopens it); worked in campaign
batches; its standing arrangement set and checked (a failed check reopens it). Keyword-only,
atomic, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.campaigns.models import Campaign
from jiceng.core import audit, clock, tree
from jiceng.core.scoping import Action, Actor, actor_user, can, require
from jiceng.orgs.models import Organization
from jiceng.outreach.visits.models import VisitNeed
from jiceng.petitions.models import Petition
from jiceng.satisfaction.models import SurveyComment

from .models import (
    ArrangementCheck,
    RectificationEvent,
    RectificationItem,
    RectificationSource,
    StandingArrangement,
)
from .rules import (
    ACCEPTED_VERDICTS,
    CHECK_EVERY_MAX,
    CHECK_EVERY_MIN,
    LINKABLE_KINDS,
    OPEN_STATES,
    TARGET_STATE,
    TRANSITIONS,
    ItemState,
    SourceKind,
    Verdict,
    is_long_running,
)

ITEM_FIELDS = (
    "owner",
    "title",
    "since",
    "raised_on",
    "deadline",
    "state",
    "verdict",
    "closed_on",
    "reopened_count",
)
EDITABLE = ("title", "description", "since", "deadline", "measures")
ARRANGEMENT_FIELDS = ("keeper_org", "keeper", "duties", "check_every_days", "next_check_on")
TEXT_MAX = 2000


# ----- who may do what -------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRights:
    """What an actor may do with an item now: the pages show these buttons and forms, the API
    answers the same, and the services refuse the rest with their own words."""

    change: bool  # edit, link sources, add batches (the owner's side, until closed)
    actions: tuple[str, ...]  # start / complete / verdict, as the state allows
    arrange: bool  # set the standing arrangement (once closed)
    check: bool  # record a check of the arrangement (closed, with an arrangement)


def _owner_side(actor: Actor, item: RectificationItem) -> bool:
    return actor is None or can(actor, Action.CHANGE, item.path)


def item_rights(actor: Actor, item: RectificationItem) -> ItemRights:
    owner_side = _owner_side(actor, item)
    closed = item.state == ItemState.CLOSED
    has_arrangement = StandingArrangement.objects.filter(item_id=item.pk).exists()
    return ItemRights(
        change=owner_side and item.state in OPEN_STATES,
        actions=tuple(a for a, src in TRANSITIONS.items() if owner_side and item.state in src),
        arrange=owner_side and closed,
        check=owner_side and closed and has_arrangement,
    )


def may_attach(actor: Actor, item: RectificationItem) -> bool:
    """Evidence (photos of the site, the notice posted, papers): whoever works the item, in
    any state (a check's photos come after it is closed)."""
    return _owner_side(actor, item)


def _require_owner(actor: Actor, item: RectificationItem) -> None:
    require(actor, Action.CHANGE, item.path, _("只有责任单位及其上级可以办理该整改事项"))


def _require_open(item: RectificationItem) -> None:
    if item.state not in OPEN_STATES:
        raise ValidationError(_("该整改事项已销号，不能再修改"))


def _locked(item: RectificationItem) -> RectificationItem:
    return RectificationItem.objects.select_for_update().get(pk=item.pk)


def _text(value: Any, field: str, *, required: str = "", limit: int = TEXT_MAX) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: required})
    if len(text) > limit:
        raise ValidationError({field: _("请不超过%(n)d字") % {"n": limit}})
    return text


def _not_future(day: dt.date | None, field: str) -> None:
    if day is not None and day > clock.today():
        raise ValidationError({field: _("日期不能晚于今天")})


def _event(
    actor: Actor, item: RectificationItem, action: str, from_state: str, note: str = ""
) -> None:
    RectificationEvent.objects.create(
        item=item,
        action=action,
        from_state=from_state,
        to_state=item.state,
        on=clock.today(),
        note=note[:500],
        actor=actor_user(actor),
        at=clock.now(),
    )


def _refresh_long_running(item: RectificationItem) -> None:
    flag = is_long_running(item.since, item.raised_on, item.campaigns.count())
    if flag != item.long_running:
        item.long_running = flag
        item.save(update_fields=["long_running"])


# ----- the item ---------------------------------------------------------------------------------


def _clean_item(item: RectificationItem) -> None:
    item.title = _text(item.title, "title", required=_("请填写问题"), limit=200)
    item.description = _text(item.description, "description")
    item.measures = _text(item.measures, "measures")
    if item.raised_on and item.raised_on > clock.today():
        raise ValidationError({"raised_on": _("立项日期不能晚于今天")})
    if item.since and item.raised_on and item.since > item.raised_on:
        raise ValidationError({"since": _("问题存在的起始日期不能晚于立项日期")})
    if item.deadline and item.raised_on and item.deadline < item.raised_on:
        raise ValidationError({"deadline": _("整改时限不能早于立项日期")})


@transaction.atomic
def item_create(
    *,
    actor: Actor,
    owner: Organization,
    title: str,
    deadline: dt.date,
    description: str = "",
    since: dt.date | None = None,
    raised_on: dt.date | None = None,
    measures: str = "",
    petition: Petition | None = None,
    need: VisitNeed | None = None,
    comments: Sequence[SurveyComment] = (),
) -> RectificationItem:
    """Register a problem raised by the public as an item of ``owner`` (S20: rectified at
    once), optionally with the petition, the visit's need or the survey comments it came from
    as its first sources."""
    require(actor, Action.CHANGE, owner.path, _("只能为本人管辖范围内的组织立项整改事项"))
    if owner.is_abolished:
        raise ValidationError({"owner": _("该组织已撤销")})
    item = RectificationItem(
        owner=owner,
        path=owner.path,
        title=title,
        description=description,
        since=since,
        raised_on=raised_on or clock.today(),
        deadline=deadline,
        measures=measures,
        created_by=actor_user(actor),
        created_at=clock.now(),
    )
    _clean_item(item)
    item.long_running = is_long_running(item.since, item.raised_on, 0)
    item.full_clean(exclude=["path", "created_by", "campaigns"])
    item.save()
    _event(actor, item, "create", "")
    audit.record(
        actor=actor,
        verb="create",
        obj=item,
        org_path=item.path,
        after=audit.snapshot(item, ITEM_FIELDS),
    )
    if petition is not None:
        source_link(actor=actor, item=item, kind=SourceKind.PETITION, petition=petition)
    if need is not None:
        source_link(actor=actor, item=item, kind=SourceKind.VISIT_NEED, need=need)
    for comment in comments:
        source_link(actor=actor, item=item, kind=SourceKind.SURVEY_COMMENT, comment=comment)
    return item


def petition_owner(petition: Petition) -> Organization:
    """The unit an item raised from a petition starts with: the one responsible for the
    petition, else the one that registered it."""
    return petition.org or petition.intake_org


def item_create_from_petition(
    *, actor: Actor, petition: Petition, deadline: dt.date, **fields: Any
) -> RectificationItem:
    """An item from a petition: its subject and content pre-filled, owned by the unit
    responsible for the petition unless another is given, the petition linked as a source."""
    fields.setdefault("owner", petition_owner(petition))
    fields.setdefault("title", petition.subject)
    fields.setdefault("description", petition.content)
    return item_create(actor=actor, petition=petition, deadline=deadline, **fields)


def item_create_from_need(
    *, actor: Actor, need: VisitNeed, deadline: dt.date, **fields: Any
) -> RectificationItem:
    """An item from a need found at a visit: its text pre-filled, owned by the visiting unit
    unless another is given, the need linked as a source."""
    fields.setdefault("owner", need.visit.org)
    fields.setdefault("title", need.text)
    return item_create(actor=actor, need=need, deadline=deadline, **fields)


def item_create_from_comments(
    *, actor: Actor, comments: Sequence[SurveyComment], deadline: dt.date, **fields: Any
) -> RectificationItem:
    """An item from the free-text comments of a public survey (many comments, one item): owned
    by the unit surveyed unless another is given, the first comment as its problem unless a
    title is given, every comment linked as a source (all or none)."""
    if not comments:
        raise ValidationError({"comments": _("请选择测评意见")})
    first = comments[0]
    fields.setdefault("owner", first.unit.org)
    fields.setdefault("title", first.text[:200])
    fields.setdefault("description", "\n".join(c.text for c in comments))
    return item_create(actor=actor, comments=comments, deadline=deadline, **fields)


@transaction.atomic
def item_edit(*, actor: Actor, item: RectificationItem, **fields: Any) -> RectificationItem:
    """Correct an item's problem, description, start of the problem, deadline or measures,
    until it is closed."""
    item = _locked(item)
    _require_owner(actor, item)
    _require_open(item)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("不能修改的字段：%(f)s") % {"f": "、".join(sorted(unknown))})
    before = audit.snapshot(item, (*ITEM_FIELDS, "measures"))
    for name, value in fields.items():
        setattr(item, name, value)
    _clean_item(item)
    item.full_clean(exclude=["path", "created_by", "campaigns"])
    item.save()
    _refresh_long_running(item)
    audit.record(
        actor=actor,
        verb="update",
        obj=item,
        org_path=item.path,
        before=before,
        after=audit.snapshot(item, (*ITEM_FIELDS, "measures")),
    )
    return item


def _out_of_order(item: RectificationItem) -> ValidationError:
    return ValidationError(
        _("该整改事项%(state)s，不能执行此操作") % {"state": item.get_state_display()}
    )


def _transition(
    actor: Actor,
    item: RectificationItem,
    action: str,
    to_state: str,
    *,
    note: str = "",
    fields: tuple[str, ...] = (),
) -> RectificationItem:
    before = audit.snapshot(item, ITEM_FIELDS)
    from_state = item.state
    item.state = to_state
    item.save(update_fields=["state", *fields])
    _event(actor, item, action, from_state, note)
    audit.record(
        actor=actor,
        verb="update",
        obj=item,
        org_path=item.path,
        before=before,
        after=audit.snapshot(item, ITEM_FIELDS),
        note=note,
    )
    return item


def _check_action(item: RectificationItem, action: str) -> None:
    if action not in TRANSITIONS:
        raise ValidationError(_("不支持的操作"))
    if item.state not in TRANSITIONS[action]:
        raise _out_of_order(item)


@transaction.atomic
def item_start(*, actor: Actor, item: RectificationItem, note: str = "") -> RectificationItem:
    """Start the rectification (the measures are put to work)."""
    item = _locked(item)
    _require_owner(actor, item)
    _check_action(item, "start")
    item.started_on = clock.today()
    note = _text(note, "note", limit=500)
    return _transition(
        actor, item, "start", TARGET_STATE["start"], note=note, fields=("started_on",)
    )


@transaction.atomic
def item_complete(
    *,
    actor: Actor,
    item: RectificationItem,
    result: str,
    notice_text: str,
    noticed_on: dt.date,
) -> RectificationItem:
    """The problem is rectified: what was done, and the public notice of the result (公示整改
    结果) with the date it was posted; the item then waits for the public's verdict."""
    item = _locked(item)
    _require_owner(actor, item)
    _check_action(item, "complete")
    item.result = _text(result, "result", required=_("请填写整改结果"))
    item.notice_text = _text(notice_text, "notice_text", required=_("请填写公示内容"))
    if noticed_on is None:
        raise ValidationError({"noticed_on": _("请填写公示日期")})
    _not_future(noticed_on, "noticed_on")
    if noticed_on < item.raised_on:
        raise ValidationError({"noticed_on": _("公示日期不能早于立项日期")})
    item.noticed_on = noticed_on
    item.completed_on = clock.today()
    return _transition(
        actor,
        item,
        "complete",
        TARGET_STATE["complete"],
        note=item.result[:500],
        fields=("result", "notice_text", "noticed_on", "completed_on"),
    )


def _reopen(actor: Actor, item: RectificationItem, action: str, note: str) -> RectificationItem:
    item.reopened_count += 1
    item.closed_on = None
    return _transition(
        actor,
        item,
        action,
        ItemState.IN_PROGRESS,
        note=note,
        fields=("reopened_count", "closed_on", "verdict", "verdict_note", "verdict_on"),
    )


@transaction.atomic
def item_verdict(
    *,
    actor: Actor,
    item: RectificationItem,
    verdict: str,
    note: str = "",
    on: dt.date | None = None,
) -> RectificationItem:
    """Record the public's verdict on the rectified problem: satisfied or basically satisfied
    closes the item (销号); not satisfied sends it back to rectification, counted as a
    reopening. A not-satisfied verdict says why."""
    item = _locked(item)
    _require_owner(actor, item)
    _check_action(item, "verdict")
    if verdict not in Verdict.values:
        raise ValidationError({"verdict": _("请选择群众评议结果：满意、基本满意或不满意")})
    note = _text(note, "note", limit=500)
    if verdict == Verdict.NOT_SATISFIED and not note:
        raise ValidationError({"note": _("群众不满意的，请写明不满意的原因")})
    on = on or clock.today()
    _not_future(on, "on")
    if item.noticed_on and on < item.noticed_on:
        raise ValidationError({"on": _("评议日期不能早于公示日期")})
    item.verdict, item.verdict_note, item.verdict_on = verdict, note, on
    label = Verdict(verdict).label
    if verdict not in ACCEPTED_VERDICTS:
        return _reopen(actor, item, "reopen", f"{label}：{note}")
    item.closed_on = on
    item = _transition(
        actor,
        item,
        "verdict",
        ItemState.CLOSED,
        note=f"{label}{'：' + note if note else ''}",
        fields=("verdict", "verdict_note", "verdict_on", "closed_on"),
    )
    # A re-closed item's arrangement is checked again one interval after the closing.
    arrangement = StandingArrangement.objects.filter(item=item).first()
    if arrangement is not None:
        arrangement.next_check_on = on + dt.timedelta(days=arrangement.check_every_days)
        arrangement.save(update_fields=["next_check_on"])
    return item


# ----- sources and batches ---------------------------------------------------------------------


# A source that is a record of another app: the field it is kept in, its model (read
# through ``visible_to``), and the refusals when it is missing or out of the actor's sight.
LINKED_SOURCES: dict[str, tuple[str, Any, Any, Any]] = {
    SourceKind.PETITION: (
        "petition",
        Petition,
        gettext_lazy("请选择信访件"),
        gettext_lazy("找不到该信访件，或不在您的管辖范围内"),
    ),
    SourceKind.VISIT_NEED: (
        "need",
        VisitNeed,
        gettext_lazy("请选择走访中反映的需求"),
        gettext_lazy("找不到该需求，或不在您的管辖范围内"),
    ),
    SourceKind.SURVEY_COMMENT: (
        "comment",
        SurveyComment,
        gettext_lazy("请选择测评意见"),
        gettext_lazy("找不到该测评意见，或不在您的管辖范围内"),
    ),
}


def _already_linked(field: str, record: Any) -> None:
    taken = (
        RectificationSource.objects.filter(**{field: record})
        .select_related("item")
        .only("item__title", "item__id")
        .first()
    )
    if taken is not None:
        raise ValidationError(
            {
                field: _(
                    "该来源已关联到整改事项“%(title)s”（编号 %(pk)s），同一来源不能关联两个事项"
                )
                % {"title": taken.item.title, "pk": taken.item.pk}
            }
        )


@transaction.atomic
def source_link(
    *,
    actor: Actor,
    item: RectificationItem,
    kind: str,
    petition: Petition | None = None,
    need: VisitNeed | None = None,
    comment: SurveyComment | None = None,
    held_on: dt.date | None = None,
    participants: str = "",
    note: str = "",
) -> RectificationSource:
    """Link where the problem was raised (many sources merge into one item): a petition, a
    visit's need or a survey comment the actor may see, each linked to one item only; a
    consultation meeting with its date and who took part; another source told in words."""
    item = _locked(item)
    _require_owner(actor, item)
    _require_open(item)
    if kind not in LINKABLE_KINDS:
        raise ValidationError({"kind": _("请选择来源类别")})
    participants = _text(participants, "participants", limit=300)
    note = _text(note, "note", limit=500)
    source = RectificationSource(
        item=item, kind=kind, note=note, added_by=actor_user(actor), added_at=clock.now()
    )
    linked = {"petition": petition, "need": need, "comment": comment}
    if kind in LINKED_SOURCES:
        field, model, missing, unseen = LINKED_SOURCES[kind]
        record = linked[field]
        if record is None:
            raise ValidationError({field: missing})
        if actor is not None and not model.objects.visible_to(actor).filter(pk=record.pk):
            raise ValidationError({field: unseen})
        _already_linked(field, record)
        setattr(source, field, record)
    elif kind == SourceKind.MEETING:
        if held_on is None:
            raise ValidationError({"held_on": _("请填写会议日期")})
        _not_future(held_on, "held_on")
        if not participants:
            raise ValidationError({"participants": _("请填写参加人员")})
        source.held_on, source.participants = held_on, participants
    elif not note:
        raise ValidationError({"note": _("请说明问题从何而来")})
    source.full_clean(exclude=["added_by", "petition", "need", "comment"])
    source.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=item,
        org_path=item.path,
        after={"source": str(source)},
        note=_("关联来源"),
    )
    return source


@transaction.atomic
def comments_merge(
    *, actor: Actor, item: RectificationItem, comments: Sequence[SurveyComment]
) -> list[RectificationSource]:
    """Merge survey comments into an existing item (many comments, one item): all linked or,
    when one is refused (already linked elsewhere, out of scope), none."""
    if not comments:
        raise ValidationError({"comments": _("请选择测评意见")})
    return [
        source_link(actor=actor, item=item, kind=SourceKind.SURVEY_COMMENT, comment=comment)
        for comment in comments
    ]


@transaction.atomic
def campaign_add(*, actor: Actor, item: RectificationItem, campaign: Campaign) -> RectificationItem:
    """Record that the item was worked in a batch of the campaign covering its unit (a problem
    worked across batches is long-running)."""
    item = _locked(item)
    _require_owner(actor, item)
    if not tree.within(item.path, campaign.root_path):
        raise ValidationError({"campaign": _("该活动不包括本事项的责任单位")})
    if item.campaigns.filter(pk=campaign.pk).exists():
        raise ValidationError({"campaign": _("已记录该批次")})
    item.campaigns.add(campaign)
    _refresh_long_running(item)
    audit.record(
        actor=actor,
        verb="update",
        obj=item,
        org_path=item.path,
        after={"campaign": campaign.name},
        note=_("记录整改批次"),
    )
    return item


# ----- the standing arrangement ----------------------------------------------------------------


@transaction.atomic
def arrangement_set(
    *,
    actor: Actor,
    item: RectificationItem,
    keeper_org: Organization,
    keeper: str,
    duties: str,
    check_every_days: int,
    starts_on: dt.date | None = None,
) -> StandingArrangement:
    """Name who keeps a closed problem solved (S22's standing arrangement): the unit and the
    person or role (as written), what they do and how often it is checked; set again to
    change it. The first check falls one interval after the start."""
    item = _locked(item)
    _require_owner(actor, item)
    if item.state != ItemState.CLOSED:
        raise ValidationError(_("整改事项销号后才能建立长效管理机制"))
    if actor is not None and not can(actor, Action.VIEW, keeper_org.path):
        raise ValidationError({"keeper_org": _("长效管理单位不在您的管辖范围内")})
    keeper = _text(keeper, "keeper", required=_("请填写负责人或岗位"), limit=100)
    duties = _text(duties, "duties", required=_("请填写长效管理措施"))
    if not CHECK_EVERY_MIN <= int(check_every_days) <= CHECK_EVERY_MAX:
        raise ValidationError(
            {
                "check_every_days": _("检查周期应在%(a)d至%(b)d天之间")
                % {"a": CHECK_EVERY_MIN, "b": CHECK_EVERY_MAX}
            }
        )
    starts_on = starts_on or clock.today()
    arrangement = StandingArrangement.objects.filter(item=item).first()
    before = audit.snapshot(arrangement, ARRANGEMENT_FIELDS) if arrangement else None
    if arrangement is None:
        arrangement = StandingArrangement(
            item=item, created_by=actor_user(actor), created_at=clock.now()
        )
    arrangement.keeper_org = keeper_org
    arrangement.keeper = keeper
    arrangement.duties = duties
    arrangement.check_every_days = int(check_every_days)
    arrangement.starts_on = starts_on
    last = arrangement.checks.order_by("-checked_on").first() if arrangement.pk else None
    base = max(starts_on, last.checked_on) if last else starts_on
    arrangement.next_check_on = base + dt.timedelta(days=arrangement.check_every_days)
    arrangement.save()
    audit.record(
        actor=actor,
        verb="update" if before else "create",
        obj=arrangement,
        org_path=item.path,
        before=before,
        after=audit.snapshot(arrangement, ARRANGEMENT_FIELDS),
        note=_("长效管理机制"),
    )
    return arrangement


@transaction.atomic
def check_record(
    *,
    actor: Actor,
    arrangement: StandingArrangement,
    checked_on: dt.date,
    passed: bool,
    note: str = "",
) -> ArrangementCheck:
    """Record a check of the standing arrangement: passed, the next check is one interval
    later; failed (the problem is back), the item is reopened and counted."""
    item = _locked(arrangement.item)
    _require_owner(actor, item)
    if item.state != ItemState.CLOSED:
        raise ValidationError(_("该整改事项正在重新整改，销号后再检查长效管理"))
    note = _text(note, "note", limit=500)
    if not passed and not note:
        raise ValidationError({"note": _("检查未通过的，请写明发现的问题")})
    if checked_on is None:
        raise ValidationError({"checked_on": _("请填写检查日期")})
    _not_future(checked_on, "checked_on")
    if item.closed_on and checked_on < item.closed_on:
        raise ValidationError({"checked_on": _("检查日期不能早于销号日期")})
    check = ArrangementCheck.objects.create(
        arrangement=arrangement,
        checked_on=checked_on,
        passed=passed,
        note=note,
        by=actor_user(actor),
        at=clock.now(),
    )
    arrangement.next_check_on = checked_on + dt.timedelta(days=arrangement.check_every_days)
    arrangement.save(update_fields=["next_check_on"])
    audit.record(
        actor=actor,
        verb="create",
        obj=check,
        org_path=item.path,
        after={"checked_on": str(checked_on), "passed": passed},
        note=note,
    )
    if not passed:
        _reopen(actor, item, "check_failed", note)
    return check
