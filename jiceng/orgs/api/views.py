from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import raise_drf, validated
from jiceng.core.scoping import Action
from jiceng.orgs import selectors, services
from jiceng.orgs.models import Organization

from .serializers import OrganizationCreateInput, OrganizationOutput, OrganizationUpdateInput


def _parent_ids(orgs: list[Organization]) -> dict[str, int]:
    paths = {o.path[: -Organization.steplen] for o in orgs if o.depth > 1}
    return dict(Organization.objects.filter(path__in=paths).values_list("path", "id"))


class OrganizationListCreate(generics.GenericAPIView):
    serializer_class = OrganizationOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("parent", int, description="direct children of this organisation"),
            OpenApiParameter("q", str, description="name, Traditional or pinyin initials"),
            OpenApiParameter("org_type", str),
        ],
        responses=OrganizationOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        qs = selectors.organization_list(request.user).select_related("secretary")
        if request.query_params.get("q"):
            qs = selectors.organization_search(request.user, request.query_params["q"])
        if request.query_params.get("parent"):
            parent = selectors.organization_get(request.user, request.query_params["parent"])
            qs = qs.filter(path__startswith=parent.path, depth=parent.depth + 1)
        if request.query_params.get("org_type"):
            qs = qs.filter(org_type=request.query_params["org_type"])
        page = self.paginate_queryset(qs.order_by("path"))
        rows = list(page if page is not None else qs)
        data = OrganizationOutput(rows, many=True, context={"parent_ids": _parent_ids(rows)}).data
        return self.get_paginated_response(data)

    @extend_schema(request=OrganizationCreateInput, responses={201: OrganizationOutput})
    def post(self, request: Request) -> Response:
        data = validated(OrganizationCreateInput, request.data)
        parent = selectors.organization_get(request.user, data.pop("parent_id"), Action.CHANGE)
        try:
            org = services.organization_found(actor=request.user, parent=parent, **data)
        except DjangoValidationError as exc:
            raise_drf(exc)
        return Response(
            OrganizationOutput(org, context={"parent_ids": {parent.path: parent.pk}}).data,
            status=status.HTTP_201_CREATED,
        )


class OrganizationDetail(generics.GenericAPIView):
    serializer_class = OrganizationOutput

    def get(self, request: Request, pk: int) -> Response:
        org = selectors.organization_get(request.user, pk)
        return Response(OrganizationOutput(org, context={"parent_ids": _parent_ids([org])}).data)

    @extend_schema(request=OrganizationUpdateInput, responses=OrganizationOutput)
    def patch(self, request: Request, pk: int) -> Response:
        org = selectors.organization_get(request.user, pk, Action.CHANGE)
        data = validated(OrganizationUpdateInput, request.data)
        try:
            org = services.organization_update(actor=request.user, org=org, **data)
        except DjangoValidationError as exc:
            raise_drf(exc)
        return Response(OrganizationOutput(org, context={"parent_ids": _parent_ids([org])}).data)
