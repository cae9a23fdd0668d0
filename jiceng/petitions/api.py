"""API of petitions (S21): the same selectors and services as the pages. ID numbers and
phones are returned masked; the clear value only by the audited reveal."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import IdField, query_id, query_param, validated
from jiceng.core.scoping import Action
from jiceng.geo.models import Street
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .models import Petition, PetitionEvent
from .rules import Body, Category, Channel, Satisfaction, State


class PetitionOutput(serializers.ModelSerializer):
    org_id = serializers.IntegerField(allow_null=True)
    org_name = serializers.CharField(source="org.name", allow_null=True, default=None)
    intake_org_id = serializers.IntegerField()
    street_id = serializers.CharField(allow_null=True)
    petitioner_name = serializers.CharField()

    class Meta:
        model = Petition
        fields = [
            "id",
            "number",
            "channel",
            "received_on",
            "version",
            "body",
            "petitioner_name",
            "id_number_masked",
            "phone_masked",
            "subject",
            "category",
            "street_id",
            "people",
            "joint",
            "intake_org_id",
            "org_id",
            "org_name",
            "state",
            "due_step",
            "due_on",
            "accepted_on",
            "extended_days",
            "replied_on",
            "on_time",
            "closed_on",
            "satisfaction",
        ]


class PetitionEventOutput(serializers.ModelSerializer):
    class Meta:
        model = PetitionEvent
        fields = ["action", "from_state", "to_state", "on", "reason", "actor_repr"]


class PetitionDeadlineOutput(serializers.Serializer):
    step = serializers.CharField()
    name = serializers.CharField(source="label")
    due_on = serializers.DateField()
    citation = serializers.CharField()
    running = serializers.BooleanField()
    overdue_days = serializers.IntegerField()


class PetitionDetailOutput(PetitionOutput):
    content = serializers.CharField()
    reply = serializers.CharField()
    events = PetitionEventOutput(many=True, read_only=True)
    deadlines = serializers.SerializerMethodField()
    permitted_actions = serializers.SerializerMethodField()

    class Meta(PetitionOutput.Meta):
        fields = [
            *PetitionOutput.Meta.fields,
            "content",
            "reply",
            "events",
            "deadlines",
            "permitted_actions",
        ]

    @extend_schema_field(PetitionDeadlineOutput(many=True))
    def get_deadlines(self, p: Petition) -> Any:
        return PetitionDeadlineOutput(selectors.deadlines_of(p), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_permitted_actions(self, p: Petition) -> list[str]:
        return services.permitted_actions(self.context.get("user"), p)


class PetitionInput(serializers.Serializer):
    intake_org_id = IdField()
    channel = serializers.ChoiceField(Channel.choices)
    received_on = serializers.DateField()
    body = serializers.ChoiceField(Body.choices, default=Body.OFFICE)
    petitioner_name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    subject = serializers.CharField(max_length=200)
    content = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(Category.choices)
    street_id = serializers.CharField(max_length=12, required=False, allow_null=True, default=None)
    people = serializers.IntegerField(min_value=1, max_value=9999, default=1)
    same_facts_as_id = IdField(required=False, allow_null=True, default=None)


class PetitionCreatedOutput(serializers.Serializer):
    petition = PetitionDetailOutput()
    warnings = serializers.ListField(child=serializers.CharField())


STATE_FILTER = serializers.ChoiceField(choices=[("", ""), ("open", "open"), *State.choices])
CATEGORY_FILTER = serializers.ChoiceField(choices=[("", ""), *Category.choices])
CHANNEL_FILTER = serializers.ChoiceField(choices=[("", ""), *Channel.choices])
DATE_FILTER = serializers.DateField()
BOOL_FILTER = serializers.BooleanField()


def _under(request: Request) -> Organization | None:
    under_id = query_id(request, "under")
    return org_selectors.organization_get(request.user, under_id) if under_id else None


def _detail(request: Request, p: Petition) -> dict[str, Any]:
    return PetitionDetailOutput(p, context={"user": request.user}).data


class PetitionList(generics.GenericAPIView):
    serializer_class = PetitionOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级）"),
            OpenApiParameter("state", str, enum=["", "open", *State.values]),
            OpenApiParameter("category", str, enum=["", *Category.values]),
            OpenApiParameter("channel", str, enum=["", *Channel.values]),
            OpenApiParameter("overdue", bool, description="只看逾期"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="收到日期自"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="收到日期至"),
        ],
        responses=PetitionOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Petitions the caller may see, filtered."""
        rows = selectors.petition_list(
            request.user,
            under=_under(request),
            state=query_param(request, "state", STATE_FILTER) or "",
            category=query_param(request, "category", CATEGORY_FILTER) or "",
            channel=query_param(request, "channel", CHANNEL_FILTER) or "",
            overdue=bool(query_param(request, "overdue", BOOL_FILTER)),
            date_from=query_param(request, "date_from", DATE_FILTER),
            date_to=query_param(request, "date_to", DATE_FILTER),
        )
        return self.get_paginated_response(
            PetitionOutput(self.paginate_queryset(rows), many=True).data
        )

    @extend_schema(request=PetitionInput, responses={201: PetitionCreatedOutput})
    def post(self, request: Request) -> Response:
        """Register a petition; the answer carries the warnings (repeat after a final
        re-review, a joint visit of five or more)."""
        data = validated(PetitionInput, request.data)
        intake = (
            Organization.objects.visible_to(request.user, Action.CHANGE)
            .filter(pk=data.pop("intake_org_id"))
            .first()
        )
        if intake is None:
            raise ValidationError({"intake_org_id": ["找不到该单位，或您无权在该单位登记"]})
        street_id = data.pop("street_id")
        data["street"] = None
        if street_id:
            data["street"] = Street.objects.filter(pk=street_id).first()
            if data["street"] is None:
                raise ValidationError({"street_id": ["找不到该街道（乡镇）"]})
        same_id = data.pop("same_facts_as_id")
        data["same_facts_as"] = None
        if same_id is not None:
            data["same_facts_as"] = (
                Petition.objects.visible_to(request.user).filter(pk=same_id).first()
            )
            if data["same_facts_as"] is None:
                raise ValidationError({"same_facts_as_id": ["找不到该信访事项"]})
        p, warnings = services.petition_register(actor=request.user, intake_org=intake, **data)
        return Response(
            {"petition": _detail(request, p), "warnings": warnings},
            status=status.HTTP_201_CREATED,
        )


class PetitionDetail(generics.GenericAPIView):
    serializer_class = PetitionDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        """A petition with its deadlines, history and the actions the caller may take."""
        return Response(_detail(request, selectors.petition_get(request.user, pk)))


class PetitionActInput(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    days = serializers.IntegerField(min_value=1, max_value=30, required=False)
    reply = serializers.CharField(required=False, allow_blank=True)
    satisfaction = serializers.ChoiceField(Satisfaction.choices, required=False)


class PetitionAct(generics.GenericAPIView):
    serializer_class = PetitionDetailOutput

    @extend_schema(
        request=PetitionActInput,
        responses=PetitionDetailOutput,
        parameters=[
            OpenApiParameter(
                "action", str, OpenApiParameter.PATH, enum=[str(a) for a in services.HANDLERS]
            )
        ],
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        """Take a step of the case (accept, reject, extend, reply, review …, close, reopen)."""
        p = selectors.petition_get(request.user, pk)
        if action not in services.HANDLERS:
            raise ValidationError({"action": ["未知的办理环节"]})
        data = validated(PetitionActInput, request.data)
        p = services.petition_act(actor=request.user, petition=p, action=action, **data)
        return Response(_detail(request, p))


class PetitionRouteInput(serializers.Serializer):
    org_id = IdField()
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True, default=None)


class PetitionTransferInput(serializers.Serializer):
    to_org_id = IdField()
    reason = serializers.CharField(max_length=300)
    on = serializers.DateField(required=False, allow_null=True, default=None)


def _org(request: Request, pk: int, field: str) -> Organization:
    org = Organization.objects.visible_to(request.user).filter(pk=pk).first()
    if org is None:
        raise ValidationError({field: ["找不到该单位"]})
    return org


class PetitionRoute(generics.GenericAPIView):
    serializer_class = PetitionDetailOutput

    @extend_schema(request=PetitionRouteInput, responses=PetitionDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Route the case to the organisation responsible (the suggestion confirmed)."""
        p = selectors.petition_get(request.user, pk)
        data = validated(PetitionRouteInput, request.data)
        org = _org(request, data.pop("org_id"), "org_id")
        p = services.petition_route(actor=request.user, petition=p, org=org, **data)
        return Response(_detail(request, p))


class PetitionTransferView(generics.GenericAPIView):
    serializer_class = PetitionDetailOutput

    @extend_schema(request=PetitionTransferInput, responses=PetitionDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Hand the case to another organisation, with the reason."""
        p = selectors.petition_get(request.user, pk)
        data = validated(PetitionTransferInput, request.data)
        to_org = _org(request, data.pop("to_org_id"), "to_org_id")
        services.petition_transfer(actor=request.user, petition=p, to_org=to_org, **data)
        return Response(_detail(request, selectors.petition_get(request.user, pk)))


class PetitionRevealOutput(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class PetitionReveal(generics.GenericAPIView):
    serializer_class = PetitionRevealOutput

    @extend_schema(
        request=None,
        responses=PetitionRevealOutput,
        parameters=[
            OpenApiParameter("field", str, OpenApiParameter.PATH, enum=list(services.REVEALABLE))
        ],
    )
    def post(self, request: Request, pk: int, field: str) -> Response:
        """The petitioner's ID number or phone in clear (reveal rights); audited."""
        p = selectors.petition_get(request.user, pk)
        value = services.petition_reveal(actor=request.user, petition=p, field=field)
        return Response({"field": field, "value": value})


class PetitionStreetRow(serializers.Serializer):
    street = serializers.CharField(source="street_id_value")
    name = serializers.CharField()
    n = serializers.IntegerField()
    open = serializers.IntegerField()


class PetitionRepeatRow(serializers.Serializer):
    name = serializers.CharField()
    masked = serializers.CharField()
    n = serializers.IntegerField()


class PetitionStatisticsOutput(serializers.Serializer):
    total = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    answered = serializers.IntegerField()
    on_time = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    rated = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    basically = serializers.IntegerField()
    not_satisfied = serializers.IntegerField()
    satisfaction_rate = serializers.FloatField(allow_null=True)
    repeat_petitioners = serializers.IntegerField()
    hot_spots = PetitionStreetRow(many=True)
    repeat = PetitionRepeatRow(many=True)


class PetitionStatistics(generics.GenericAPIView):
    serializer_class = PetitionStatisticsOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级），默认为本人管辖范围"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="收到日期自"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="收到日期至"),
        ],
        responses=PetitionStatisticsOutput,
    )
    def get(self, request: Request) -> Response:
        """On-time and satisfaction rates, repeat petitioners and hot spots of a subtree."""
        under = org_selectors.subtree_root(request.user, query_id(request, "under"))
        figures = selectors.statistics(
            request.user,
            under,
            date_from=query_param(request, "date_from", DATE_FILTER),
            date_to=query_param(request, "date_to", DATE_FILTER),
        )
        figures["repeat_petitioners"] = selectors.repeat_count(request.user, under)
        figures["hot_spots"] = [
            {
                "street_id_value": s["street"],
                "name": s["street__name"],
                "n": s["n"],
                "open": s["open"],
            }
            for s in selectors.hot_spots(request.user, under)
        ]
        figures["repeat"] = selectors.repeat_petitioners(request.user, under, limit=20)
        return Response(PetitionStatisticsOutput(figures).data)


urlpatterns = [
    path("petitions/", PetitionList.as_view(), name="api-petition-list"),
    path("petitions/statistics/", PetitionStatistics.as_view(), name="api-petition-statistics"),
    path("petitions/<int:pk>/", PetitionDetail.as_view(), name="api-petition-detail"),
    path("petitions/<int:pk>/route/", PetitionRoute.as_view(), name="api-petition-route"),
    path(
        "petitions/<int:pk>/transfer/",
        PetitionTransferView.as_view(),
        name="api-petition-transfer",
    ),
    path("petitions/<int:pk>/act/<str:action>/", PetitionAct.as_view(), name="api-petition-act"),
    path(
        "petitions/<int:pk>/reveal/<str:field>/",
        PetitionReveal.as_view(),
        name="api-petition-reveal",
    ),
]
