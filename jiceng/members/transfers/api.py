"""Transfer API: thin views over the same services and selectors as the pages."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import IdField, query_param, validated
from jiceng.core.scoping import Action
from jiceng.members import selectors as member_selectors
from jiceng.members.models import Member

from . import selectors, services
from .models import Transfer, TransferEvent
from .rules import USER_ACTIONS, TransferState


class TransferEventOutput(serializers.ModelSerializer):
    class Meta:
        model = TransferEvent
        fields = ["action", "from_state", "to_state", "actor_repr", "at", "note"]


class TransferOutput(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name")
    from_org_name = serializers.CharField(source="from_org.name")
    to_org_name = serializers.CharField(source="to_org.name", default=None, allow_null=True)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "member_id",
            "member_name",
            "kind",
            "state",
            "from_org_id",
            "from_org_name",
            "to_org_id",
            "to_org_name",
            "dest_org_name",
            "dest_region",
            "reason",
            "letter_no",
            "dues_paid_to",
            "valid_days",
            "issued_on",
            "valid_until",
            "received_on",
            "receipt_note",
            "closed_reason",
            "batch",
            "created_at",
            "updated_at",
        ]


class TransferDetailOutput(TransferOutput):
    events = TransferEventOutput(many=True)
    actions = serializers.SerializerMethodField()

    class Meta(TransferOutput.Meta):
        fields = [*TransferOutput.Meta.fields, "events", "actions"]

    def get_actions(self, obj: Transfer) -> list[str]:
        return services.available_actions(self.context["request"].user, obj)


class TransferInput(serializers.Serializer):
    member_id = IdField()
    to_org_code = serializers.CharField(max_length=32, required=False, default="")
    dest_org_name = serializers.CharField(max_length=120, required=False, default="")
    dest_region = serializers.CharField(max_length=60, required=False, default="")
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class TransferActionInput(serializers.Serializer):
    """Every parameter an action may take; each action takes its own (``rules.ACTION_PARAMS``)."""

    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    # a reason is always handed on, so that "reject" without one is the service's 400
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    dues_paid_to = serializers.DateField(required=False)
    valid_days = serializers.IntegerField(required=False, min_value=1, max_value=180)
    received_on = serializers.DateField(required=False)


class BulkMove(serializers.Serializer):
    member_id = IdField()
    to_org_code = serializers.CharField(max_length=32)


class TransferBulkInput(serializers.Serializer):
    moves = serializers.ListField(child=BulkMove(), min_length=1)
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    complete = serializers.BooleanField(default=False)
    dues_paid_to = serializers.DateField(required=False, allow_null=True, default=None)


class TransferBulkOutput(serializers.Serializer):
    batch = serializers.UUIDField()
    count = serializers.IntegerField()
    completed = serializers.BooleanField()


class TransferListCreate(generics.GenericAPIView):
    serializer_class = TransferOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("direction", str, enum=["", "in", "out"], description="empty: both"),
            OpenApiParameter(
                "state", str, enum=["", "open", *TransferState.values], description="empty: all"
            ),
            OpenApiParameter("q", str, description="member name or letter number"),
        ],
        responses=TransferOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        directions = serializers.ChoiceField(["in", "out"], allow_blank=True)
        states = serializers.ChoiceField(["open", *TransferState.values], allow_blank=True)
        filters = selectors.TransferFilters(
            direction=query_param(request, "direction", directions) or "",
            state=query_param(request, "state", states) or "",
            q=request.query_params.get("q", ""),
        )
        qs = (
            selectors.transfer_list(request.user, filters)
            .select_related("member", "from_org", "to_org")
            .order_by("-updated_at", "-id")
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(TransferOutput(page, many=True).data)

    @extend_schema(request=TransferInput, responses={201: TransferOutput})
    def post(self, request: Request) -> Response:
        data = validated(TransferInput, request.data)
        member = member_selectors.member_get(request.user, data.pop("member_id"), Action.CHANGE)
        code = data.pop("to_org_code")
        to_org = None
        if code:
            to_org = selectors.transfer_target_by_code(code)
            if to_org is None:
                raise serializers.ValidationError(
                    {"to_org_code": [_("找不到可接收组织关系的党组织")]}
                )
        t = services.transfer_request(actor=request.user, member=member, to_org=to_org, **data)
        return Response(TransferOutput(t).data, status=status.HTTP_201_CREATED)


class TransferDetail(generics.GenericAPIView):
    serializer_class = TransferDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        t = selectors.transfer_get(request.user, pk)
        return Response(TransferDetailOutput(t, context={"request": request}).data)


class TransferAct(generics.GenericAPIView):
    serializer_class = TransferDetailOutput

    @extend_schema(
        operation_id="transfers_act",
        request=TransferActionInput,
        responses=TransferDetailOutput,
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=USER_ACTIONS)],
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        t = selectors.transfer_get(request.user, pk)
        data = validated(TransferActionInput, request.data)
        t = services.transfer_act(actor=request.user, transfer=t, action=action, **data)
        t = selectors.transfer_get(request.user, t.pk)
        return Response(TransferDetailOutput(t, context={"request": request}).data)


class TransferBulk(generics.GenericAPIView):
    serializer_class = TransferBulkOutput

    @extend_schema(request=TransferBulkInput, responses={201: TransferBulkOutput})
    def post(self, request: Request) -> Response:
        data = validated(TransferBulkInput, request.data)
        moves_in = data.pop("moves")
        members = {
            m.pk: m
            for m in Member.objects.visible_to(request.user, Action.CHANGE)
            .select_related("home_org")
            .filter(pk__in=[m["member_id"] for m in moves_in])
        }
        if any(m["member_id"] not in members for m in moves_in):
            # a member outside the caller's scope is the same as a missing one
            raise Http404
        targets = selectors.targets_by_code({m["to_org_code"] for m in moves_in})
        errors = [
            _("%(member)s：未找到可接收组织关系的党组织 %(code)s")
            % {"member": m["member_id"], "code": m["to_org_code"]}
            for m in moves_in
            if m["to_org_code"] not in targets
        ]
        if errors:
            raise serializers.ValidationError(errors[:20])
        moves = [(members[m["member_id"]], targets[m["to_org_code"]]) for m in moves_in]
        result = services.transfer_bulk(actor=request.user, moves=moves, **data)
        return Response(
            TransferBulkOutput(result).data,
            status=status.HTTP_201_CREATED,
        )
