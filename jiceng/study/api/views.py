"""Study API (S9): sessions with attendance, member completion, members below the
requirement, completion by unit, self-study entry and confirmation; thin views over the same
selectors and services as the pages."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import IdField, query_id, query_param, validated
from jiceng.core.scoping import Action
from jiceng.members import selectors as member_selectors
from jiceng.orgs import selectors as org_selectors
from jiceng.study import selectors, services
from jiceng.study.models import Attendance, SelfStudy, StudyPeriod, StudySession
from jiceng.study.rules import MAX_AMOUNT, MIN_AMOUNT

PERIOD_PARAM = OpenApiParameter(
    "period", int, description="学习周期编号；缺省为当前周期", required=False
)


def _period(request: Request, pk: Any = None) -> StudyPeriod:
    period = selectors.period_current(pk or query_id(request, "period"))
    if period is None:
        raise ValidationError({"period": "尚未设定学习周期"})
    return period


# ----- serializers ------------------------------------------------------------------------------
# MIN_AMOUNT … MAX_AMOUNT (0.5 … 8) with at most one decimal, as a string: what the field below
# accepts, said in the schema (drf-spectacular's decimal pattern would also let "" and "-" pass).
AMOUNT_PATTERN = r"^(0\.[5-9]|[1-7](\.[0-9])?|8(\.0)?)$"


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": AMOUNT_PATTERN, "example": "2.0"}
)
class AmountField(serializers.DecimalField):
    """Hours or credits of one session or self-study entry."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_digits=5, decimal_places=1, min_value=MIN_AMOUNT, max_value=MAX_AMOUNT, **kwargs
        )

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if not re.fullmatch(AMOUNT_PATTERN, str(data).strip()):
            self.fail("invalid")
        return value


class StudyAttendanceOutput(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name")

    class Meta:
        model = Attendance
        fields = ["member_id", "member_name", "present"]


class StudySessionOutput(serializers.ModelSerializer):
    period_id = serializers.IntegerField()
    org_id = serializers.IntegerField()

    class Meta:
        model = StudySession
        fields = [
            "id",
            "period_id",
            "org_id",
            "held_on",
            "topic",
            "mode",
            "amount",
            "evidence",
            "evidence_file",
            "created_at",
        ]


class StudySessionDetailOutput(StudySessionOutput):
    attendance = serializers.SerializerMethodField()

    class Meta(StudySessionOutput.Meta):
        fields = [*StudySessionOutput.Meta.fields, "attendance"]

    def get_attendance(self, obj: StudySession) -> list[dict[str, Any]]:
        return list(StudyAttendanceOutput(selectors.session_attendance(obj), many=True).data)


class StudyAttendanceInput(serializers.Serializer):
    member_id = IdField()
    present = serializers.BooleanField(default=True)


class StudySessionInput(serializers.Serializer):
    org_id = IdField()
    period_id = IdField(required=False, allow_null=True, default=None)
    held_on = serializers.DateField()
    topic = serializers.CharField(max_length=200)
    amount = AmountField()
    evidence = serializers.CharField(required=False, allow_blank=True, default="")
    evidence_file = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )
    attendance = StudyAttendanceInput(many=True)


class StudyCompletionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    study_org_id = serializers.SerializerMethodField()
    mode = serializers.CharField(source="study_mode")
    required_amount = serializers.DecimalField(
        source="required", max_digits=9, decimal_places=1, allow_null=True
    )
    session_amount = serializers.DecimalField(max_digits=9, decimal_places=1)
    self_amount = serializers.DecimalField(max_digits=9, decimal_places=1)
    done = serializers.DecimalField(max_digits=9, decimal_places=1)
    complete = serializers.SerializerMethodField()

    def get_study_org_id(self, obj: Any) -> int:
        return int(obj.participating_org_id or obj.home_org_id)

    def get_complete(self, obj: Any) -> bool | None:
        return None if obj.required is None else bool(obj.done >= obj.required)


class StudyUnitOutput(serializers.Serializer):
    org_id = serializers.IntegerField(source="org.pk")
    name = serializers.CharField(source="org.name")
    members = serializers.IntegerField()
    with_requirement = serializers.IntegerField()
    completed = serializers.IntegerField()
    below = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class SelfStudyOutput(serializers.ModelSerializer):
    period_id = serializers.IntegerField()
    member_id = serializers.IntegerField()
    org_id = serializers.IntegerField()
    confirmed = serializers.BooleanField(source="is_confirmed")

    class Meta:
        model = SelfStudy
        fields = [
            "id",
            "period_id",
            "member_id",
            "org_id",
            "studied_on",
            "topic",
            "mode",
            "amount",
            "evidence",
            "recorded_at",
            "confirmed",
            "confirmed_at",
        ]


class SelfStudyInput(serializers.Serializer):
    member_id = IdField()
    period_id = IdField(required=False, allow_null=True, default=None)
    studied_on = serializers.DateField()
    topic = serializers.CharField(max_length=200)
    amount = AmountField()
    evidence = serializers.CharField(required=False, allow_blank=True, default="")


# ----- views ------------------------------------------------------------------------------------
class SessionListCreate(generics.GenericAPIView):
    serializer_class = StudySessionOutput

    @extend_schema(
        parameters=[PERIOD_PARAM, OpenApiParameter("org", int, required=False)],
        responses=StudySessionOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        sessions = selectors.session_list(request.user)
        if "period" in request.query_params:
            sessions = sessions.filter(period_id=_period(request).pk)
        if org_id := query_id(request, "org"):
            org = org_selectors.organization_get(request.user, org_id)
            sessions = sessions.filter(org_path__startswith=org.path)
        page = self.paginate_queryset(sessions.order_by("-held_on", "-id"))
        return self.get_paginated_response(StudySessionOutput(page, many=True).data)

    @extend_schema(request=StudySessionInput, responses={201: StudySessionDetailOutput})
    def post(self, request: Request) -> Response:
        """Record a session with its attendance; all or nothing."""
        data = validated(StudySessionInput, request.data)
        org = org_selectors.organization_get(request.user, data.pop("org_id"), Action.CHANGE)
        period = _period(request, data.pop("period_id"))
        session = services.session_record(
            actor=request.user,
            org=org,
            period=period,
            attendance=[dict(a) for a in data.pop("attendance")],
            **data,
        )
        return Response(StudySessionDetailOutput(session).data, status=status.HTTP_201_CREATED)


class SessionDetail(generics.GenericAPIView):
    serializer_class = StudySessionDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(StudySessionDetailOutput(selectors.session_get(request.user, pk)).data)


class MemberCompletion(generics.GenericAPIView):
    serializer_class = StudyCompletionOutput

    @extend_schema(parameters=[PERIOD_PARAM], responses=StudyCompletionOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """Each member studying in the unit's subtree, with their completion."""
        org = org_selectors.organization_get(request.user, pk)
        rows = selectors.member_completion(request.user, org, _period(request))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(StudyCompletionOutput(page, many=True).data)


class BelowRequirement(generics.GenericAPIView):
    serializer_class = StudyCompletionOutput

    @extend_schema(parameters=[PERIOD_PARAM], responses=StudyCompletionOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """Members below the period's requirement in the unit's subtree."""
        org = org_selectors.organization_get(request.user, pk)
        rows = selectors.below_requirement(request.user, org, _period(request))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(StudyCompletionOutput(page, many=True).data)


class UnitCompletion(generics.GenericAPIView):
    serializer_class = StudyUnitOutput
    pagination_class = None

    @extend_schema(parameters=[PERIOD_PARAM], responses=StudyUnitOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """Completion per direct lower unit (each with its subtree)."""
        org = org_selectors.organization_get(request.user, pk)
        rows = selectors.unit_completion(request.user, org, _period(request))
        return Response(StudyUnitOutput(rows, many=True).data)


class SelfStudyListCreate(generics.GenericAPIView):
    serializer_class = SelfStudyOutput

    @extend_schema(
        parameters=[
            PERIOD_PARAM,
            OpenApiParameter("pending", bool, required=False, description="只列待确认的"),
        ],
        responses=SelfStudyOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Self-study the caller sees: a member their own, officers their subtree's."""
        rows = selectors.selfstudy_list(request.user)
        if "period" in request.query_params:
            rows = rows.filter(period_id=_period(request).pk)
        if query_param(request, "pending", serializers.BooleanField()):
            rows = rows.filter(confirmed_at__isnull=True)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SelfStudyOutput(page, many=True).data)

    @extend_schema(request=SelfStudyInput, responses={201: SelfStudyOutput})
    def post(self, request: Request) -> Response:
        """Enter self-study: a member for themselves (waits for the branch), an officer for a
        member of their unit (confirmed at once)."""
        data = validated(SelfStudyInput, request.data)
        member = member_selectors.member_get(request.user, data.pop("member_id"))
        period = _period(request, data.pop("period_id"))
        entry = services.selfstudy_record(actor=request.user, member=member, period=period, **data)
        return Response(SelfStudyOutput(entry).data, status=status.HTTP_201_CREATED)


class SelfStudyConfirm(generics.GenericAPIView):
    serializer_class = SelfStudyOutput

    @extend_schema(request=None, responses=SelfStudyOutput)
    def post(self, request: Request, pk: int) -> Response:
        entry = selectors.selfstudy_get(request.user, pk, Action.CHANGE)
        entry = services.selfstudy_confirm(actor=request.user, entry=entry)
        return Response(SelfStudyOutput(entry).data)
