"""API of coverage: the "four lets" of a subtree (S8), and a unit's entered figure."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.campaigns.progress import selectors as progress_selectors
from jiceng.campaigns.progress.api import UNDER, under_for
from jiceng.core.api import MAX_INT, validated

from . import selectors, services
from .rules import ENTERED_COVERAGE


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
        campaign = progress_selectors.campaign_get(request.user, pk)
        under = under_for(request, campaign)
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
        unit = progress_selectors.unit_get(request.user, pk)
        data = validated(CoverageInput, request.data)
        entry = services.coverage_enter(actor=request.user, unit=unit, **data)
        return Response(
            {
                "indicator": entry.indicator,
                "numerator": entry.numerator,
                "denominator": entry.denominator,
                "note": entry.note,
            }
        )
