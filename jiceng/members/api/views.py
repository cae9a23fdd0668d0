from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.fields import ChoiceField
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import query_id, query_param, validated
from jiceng.core.scoping import Action
from jiceng.members import selectors, services
from jiceng.members.models import EmploymentStatus
from jiceng.members.services import REVEALABLE
from jiceng.orgs import selectors as org_selectors

from .serializers import MemberInput, MemberOutput, MemberUpdateInput, ReadOutput, RevealOutput

LIST_PARAMETERS = [
    OpenApiParameter("org", int, description="subtree of this organisation"),
    OpenApiParameter("q", str, description="name, Traditional, pinyin or its initials"),
    OpenApiParameter("category", str, enum=["full", "probationary"]),
    OpenApiParameter("status", str, enum=EmploymentStatus.values, description="employment status"),
    OpenApiParameter("placed", str, enum=["yes", "no"]),
]


def filters_from(request: Request) -> selectors.MemberFilters:
    p = request.query_params
    org_id = query_id(request, "org")
    org = org_selectors.organization_get(request.user, org_id) if org_id else None
    return selectors.MemberFilters(
        org=org,
        q=p.get("q", ""),
        category=query_param(request, "category", ChoiceField(["full", "probationary"])) or "",
        status=query_param(request, "status", ChoiceField(EmploymentStatus.choices)) or "",
        placed=query_param(request, "placed", ChoiceField(["yes", "no"])) or "",
    )


def _resolve_orgs(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    if "home_org_id" in data:
        data["home_org"] = org_selectors.organization_get(
            request.user, data.pop("home_org_id"), Action.CHANGE
        )
    if "participating_org_id" in data:
        pid = data.pop("participating_org_id")
        data["participating_org"] = (
            org_selectors.organization_get(request.user, pid) if pid else None
        )
    return data


class MemberListCreate(generics.GenericAPIView):
    serializer_class = MemberOutput

    @extend_schema(parameters=LIST_PARAMETERS, responses=MemberOutput(many=True))
    def get(self, request: Request) -> Response:
        qs = (
            selectors.member_list(request.user, filters_from(request))
            .select_related("home_org", "participating_org")
            .order_by("home_path", "id")
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(MemberOutput(page, many=True).data)

    @extend_schema(request=MemberInput, responses={201: MemberOutput})
    def post(self, request: Request) -> Response:
        data = _resolve_orgs(request, validated(MemberInput, request.data))
        member, _warnings = services.member_create(actor=request.user, **data)
        return Response(MemberOutput(member).data, status=status.HTTP_201_CREATED)


class MemberDetail(generics.GenericAPIView):
    serializer_class = MemberOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(MemberOutput(selectors.member_get(request.user, pk)).data)

    @extend_schema(request=MemberUpdateInput, responses=MemberOutput)
    def patch(self, request: Request, pk: int) -> Response:
        member = selectors.member_get(request.user, pk, Action.CHANGE)
        data = _resolve_orgs(request, validated(MemberUpdateInput, request.data))
        member, _warnings = services.member_update(actor=request.user, member=member, **data)
        return Response(MemberOutput(member).data)


class MemberReveal(generics.GenericAPIView):
    serializer_class = RevealOutput

    @extend_schema(
        request=None,
        responses=RevealOutput,
        parameters=[OpenApiParameter("field", str, OpenApiParameter.PATH, enum=list(REVEALABLE))],
    )
    def post(self, request: Request, pk: int, field: str) -> Response:
        member = selectors.member_get(request.user, pk)
        value = services.member_reveal(actor=request.user, member=member, field=field)
        return Response({"field": field, "value": value})


class MyReads(generics.GenericAPIView):
    """Self-service: who read the caller's own ID number or phone, and when (newest first).
    An account without a member record gets 404; the list is not itself a reveal."""

    serializer_class = ReadOutput
    answers_404 = True  # an account without a member record of its own

    @extend_schema(responses=ReadOutput(many=True))
    def get(self, request: Request) -> Response:
        member = selectors.own_member(request.user)
        if member is None:
            raise NotFound
        page = self.paginate_queryset(selectors.own_reads(member))
        return self.get_paginated_response(
            ReadOutput(selectors.read_rows(page or []), many=True).data
        )
