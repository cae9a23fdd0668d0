"""The counts the organisation tree reads from the roll (``orgs.roll.Roll``), answered here
with the members app's own queries: ``orgs`` never reads member rows itself."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, Expression, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from jiceng.orgs.models import Organization

from .models import Member


class MemberRoll:
    def subtree_counts(self, org: Organization) -> dict[str, Any]:
        # Members transferred out of the city keep their last home organisation but leave the
        # roll. One aggregate over the indexed path prefix.
        qs = Member.objects.filter(home_path__startswith=org.path, transferred_out_on__isnull=True)
        agg = qs.aggregate(
            total=Count("home_path"),
            full=Count("home_path", filter=Q(category="full")),
            probationary=Count("home_path", filter=Q(category="probationary")),
            placed=Count("home_path", filter=Q(participating_org__isnull=False)),
            direct=Count("home_path", filter=Q(home_org=org)),
            direct_full=Count("home_path", filter=Q(home_org=org, category="full")),
        )
        labels = dict(Member._meta.get_field("employment_status").flatchoices)
        by_status = (
            qs.values_list("employment_status").annotate(n=Count("home_path")).order_by("-n")
        )
        agg["unplaced"] = agg["total"] - agg["placed"]
        agg["by_status"] = [(code, labels.get(code, code), n) for code, n in by_status]
        return agg

    def direct_count(self, **filters: Any) -> Expression:
        # A correlated subquery that the (home_org, category) index answers without touching
        # the member rows.
        counted = (
            Member.objects.filter(home_org=OuterRef("pk"), **filters)
            .order_by()
            .values("home_org")
            .annotate(n=Count("home_org"))
            .values("n")[:1]
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

    def direct_more_than(self, n: int, **filters: Any) -> Exists:
        # An index probe that stops at the (n+1)-th row instead of counting them all
        # (EXISTS … OFFSET n).
        return Exists(Member.objects.filter(home_org=OuterRef("pk"), **filters)[n : n + 1])

    def full_count(self, org: Organization) -> int:
        return int(Member.objects.filter(home_org=org, category="full").count())
