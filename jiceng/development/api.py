"""API of membership development: the same selectors and services as the pages. ID numbers
and phones are returned masked; the clear value only by the audited reveal. A step is POSTed
to the same ``services.development_step``; each case lists its open steps with whether the
caller may take them (``services.step_rights``)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import clock
from jiceng.core.api import IdField, query_id, query_param, validated
from jiceng.core.scoping import Action
from jiceng.members.models import Member
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .models import Development, DevelopmentStep
from .rules import DevelopmentStage


class DevelopmentOutput(serializers.ModelSerializer):
    org_id = serializers.IntegerField()
    org_name = serializers.CharField(source="org.name")
    name = serializers.CharField()
    member_id = serializers.IntegerField(allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Development
        fields = [
            "id",
            "name",
            "sex",
            "birth_date",
            "id_number_masked",
            "phone_masked",
            "work_unit",
            "org_id",
            "org_name",
            "applied_on",
            "rules_version",
            "stage",
            "state",
            "next_step",
            "next_due",
            "overdue",
            "application_form_no",
            "member_id",
        ]

    def get_overdue(self, d: Development) -> bool:
        return d.overdue(clock.today())


class DevelopmentStepOutput(serializers.ModelSerializer):
    class Meta:
        model = DevelopmentStep
        fields = ["step", "on", "value", "details", "late", "reason", "by", "actor_repr"]


class DevelopmentOpenStepOutput(serializers.Serializer):
    step = serializers.CharField(source="code")
    name = serializers.CharField(source="open.step.label")
    by = serializers.CharField(source="open.step.by")
    due = serializers.DateField(source="open.due", allow_null=True)
    earliest = serializers.DateField(source="open.earliest", allow_null=True)
    citation = serializers.CharField()
    allowed = serializers.BooleanField()
    refusal = serializers.CharField()


class DevelopmentDetailOutput(DevelopmentOutput):
    steps = DevelopmentStepOutput(many=True, read_only=True)
    open_steps = serializers.SerializerMethodField()

    class Meta(DevelopmentOutput.Meta):
        fields = [*DevelopmentOutput.Meta.fields, "steps", "open_steps"]

    @extend_schema_field(DevelopmentOpenStepOutput(many=True))
    def get_open_steps(self, d: Development) -> Any:
        rights = services.step_rights(self.context.get("user"), d)
        return DevelopmentOpenStepOutput(rights, many=True).data


class DevelopmentInput(serializers.Serializer):
    org_id = IdField()
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=30)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    work_unit = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    applied_on = serializers.DateField()


class DevelopmentStepInput(serializers.Serializer):
    step = serializers.CharField(max_length=30)
    on = serializers.DateField()
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    value = serializers.IntegerField(required=False, allow_null=True, default=None)
    details = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False)
    people_ids = serializers.ListField(child=IdField(), required=False, default=list)
    application_form_no = serializers.CharField(
        max_length=30, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


STAGE_FILTER = serializers.ChoiceField(choices=[("", ""), *DevelopmentStage.choices])
KIND_FILTER = serializers.ChoiceField(choices=[("due", "due"), ("overdue", "overdue")])


def _under(request: Request) -> Organization:
    return org_selectors.subtree_root(request.user, query_id(request, "under"))


def _detail(request: Request, d: Development) -> dict[str, Any]:
    return DevelopmentDetailOutput(d, context={"user": request.user}).data


UNDER = OpenApiParameter("under", int, description="单位编号（含下级），默认为本人管辖范围")


class DevelopmentList(generics.GenericAPIView):
    serializer_class = DevelopmentOutput

    @extend_schema(
        parameters=[UNDER, OpenApiParameter("stage", str, enum=["", *DevelopmentStage.values])],
        responses=DevelopmentOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Development cases the caller may see (masked)."""
        rows = selectors.development_list(
            request.user,
            _under(request),
            stage=query_param(request, "stage", STAGE_FILTER) or "",
        )
        return self.get_paginated_response(
            DevelopmentOutput(self.paginate_queryset(rows), many=True).data
        )

    @extend_schema(request=DevelopmentInput, responses={201: DevelopmentDetailOutput})
    def post(self, request: Request) -> Response:
        """Register an application at a branch (refused under 18, 第五条)."""
        data = validated(DevelopmentInput, request.data)
        org = (
            Organization.objects.visible_to(request.user, Action.CHANGE)
            .filter(pk=data.pop("org_id"))
            .first()
        )
        if org is None:
            raise ValidationError({"org_id": ["找不到该党支部，或您无权在该单位登记"]})
        d = services.development_register(actor=request.user, org=org, **data)
        return Response(_detail(request, d), status=status.HTTP_201_CREATED)


class DevelopmentWorklist(generics.GenericAPIView):
    serializer_class = DevelopmentOutput

    @extend_schema(
        parameters=[UNDER, OpenApiParameter("kind", str, enum=["due", "overdue"])],
        responses=DevelopmentOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Cases whose next step is overdue or due within 30 days, soonest first."""
        kind = query_param(request, "kind", KIND_FILTER) or "overdue"
        rows = selectors.worklist(request.user, _under(request), kind)
        return self.get_paginated_response(
            DevelopmentOutput(self.paginate_queryset(rows), many=True).data
        )


class DevelopmentStageCount(serializers.Serializer):
    stage = serializers.CharField()
    name = serializers.CharField()
    n = serializers.IntegerField()


class DevelopmentUnitRow(serializers.Serializer):
    pk = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    counts = serializers.ListField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class DevelopmentFiguresOutput(serializers.Serializer):
    open = serializers.IntegerField()
    due = serializers.IntegerField()
    overdue = serializers.IntegerField()
    stages = DevelopmentStageCount(many=True)
    units = DevelopmentUnitRow(many=True)


class DevelopmentFigures(generics.GenericAPIView):
    serializer_class = DevelopmentFiguresOutput

    @extend_schema(parameters=[UNDER], responses=DevelopmentFiguresOutput)
    def get(self, request: Request) -> Response:
        """Open cases by stage, due and overdue counts, and the stages per child unit."""
        under = _under(request)
        f, units = selectors.overview(request.user, under)
        data = {
            "open": f["open"],
            "due": f["due"],
            "overdue": f["overdue"],
            "stages": [{"stage": s, "name": str(label), "n": n} for s, label, n in f["stages"]],
            "units": units,
        }
        return Response(DevelopmentFiguresOutput(data).data)


class DevelopmentDetail(generics.GenericAPIView):
    serializer_class = DevelopmentDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        """A case with its steps and the open steps with whether the caller may take them."""
        return Response(_detail(request, selectors.development_get(request.user, pk)))


class DevelopmentStepCreate(generics.GenericAPIView):
    serializer_class = DevelopmentDetailOutput

    @extend_schema(request=DevelopmentStepInput, responses=DevelopmentDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Take a step (refused with the rule's article when out of order, early, or late
        without a reason; the vote counts as entered)."""
        d = selectors.development_get(request.user, pk)
        data = validated(DevelopmentStepInput, request.data)
        ids = data.pop("people_ids")
        people = list(Member.objects.visible_to(request.user).filter(pk__in=ids))
        if len(people) != len(set(ids)):
            raise ValidationError({"people_ids": ["找不到所选党员"]})
        d = services.development_step(
            actor=request.user,
            development=d,
            people=people,
            details=data.pop("details", {}),
            **data,
        )
        return Response(_detail(request, d))


class DevelopmentRevealOutput(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class DevelopmentReveal(generics.GenericAPIView):
    serializer_class = DevelopmentRevealOutput

    @extend_schema(
        request=None,
        responses=DevelopmentRevealOutput,
        parameters=[
            OpenApiParameter("field", str, OpenApiParameter.PATH, enum=list(services.REVEALABLE))
        ],
    )
    def post(self, request: Request, pk: int, field: str) -> Response:
        """The applicant's ID number or phone in clear (reveal rights); audited."""
        d = selectors.development_get(request.user, pk)
        value = services.development_reveal(actor=request.user, development=d, field=field)
        return Response({"field": field, "value": value})


urlpatterns = [
    path("", DevelopmentList.as_view(), name="api-development-list"),
    path("worklist/", DevelopmentWorklist.as_view(), name="api-development-worklist"),
    path("figures/", DevelopmentFigures.as_view(), name="api-development-figures"),
    path("<int:pk>/", DevelopmentDetail.as_view(), name="api-development-detail"),
    path("<int:pk>/steps/", DevelopmentStepCreate.as_view(), name="api-development-step"),
    path(
        "<int:pk>/reveal/<str:field>/",
        DevelopmentReveal.as_view(),
        name="api-development-reveal",
    ),
]
