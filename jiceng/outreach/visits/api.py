"""API of visits (S19) and the needs raised at them (included by ``outreach.api.urls``): the
same selectors and services as the pages. No needy person's category is ever returned; the
counts by category are limited to the caller's outreach scope."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import IdField, query_id, query_param, validated
from jiceng.core.scoping import Action, scope_of
from jiceng.members.models import Member
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .models import NeedFollowUp, Visit, VisitNeed
from .rules import NEED_TRANSITIONS, NeedKind, TargetKind, VisitKind, VisitState


class NeedOutput(serializers.ModelSerializer):
    visit_id = serializers.IntegerField()

    class Meta:
        model = VisitNeed
        fields = ["id", "visit_id", "kind", "text", "state", "raised_on", "closed_on"]


class VisitOutput(serializers.ModelSerializer):
    org_id = serializers.IntegerField()
    org_name = serializers.CharField(source="org.name")
    target = serializers.CharField(source="target_label")
    needy_id = serializers.IntegerField(allow_null=True)
    target_org_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "org_id",
            "org_name",
            "target_kind",
            "target",
            "needy_id",
            "target_org_id",
            "visited_on",
            "kind",
            "findings",
            "state",
            "reason",
            "recorded_at",
            "confirmed_at",
        ]


class VisitDetailOutput(VisitOutput):
    visitor_ids = serializers.SerializerMethodField()
    needs = NeedOutput(many=True, read_only=True)

    class Meta(VisitOutput.Meta):
        fields = [*VisitOutput.Meta.fields, "visitor_ids", "needs"]

    def get_visitor_ids(self, visit: Visit) -> list[int]:
        return [m.pk for m in selectors.visitors_of(visit)]


class NeedInput(serializers.Serializer):
    kind = serializers.ChoiceField(NeedKind.choices, default=NeedKind.OTHER)
    text = serializers.CharField(max_length=300)


class VisitInput(serializers.Serializer):
    org_id = IdField()
    target_kind = serializers.ChoiceField(TargetKind.choices)
    needy_id = IdField(required=False, allow_null=True, default=None)
    target_org_id = IdField(required=False, allow_null=True, default=None)
    target_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    visited_on = serializers.DateField()
    kind = serializers.ChoiceField(VisitKind.choices)
    findings = serializers.CharField(required=False, allow_blank=True, default="")
    visitor_ids = serializers.ListField(child=IdField(), required=False, default=list)
    needs = NeedInput(many=True, required=False, default=list)


STATE_FILTER = serializers.ChoiceField(choices=[("", ""), *VisitState.choices])
TARGET_FILTER = serializers.ChoiceField(choices=[("", ""), *TargetKind.choices])
DATE_FILTER = serializers.DateField()


def _resolve(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    """Ids in the input become the rows the caller may use (404 for the unit, 400 for the
    rest, missing and out of reach alike)."""
    org, self_service = selectors.recording_org(request.user, data.pop("org_id"))
    needy_id = data.pop("needy_id")
    data["needy"] = None
    if needy_id is not None:
        data["needy"] = (
            selectors.recordable_needy(request.user, org, self_service=self_service)
            .filter(pk=needy_id)
            .first()
        )
        if data["needy"] is None:
            raise ValidationError({"needy_id": ["找不到该帮扶对象，或不在您的走访范围内"]})
    target_org_id = data.pop("target_org_id")
    data["target_org"] = None
    if target_org_id is not None:
        data["target_org"] = (
            Organization.objects.visible_to(request.user).filter(pk=target_org_id).first()
        )
        if data["target_org"] is None:
            raise ValidationError({"target_org_id": ["找不到该单位"]})
    ids = set(data.pop("visitor_ids"))
    visitors = list(Member.objects.visible_to(request.user).filter(pk__in=ids))
    if len(visitors) != len(ids):
        raise ValidationError({"visitor_ids": ["找不到其中的党员，或不在您的管辖范围内"]})
    data["visitors"] = visitors
    data["needs"] = [(n["kind"], n["text"]) for n in data["needs"]]
    data["org"] = org
    return data


class VisitList(generics.GenericAPIView):
    serializer_class = VisitOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级）"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="起始日期"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="截止日期"),
            OpenApiParameter("state", str, enum=["", *VisitState.values]),
            OpenApiParameter("target_kind", str, enum=["", *TargetKind.values]),
        ],
        responses=VisitOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Visits the caller may see (a member: the visits they recorded or took part in)."""
        if scope_of(request.user, Action.VIEW).paths:
            under_id = query_id(request, "under")
            visits = selectors.visit_list(
                request.user,
                under=org_selectors.organization_get(request.user, under_id) if under_id else None,
                date_from=query_param(request, "date_from", DATE_FILTER),
                date_to=query_param(request, "date_to", DATE_FILTER),
                state=query_param(request, "state", STATE_FILTER) or "",
                target_kind=query_param(request, "target_kind", TARGET_FILTER) or "",
            )
        else:
            visits = selectors.own_visits(request.user)
        return self.get_paginated_response(
            VisitOutput(self.paginate_queryset(visits), many=True).data
        )

    @extend_schema(request=VisitInput, responses={201: VisitDetailOutput})
    def post(self, request: Request) -> Response:
        """Record a visit: by the branch, or by a member for their own unit (self-service)."""
        data = _resolve(request, validated(VisitInput, request.data))
        visit = services.visit_record(actor=request.user, **data)
        return Response(VisitDetailOutput(visit).data, status=status.HTTP_201_CREATED)


class VisitDetail(generics.GenericAPIView):
    serializer_class = VisitDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(VisitDetailOutput(selectors.visit_get(request.user, pk)).data)


class ReturnInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class ResubmitInput(serializers.Serializer):
    visited_on = serializers.DateField(required=False)
    kind = serializers.ChoiceField(VisitKind.choices, required=False)
    findings = serializers.CharField(required=False, allow_blank=True)


class VisitConfirm(generics.GenericAPIView):
    serializer_class = VisitOutput

    @extend_schema(request=None, responses=VisitOutput)
    def post(self, request: Request, pk: int) -> Response:
        """The branch confirms a recorded visit."""
        visit = services.visit_confirm(
            actor=request.user, visit=selectors.visit_get(request.user, pk)
        )
        return Response(VisitOutput(visit).data)


class VisitReturn(generics.GenericAPIView):
    serializer_class = VisitOutput

    @extend_schema(request=ReturnInput, responses=VisitOutput)
    def post(self, request: Request, pk: int) -> Response:
        """The branch returns a recorded visit to its recorder, with the reason."""
        visit = selectors.visit_get(request.user, pk)
        data = validated(ReturnInput, request.data)
        visit = services.visit_return(actor=request.user, visit=visit, **data)
        return Response(VisitOutput(visit).data)


class VisitResubmit(generics.GenericAPIView):
    serializer_class = VisitOutput

    @extend_schema(request=ResubmitInput, responses=VisitOutput)
    def post(self, request: Request, pk: int) -> Response:
        """The recorder (or the branch) corrects a returned visit and submits it again."""
        visit = selectors.visit_get(request.user, pk)
        data = validated(ResubmitInput, request.data)
        visit = services.visit_resubmit(actor=request.user, visit=visit, **data)
        return Response(VisitOutput(visit).data)


class NeedList(generics.GenericAPIView):
    serializer_class = NeedOutput

    @extend_schema(
        parameters=[OpenApiParameter("under", int, description="单位编号（含下级）")],
        responses=NeedOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Needs still open or in progress, oldest first."""
        under_id = query_id(request, "under")
        needs = selectors.needs_worklist(
            request.user,
            under=org_selectors.organization_get(request.user, under_id) if under_id else None,
        )
        return self.get_paginated_response(
            NeedOutput(self.paginate_queryset(needs), many=True).data
        )


class FollowUpInput(serializers.Serializer):
    state = serializers.ChoiceField(choices=list(NEED_TRANSITIONS))
    note = serializers.CharField(max_length=300)


class FollowUpOutput(serializers.ModelSerializer):
    need = NeedOutput()

    class Meta:
        model = NeedFollowUp
        fields = ["id", "note", "state", "at", "need"]


class NeedFollowUpView(generics.GenericAPIView):
    serializer_class = FollowUpOutput

    @extend_schema(request=FollowUpInput, responses={201: FollowUpOutput})
    def post(self, request: Request, pk: int) -> Response:
        """Record what was done about a need and where it stands."""
        need = selectors.need_get(request.user, pk)
        data = validated(FollowUpInput, request.data)
        follow_up = services.need_follow_up(actor=request.user, need=need, **data)
        return Response(FollowUpOutput(follow_up).data, status=status.HTTP_201_CREATED)


class CountRow(serializers.Serializer):
    name = serializers.CharField()
    org_id = serializers.IntegerField(allow_null=True)
    visits = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    households = serializers.IntegerField()
    members = serializers.IntegerField()


class CategoryRow(serializers.Serializer):
    category = serializers.CharField(source="category.name")
    visits = serializers.IntegerField()
    households = serializers.IntegerField()


class CountsOutput(serializers.Serializer):
    total = CountRow()
    by_unit = CountRow(many=True)
    by_month = CountRow(many=True)
    by_category = CategoryRow(many=True)


class VisitCounts(generics.GenericAPIView):
    serializer_class = CountsOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级），默认为本人管辖范围"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="起始日期"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="截止日期"),
        ],
        responses=CountsOutput,
    )
    def get(self, request: Request) -> Response:
        """Visits, needy households visited and members taking part, by unit one level down
        and by month; by category only within the caller's outreach scope."""
        under = org_selectors.subtree_root(request.user, query_id(request, "under"))
        period = {
            "date_from": query_param(request, "date_from", DATE_FILTER),
            "date_to": query_param(request, "date_to", DATE_FILTER),
        }
        figures = selectors.visit_figures(request.user, under, **period)
        return Response(
            CountsOutput(
                {
                    "total": figures.total,
                    "by_unit": figures.by_unit,
                    "by_month": figures.by_month,
                    "by_category": figures.by_category,
                }
            ).data
        )


urlpatterns = [
    path("visits/", VisitList.as_view(), name="api-visit-list"),
    path("visits/counts/", VisitCounts.as_view(), name="api-visit-counts"),
    path("visits/<int:pk>/", VisitDetail.as_view(), name="api-visit-detail"),
    path("visits/<int:pk>/confirm/", VisitConfirm.as_view(), name="api-visit-confirm"),
    path("visits/<int:pk>/return/", VisitReturn.as_view(), name="api-visit-return"),
    path("visits/<int:pk>/resubmit/", VisitResubmit.as_view(), name="api-visit-resubmit"),
    path("visit-needs/", NeedList.as_view(), name="api-visit-needs"),
    path(
        "visit-needs/<int:pk>/follow-up/",
        NeedFollowUpView.as_view(),
        name="api-need-follow-up",
    ),
]
