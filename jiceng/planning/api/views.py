"""Planning API: create, run, read, edit, apply, confirm and revert plans (a pairing plan,
S26, is confirmed instead of applied: its pairs become pairings); thin views over
the same selectors and services as the pages. Computing runs as a background task: poll the
plan until ``state`` is ``ready`` (or ``failed`` with ``message``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import MAX_INT, IdField, validated
from jiceng.core.scoping import Action
from jiceng.orgs import selectors as org_selectors
from jiceng.planning import selectors, services, tasks
from jiceng.planning.models import Plan, PlanAssignment, PlanBranch, PlanPairing
from jiceng.planning.rules import Affinity, PlanKind, Selection


class PlanBranchOutput(serializers.ModelSerializer):
    mean_km = serializers.FloatField()
    max_km = serializers.FloatField()

    class Meta:
        model = PlanBranch
        fields = [
            "index",
            "name",
            "org_id",
            "site_id",
            "district_id",
            "lat",
            "lng",
            "capacity",
            "size",
            "mean_km",
            "max_km",
            "districts",
        ]


class PlanOutput(serializers.ModelSerializer):
    root_id = serializers.IntegerField()
    target_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = Plan
        fields = [
            "id",
            "name",
            "kind",
            "state",
            "root_id",
            "target_id",
            "selection",
            "size_min",
            "size_max",
            "target_size",
            "n_branches",
            "use_sites",
            "same_district",
            "max_distance_km",
            "move_cost_km",
            "seed",
            "per_branch",
            "categories",
            "affinity",
            "affinity_km",
            "progress",
            "stage",
            "message",
            "summary",
            "created_at",
            "started_at",
            "finished_at",
            "applied_at",
            "transfer_batch",
            "reverted_at",
        ]


class PlanDetailOutput(PlanOutput):
    branches = serializers.SerializerMethodField()

    class Meta(PlanOutput.Meta):
        fields = [*PlanOutput.Meta.fields, "branches"]

    @extend_schema(exclude=False)
    def get_branches(self, obj: Plan) -> list[dict[str, Any]]:
        return list(PlanBranchOutput(selectors.plan_branches(obj), many=True).data)


class PlanInput(serializers.Serializer):
    root_id = IdField()
    kind = serializers.ChoiceField(PlanKind.choices)
    name = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    target_id = IdField(required=False, allow_null=True, default=None)
    selection = serializers.ChoiceField(Selection.choices, default=Selection.DISPERSED)
    size_min = serializers.IntegerField(required=False, min_value=1, max_value=500)
    size_max = serializers.IntegerField(required=False, min_value=1, max_value=500)
    target_size = serializers.IntegerField(required=False, min_value=1, max_value=500)
    n_branches = serializers.IntegerField(
        max_value=MAX_INT, required=False, allow_null=True, min_value=1
    )
    use_sites = serializers.BooleanField(required=False)
    same_district = serializers.BooleanField(required=False)
    max_distance_km = serializers.FloatField(required=False, allow_null=True, min_value=0.1)
    move_cost_km = serializers.FloatField(required=False, min_value=0)
    seed = serializers.IntegerField(max_value=MAX_INT, required=False, min_value=0)
    per_branch = serializers.IntegerField(required=False, min_value=1, max_value=500)
    # codes of NeedyCategory; an unknown one is refused by the service in words
    categories = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=50
    )
    affinity = serializers.ListField(
        child=serializers.ChoiceField(Affinity.choices), required=False, max_length=10
    )
    affinity_km = serializers.FloatField(required=False, min_value=0, max_value=100)


class AssignmentOutput(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name")
    branch_index = serializers.IntegerField(source="branch.index")
    branch_name = serializers.CharField(source="branch.name")
    distance_km = serializers.FloatField()
    previous_km = serializers.FloatField(allow_null=True)

    class Meta:
        model = PlanAssignment
        fields = [
            "member_id",
            "member_name",
            "previous_org_id",
            "branch_index",
            "branch_name",
            "distance_km",
            "previous_km",
            "edited",
            "transfer_id",
        ]


class PlanPairingOutput(serializers.ModelSerializer):
    """A pairing plan's row (S26); no categories (sensitive; the page shows them to readers
    with outreach rights)."""

    needy_name = serializers.CharField(source="needy.name")
    branch_index = serializers.IntegerField(source="branch.index", allow_null=True)
    branch_org_id = serializers.IntegerField(source="branch.org_id", allow_null=True)
    branch_name = serializers.CharField(source="branch.name", allow_null=True)
    distance_km = serializers.FloatField(allow_null=True)

    class Meta:
        model = PlanPairing
        fields = [
            "needy_id",
            "needy_name",
            "branch_index",
            "branch_org_id",
            "branch_name",
            "distance_km",
            "reason",
            "edited",
        ]


class MoveInput(serializers.Serializer):
    member_id = IdField(required=False)
    needy_id = IdField(required=False, help_text="a pairing plan's needy person")
    branch_index = serializers.IntegerField(max_value=MAX_INT, min_value=0)


class RevertInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ConfirmOutput(serializers.Serializer):
    confirmed = serializers.IntegerField()


def _queue(request: Request, plan: Plan) -> Plan:
    with transaction.atomic():
        plan = services.plan_queue(actor=request.user, plan=plan)
        transaction.on_commit(lambda: tasks.run_plan.enqueue(plan.pk))
    plan.refresh_from_db()
    return plan


class PlanListCreate(generics.GenericAPIView):
    serializer_class = PlanOutput

    @extend_schema(responses=PlanOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.plan_list(request.user))
        return self.get_paginated_response(PlanOutput(page, many=True).data)

    @extend_schema(request=PlanInput, responses={201: PlanOutput})
    def post(self, request: Request) -> Response:
        """Create a plan and start computing it."""
        data = validated(PlanInput, request.data)
        root = org_selectors.organization_get(request.user, data.pop("root_id"), Action.CHANGE)
        target_id = data.pop("target_id")
        target = (
            org_selectors.organization_get(request.user, target_id, Action.CHANGE)
            if target_id
            else None
        )
        with transaction.atomic():
            plan = services.plan_create(actor=request.user, root=root, target=target, **data)
        plan = _queue(request, plan)
        return Response(PlanOutput(plan).data, status=status.HTTP_201_CREATED)


class PlanDetail(generics.GenericAPIView):
    serializer_class = PlanDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(PlanDetailOutput(selectors.plan_get(request.user, pk)).data)


class PlanRun(generics.GenericAPIView):
    serializer_class = PlanOutput

    @extend_schema(request=None, responses={202: PlanOutput})
    def post(self, request: Request, pk: int) -> Response:
        plan = _queue(request, selectors.plan_get(request.user, pk, Action.CHANGE))
        return Response(PlanOutput(plan).data, status=status.HTTP_202_ACCEPTED)


class PlanAssignments(generics.GenericAPIView):
    serializer_class = AssignmentOutput

    @extend_schema(responses=AssignmentOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get(request.user, pk)
        page = self.paginate_queryset(selectors.plan_assignments(plan))
        return self.get_paginated_response(AssignmentOutput(page, many=True).data)


class PlanPairings(generics.GenericAPIView):
    serializer_class = PlanPairingOutput

    @extend_schema(responses=PlanPairingOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get(request.user, pk)
        page = self.paginate_queryset(selectors.plan_pairings(plan))
        return self.get_paginated_response(PlanPairingOutput(page, many=True).data)


class PlanMove(generics.GenericAPIView):
    serializer_class = AssignmentOutput

    @extend_schema(request=MoveInput, responses=AssignmentOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Move a member (a pairing plan: a needy person, ``needy_id``; the answer is then the
        pairing row) to the plan's branch ``branch_index``."""
        plan = selectors.plan_get(request.user, pk, Action.CHANGE)
        data = validated(MoveInput, request.data)
        branch = plan.branches.filter(index=data["branch_index"]).first()
        if branch is None:
            raise serializers.ValidationError({"branch_index": _("本方案中没有该支部")})
        if plan.kind == PlanKind.PAIR:
            if not data.get("needy_id"):
                raise serializers.ValidationError({"needy_id": _("请指定帮扶对象")})
            p = services.plan_move_pairing(
                actor=request.user, plan=plan, needy_id=data["needy_id"], branch=branch
            )
            return Response(PlanPairingOutput(p).data)
        if not data.get("member_id"):
            raise serializers.ValidationError({"member_id": _("请指定党员")})
        a = services.plan_move_member(
            actor=request.user,
            plan=plan,
            member_id=data["member_id"],
            branch=branch,
        )
        return Response(AssignmentOutput(a).data)


class PlanApply(generics.GenericAPIView):
    serializer_class = PlanDetailOutput

    @extend_schema(request=None, responses=PlanDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get(request.user, pk, Action.CHANGE)
        plan = services.plan_apply(actor=request.user, plan=plan)
        return Response(PlanDetailOutput(plan).data)


class PlanConfirm(generics.GenericAPIView):
    serializer_class = ConfirmOutput

    @extend_schema(request=None, responses=ConfirmOutput)
    def post(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get(request.user, pk)
        done = services.plan_confirm(actor=request.user, plan=plan)
        return Response({"confirmed": done})


class PlanRevert(generics.GenericAPIView):
    serializer_class = PlanOutput

    @extend_schema(request=RevertInput, responses=PlanOutput)
    def post(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get(request.user, pk, Action.CHANGE)
        data = validated(RevertInput, request.data)
        plan = services.plan_revert(actor=request.user, plan=plan, **data)
        return Response(PlanOutput(plan).data)
