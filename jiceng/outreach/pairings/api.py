"""API of double pairing (S26), included by ``outreach.api.urls``: the same selectors and
services as the pages. No needy person's category or health is returned."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import IdField, query_id, query_param, validated
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .models import Pairing, UnitPairing
from .rules import PairingState, PartnerKind

STATE_FILTER = serializers.ChoiceField(choices=[("", ""), *PairingState.choices])
KIND_FILTER = serializers.ChoiceField(choices=[("", ""), *PartnerKind.choices])
DEPTH_MIN, DEPTH_MAX = 1, 8
DEPTH_FILTER = serializers.IntegerField(min_value=DEPTH_MIN, max_value=DEPTH_MAX)
COMMON = ["state", "started_on", "ended_on", "end_reason", "source", "plan_id", "note"]


class PairingOutput(serializers.ModelSerializer):
    needy_id = serializers.IntegerField()
    needy_name = serializers.CharField(source="needy.name")
    branch_id = serializers.IntegerField()
    branch_name = serializers.CharField(source="branch.name")

    class Meta:
        model = Pairing
        fields = ["id", "needy_id", "needy_name", "branch_id", "branch_name", "distance_m"]
        fields += COMMON


class UnitPairingOutput(serializers.ModelSerializer):
    org_id = serializers.IntegerField()
    org_name = serializers.CharField(source="org.name")
    partner_id = serializers.IntegerField()
    partner_name = serializers.CharField(source="partner.name")

    class Meta:
        model = UnitPairing
        fields = ["id", "org_id", "org_name", "partner_id", "partner_name", "partner_kind"]
        fields += COMMON


class PairingInput(serializers.Serializer):
    needy_id = IdField()
    branch_id = IdField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class UnitPairingInput(serializers.Serializer):
    org_id = IdField()
    partner_id = IdField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EndInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


def _under(request: Request) -> Organization | None:
    under_id = query_id(request, "under")
    return org_selectors.organization_get(request.user, under_id) if under_id else None


class PairingList(generics.GenericAPIView):
    serializer_class = PairingOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级）"),
            OpenApiParameter("state", str, enum=["", *PairingState.values]),
            OpenApiParameter("street", int, description="街道（乡镇）党组织编号"),
            OpenApiParameter("branch", int, description="结对支部编号"),
        ],
        responses=PairingOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Pairings of branches with needy people the caller sees."""
        street_id, branch_id = query_id(request, "street"), query_id(request, "branch")
        rows = selectors.pairing_list(
            request.user,
            under=_under(request),
            state=query_param(request, "state", STATE_FILTER) or "",
            street=org_selectors.organization_get(request.user, street_id) if street_id else None,
            branch=org_selectors.organization_get(request.user, branch_id) if branch_id else None,
        )
        return self.get_paginated_response(
            PairingOutput(self.paginate_queryset(rows), many=True).data
        )

    @extend_schema(request=PairingInput, responses={201: PairingOutput})
    def post(self, request: Request) -> Response:
        """Propose pairing a branch with a needy person (unpaired, of the caller's streets)."""
        data: dict[str, Any] = validated(PairingInput, request.data)
        needy = selectors.pairable_needy(request.user).filter(pk=data["needy_id"]).first()
        if needy is None:
            raise ValidationError(
                {"needy_id": ["找不到该帮扶对象，或已结对，或不在您的管辖范围内"]}
            )
        branch = selectors.pairable_branches(request.user).filter(pk=data["branch_id"]).first()
        if branch is None:
            raise ValidationError({"branch_id": ["找不到该党支部，或不在您的管辖范围内"]})
        pairing = services.pairing_propose(
            actor=request.user, needy=needy, branch=branch, note=data["note"]
        )
        return Response(PairingOutput(pairing).data, status=status.HTTP_201_CREATED)


class PairingConfirm(generics.GenericAPIView):
    serializer_class = PairingOutput

    @extend_schema(request=None, responses=PairingOutput)
    def post(self, request: Request, pk: int) -> Response:
        pairing = selectors.pairing_get(request.user, pk)
        return Response(
            PairingOutput(services.pairing_confirm(actor=request.user, pairing=pairing)).data
        )


class PairingEnd(generics.GenericAPIView):
    serializer_class = PairingOutput

    @extend_schema(request=EndInput, responses=PairingOutput)
    def post(self, request: Request, pk: int) -> Response:
        pairing = selectors.pairing_get(request.user, pk)
        data = validated(EndInput, request.data)
        pairing = services.pairing_end(actor=request.user, pairing=pairing, reason=data["reason"])
        return Response(PairingOutput(pairing).data)


class UnitPairingList(generics.GenericAPIView):
    serializer_class = UnitPairingOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级）"),
            OpenApiParameter("state", str, enum=["", *PairingState.values]),
            OpenApiParameter("partner_kind", str, enum=["", *PartnerKind.values]),
        ],
        responses=UnitPairingOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = selectors.unit_pairing_list(
            request.user,
            under=_under(request),
            state=query_param(request, "state", STATE_FILTER) or "",
            partner_kind=query_param(request, "partner_kind", KIND_FILTER) or "",
        )
        return self.get_paginated_response(
            UnitPairingOutput(self.paginate_queryset(rows), many=True).data
        )

    @extend_schema(request=UnitPairingInput, responses={201: UnitPairingOutput})
    def post(self, request: Request) -> Response:
        """Propose pairing an organisation with a residential area or a two-new organisation."""
        data: dict[str, Any] = validated(UnitPairingInput, request.data)
        org = org_selectors.organization_list(request.user).filter(pk=data["org_id"]).first()
        if org is None:
            raise ValidationError({"org_id": ["找不到该党组织，或不在您的管辖范围内"]})
        partner = Organization.objects.filter(pk=data["partner_id"]).first()
        if partner is None:
            raise ValidationError({"partner_id": ["找不到结对对象"]})
        pairing = services.unit_pairing_propose(
            actor=request.user, org=org, partner=partner, note=data["note"]
        )
        return Response(UnitPairingOutput(pairing).data, status=status.HTTP_201_CREATED)


class UnitPairingConfirm(generics.GenericAPIView):
    serializer_class = UnitPairingOutput

    @extend_schema(request=None, responses=UnitPairingOutput)
    def post(self, request: Request, pk: int) -> Response:
        pairing = selectors.unit_pairing_get(request.user, pk)
        pairing = services.unit_pairing_confirm(actor=request.user, pairing=pairing)
        return Response(UnitPairingOutput(pairing).data)


class UnitPairingEnd(generics.GenericAPIView):
    serializer_class = UnitPairingOutput

    @extend_schema(request=EndInput, responses=UnitPairingOutput)
    def post(self, request: Request, pk: int) -> Response:
        pairing = selectors.unit_pairing_get(request.user, pk)
        data = validated(EndInput, request.data)
        pairing = services.unit_pairing_end(
            actor=request.user, pairing=pairing, reason=data["reason"]
        )
        return Response(UnitPairingOutput(pairing).data)


class PairingCoverageOutput(serializers.Serializer):
    org_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    needy = serializers.IntegerField()
    paired = serializers.IntegerField()
    branches = serializers.IntegerField()
    branches_pairing = serializers.IntegerField()
    unit_pairings = serializers.IntegerField()
    partners = serializers.IntegerField()


class CoverageView(generics.GenericAPIView):
    serializer_class = PairingCoverageOutput
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（默认本人管辖的顶层单位）"),
            OpenApiParameter(
                "depth",
                int,
                enum=list(range(DEPTH_MIN, DEPTH_MAX + 1)),
                description="统计到第几级：2 区县，3 街道（乡镇）",
            ),
        ],
        responses=PairingCoverageOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Coverage of double pairing per unit one level down (or at ``depth``)."""
        under = org_selectors.subtree_root(request.user, query_id(request, "under"))
        rows = selectors.coverage(
            request.user, under, depth=query_param(request, "depth", DEPTH_FILTER)
        )
        return Response(PairingCoverageOutput(rows, many=True).data)


urlpatterns = [
    path("pairings/", PairingList.as_view(), name="api-pairing-list"),
    path("pairings/coverage/", CoverageView.as_view(), name="api-pairing-coverage"),
    path("pairings/<int:pk>/confirm/", PairingConfirm.as_view(), name="api-pairing-confirm"),
    path("pairings/<int:pk>/end/", PairingEnd.as_view(), name="api-pairing-end"),
    path("unit-pairings/", UnitPairingList.as_view(), name="api-unit-pairing-list"),
    path(
        "unit-pairings/<int:pk>/confirm/",
        UnitPairingConfirm.as_view(),
        name="api-unit-pairing-confirm",
    ),
    path("unit-pairings/<int:pk>/end/", UnitPairingEnd.as_view(), name="api-unit-pairing-end"),
]
