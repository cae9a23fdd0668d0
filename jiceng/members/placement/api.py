"""Placement API (S10): the unplaced worklist with suggestions, placing one member, and
accepting suggestions in bulk; thin views over the same selectors and services as the pages."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import IdField, query_id, validated
from jiceng.core.scoping import Action, can
from jiceng.members import selectors as member_selectors
from jiceng.members import services as member_services
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .rules import PLACEMENT_TYPES, PlacementReason


class SuggestionOutput(serializers.Serializer):
    org_id = serializers.IntegerField(source="unit.id", allow_null=True, default=None)
    org_name = serializers.CharField(source="unit.name", allow_null=True, default=None)
    room_left = serializers.IntegerField(source="unit.room", allow_null=True, default=None)
    reason = serializers.CharField()
    distance_km = serializers.FloatField(allow_null=True)
    problem = serializers.CharField()


class UnplacedOutput(serializers.Serializer):
    id = serializers.IntegerField(source="member.pk")
    name = serializers.CharField(source="member.name")
    home_org_id = serializers.IntegerField(source="member.home_org_id")
    employment_status = serializers.CharField(source="member.employment_status")
    entrusted = serializers.BooleanField(source="member.entrusted")
    suggestion = SuggestionOutput(allow_null=True)


class PlaceInput(serializers.Serializer):
    org_id = IdField(required=False)
    org_code = serializers.CharField(required=False, max_length=32)
    reason = serializers.ChoiceField(PlacementReason.choices, default=PlacementReason.MANUAL)


class PlaceOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    participating_org_id = serializers.IntegerField()


class AcceptInput(serializers.Serializer):
    org_id = IdField()
    scope = serializers.ChoiceField(["members", "subtree"], default="members")
    member_ids = serializers.ListField(child=IdField(), required=False, default=list)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100_000, default=None)


class Unplaceable(serializers.Serializer):
    member_id = serializers.IntegerField()
    problem = serializers.CharField()


class AcceptOutput(serializers.Serializer):
    placed = serializers.IntegerField()
    batches = serializers.IntegerField()
    unplaceable = Unplaceable(many=True)


class UnplacedList(generics.GenericAPIView):
    serializer_class = UnplacedOutput

    @extend_schema(
        parameters=[OpenApiParameter("org", int, description="subtree root (default: own unit)")],
        responses=UnplacedOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        root = org_selectors.subtree_root(request.user, query_id(request, "org"))
        qs = selectors.page_members(selectors.unplaced(request.user, root))
        page = list(self.paginate_queryset(qs) or [])
        hints = {}
        if can(request.user, Action.CHANGE, root.path):
            hints = selectors.suggestions_for(page, user=request.user)
        rows = [{"member": m, "suggestion": hints.get(m.pk)} for m in page]
        return self.get_paginated_response(UnplacedOutput(rows, many=True).data)


class MemberPlace(generics.GenericAPIView):
    serializer_class = PlaceOutput

    @extend_schema(request=PlaceInput, responses=PlaceOutput)
    def post(self, request: Request, pk: int) -> Response:
        member = member_selectors.member_get(request.user, pk, Action.CHANGE)
        data = validated(PlaceInput, request.data)
        units = Organization.objects.visible_to(request.user).filter(
            org_type__in=PLACEMENT_TYPES, abolished_on__isnull=True
        )
        if data.get("org_code"):
            unit = units.filter(code=data["org_code"]).first()
        else:
            unit = units.filter(pk=data.get("org_id") or 0).first()
        if unit is None:
            raise Http404
        member = member_services.member_place(
            actor=request.user, member=member, participating_org=unit, reason=data["reason"]
        )
        return Response(PlaceOutput(member).data)


class PlacementAccept(generics.GenericAPIView):
    serializer_class = AcceptOutput

    @extend_schema(request=AcceptInput, responses=AcceptOutput)
    def post(self, request: Request) -> Response:
        data = validated(AcceptInput, request.data)
        root = org_selectors.organization_get(request.user, data["org_id"], Action.CHANGE)
        if data["scope"] == "subtree":
            result = services.subtree_place_suggested(
                actor=request.user, root=root, limit=data["limit"]
            )
        else:
            ids = data["member_ids"]
            visible = set(
                selectors.unplaced(request.user, root, Action.CHANGE)
                .filter(pk__in=ids)
                .values_list("pk", flat=True)
            )
            result = services.members_place_suggested(
                actor=request.user, member_ids=[i for i in ids if i in visible]
            )
        return Response(
            {
                "placed": result.placed,
                "batches": result.batches,
                "unplaceable": [{"member_id": i, "problem": p} for i, p in result.unplaceable],
            }
        )
