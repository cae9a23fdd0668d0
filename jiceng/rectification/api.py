"""API of rectification items (S20, S22), included by ``config.api``: the same selectors and
services as the pages."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.campaigns.models import Campaign
from jiceng.core.api import IdField, query_id, query_param, validated
from jiceng.core.scoping import Action
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .models import (
    ArrangementCheck,
    RectificationEvent,
    RectificationItem,
    RectificationSource,
    StandingArrangement,
)
from .rules import (
    CHECK_EVERY_MAX,
    CHECK_EVERY_MIN,
    LINKABLE_KINDS,
    TRANSITIONS,
    ItemState,
    SourceKind,
    Verdict,
)


class RectItemOutput(serializers.ModelSerializer):
    owner_id = serializers.IntegerField()
    owner_name = serializers.CharField(source="owner.name")
    is_overdue = serializers.BooleanField()

    class Meta:
        model = RectificationItem
        fields = [
            "id",
            "owner_id",
            "owner_name",
            "title",
            "description",
            "since",
            "raised_on",
            "deadline",
            "measures",
            "state",
            "is_overdue",
            "long_running",
            "reopened_count",
            "started_on",
            "result",
            "completed_on",
            "notice_text",
            "noticed_on",
            "verdict",
            "verdict_note",
            "verdict_on",
            "closed_on",
        ]


class RectSourceOutput(serializers.ModelSerializer):
    class Meta:
        model = RectificationSource
        fields = [
            "id",
            "kind",
            "petition_id",
            "need_id",
            "comment_id",
            "held_on",
            "participants",
            "note",
        ]


class RectEventOutput(serializers.ModelSerializer):
    class Meta:
        model = RectificationEvent
        fields = ["id", "action", "from_state", "to_state", "on", "note", "at"]


class RectCheckOutput(serializers.ModelSerializer):
    class Meta:
        model = ArrangementCheck
        fields = ["id", "checked_on", "passed", "note", "at"]


class RectArrangementOutput(serializers.ModelSerializer):
    keeper_org_id = serializers.IntegerField()
    keeper_org_name = serializers.CharField(source="keeper_org.name")
    checks = RectCheckOutput(many=True, read_only=True)

    class Meta:
        model = StandingArrangement
        fields = [
            "id",
            "keeper_org_id",
            "keeper_org_name",
            "keeper",
            "duties",
            "check_every_days",
            "starts_on",
            "next_check_on",
            "checks",
        ]


class RectRightsOutput(serializers.Serializer):
    change = serializers.BooleanField()
    actions = serializers.ListField(child=serializers.CharField())
    arrange = serializers.BooleanField()
    check = serializers.BooleanField()


class RectItemDetailOutput(RectItemOutput):
    campaign_ids = serializers.SerializerMethodField()
    sources = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    arrangement = serializers.SerializerMethodField()
    rights = serializers.SerializerMethodField()

    class Meta(RectItemOutput.Meta):
        fields = [
            *RectItemOutput.Meta.fields,
            "campaign_ids",
            "sources",
            "events",
            "arrangement",
            "rights",
        ]

    @extend_schema(responses=serializers.ListField(child=serializers.IntegerField()))
    def get_campaign_ids(self, item: RectificationItem) -> list[int]:
        return list(item.campaigns.order_by("id").values_list("id", flat=True))

    @extend_schema(responses=RectSourceOutput(many=True))
    def get_sources(self, item: RectificationItem) -> list[dict[str, Any]]:
        return RectSourceOutput(selectors.sources_of(item), many=True).data  # type: ignore[return-value]

    @extend_schema(responses=RectEventOutput(many=True))
    def get_events(self, item: RectificationItem) -> list[dict[str, Any]]:
        return RectEventOutput(selectors.events_of(item), many=True).data  # type: ignore[return-value]

    @extend_schema(responses=RectArrangementOutput(allow_null=True))
    def get_arrangement(self, item: RectificationItem) -> dict[str, Any] | None:
        arrangement = selectors.arrangement_of(item)
        return RectArrangementOutput(arrangement).data if arrangement else None

    @extend_schema(responses=RectRightsOutput)
    def get_rights(self, item: RectificationItem) -> dict[str, Any]:
        request = self.context.get("request")
        rights = services.item_rights(getattr(request, "user", None) or _nobody(), item)
        return RectRightsOutput(rights).data


def _nobody() -> Any:
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


class RectItemInput(serializers.Serializer):
    owner_id = IdField(required=False)
    petition_id = IdField(required=False)
    need_id = IdField(required=False)
    comment_ids = serializers.ListField(child=IdField(), required=False, max_length=500)
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    since = serializers.DateField(required=False, allow_null=True)
    raised_on = serializers.DateField(required=False, allow_null=True)
    deadline = serializers.DateField()
    measures = serializers.CharField(required=False, allow_blank=True)


class RectItemEditInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    since = serializers.DateField(required=False, allow_null=True)
    deadline = serializers.DateField(required=False)
    measures = serializers.CharField(required=False, allow_blank=True)


STATE_FILTER = serializers.ChoiceField(choices=[("", ""), *ItemState.choices])


def _detail(request: Request, item: RectificationItem, code: int = 200) -> Response:
    return Response(RectItemDetailOutput(item, context={"request": request}).data, status=code)


class ItemList(generics.GenericAPIView):
    serializer_class = RectItemOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级）"),
            OpenApiParameter("state", str, enum=["", *ItemState.values]),
            OpenApiParameter("overdue", bool, description="只看逾期"),
            OpenApiParameter("long_running", bool, description="只看长期问题"),
        ],
        responses=RectItemOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Items the caller may see under a unit (its "project the public is satisfied
        with")."""
        under_id = query_id(request, "under")
        items = selectors.item_list(
            request.user,
            under=org_selectors.organization_get(request.user, under_id) if under_id else None,
            state=query_param(request, "state", STATE_FILTER) or "",
            overdue=bool(query_param(request, "overdue", serializers.BooleanField())),
            long_running=bool(query_param(request, "long_running", serializers.BooleanField())),
        )
        return self.get_paginated_response(
            RectItemOutput(self.paginate_queryset(items), many=True).data
        )

    @extend_schema(request=RectItemInput, responses={201: RectItemDetailOutput})
    def post(self, request: Request) -> Response:
        """Register an item, from scratch (``owner_id`` and ``title``) or from a petition
        (``petition_id``), a visit's need (``need_id``) or survey comments (``comment_ids``:
        many comments, one item): the problem and the unit are taken from it unless given, and
        it is linked as the first source."""
        data = validated(RectItemInput, request.data)
        owner_id = data.pop("owner_id", None)
        if owner_id is not None:
            data["owner"] = org_selectors.organization_get(request.user, owner_id, Action.CHANGE)
        petition_id, need_id = data.pop("petition_id", None), data.pop("need_id", None)
        comment_ids = data.pop("comment_ids", None)
        if petition_id is not None:
            petition = selectors.petition_pick(request.user, petition_id)
            if petition is None:
                raise ValidationError({"petition_id": ["找不到该信访件，或不在您的管辖范围内"]})
            item = services.item_create_from_petition(actor=request.user, petition=petition, **data)
        elif need_id is not None:
            need = selectors.need_pick(request.user, need_id)
            if need is None:
                raise ValidationError({"need_id": ["找不到该需求，或不在您的管辖范围内"]})
            item = services.item_create_from_need(actor=request.user, need=need, **data)
        elif comment_ids:
            comments = selectors.comments_pick(request.user, comment_ids)
            if comments is None:
                raise ValidationError({"comment_ids": ["找不到测评意见，或不在您的管辖范围内"]})
            item = services.item_create_from_comments(actor=request.user, comments=comments, **data)
        else:
            if "owner" not in data or not data.get("title"):
                raise ValidationError({"owner_id": ["请填写责任单位和问题"]})
            item = services.item_create(actor=request.user, **data)
        return _detail(request, item, status.HTTP_201_CREATED)


class ItemDetail(generics.GenericAPIView):
    serializer_class = RectItemDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        """An item with its sources, history, arrangement and checks, and what the caller
        may do with it."""
        return _detail(request, selectors.item_get(request.user, pk))

    @extend_schema(request=RectItemEditInput, responses=RectItemDetailOutput)
    def patch(self, request: Request, pk: int) -> Response:
        item = selectors.item_get(request.user, pk)
        data = validated(RectItemEditInput, request.data)
        return _detail(request, services.item_edit(actor=request.user, item=item, **data))


class RectItemStateInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(TRANSITIONS))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    result = serializers.CharField(required=False, allow_blank=True, default="")
    notice_text = serializers.CharField(required=False, allow_blank=True, default="")
    noticed_on = serializers.DateField(required=False, allow_null=True, default=None)
    verdict = serializers.ChoiceField(choices=Verdict.choices, required=False)
    on = serializers.DateField(required=False, allow_null=True, default=None)


class ItemTransition(generics.GenericAPIView):
    serializer_class = RectItemOutput

    @extend_schema(request=RectItemStateInput, responses=RectItemDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Start; complete (``result``, ``notice_text``, ``noticed_on``: the public notice);
        or record the public's ``verdict`` (with ``note``; not satisfied reopens)."""
        item = selectors.item_get(request.user, pk)
        data = validated(RectItemStateInput, request.data)
        action = data["action"]
        if action == "start":
            item = services.item_start(actor=request.user, item=item, note=data["note"])
        elif action == "complete":
            item = services.item_complete(
                actor=request.user,
                item=item,
                result=data["result"],
                notice_text=data["notice_text"],
                noticed_on=data["noticed_on"],
            )
        else:
            if "verdict" not in data:
                raise ValidationError({"verdict": ["请选择群众评议结果"]})
            item = services.item_verdict(
                actor=request.user,
                item=item,
                verdict=data["verdict"],
                note=data["note"],
                on=data["on"],
            )
        return _detail(request, item)


class RectSourceInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k, SourceKind(k).label) for k in LINKABLE_KINDS])
    petition_id = IdField(required=False)
    need_id = IdField(required=False)
    comment_id = IdField(required=False)
    held_on = serializers.DateField(required=False, allow_null=True, default=None)
    participants = serializers.CharField(max_length=300, required=False, allow_blank=True)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class SourceAdd(generics.GenericAPIView):
    serializer_class = RectSourceOutput

    @extend_schema(request=RectSourceInput, responses={201: RectSourceOutput})
    def post(self, request: Request, pk: int) -> Response:
        """Link a source (each petition or need to one item only)."""
        item = selectors.item_get(request.user, pk)
        data = validated(RectSourceInput, request.data)
        petition_id, need_id = data.pop("petition_id", None), data.pop("need_id", None)
        if petition_id is not None:
            data["petition"] = selectors.petition_pick(request.user, petition_id)
            if data["petition"] is None:
                raise ValidationError({"petition_id": ["找不到该信访件，或不在您的管辖范围内"]})
        if need_id is not None:
            data["need"] = selectors.need_pick(request.user, need_id)
            if data["need"] is None:
                raise ValidationError({"need_id": ["找不到该需求，或不在您的管辖范围内"]})
        comment_id = data.pop("comment_id", None)
        if comment_id is not None:
            found = selectors.comments_pick(request.user, [comment_id])
            if found is None:
                raise ValidationError({"comment_id": ["找不到该测评意见，或不在您的管辖范围内"]})
            data["comment"] = found[0]
        source = services.source_link(actor=request.user, item=item, **data)
        return Response(RectSourceOutput(source).data, status=status.HTTP_201_CREATED)


class RectCampaignInput(serializers.Serializer):
    campaign_id = IdField()


class CampaignAdd(generics.GenericAPIView):
    serializer_class = RectItemDetailOutput

    @extend_schema(request=RectCampaignInput, responses=RectItemDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Record a batch of the campaign the item was worked in."""
        item = selectors.item_get(request.user, pk)
        data = validated(RectCampaignInput, request.data)
        campaign = (
            selectors.campaigns_for(request.user, item).filter(pk=data["campaign_id"]).first()
        )
        if campaign is None:
            covered = Campaign.objects.visible_to(request.user).filter(pk=data["campaign_id"])
            message = (
                "已记录该批次" if covered.exists() else "找不到该活动，或不包括本事项的责任单位"
            )
            raise ValidationError({"campaign_id": [message]})
        return _detail(
            request, services.campaign_add(actor=request.user, item=item, campaign=campaign)
        )


class RectArrangementInput(serializers.Serializer):
    keeper_org_id = IdField()
    keeper = serializers.CharField(max_length=100)
    duties = serializers.CharField()
    check_every_days = serializers.IntegerField(
        min_value=CHECK_EVERY_MIN, max_value=CHECK_EVERY_MAX
    )
    starts_on = serializers.DateField(required=False, allow_null=True, default=None)


class ArrangementSet(generics.GenericAPIView):
    serializer_class = RectArrangementOutput

    def get_queryset(self) -> Any:
        # OPTIONS describes PUT for an item the caller sees (DRF's metadata looks it up).
        return RectificationItem.objects.visible_to(self.request.user)

    @extend_schema(request=RectArrangementInput, responses=RectArrangementOutput)
    def put(self, request: Request, pk: int) -> Response:
        """Set (or change) the standing arrangement of a closed item."""
        item = selectors.item_get(request.user, pk)
        data = validated(RectArrangementInput, request.data)
        keeper_org: Organization = org_selectors.organization_get(
            request.user, data.pop("keeper_org_id")
        )
        arrangement = services.arrangement_set(
            actor=request.user, item=item, keeper_org=keeper_org, **data
        )
        return Response(RectArrangementOutput(arrangement).data)


class RectCheckInput(serializers.Serializer):
    checked_on = serializers.DateField()
    passed = serializers.BooleanField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CheckAdd(generics.GenericAPIView):
    serializer_class = RectCheckOutput

    @extend_schema(request=RectCheckInput, responses={201: RectCheckOutput})
    def post(self, request: Request, pk: int) -> Response:
        """Record a check of the standing arrangement; a failed check reopens the item."""
        item = selectors.item_get(request.user, pk)
        arrangement = selectors.arrangement_of(item)
        if arrangement is None:
            raise ValidationError({"detail": ["该整改事项还没有长效管理机制"]})
        data = validated(RectCheckInput, request.data)
        check = services.check_record(actor=request.user, arrangement=arrangement, **data)
        return Response(RectCheckOutput(check).data, status=status.HTTP_201_CREATED)


class RectFigureRow(serializers.Serializer):
    name = serializers.CharField()
    org_id = serializers.IntegerField(allow_null=True)
    items = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    closed = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    satisfied_percent = serializers.FloatField(allow_null=True)
    long_running = serializers.IntegerField()
    reopened = serializers.IntegerField()


class RectFiguresOutput(serializers.Serializer):
    total = RectFigureRow()
    by_unit = RectFigureRow(many=True)


class ItemFigures(generics.GenericAPIView):
    serializer_class = RectFiguresOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级），默认为本人管辖范围")
        ],
        responses=RectFiguresOutput,
    )
    def get(self, request: Request) -> Response:
        """Items, open, overdue, closed, closed with the public satisfied, long-running and
        reopened, by unit one level down."""
        under = org_selectors.subtree_root(request.user, query_id(request, "under"))
        rows = selectors.figures_by_unit(request.user, under)
        return Response(
            RectFiguresOutput({"total": selectors.figures_total(rows, under), "by_unit": rows}).data
        )


class RectDueCheckOutput(serializers.ModelSerializer):
    item_id = serializers.IntegerField()
    item_title = serializers.CharField(source="item.title")
    keeper_org_id = serializers.IntegerField()

    class Meta:
        model = StandingArrangement
        fields = ["id", "item_id", "item_title", "keeper_org_id", "keeper", "next_check_on"]


class ChecksDue(generics.GenericAPIView):
    serializer_class = RectDueCheckOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级）"),
            OpenApiParameter("overdue", bool, description="只看逾期"),
        ],
        responses=RectDueCheckOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Standing arrangements whose check is overdue or due soon."""
        under_id = query_id(request, "under")
        rows = selectors.checks_due(
            request.user,
            under=org_selectors.organization_get(request.user, under_id) if under_id else None,
            overdue_only=bool(query_param(request, "overdue", serializers.BooleanField())),
        )
        return self.get_paginated_response(
            RectDueCheckOutput(self.paginate_queryset(rows), many=True).data
        )


urlpatterns = [
    path("rectification-items/", ItemList.as_view(), name="api-rectification-item-list"),
    path(
        "rectification-items/figures/", ItemFigures.as_view(), name="api-rectification-item-figures"
    ),
    path(
        "rectification-items/checks/", ChecksDue.as_view(), name="api-rectification-item-checks-due"
    ),
    path(
        "rectification-items/<int:pk>/", ItemDetail.as_view(), name="api-rectification-item-detail"
    ),
    path(
        "rectification-items/<int:pk>/state/",
        ItemTransition.as_view(),
        name="api-rectification-item-state",
    ),
    path(
        "rectification-items/<int:pk>/sources/",
        SourceAdd.as_view(),
        name="api-rectification-item-sources",
    ),
    path(
        "rectification-items/<int:pk>/batches/",
        CampaignAdd.as_view(),
        name="api-rectification-item-batches",
    ),
    path(
        "rectification-items/<int:pk>/arrangement/",
        ArrangementSet.as_view(),
        name="api-rectification-item-arrangement",
    ),
    path(
        "rectification-items/<int:pk>/checks/",
        CheckAdd.as_view(),
        name="api-rectification-item-checks",
    ),
]
