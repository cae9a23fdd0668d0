"""Lost-contact API (S13): thin views over the same selectors and services as the pages."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import IdField, query_id, query_param, validated
from jiceng.core.scoping import Action
from jiceng.members.models import Member
from jiceng.members.selectors import above_district
from jiceng.members.transfers import selectors as transfer_selectors
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .models import LostContactAttempt, LostContactCase
from .rules import CaseAction, SearchChannel, SearchResult


def _root(request: Request) -> Organization:
    return org_selectors.subtree_root(request.user, query_id(request, "org"))


class CandidateOutput(serializers.ModelSerializer):
    home_org_name = serializers.CharField(source="home_org.name")
    last_contact_on = serializers.DateField(source="last_contact.on", default=None, allow_null=True)

    class Meta:
        model = Member
        fields = ["id", "name", "home_org_id", "home_org_name", "last_contact_on"]


class AttemptOutput(serializers.ModelSerializer):
    class Meta:
        model = LostContactAttempt
        fields = ["on", "channel", "result", "leads", "actor_repr"]


class CaseOutput(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name")

    class Meta:
        model = LostContactCase
        fields = [
            "id",
            "member_id",
            "member_name",
            "state",
            "last_contact_on",
            "opened_on",
            "found_on",
            "transfer_id",
            "stopped_on",
            "decision_no",
            "restored_on",
            "outcome_note",
        ]


class CaseDetailOutput(CaseOutput):
    attempts = AttemptOutput(many=True)

    class Meta(CaseOutput.Meta):
        fields = [*CaseOutput.Meta.fields, "attempts"]


class OpenInput(serializers.Serializer):
    member_ids = serializers.ListField(child=IdField(), min_length=1)
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class AttemptInput(serializers.Serializer):
    on = serializers.DateField()
    channel = serializers.ChoiceField(SearchChannel.choices)
    result = serializers.ChoiceField(SearchResult.choices)
    leads = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class CaseActInput(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    decision_no = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)
    to_org_code = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)
    dest_org_name = serializers.CharField(
        max_length=120, required=False, default="", allow_blank=True
    )
    dest_region = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)


class ReportRow(serializers.Serializer):
    district = serializers.CharField()
    cells = serializers.ListField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class ReportOutput(serializers.Serializer):
    months = serializers.ListField(child=serializers.DateField())
    rows = ReportRow(many=True)
    month_totals = serializers.ListField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class CandidateList(generics.GenericAPIView):
    serializer_class = CandidateOutput

    @extend_schema(parameters=[OpenApiParameter("org", int)], responses=CandidateOutput(many=True))
    def get(self, request: Request) -> Response:
        root = _root(request)
        if above_district(root):
            raise serializers.ValidationError(
                {"org": _("失联候选按区县列出：请指定区县或更下级的单位")}
            )
        page = self.paginate_queryset(selectors.candidates(request.user, root))
        return self.get_paginated_response(CandidateOutput(page, many=True).data)


class CaseListCreate(generics.GenericAPIView):
    serializer_class = CaseOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("org", int),
            OpenApiParameter("group", str, enum=["open", "closed"]),
        ],
        responses=CaseOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        group = query_param(request, "group", serializers.ChoiceField(["open", "closed"])) or "open"
        page = self.paginate_queryset(selectors.cases(request.user, _root(request), group))
        return self.get_paginated_response(CaseOutput(page, many=True).data)

    @extend_schema(request=OpenInput, responses={201: CaseOutput(many=True)})
    def post(self, request: Request) -> Response:
        data = validated(OpenInput, request.data)
        ids = set(data["member_ids"])
        members = list(Member.objects.visible_to(request.user, Action.CHANGE).filter(pk__in=ids))
        if len(members) != len(ids):
            raise Http404
        opened = services.cases_open(actor=request.user, members=members, note=data["note"])
        return Response(CaseOutput(opened, many=True).data, status=status.HTTP_201_CREATED)


class CaseDetail(generics.GenericAPIView):
    serializer_class = CaseDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(CaseDetailOutput(selectors.case_get(request.user, pk)).data)


class CaseAttempt(generics.GenericAPIView):
    serializer_class = AttemptOutput

    @extend_schema(request=AttemptInput, responses={201: AttemptOutput})
    def post(self, request: Request, pk: int) -> Response:
        case = selectors.case_get(request.user, pk, Action.CHANGE)
        data = validated(AttemptInput, request.data)
        attempt = services.case_attempt(actor=request.user, case=case, **data)
        return Response(AttemptOutput(attempt).data, status=status.HTTP_201_CREATED)


class CaseAct(generics.GenericAPIView):
    serializer_class = CaseOutput

    @extend_schema(
        operation_id="lost_cases_act",
        request=CaseActInput,
        responses=CaseOutput,
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=CaseAction.values)],
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        case = selectors.case_get(request.user, pk, Action.CHANGE)
        if action not in CaseAction.values:
            raise Http404
        data = validated(CaseActInput, request.data)
        code = data.pop("to_org_code")
        to_org = transfer_selectors.transfer_target_by_code(code) if code else None
        if code and to_org is None:
            raise serializers.ValidationError({"to_org_code": [_("未找到可接收组织关系的党组织")]})
        case = services.case_act(
            actor=request.user, case=case, action=action, to_org=to_org, **data
        )
        return Response(CaseOutput(case).data)


class FoundReport(generics.GenericAPIView):
    serializer_class = ReportOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATE),
            OpenApiParameter("until", OpenApiTypes.DATE),
        ],
        responses=ReportOutput,
    )
    def get(self, request: Request) -> Response:
        since = query_param(request, "since", serializers.DateField())
        until = query_param(request, "until", serializers.DateField())
        return Response(ReportOutput(selectors.found_report(request.user, since, until)).data)
