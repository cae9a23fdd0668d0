"""Every write of the democratic appraisal (S1): open a unit's appraisal, a member's
self-analysis, peer ratings, closing the peer round, and the committee's grades (one, or a
unit's in one all-or-nothing batch) under the one-third rule. Pages and the API call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.campaigns.models import CampaignUnit
from jiceng.campaigns.progress.rules import Phase, UnitState
from jiceng.core import audit, clock
from jiceng.core.fields import mark_name
from jiceng.core.scoping import Action, Actor, actor_user, require
from jiceng.members.models import Member
from jiceng.members.selectors import is_own

from .models import Appraisal, PeerRating, SelfAnalysis
from .rules import (
    EXCELLENT_MAX_SHARE_LABEL,
    NOTE_REQUIRED,
    AppraisalAction,
    AppraisalState,
    AppraisalTransitionError,
    Grade,
    excellent_cap,
    next_state,
)

APPRAISAL_FIELDS = ("state", "grade", "decision_note", "decided_on")
RATING_FIELDS = ("grade", "comment", "rated_on")
BULK_BATCH = 2_000


def _day(unit: CampaignUnit, on: dt.date | None) -> dt.date:
    """Actions without a date fall on the campaign's reference date (its "as of" day)."""
    day = on or unit.campaign.reference_date()
    if day < unit.campaign.starts_on:
        raise ValidationError(
            {
                "on": _("日期不能早于活动启动日期 %(day)s")
                % {"day": f"{unit.campaign.starts_on:%Y-%m-%d}"}
            }
        )
    if day > clock.today():
        raise ValidationError({"on": _("日期不能晚于今天")})
    return day


def is_in_review(unit: CampaignUnit) -> bool:
    """The unit has reached the review phase (or gone beyond it)."""
    return unit.state == UnitState.COMPLETED or unit.phase in (Phase.REVIEW, Phase.RECTIFY)


def unit_members(unit: CampaignUnit) -> Any:
    """The members who take part in the unit: participating there, or registered there and
    not placed elsewhere (S10), who had joined the party by the campaign's reference date;
    members transferred out of the city are left out."""
    return Member.objects.on_roll().filter(
        Q(participating_org_id=unit.org_id)
        | Q(participating_org__isnull=True, home_org=unit.org_id),
        joined_on__lte=unit.campaign.reference_date(),
    )


def may_open(unit: CampaignUnit) -> bool:
    """The appraisal list may be opened or brought up to date: the unit is in the review or
    rectification phase; once the unit has completed the batch its appraisal is closed."""
    return unit.state != UnitState.COMPLETED and is_in_review(unit)


def _lock_unit(unit: CampaignUnit) -> CampaignUnit:
    """Lock the unit's row: decisions of one unit are serialised, so the one-third count
    cannot be overtaken by a concurrent decision. Only the unit's row is locked (``of``), not
    the campaign and organisation joined in, so other units decide at the same time."""
    return (
        CampaignUnit.objects.select_for_update(of=("self",))
        .select_related("campaign", "org")
        .get(pk=unit.pk)
    )


@transaction.atomic
def appraisals_open(*, actor: Actor, unit: CampaignUnit) -> int:
    """Open the unit's democratic appraisal: one appraisal per member taking part, waiting
    for the member's self-analysis. Re-running adds only members who joined since. Returns
    how many were added."""
    unit = _lock_unit(unit)
    require(actor, Action.CHANGE, unit.org_path, _("无权为该单位组织民主评议"))
    if unit.state == UnitState.COMPLETED:
        raise ValidationError(_("该单位已完成本批活动，民主评议已结束，不能再开始或补充名单"))
    if not is_in_review(unit):
        phase = unit.get_phase_display() or unit.get_state_display()
        raise ValidationError(
            _("该单位尚未进入分析评议阶段（当前：%(phase)s），请在进入该阶段后开始民主评议")
            % {"phase": phase}
        )
    existing = set(
        Appraisal.objects.filter(campaign_id=unit.campaign_id).values_list("member_id", flat=True)
    )
    rows = [
        Appraisal(
            campaign_id=unit.campaign_id,
            unit=unit,
            member_id=pk,
            member_path=home_path,
            org_path=unit.org_path,
        )
        for pk, home_path in unit_members(unit).order_by("id").values_list("id", "home_path")
        if pk not in existing
    ]
    if not rows and not unit.appraisals.exists():
        raise ValidationError(_("该单位没有参加活动的党员，无法开始民主评议"))
    Appraisal.objects.bulk_create(rows, batch_size=BULK_BATCH)
    audit.record(
        actor=actor,
        verb="create",
        obj=unit,
        org_path=unit.org_path,
        object_type="surveys.appraisal",
        note=f"{unit.org.name} 开始民主评议，新增评议党员 {len(rows)} 名",
    )
    return len(rows)


def _lock(appraisal: Appraisal) -> Appraisal:
    return (
        Appraisal.objects.select_for_update(of=("self",))
        .select_related("unit", "unit__campaign", "member")
        .get(pk=appraisal.pk)
    )


@transaction.atomic
def self_analysis_submit(
    *, actor: Actor, appraisal: Appraisal, text: str, on: dt.date | None = None
) -> SelfAnalysis:
    """The member submits (or revises, while peers rate) their self-analysis; the branch may
    enter it for a member from the paper copy. The appraisal moves on to the peer round."""
    appraisal = _lock(appraisal)
    if not is_own(actor, appraisal.member):
        require(
            actor,
            Action.CHANGE,
            appraisal.org_path,
            _("只有党员本人或所在支部可以提交党性分析材料"),
        )
    state = next_state(appraisal.state, AppraisalAction.SUBMIT_SELF)
    text = (text or "").strip()
    if not text:
        raise ValidationError(
            {"text": _("请填写党性分析材料（对照党章查找自身差距、分析原因、提出整改方向）")}
        )
    day = _day(appraisal.unit, on)
    current = SelfAnalysis.objects.filter(appraisal=appraisal).first()
    before = audit.snapshot(current, ("text", "submitted_on")) if current else None
    analysis = current or SelfAnalysis(appraisal=appraisal)
    analysis.text, analysis.submitted_on, analysis.recorded_by = text, day, actor_user(actor)
    analysis.full_clean(exclude=["appraisal", "recorded_by"])
    analysis.save()
    old_state = appraisal.state
    appraisal.state = state
    appraisal.save(update_fields=["state", "updated_at"])
    audit.record(
        actor=actor,
        verb="update" if current else "create",
        obj=analysis,
        org_path=appraisal.org_path,
        before={**(before or {}), "state": old_state},
        after={**audit.snapshot(analysis, ("text", "submitted_on")), "state": state},
        note="党员本人提交党性分析" if is_own(actor, appraisal.member) else "支部代为登记党性分析",
    )
    return analysis


@transaction.atomic
def peer_rating_submit(
    *,
    actor: Actor,
    appraisal: Appraisal,
    rater: Member,
    grade: str,
    comment: str = "",
    on: dt.date | None = None,
) -> PeerRating:
    """A fellow member of the same unit rates the member (or changes their rating while the
    peer round is open). Nobody rates themself; a member of another unit cannot rate."""
    appraisal = _lock(appraisal)
    if not is_own(actor, rater):
        require(actor, Action.CHANGE, appraisal.org_path, _("只能以本人身份参加党员互评"))
    if rater.pk == appraisal.member_id:
        raise ValidationError(_("不能给自己评议，请对本支部其他党员进行评议"))
    if not Appraisal.objects.filter(unit_id=appraisal.unit_id, member=rater).exists():
        raise ValidationError(_("只有本支部参加评议的党员才能评议"))
    if appraisal.state != AppraisalState.PEER_REVIEW:
        raise ValidationError(
            _("该党员的评议处于“%(state)s”，只有提交党性分析后、支部结束互评前可以评议")
            % {"state": appraisal.get_state_display()}
        )
    if grade not in Grade.values:
        raise ValidationError({"grade": _("请选择评议等次：优秀、合格、基本合格或不合格")})
    day = _day(appraisal.unit, on)
    rating = PeerRating.objects.filter(appraisal=appraisal, rater=rater).first()
    before = audit.snapshot(rating, RATING_FIELDS) if rating else None
    rating = rating or PeerRating(appraisal=appraisal, rater=rater)
    rating.grade, rating.comment, rating.rated_on = grade, (comment or "").strip(), day
    rating.full_clean(exclude=["appraisal", "rater"])
    rating.save()
    audit.record(
        actor=actor,
        verb="update" if before else "create",
        obj=rating,
        org_path=appraisal.org_path,
        before=before,
        after=audit.snapshot(rating, RATING_FIELDS),
    )
    return rating


@transaction.atomic
def peer_review_close(*, actor: Actor, unit: CampaignUnit) -> int:
    """The branch ends the peer round: every appraisal in it goes to the committee. Members
    still without a self-analysis stay where they are. Returns how many moved."""
    unit = _lock_unit(unit)
    require(actor, Action.CHANGE, unit.org_path, _("结束党员互评须由支部委员会进行"))
    ids = list(
        unit.appraisals.filter(state=AppraisalState.PEER_REVIEW).values_list("id", flat=True)
    )
    if not ids:
        raise ValidationError(_("没有正在互评的党员（党员提交党性分析后才进入互评）"))
    Appraisal.objects.filter(id__in=ids).update(
        state=AppraisalState.COMMITTEE_REVIEW, updated_at=timezone.now()
    )
    audit.record(
        actor=actor,
        verb="update",
        obj=unit,
        org_path=unit.org_path,
        object_type="surveys.appraisal",
        before={"state": AppraisalState.PEER_REVIEW},
        after={"state": AppraisalState.COMMITTEE_REVIEW},
        note=f"{unit.org.name} 结束党员互评，{len(ids)} 名党员待支部委员会评定",
    )
    return len(ids)


@dataclass(frozen=True)
class Decision:
    appraisal_id: int
    grade: str
    note: str = ""


def _check_cap(unit: CampaignUnit, excellent_after: int) -> None:
    n = unit.appraisals.count()
    cap = excellent_cap(n)
    if excellent_after > cap:
        raise ValidationError(
            {
                "grade": _(
                    "评为“优秀”的党员不能超过参加评议党员的%(share)s：本单位参加评议 %(n)s 人，"
                    "最多 %(cap)s 人评为优秀，按此评定将有 %(after)s 人。请减少 %(over)s 名“优秀”"
                )
                % {
                    "share": EXCELLENT_MAX_SHARE_LABEL,
                    "n": n,
                    "cap": cap,
                    "after": excellent_after,
                    "over": excellent_after - cap,
                }
            }
        )


def _apply(actor: Actor, appraisal: Appraisal, grade: str, note: str, day: dt.date) -> None:
    name = mark_name(appraisal.member.name)
    try:
        state = next_state(appraisal.state, AppraisalAction.DECIDE)
    except AppraisalTransitionError as exc:
        raise ValidationError(
            _("%(name)s：%(reason)s（须先提交党性分析，并由支部结束党员互评）")
            % {"name": name, "reason": exc.messages[0]},
            code="transition_not_allowed",
        ) from exc
    if grade not in Grade.values:
        raise ValidationError({"grade": _("%(name)s：请选择评定等次") % {"name": name}})
    note = (note or "").strip()
    if grade in NOTE_REQUIRED and not note:
        raise ValidationError(
            {
                "note": _("%(name)s：评为“%(grade)s”须写明评定意见（主要问题和整改要求）")
                % {"name": name, "grade": Grade(grade).label}
            }
        )
    before = audit.snapshot(appraisal, APPRAISAL_FIELDS)
    appraisal.state, appraisal.grade, appraisal.decision_note = state, grade, note
    appraisal.decided_on, appraisal.decided_by = day, actor_user(actor)
    appraisal.full_clean(exclude=["campaign", "unit", "member", "decided_by"])
    appraisal.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=appraisal,
        org_path=appraisal.org_path,
        before=before,
        after=audit.snapshot(appraisal, APPRAISAL_FIELDS),
        note=f"支部委员会评定 {name}：{Grade(grade).label}",
    )


@transaction.atomic
def appraisals_decide(
    *,
    actor: Actor,
    unit: CampaignUnit,
    decisions: Iterable[Decision],
    on: dt.date | None = None,
) -> list[Appraisal]:
    """The branch committee decides (or corrects) grades of the unit's members, all or
    none: one refused decision (wrong state, no note for "unqualified", or more "excellent"
    than one third of the members appraised) refuses the whole batch."""
    unit = _lock_unit(unit)
    require(
        actor,
        Action.CHANGE,
        unit.org_path,
        _("评定等次须由支部委员会（或有权管理该单位的上级）进行"),
    )
    decisions = list(decisions)
    if not decisions:
        raise ValidationError(_("没有要评定的党员"))
    ids = [d.appraisal_id for d in decisions]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("同一名党员在一次评定中出现了两次"))
    rows = {
        a.pk: a
        for a in unit.appraisals.select_for_update(of=("self",))
        .select_related("member")
        .filter(pk__in=ids)
    }
    missing = [i for i in ids if i not in rows]
    if missing:
        raise ValidationError(_("评定的党员不属于该单位的民主评议"))
    excellent_after = unit.appraisals.filter(grade=Grade.EXCELLENT).exclude(
        pk__in=ids
    ).count() + sum(d.grade == Grade.EXCELLENT for d in decisions)
    _check_cap(unit, excellent_after)
    day = _day(unit, on)
    out = []
    for d in decisions:
        _apply(actor, rows[d.appraisal_id], d.grade, d.note, day)
        out.append(rows[d.appraisal_id])
    return out


def appraisal_decide(
    *,
    actor: Actor,
    appraisal: Appraisal,
    grade: str,
    note: str = "",
    on: dt.date | None = None,
) -> Appraisal:
    """The branch committee decides one member's grade (see ``appraisals_decide``)."""
    decided = appraisals_decide(
        actor=actor,
        unit=appraisal.unit,
        decisions=[Decision(appraisal.pk, grade, note)],
        on=on,
    )
    return decided[0]
