"""Appraisal API: a unit's appraisal sheet (with peer tallies), opening it, a member's
self-analysis, peer ratings, closing the peer round, the committee's grades (one or a batch,
all or nothing, under the one-third rule) and the results of a subtree; thin views over the
same selectors and services as the pages."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.campaigns.models import Campaign
from jiceng.campaigns.progress import selectors as campaign_selectors
from jiceng.core.api import IdField, query_id, validated
from jiceng.core.scoping import Action, can
from jiceng.orgs.models import Organization
from jiceng.surveys import selectors, services
from jiceng.surveys.models import Appraisal
from jiceng.surveys.rules import Grade


class TallyOutput(serializers.Serializer):
    excellent = serializers.IntegerField()
    qualified = serializers.IntegerField()
    basically_qualified = serializers.IntegerField()
    unqualified = serializers.IntegerField()
    total = serializers.IntegerField()


class AppraisalOutput(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name")
    unit_id = serializers.IntegerField()
    self_analysis_on = serializers.SerializerMethodField()

    class Meta:
        model = Appraisal
        fields = [
            "id",
            "unit_id",
            "member_id",
            "member_name",
            "state",
            "grade",
            "decision_note",
            "decided_on",
            "self_analysis_on",
        ]

    def get_self_analysis_on(self, obj: Appraisal) -> str | None:
        analysis = getattr(obj, "self_analysis", None)
        return analysis.submitted_on.isoformat() if analysis else None


class SheetRowOutput(AppraisalOutput):
    peers = serializers.SerializerMethodField()

    class Meta(AppraisalOutput.Meta):
        fields = [*AppraisalOutput.Meta.fields, "peers"]

    def get_peers(self, obj: Any) -> dict[str, int]:
        keys = ("excellent", "qualified", "basically_qualified", "unqualified", "total")
        return {k: getattr(obj, f"peer_{k}") for k in keys}


class CounterOutput(serializers.Serializer):
    appraised = serializers.IntegerField()
    excellent = serializers.IntegerField()
    cap = serializers.IntegerField()


class SheetOutput(serializers.Serializer):
    unit_id = serializers.IntegerField()
    counter = CounterOutput()
    appraisals = SheetRowOutput(many=True)


class AppraisalDetailOutput(AppraisalOutput):
    self_analysis = serializers.SerializerMethodField()
    peers = serializers.SerializerMethodField()

    class Meta(AppraisalOutput.Meta):
        fields = [*AppraisalOutput.Meta.fields, "self_analysis", "peers"]

    def get_self_analysis(self, obj: Appraisal) -> str | None:
        analysis = getattr(obj, "self_analysis", None)
        return analysis.text if analysis else None

    def get_peers(self, obj: Appraisal) -> dict[str, int] | None:
        shown = self.context.get("officer", False)
        return selectors.appraisal_tally(obj) if shown else None


class SelfAnalysisInput(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, allow_blank=True)
    on = serializers.DateField(required=False, allow_null=True, default=None)


class RatingInput(serializers.Serializer):
    grade = serializers.ChoiceField(Grade.choices)
    comment = serializers.CharField(max_length=2_000, required=False, allow_blank=True, default="")


class RatingOutput(serializers.Serializer):
    appraisal_id = serializers.IntegerField()
    grade = serializers.CharField()
    comment = serializers.CharField()
    rated_on = serializers.DateField()


class DecideInput(serializers.Serializer):
    grade = serializers.ChoiceField(Grade.choices)
    note = serializers.CharField(max_length=2_000, required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True, default=None)


class BulkDecisionInput(serializers.Serializer):
    appraisal_id = IdField()
    grade = serializers.ChoiceField(Grade.choices)
    note = serializers.CharField(max_length=2_000, required=False, allow_blank=True, default="")


class BulkDecideInput(serializers.Serializer):
    decisions = serializers.ListField(child=BulkDecisionInput(), min_length=1)
    on = serializers.DateField(required=False, allow_null=True, default=None)


class CountOutput(serializers.Serializer):
    count = serializers.IntegerField()


class ResultOutput(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    org_id = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField()
    self_pending = serializers.IntegerField()
    peer_review = serializers.IntegerField()
    committee_review = serializers.IntegerField()
    decided = serializers.IntegerField()
    excellent = serializers.IntegerField()
    qualified = serializers.IntegerField()
    basically_qualified = serializers.IntegerField()
    unqualified = serializers.IntegerField()


class ResultsOutput(serializers.Serializer):
    total = ResultOutput()
    groups = ResultOutput(many=True)


def _sheet(request: Request, pk: int) -> dict[str, Any]:
    unit = campaign_selectors.unit_get(request.user, pk)
    counter = selectors.unit_counter(unit)
    return {
        "unit_id": unit.pk,
        "counter": {
            "appraised": counter.appraised,
            "excellent": counter.excellent,
            "cap": counter.cap,
        },
        "appraisals": SheetRowOutput(selectors.unit_sheet(request.user, unit), many=True).data,
    }


def _detail(request: Request, pk: int) -> dict[str, Any]:
    appraisal = selectors.appraisal_get(request.user, pk)
    officer = can(request.user, Action.VIEW, appraisal.org_path)
    return dict(AppraisalDetailOutput(appraisal, context={"officer": officer}).data)


class UnitAppraisals(generics.GenericAPIView):
    serializer_class = SheetOutput

    def get(self, request: Request, pk: int) -> Response:
        """The unit's members with self-analysis, state, peer tally and grade."""
        return Response(_sheet(request, pk))


class UnitOpen(generics.GenericAPIView):
    serializer_class = CountOutput

    @extend_schema(request=None, responses={201: CountOutput})
    def post(self, request: Request, pk: int) -> Response:
        """Open (or bring up to date) the unit's appraisal: one per member taking part."""
        unit = campaign_selectors.unit_get(request.user, pk)
        n = services.appraisals_open(actor=request.user, unit=unit)
        return Response({"count": n}, status=status.HTTP_201_CREATED)


class UnitClosePeers(generics.GenericAPIView):
    serializer_class = CountOutput

    @extend_schema(request=None, responses=CountOutput)
    def post(self, request: Request, pk: int) -> Response:
        """End the peer round: appraisals in it go to the branch committee."""
        unit = campaign_selectors.unit_get(request.user, pk)
        n = services.peer_review_close(actor=request.user, unit=unit)
        return Response({"count": n})


class UnitDecide(generics.GenericAPIView):
    serializer_class = SheetOutput

    @extend_schema(request=BulkDecideInput, responses=SheetOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Decide several grades at once, all or none (one third at most "excellent")."""
        unit = campaign_selectors.unit_get(request.user, pk)
        data = validated(BulkDecideInput, request.data)
        decisions = [
            services.Decision(d["appraisal_id"], d["grade"], d["note"]) for d in data["decisions"]
        ]
        services.appraisals_decide(
            actor=request.user, unit=unit, decisions=decisions, on=data["on"]
        )
        return Response(_sheet(request, pk))


class AppraisalDetail(generics.GenericAPIView):
    serializer_class = AppraisalDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(request, pk))


class AppraisalSelfAnalysis(generics.GenericAPIView):
    serializer_class = AppraisalDetailOutput

    @extend_schema(request=SelfAnalysisInput, responses=AppraisalDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        """The member's own self-analysis (or the branch's entry of it)."""
        appraisal = selectors.appraisal_get(request.user, pk)
        data = validated(SelfAnalysisInput, request.data)
        services.self_analysis_submit(actor=request.user, appraisal=appraisal, **data)
        return Response(_detail(request, pk))


class AppraisalRate(generics.GenericAPIView):
    serializer_class = RatingOutput

    @extend_schema(request=RatingInput, responses=RatingOutput)
    def post(self, request: Request, pk: int) -> Response:
        """The calling member rates a fellow member of the same unit (``pk``: their appraisal)."""
        rater, appraisal = selectors.peer_of(request.user, pk)
        data = validated(RatingInput, request.data)
        rating = services.peer_rating_submit(
            actor=request.user,
            appraisal=appraisal,
            rater=rater,
            **data,
        )
        return Response(
            {
                "appraisal_id": rating.appraisal_id,
                "grade": rating.grade,
                "comment": rating.comment,
                "rated_on": rating.rated_on,
            }
        )


class AppraisalDecide(generics.GenericAPIView):
    serializer_class = AppraisalDetailOutput

    @extend_schema(request=DecideInput, responses=AppraisalDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        appraisal = selectors.appraisal_get(request.user, pk)
        data = validated(DecideInput, request.data)
        services.appraisal_decide(actor=request.user, appraisal=appraisal, **data)
        return Response(_detail(request, pk))


def _under(request: Request, campaign: Campaign) -> Organization:
    return campaign_selectors.campaign_subtree(request.user, campaign, query_id(request, "under"))


class Results(generics.GenericAPIView):
    serializer_class = ResultsOutput

    @extend_schema(
        parameters=[OpenApiParameter("under", int, description="subtree root (organisation id)")]
    )
    def get(self, request: Request, pk: int) -> Response:
        """Counts per state and grade for the subtree and for each of its children."""
        campaign = campaign_selectors.campaign_get(request.user, pk)
        under = _under(request, campaign)
        total = selectors.results_total(request.user, campaign, under)
        groups = selectors.results_by_child(request.user, campaign, under)
        return Response({"total": total.as_dict(), "groups": [g.as_dict() for g in groups]})
