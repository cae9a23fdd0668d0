"""Every read of theme practices (S24, S25) and "four ones" (S18): the practices a user reads
and their activities, a subtree's four ones (with study, the members' summary of the
dashboard), a branch's sheet, and a member's own campaign and items."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from jiceng.campaigns.progress.models import Campaign, CampaignUnit
from jiceng.core import generations
from jiceng.core.scoping import Action, can, get_visible_or_404, scope_of
from jiceng.members.models import Member
from jiceng.members.selectors import own_member
from jiceng.orgs.models import Organization
from jiceng.study import selectors as study_selectors

from ..coverage import selectors as coverage_selectors
from .models import (
    FourOnesComplete,
    FourOnesItem,
    FourOnesTally,
    PracticeActivity,
    ThemePractice,
)
from .rules import FourOnes, FourOnesState

# The members' summary sums stored totals (issue 22: a range of units, not the members); it
# is still kept this long (seconds) per campaign, subtree and scope, or until a member's four
# ones or study records change (``core.generations.MEMBER_ACTIVITY``).
MEMBER_SUMMARY_SECONDS = 300


def four_ones_summary(user: Any, campaign: Campaign, under: Organization) -> dict[str, Any]:
    """Members of the subtree and how many have each item confirmed / waiting (S18). For a
    user who sees the whole subtree, sums of the stored totals (issue 22) over its paths."""
    if can(user, Action.VIEW, under.path):
        return _four_ones_stored(user, campaign, under)
    members = Member.objects.on_roll().visible_to(user).filter(home_path__startswith=under.path)
    rows = (
        FourOnesItem.objects.visible_to(user)
        .filter(campaign=campaign, member_path__startswith=under.path)
        .values("kind")
        .annotate(
            confirmed=Count("id", filter=Q(state=FourOnesState.CONFIRMED)),
            waiting=Count("id", filter=Q(state=FourOnesState.RECORDED)),
        )
    )
    by_kind: dict[str, Any] = {r["kind"]: r for r in rows}
    complete = (
        FourOnesItem.objects.visible_to(user)
        .filter(
            campaign=campaign, member_path__startswith=under.path, state=FourOnesState.CONFIRMED
        )
        .values("member_id")
        .annotate(n=Count("id"))
        .filter(n=len(FourOnes.values))
        .count()
    )
    return _four_ones_figures(members.count(), complete, by_kind)


def _four_ones_stored(user: Any, campaign: Campaign, under: Organization) -> dict[str, Any]:
    rows = (
        FourOnesTally.objects.filter(campaign=campaign, path__startswith=under.path)
        .order_by()
        .values("kind")
        .annotate(confirmed=Sum("confirmed"), waiting=Sum("waiting"))
    )
    complete = FourOnesComplete.objects.filter(
        campaign=campaign, path__startswith=under.path
    ).count()
    members = coverage_selectors.roll_figures(user, campaign, under)["members"]
    return _four_ones_figures(members, complete, {r["kind"]: r for r in rows})


def _four_ones_figures(members: int, complete: int, by_kind: dict[str, Any]) -> dict[str, Any]:
    return {
        "members": members,
        "complete": complete,
        "kinds": [
            {
                "kind": k,
                "label": str(FourOnes(k).label),
                "confirmed": by_kind.get(k, {}).get("confirmed", 0),
                "waiting": by_kind.get(k, {}).get("waiting", 0),
            }
            for k in FourOnes.values
        ],
        "waiting": sum(r["waiting"] for r in by_kind.values()),
    }


def four_ones_sheet(user: Any, campaign: Campaign, unit: CampaignUnit) -> list[dict[str, Any]]:
    """A branch's view (S18): each member registered in the unit with their four items."""
    members = list(
        Member.objects.on_roll().visible_to(user).filter(home_org=unit.org).order_by("name")
    )
    items: dict[tuple[int, str], FourOnesItem] = {
        (i.member_id, i.kind): i
        for i in FourOnesItem.objects.filter(campaign=campaign, member__in=members)
    }
    return [
        {"member": m, "items": [(k, items.get((m.pk, k))) for k in FourOnes.values]}
        for m in members
    ]


def practices_for(user: Any, campaign: Campaign) -> QuerySet[ThemePractice]:
    """Theme practices the user may read: organised in their subtree or above it (S24, S25)."""
    return (
        ThemePractice.objects.visible_to(user)
        .filter(campaign=campaign)
        .select_related("owner")
        .annotate(n_activities=Count("activities"))
    )


def practice_get(user: Any, pk: Any) -> ThemePractice:
    """A practice the user may record activities for: organised in or above their scope."""
    return get_visible_or_404(ThemePractice, user, pk=pk)


def member_summary(user: Any, campaign: Campaign, under: Organization) -> dict[str, Any]:
    """Members' "four ones" (S18) and study completion (S9) under the subtree, for the
    dashboard (loaded after the page, so the progress roll-up shows at once); cached for
    ``MEMBER_SUMMARY_SECONDS`` per campaign, subtree and the user's scope."""
    scope = ",".join(scope_of(user, Action.VIEW).paths)
    gen = generations.generation(generations.MEMBER_ACTIVITY)
    key = generations.cache_key("campaign-members", gen, campaign.pk, under.path, scope)
    summary: dict[str, Any] | None = cache.get(key)
    if summary is None:
        period = study_selectors.period_current(today=campaign.reference_date())
        summary = {
            "four_ones": four_ones_summary(user, campaign, under),
            "study": study_selectors.unit_totals(user, under, period) if period else None,
            "study_period": period,
            "computed_at": timezone.localtime(),
        }
        cache.set(key, summary, MEMBER_SUMMARY_SECONDS)
    return summary


def practices_with_activities(
    user: Any, campaign: Campaign
) -> list[tuple[ThemePractice, list[PracticeActivity]]]:
    """The practices the user reads, each with its latest activities in the user's subtree."""
    activities = PracticeActivity.objects.visible_to(user).select_related("org")
    return [(p, list(activities.filter(practice=p)[:20])) for p in practices_for(user, campaign)]


def four_ones_get(user: Any, pk: Any) -> FourOnesItem:
    return get_visible_or_404(
        FourOnesItem.objects.select_related("campaign", "member"), user, pk=pk
    )


def four_ones_items(user: Any, campaign: Campaign) -> QuerySet[FourOnesItem]:
    """The campaign's items the user may see: a member their own, an officer their subtree's."""
    return (
        FourOnesItem.objects.visible_to(user)
        .filter(campaign=campaign)
        .select_related("member")
        .order_by("member_path", "kind")
    )


def own_items(user: Any, campaign: Campaign, member: Member) -> dict[str, FourOnesItem]:
    """A member's items of the campaign, by kind."""
    items = FourOnesItem.objects.visible_to(user).filter(campaign=campaign, member=member)
    return {i.kind: i for i in items}


def member_campaign(member: Member) -> Campaign | None:
    """The latest campaign in which the member's home unit takes part."""
    return (
        Campaign.objects.filter(units__org_id=member.home_org_id)
        .order_by("-starts_on", "-id")
        .first()
    )


def member_unit(campaign: Campaign, member: Member) -> CampaignUnit | None:
    """The member's home unit in the campaign, with its current step."""
    return (
        CampaignUnit.objects.filter(campaign=campaign, org_id=member.home_org_id)
        .select_related("step", "org")
        .first()
    )


def own_campaign(user: Any, pk: Any) -> Campaign:
    """For a member (self-service): campaign ``pk`` if their branch takes part, else 404."""
    member = own_member(user)
    campaign = member_campaign(member) if member else None
    if campaign is None or str(campaign.pk) != str(pk):
        raise Http404
    return campaign


def member_for_four_ones(user: Any, member_id: Any) -> Member:
    """The member an item is recorded for: oneself, or a member in the user's scope."""
    own = own_member(user)
    if own is not None and str(own.pk) == str(member_id):
        return own
    return get_visible_or_404(Member, user, Action.CHANGE, pk=member_id)
