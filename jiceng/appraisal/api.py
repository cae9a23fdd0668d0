"""API of unit appraisal (issue 21 item 4): the same selectors and services as the pages.
Scores are read scoped (a district officer: their district's units); a run is started by
whoever may change the campaign's root; the city adds a version of the weights."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.campaigns.progress import selectors as campaign_selectors
from jiceng.core.api import IdField, query_id, query_param, validated
from jiceng.orgs.models import Sector

from . import selectors, services, tasks
from .forms import ORDER_CHOICES
from .models import AppraisalRun, UnitScore, WeightSet


class RunOutput(serializers.ModelSerializer):
    campaign_id = serializers.IntegerField()
    weight_set_id = serializers.IntegerField(allow_null=True)
    weights = serializers.DictField(child=serializers.IntegerField())

    class Meta:
        model = AppraisalRun
        fields = [
            "id",
            "campaign_id",
            "as_of",
            "period_from",
            "weight_set_id",
            "weights",
            "state",
            "progress",
            "stage",
            "message",
            "units",
            "scored",
            "seconds",
            "created_at",
            "finished_at",
        ]


class PartOutput(serializers.Serializer):
    indicator = serializers.CharField()
    name = serializers.CharField(source="label")
    numerator = serializers.FloatField()
    denominator = serializers.FloatField()
    value = serializers.FloatField(allow_null=True)
    weight = serializers.IntegerField()
    used_weight = serializers.FloatField()
    contribution = serializers.FloatField()
    present = serializers.BooleanField()


class ScoreOutput(serializers.ModelSerializer):
    run_id = serializers.IntegerField()
    unit_id = serializers.IntegerField()
    org_id = serializers.IntegerField()
    org_name = serializers.CharField(source="org.name")
    org_code = serializers.CharField(source="org.code")

    class Meta:
        model = UnitScore
        fields = [
            "id",
            "run_id",
            "unit_id",
            "org_id",
            "org_name",
            "org_code",
            "sector",
            "score",
            "rank_district",
            "rank_sector",
        ]


class ScoreDetailOutput(ScoreOutput):
    parts = serializers.SerializerMethodField()
    lets = serializers.DictField(child=serializers.ListField(child=serializers.FloatField()))
    missing = serializers.ListField(child=serializers.CharField())

    class Meta(ScoreOutput.Meta):
        fields = [*ScoreOutput.Meta.fields, "parts", "lets", "missing"]

    @extend_schema_field(PartOutput(many=True))
    def get_parts(self, score: UnitScore) -> Any:
        return PartOutput(score.parts(), many=True).data


class RunInput(serializers.Serializer):
    campaign_id = IdField()
    as_of = serializers.DateField(required=False, allow_null=True, default=None)


class WeightSetOutput(serializers.ModelSerializer):
    weights = serializers.DictField(child=serializers.IntegerField())

    class Meta:
        model = WeightSet
        fields = ["id", "effective_on", "weights", "note", "created_at"]


class WeightSetInput(serializers.Serializer):
    effective_on = serializers.DateField()
    weights = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=100))
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


SECTOR_FILTER = serializers.ChoiceField(choices=[("", ""), *Sector.choices])
ORDER_FILTER = serializers.ChoiceField(choices=[k for k, _label in ORDER_CHOICES])
DISTRICT_FILTER = serializers.CharField(max_length=255, allow_blank=True)


class RunList(generics.GenericAPIView):
    serializer_class = RunOutput

    @extend_schema(responses=RunOutput(many=True))
    def get(self, request: Request) -> Response:
        """Runs the caller may read, newest first."""
        rows = selectors.run_list(request.user).order_by("-id")
        return self.get_paginated_response(RunOutput(self.paginate_queryset(rows), many=True).data)

    @extend_schema(request=RunInput, responses={202: RunOutput})
    def post(self, request: Request) -> Response:
        """Start a run of a campaign (computed by a worker; poll the run for its progress)."""
        data = validated(RunInput, request.data)
        campaign = campaign_selectors.campaign_get(request.user, data["campaign_id"])
        with transaction.atomic():
            run = services.run_queue(actor=request.user, campaign=campaign, as_of=data["as_of"])
            transaction.on_commit(lambda: tasks.run_appraisal.enqueue(run.pk))
        run.refresh_from_db()
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class RunDetail(generics.GenericAPIView):
    serializer_class = RunOutput

    def get(self, request: Request, pk: int) -> Response:
        """A run with its state and progress."""
        return Response(RunOutput(selectors.run_get(request.user, pk)).data)


class ScoreList(generics.GenericAPIView):
    serializer_class = ScoreOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("run", int, description="计算编号（默认最近一次完成的）"),
            OpenApiParameter("district", str, description="区县的组织路径"),
            OpenApiParameter("sector", str, enum=["", *Sector.values]),
            OpenApiParameter("order", str, enum=[k for k, _label in ORDER_CHOICES]),
        ],
        responses=ScoreOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """The scores of a run in the caller's scope, ranked."""
        run_id = query_id(request, "run")
        filters = {
            "district": query_param(request, "district", DISTRICT_FILTER) or "",
            "sector": query_param(request, "sector", SECTOR_FILTER) or "",
            "order": query_param(request, "order", ORDER_FILTER) or "score",
        }
        run = (
            selectors.run_get(request.user, run_id)
            if run_id
            else selectors.run_current(request.user)
        )
        if run is None:
            empty = self.paginate_queryset(UnitScore.objects.none())
            return self.get_paginated_response(ScoreOutput(empty, many=True).data)
        rows = selectors.score_list(request.user, run, **filters)
        return self.get_paginated_response(
            ScoreOutput(self.paginate_queryset(rows), many=True).data
        )


class ScoreDetail(generics.GenericAPIView):
    serializer_class = ScoreDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        """A unit's score explained: each indicator's figures, weight and contribution."""
        return Response(ScoreDetailOutput(selectors.score_get(request.user, pk)).data)


class WeightSetList(generics.GenericAPIView):
    serializer_class = WeightSetOutput

    @extend_schema(responses=WeightSetOutput(many=True))
    def get(self, request: Request) -> Response:
        """The versions of the weights, latest effective date first (the defaults are those of
        ``rules.RULES`` until the first version takes effect)."""
        rows = selectors.weight_sets(request.user)
        return self.get_paginated_response(
            WeightSetOutput(self.paginate_queryset(rows), many=True).data
        )

    @extend_schema(request=WeightSetInput, responses={201: WeightSetOutput})
    def post(self, request: Request) -> Response:
        """A new version of the weights (city officers only), in force from its date."""
        data = validated(WeightSetInput, request.data)
        ws = services.weight_set_create(
            actor=request.user,
            effective_on=data["effective_on"],
            weights=data["weights"],
            note=data["note"],
        )
        return Response(WeightSetOutput(ws).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("runs/", RunList.as_view(), name="api-appraisal-runs"),
    path("runs/<int:pk>/", RunDetail.as_view(), name="api-appraisal-run"),
    path("scores/", ScoreList.as_view(), name="api-appraisal-scores"),
    path("scores/<int:pk>/", ScoreDetail.as_view(), name="api-appraisal-score"),
    path("weights/", WeightSetList.as_view(), name="api-appraisal-weights"),
]
