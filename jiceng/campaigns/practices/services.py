"""Every write of theme practices (S24, S25) and "four ones" (S18): a practice and its
activities; an item recorded by the member or their branch, and confirmed or returned by the
branch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.campaigns.progress.models import Campaign
from jiceng.campaigns.progress.services import create_audited
from jiceng.core import audit, generations, tree
from jiceng.core.attachments import services as attachments
from jiceng.core.scoping import Action, Actor, actor_user, can, require
from jiceng.members.models import Member
from jiceng.members.selectors import is_own
from jiceng.orgs.models import Organization

from . import totals
from .models import FourOnesItem, PracticeActivity, ThemePractice
from .rules import FourOnesState

FOUR_ONES_FIELDS = ("kind", "description", "evidence", "done_on", "state", "reason")


@transaction.atomic
def practice_create(
    *,
    actor: Actor,
    campaign: Campaign,
    owner: Organization,
    name: str,
    targets: str = "",
    description: str = "",
) -> ThemePractice:
    """Organise a theme practice in the owner's name (S25), aimed at industries or units."""
    require(actor, Action.CHANGE, owner.path, _("无权以该单位名义组织主题实践活动"))
    practice = ThemePractice(
        campaign=campaign,
        owner=owner,
        owner_path=owner.path,
        name=name.strip(),
        targets=targets.strip(),
        description=description.strip(),
    )
    return create_audited(
        actor=actor, obj=practice, org_path=owner.path, fields=("name", "targets")
    )


@transaction.atomic
def activity_record(
    *,
    actor: Actor,
    practice: ThemePractice,
    org: Organization,
    title: str,
    on: dt.date,
    place: str = "",
    participants: int = 0,
    uploads: Sequence[UploadedFile] = (),
) -> PracticeActivity:
    """A unit under the practice's organiser records one of its activities (S24), with its
    photos and files (all kept, or none of it)."""
    require(actor, Action.CHANGE, org.path, _("无权为该单位记录活动"))
    if not tree.within(org.path, practice.owner_path):
        raise ValidationError(_("开展单位应在主题实践活动的组织单位之下"))
    activity = PracticeActivity(
        practice=practice,
        org=org,
        org_path=org.path,
        title=title.strip(),
        on=on,
        place=place.strip(),
        participants=participants,
    )
    activity = create_audited(
        actor=actor, obj=activity, org_path=org.path, fields=("title", "on", "participants")
    )
    if uploads:
        attachments.attachments_add(actor=actor, record=activity, files=uploads)
    return activity


@transaction.atomic
def four_ones_record(
    *,
    actor: Actor,
    campaign: Campaign,
    member: Member,
    kind: str,
    description: str,
    done_on: dt.date,
    evidence: str = "",
    uploads: Sequence[UploadedFile] = (),
) -> FourOnesItem:
    """The member (self-service) or their branch records one of the four ones with its
    evidence (S18), photos and files included (kept with the item, or none of it is kept);
    recording it again replaces the entry and asks for confirmation anew."""
    if actor is not None and not may_record(actor, member):
        raise PermissionDenied(_("只能填报本人或本支部党员的“四个一”"))
    if not description.strip():
        raise ValidationError({"description": _("请填写做了什么")})
    if done_on > campaign.ends_on or done_on < campaign.starts_on:
        raise ValidationError({"done_on": _("完成日期应在活动期间内")})
    item = (
        FourOnesItem.objects.select_for_update()
        .filter(campaign=campaign, member=member, kind=kind)
        .first()
    )
    before = audit.snapshot(item, FOUR_ONES_FIELDS) if item else None
    old_path = item.member_path if item else ""
    if item is None:
        item = FourOnesItem(campaign=campaign, member=member, kind=kind)
    item.member_path = member.home_path
    item.description = description.strip()
    item.evidence = evidence.strip()
    item.done_on = done_on
    item.state = FourOnesState.RECORDED
    item.reason = ""
    item.recorded_by = actor_user(actor)
    item.confirmed_by, item.confirmed_on = None, None
    item.full_clean()
    item.save()
    totals.recount(paths=(old_path, item.member_path), member_ids=(member.pk,))
    audit.record(
        actor=actor,
        verb="update" if before else "create",
        obj=item,
        org_path=member.home_path,
        before=before,
        after=audit.snapshot(item, FOUR_ONES_FIELDS),
    )
    if uploads:
        attachments.attachments_add(actor=actor, record=item, files=uploads)
    generations.bump(generations.MEMBER_ACTIVITY)
    return item


def may_record(actor: Actor, member: Member) -> bool:
    """Whether ``actor`` may record ``member``'s four ones: the member or their branch."""
    return is_own(actor, member) or can(actor, Action.CHANGE, member.home_path)


def four_ones_may_attach(actor: Actor, item: FourOnesItem) -> bool:
    """Photos and files of an item: its member until the branch has confirmed it, the
    branch always."""
    if can(actor, Action.CHANGE, item.member_path):
        return True
    return is_own(actor, item.member) and item.state != FourOnesState.CONFIRMED


def activity_may_attach(actor: Actor, activity: PracticeActivity) -> bool:
    """Photos and files of an activity: whoever may record activities for its unit."""
    return can(actor, Action.CHANGE, activity.org_path)


@transaction.atomic
def four_ones_confirm(
    *, actor: Actor, item: FourOnesItem, confirm: bool = True, reason: str = ""
) -> FourOnesItem:
    """The branch confirms a recorded item, or returns it with a reason."""
    require(actor, Action.CHANGE, item.member_path, _("只有党员所在支部可以确认"))
    if is_own(actor, item.member):
        raise PermissionDenied(_("本人填报的内容须由支部确认"))
    if item.state != FourOnesState.RECORDED:
        raise ValidationError(_("只能确认待确认的内容"))
    if not confirm and not reason.strip():
        raise ValidationError({"reason": _("请填写退回原因")})
    before = audit.snapshot(item, FOUR_ONES_FIELDS)
    item.state = FourOnesState.CONFIRMED if confirm else FourOnesState.RETURNED
    item.reason = "" if confirm else reason.strip()
    item.confirmed_by = actor_user(actor)
    item.confirmed_on = item.campaign.reference_date()
    item.save()
    totals.recount(paths=(item.member_path,), member_ids=(item.member_id,))
    audit.record(
        actor=actor,
        verb="update",
        obj=item,
        org_path=item.member_path,
        before=before,
        after=audit.snapshot(item, FOUR_ONES_FIELDS),
    )
    generations.bump(generations.MEMBER_ACTIVITY)
    return item
