"""API of a campaign's progress: batches (create, from the last one, S30), progress
roll-ups by subtree or sector, lagging units, a unit's steps and its actions; thin views over
the same selectors and services as the pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import IdField, query_id, query_param, validated
from jiceng.core.scoping import Action
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization, Sector

from . import selectors, services
from .models import Campaign, CampaignUnit, Step, StepRecord
from .rules import Batch, StepAction


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


def under_for(request: Request, campaign: Campaign) -> Organization:
    """The subtree a campaign's endpoint looks at (``?under=``, an organisation id)."""
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
        campaign = services.campaign_create(
            actor=request.user, root=root, previous=previous, **data
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
        under = under_for(request, campaign)
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
        under = under_for(request, campaign)
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
        unit = services.unit_act(actor=request.user, unit=unit, action=action, **data)
        return Response(UnitDetailOutput(selectors.unit_get(request.user, unit.pk)).data)
