"""Campaigns API: batches (create, from the last one, S30), progress roll-ups by subtree or
sector, lagging units, a unit's steps and its actions; thin views over the same selectors and
services as the pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.campaigns import selectors, services
from jiceng.campaigns.models import (
    Campaign,
    CampaignUnit,
    ChainLink,
    FourOnesItem,
    GuidanceTemplate,
    PilotLesson,
    ResponsibilityTask,
    Step,
    StepRecord,
)
from jiceng.campaigns.rules import ENTERED_COVERAGE, Batch, FourOnes, StepAction
from jiceng.core.api import MAX_INT, IdField, call_service, query_id, query_param, validated
from jiceng.core.scoping import Action, get_visible_or_404, scope_of
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization, Sector


class StepOutput(serializers.ModelSerializer):
    class Meta:
        model = Step
        fields = ["id", "order", "phase", "name", "evidence", "due_on"]


class CampaignOutput(serializers.ModelSerializer):
    root_id = serializers.IntegerField()
    previous_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "batch",
            "root_id",
            "starts_on",
            "ends_on",
            "as_of",
            "previous_id",
            "description",
        ]


class CampaignDetailOutput(CampaignOutput):
    steps = StepOutput(many=True, read_only=True)
    indicators = serializers.SerializerMethodField()

    class Meta(CampaignOutput.Meta):
        fields = [*CampaignOutput.Meta.fields, "steps", "indicators"]

    def get_indicators(self, obj: Campaign) -> list[dict[str, Any]]:
        return [{"aim": i.aim, "name": i.name, "target": i.target} for i in obj.indicators.all()]


class CampaignInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    batch = serializers.ChoiceField(Batch.choices)
    root_id = IdField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    as_of = serializers.DateField(required=False, allow_null=True, default=None)
    previous_id = IdField(required=False, allow_null=True, default=None)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class ProgressOutput(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    org_id = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField()
    launched = serializers.IntegerField()
    not_launched = serializers.IntegerField()
    study = serializers.IntegerField()
    review = serializers.IntegerField()
    rectify = serializers.IntegerField()
    completed = serializers.IntegerField()
    overdue = serializers.IntegerField()
    late_launch = serializers.IntegerField()
    submitted = serializers.IntegerField()
    returned = serializers.IntegerField()


class RollupOutput(serializers.Serializer):
    as_of = serializers.DateField()
    total = ProgressOutput()
    groups = ProgressOutput(many=True)


class UnitOutput(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name")
    parent_id = serializers.IntegerField(allow_null=True)
    step_id = serializers.IntegerField(allow_null=True)
    step_name = serializers.CharField(source="step.name", allow_null=True, default=None)
    secretary = serializers.SerializerMethodField()

    class Meta:
        model = CampaignUnit
        fields = [
            "id",
            "org_id",
            "org_name",
            "parent_id",
            "sector",
            "state",
            "launched_on",
            "step_id",
            "step_name",
            "step_state",
            "phase",
            "due_on",
            "signed_steps",
            "completed_on",
            "secretary",
        ]

    def get_secretary(self, obj: CampaignUnit) -> str | None:
        return obj.org.secretary.name if obj.org.secretary_id and obj.org.secretary else None


class RecordOutput(serializers.ModelSerializer):
    class Meta:
        model = StepRecord
        fields = ["step_id", "action", "on", "evidence", "reason", "by_name", "at"]


class UnitDetailOutput(UnitOutput):
    records = serializers.SerializerMethodField()

    class Meta(UnitOutput.Meta):
        fields = [*UnitOutput.Meta.fields, "records"]

    def get_records(self, obj: CampaignUnit) -> list[dict[str, Any]]:
        return list(RecordOutput(selectors.unit_records(obj), many=True).data)


class UnitActInput(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True, default=None)


UNDER = OpenApiParameter("under", int, description="subtree root (organisation id)")


def _under(request: Request, campaign: Campaign) -> Organization:
    return selectors.campaign_subtree(request.user, campaign, query_id(request, "under"))


class CampaignListCreate(generics.GenericAPIView):
    serializer_class = CampaignOutput

    @extend_schema(responses=CampaignOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.campaign_list(request.user))
        return self.get_paginated_response(CampaignOutput(page, many=True).data)

    @extend_schema(request=CampaignInput, responses={201: CampaignDetailOutput})
    def post(self, request: Request) -> Response:
        """Create a batch; with ``previous_id`` its steps, indicators and subtrees are copied."""
        data = validated(CampaignInput, request.data)
        root = org_selectors.organization_get(request.user, data.pop("root_id"), Action.CHANGE)
        previous_id = data.pop("previous_id")
        previous = selectors.campaign_get(request.user, previous_id) if previous_id else None
        campaign = call_service(
            services.campaign_create, actor=request.user, root=root, previous=previous, **data
        )
        return Response(CampaignDetailOutput(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetail(generics.GenericAPIView):
    serializer_class = CampaignDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(CampaignDetailOutput(selectors.campaign_get(request.user, pk)).data)


class CampaignProgress(generics.GenericAPIView):
    serializer_class = RollupOutput

    @extend_schema(
        parameters=[
            UNDER,
            OpenApiParameter("by", str, enum=["child", "sector"], description="grouping"),
        ]
    )
    def get(self, request: Request, pk: int) -> Response:
        """Units by phase, overdue and awaiting sign-off, for a subtree's children or sectors."""
        campaign = selectors.campaign_get(request.user, pk)
        under = _under(request, campaign)
        by = query_param(request, "by", serializers.ChoiceField(["child", "sector"])) or "child"
        groups = (
            selectors.progress_by_sector(request.user, campaign, under)
            if by == "sector"
            else selectors.progress_by_child(request.user, campaign, under)
        )
        total = (
            selectors.Progress.summed(groups, under)
            if by != "sector"
            else selectors.progress_total(request.user, campaign, under)
        )
        return Response(
            {
                "as_of": campaign.reference_date(),
                "total": total.as_dict(),
                "groups": [g.as_dict() for g in groups],
            }
        )


class CampaignLagging(generics.GenericAPIView):
    serializer_class = UnitOutput

    @extend_schema(
        parameters=[UNDER, OpenApiParameter("sector", str, enum=Sector.values)],
        responses=UnitOutput(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        campaign = selectors.campaign_get(request.user, pk)
        under = _under(request, campaign)
        sector = query_param(request, "sector", serializers.ChoiceField(Sector.choices)) or ""
        units = selectors.lagging_units(request.user, campaign, under, sector=sector)
        page = self.paginate_queryset(units)
        return self.get_paginated_response(UnitOutput(page, many=True).data)


class UnitDetail(generics.GenericAPIView):
    serializer_class = UnitDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(UnitDetailOutput(selectors.unit_get(request.user, pk)).data)


class UnitAct(generics.GenericAPIView):
    serializer_class = UnitDetailOutput

    @extend_schema(
        request=UnitActInput,
        responses=UnitDetailOutput,
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=StepAction.values)],
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        """``launch``, ``submit`` (text = evidence), ``sign_off`` (text = note) or ``return``
        (text = reason); sign-off and return need rights over the parent unit."""
        unit = selectors.unit_get(request.user, pk)
        if action not in StepAction.values:
            raise Http404
        data = validated(UnitActInput, request.data)
        unit = call_service(services.unit_act, actor=request.user, unit=unit, action=action, **data)
        return Response(UnitDetailOutput(selectors.unit_get(request.user, unit.pk)).data)


# ----- responsibility chains (S6), coverage (S8), four ones (S18), guidance (S5, S14, S15) ---


class ChainLinkOutput(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name")

    class Meta:
        model = ChainLink
        fields = ["rank", "org_id", "org_name", "person"]


class TaskOutput(serializers.ModelSerializer):
    unit_id = serializers.IntegerField()
    step_id = serializers.IntegerField(allow_null=True)
    links = ChainLinkOutput(many=True, read_only=True)
    escalated_rank = serializers.SerializerMethodField()

    class Meta:
        model = ResponsibilityTask
        fields = [
            "id",
            "unit_id",
            "step_id",
            "title",
            "due_on",
            "state",
            "done_on",
            "links",
            "escalated_rank",
        ]

    def get_escalated_rank(self, obj: ResponsibilityTask) -> int:
        return obj.escalation_rank(obj.campaign.reference_date(), len(obj.links.all()))


class CampaignTasks(generics.GenericAPIView):
    serializer_class = TaskOutput

    @extend_schema(parameters=[UNDER], responses=TaskOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """Overdue tasks under a subtree with their four-level chains (S6)."""
        campaign = selectors.campaign_get(request.user, pk)
        under = _under(request, campaign)
        page = self.paginate_queryset(
            selectors.overdue_tasks(request.user, campaign, under).select_related("campaign")
        )
        return self.get_paginated_response(TaskOutput(page, many=True).data)


class TaskDone(generics.GenericAPIView):
    serializer_class = TaskOutput

    @extend_schema(request=None, responses=TaskOutput)
    def post(self, request: Request, pk: int) -> Response:
        task = get_visible_or_404(
            ResponsibilityTask.objects.select_related("campaign"), request.user, pk=pk
        )
        task = call_service(services.task_done, actor=request.user, task=task)
        return Response(TaskOutput(task).data)


class CoverageOutput(serializers.Serializer):
    units = serializers.IntegerField()
    secretaries = serializers.IntegerField()
    secretary_rate = serializers.FloatField()
    members = serializers.IntegerField()
    placed = serializers.IntegerField()
    member_rate = serializers.FloatField()
    attended = serializers.IntegerField()
    attended_rate = serializers.FloatField()
    owner_rate = serializers.FloatField()
    resident_rate = serializers.FloatField()
    owners_units = serializers.IntegerField()
    residents_units = serializers.IntegerField()


class CampaignCoverage(generics.GenericAPIView):
    serializer_class = CoverageOutput

    @extend_schema(parameters=[UNDER])
    def get(self, request: Request, pk: int) -> Response:
        """The "four lets" of a subtree (S8); owners and residents are entered figures."""
        campaign = selectors.campaign_get(request.user, pk)
        under = _under(request, campaign)
        return Response(CoverageOutput(selectors.coverage(request.user, campaign, under)).data)


class CoverageInput(serializers.Serializer):
    indicator = serializers.ChoiceField([(c, c) for c in ENTERED_COVERAGE])
    numerator = serializers.IntegerField(max_value=MAX_INT, min_value=0)
    denominator = serializers.IntegerField(max_value=MAX_INT, min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class UnitCoverage(generics.GenericAPIView):
    serializer_class = CoverageInput

    @extend_schema(request=CoverageInput, responses=CoverageInput)
    def post(self, request: Request, pk: int) -> Response:
        unit = selectors.unit_get(request.user, pk)
        data = validated(CoverageInput, request.data)
        entry = call_service(services.coverage_enter, actor=request.user, unit=unit, **data)
        return Response(
            {
                "indicator": entry.indicator,
                "numerator": entry.numerator,
                "denominator": entry.denominator,
                "note": entry.note,
            }
        )


class FourOnesOutput(serializers.ModelSerializer):
    member_id = serializers.IntegerField()
    member_name = serializers.CharField(source="member.name")

    class Meta:
        model = FourOnesItem
        fields = [
            "id",
            "member_id",
            "member_name",
            "kind",
            "description",
            "evidence",
            "done_on",
            "state",
            "reason",
            "confirmed_on",
        ]


class FourOnesInput(serializers.Serializer):
    member_id = IdField()
    kind = serializers.ChoiceField(FourOnes.choices)
    description = serializers.CharField(max_length=300)
    evidence = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    done_on = serializers.DateField()


class CampaignFourOnes(generics.GenericAPIView):
    serializer_class = FourOnesOutput

    @extend_schema(responses=FourOnesOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """Items the user may see: a member their own, an officer their subtree's (S18)."""
        if scope_of(request.user, Action.VIEW).paths:
            campaign = selectors.campaign_get(request.user, pk)
        else:  # a member (self-service): the campaign their branch takes part in
            campaign = selectors.own_campaign(request.user, pk)
        items = (
            FourOnesItem.objects.visible_to(request.user)
            .filter(campaign=campaign)
            .select_related("member")
            .order_by("member_path", "kind")
        )
        return self.get_paginated_response(
            FourOnesOutput(self.paginate_queryset(items), many=True).data
        )

    @extend_schema(request=FourOnesInput, responses={201: FourOnesOutput})
    def post(self, request: Request, pk: int) -> Response:
        """Record an item for oneself (a member) or a member of one's branch."""
        data = validated(FourOnesInput, request.data)
        member = selectors.member_for_four_ones(request.user, data.pop("member_id"))
        campaign = selectors.member_campaign(member)
        if campaign is None or campaign.pk != pk:
            raise Http404
        item = call_service(
            services.four_ones_record, actor=request.user, campaign=campaign, member=member, **data
        )
        return Response(FourOnesOutput(item).data, status=status.HTTP_201_CREATED)


class ConfirmInput(serializers.Serializer):
    confirm = serializers.BooleanField(default=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class FourOnesConfirm(generics.GenericAPIView):
    serializer_class = FourOnesOutput

    @extend_schema(request=ConfirmInput, responses=FourOnesOutput)
    def post(self, request: Request, pk: int) -> Response:
        item = get_visible_or_404(
            FourOnesItem.objects.select_related("campaign", "member"), request.user, pk=pk
        )
        data = validated(ConfirmInput, request.data)
        item = call_service(services.four_ones_confirm, actor=request.user, item=item, **data)
        return Response(FourOnesOutput(item).data)


class TemplateOutput(serializers.ModelSerializer):
    owner_id = serializers.IntegerField()

    class Meta:
        model = GuidanceTemplate
        fields = [
            "id",
            "name",
            "owner_id",
            "sector",
            "org_type",
            "focus",
            "steps",
            "indicators",
            "source",
        ]


class LessonOutput(serializers.ModelSerializer):
    org_name = serializers.CharField(source="unit.org.name")

    class Meta:
        model = PilotLesson
        fields = ["id", "sector", "title", "text", "org_name", "recorded_on"]


class GuidanceOutput(serializers.Serializer):
    templates = TemplateOutput(many=True)
    lessons = LessonOutput(many=True)


class CampaignGuidance(generics.GenericAPIView):
    serializer_class = GuidanceOutput

    def get(self, request: Request, pk: int) -> Response:
        """Classified guidance (S14, S15) and the previous batch's pilot lessons (S5)."""
        campaign = selectors.campaign_get(request.user, pk)
        return Response(
            GuidanceOutput(
                {
                    "templates": selectors.templates_for(request.user, campaign),
                    "lessons": selectors.lessons_for(campaign),
                }
            ).data
        )
