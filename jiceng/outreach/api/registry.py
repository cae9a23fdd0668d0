"""API of the needy-people registry (S26): the same selectors and services as the pages. A
person's categories and health never appear in lists; the reveal endpoint gives them to a
caller with outreach rights, audited."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import IdField, query_param, validated
from jiceng.core.scoping import Action
from jiceng.orgs import selectors as org_selectors

from ..registry import selectors, services
from ..registry.models import NeedyCategory, NeedyPerson
from ..registry.rules import SETTABLE_STATUSES
from ..registry.rules import NeedyStatus as Status


class NeedyOutput(serializers.ModelSerializer):
    street_org_id = serializers.IntegerField()
    street_org_name = serializers.CharField(source="street_org.name")

    class Meta:
        model = NeedyPerson
        fields = [
            "id",
            "name",
            "id_number_masked",
            "phone_masked",
            "address",
            "street_org_id",
            "street_org_name",
            "household_size",
            "needs",
            "status",
            "status_since",
            "lng",
            "lat",
            "registered_at",
        ]


class NeedyInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    street_org_id = IdField()
    address = serializers.CharField(max_length=200)
    id_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    household_size = serializers.IntegerField(min_value=1, max_value=30, default=1)
    categories = serializers.ListField(child=IdField(), required=False, default=list)
    health = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    needs = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    lng = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)


class NeedyUpdateInput(NeedyInput):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


def _street_org(request: Request, data: dict) -> dict:
    if "street_org_id" in data:
        data["street_org"] = org_selectors.organization_get(
            request.user, data.pop("street_org_id"), Action.CHANGE
        )
    return data


STATUS_FILTER = serializers.ChoiceField(choices=[("", ""), *list(Status.choices)])


class NeedyList(generics.GenericAPIView):
    serializer_class = NeedyOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="姓名或拼音首字母"),
            OpenApiParameter("status", str, enum=["", *Status.values]),
        ],
        responses=NeedyOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        people = selectors.needy_list(
            request.user,
            q=request.query_params.get("q", ""),
            status=query_param(request, "status", STATUS_FILTER) or "",
        ).order_by("path", "id")
        return self.get_paginated_response(
            NeedyOutput(self.paginate_queryset(people), many=True).data
        )

    @extend_schema(request=NeedyInput, responses={201: NeedyOutput})
    def post(self, request: Request) -> Response:
        data = _street_org(request, validated(NeedyInput, request.data))
        person, _warnings = services.needy_register(actor=request.user, **data)
        return Response(NeedyOutput(person).data, status=status.HTTP_201_CREATED)


class NeedyDetail(generics.GenericAPIView):
    serializer_class = NeedyOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(NeedyOutput(selectors.needy_get(request.user, pk)).data)

    @extend_schema(request=NeedyUpdateInput, responses=NeedyOutput)
    def patch(self, request: Request, pk: int) -> Response:
        person = selectors.needy_get(request.user, pk, Action.CHANGE)
        data = _street_org(request, validated(NeedyUpdateInput, request.data))
        person = services.needy_update(actor=request.user, person=person, **data)
        return Response(NeedyOutput(person).data)


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[(s, Status(s).label) for s in SETTABLE_STATUSES])
    on = serializers.DateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class NeedyStatusChange(generics.GenericAPIView):
    serializer_class = NeedyOutput

    @extend_schema(request=StatusInput, responses=NeedyOutput)
    def post(self, request: Request, pk: int) -> Response:
        person = selectors.needy_get(request.user, pk)
        data = validated(StatusInput, request.data)
        person = services.needy_status_set(actor=request.user, person=person, **data)
        return Response(NeedyOutput(person).data)


class NeedyRevealOutput(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.JSONField()


class NeedyReveal(generics.GenericAPIView):
    serializer_class = NeedyRevealOutput

    @extend_schema(
        request=None,
        responses=NeedyRevealOutput,
        parameters=[
            OpenApiParameter("field", str, OpenApiParameter.PATH, enum=list(services.REVEALABLE))
        ],
    )
    def post(self, request: Request, pk: int, field: str) -> Response:
        """The ID number or phone (reveal rights), or the categories and health (outreach
        rights), in clear; every call is audited."""
        person = selectors.needy_get(request.user, pk)
        value = services.needy_reveal(actor=request.user, person=person, field=field)
        return Response({"field": field, "value": value})


class CategoryOutput(serializers.ModelSerializer):
    class Meta:
        model = NeedyCategory
        fields = ["id", "code", "name", "active", "sort"]


class CategoryList(generics.GenericAPIView):
    serializer_class = CategoryOutput
    pagination_class = None

    @extend_schema(responses=CategoryOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(CategoryOutput(selectors.categories(active_only=False), many=True).data)
