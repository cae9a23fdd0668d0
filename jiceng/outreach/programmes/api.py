"""API of service programmes (S27; included by ``outreach.api.urls``): programmes, their cards
(and enrolment), the schedule, tasks (overdue, a member's own) and marking a task done — the
same selectors and services as the pages. No household's category is returned."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import IdField, query_id, query_param, validated
from jiceng.core.scoping import Action, scope_of
from jiceng.orgs import selectors as org_selectors

from ..registry.models import NeedyPerson
from . import selectors, services
from .models import Commitment, ServiceCard, ServiceProgramme, ServiceTask


class ServiceCommitmentOutput(serializers.ModelSerializer):
    class Meta:
        model = Commitment
        fields = ["id", "code", "label", "times", "min_gap_days"]


class ServiceProgrammeOutput(serializers.ModelSerializer):
    owner_id = serializers.IntegerField()
    owner_name = serializers.CharField(source="owner.name")
    commitments = ServiceCommitmentOutput(many=True, read_only=True)

    class Meta:
        model = ServiceProgramme
        fields = [
            "id",
            "owner_id",
            "owner_name",
            "name",
            "year",
            "state",
            "hotline",
            "card_prefix",
            "description",
            "commitments",
        ]


class ServiceCompletionOutput(serializers.Serializer):
    name = serializers.CharField()
    tasks = serializers.IntegerField()
    due = serializers.IntegerField()
    done = serializers.IntegerField()
    on_time = serializers.IntegerField()
    overdue = serializers.IntegerField()
    missed = serializers.IntegerField()


class ServiceProgrammeDetailOutput(ServiceProgrammeOutput):
    completion = serializers.SerializerMethodField()
    by_commitment = serializers.SerializerMethodField()

    class Meta(ServiceProgrammeOutput.Meta):
        fields = [*ServiceProgrammeOutput.Meta.fields, "completion", "by_commitment"]

    def _completion(self, programme: ServiceProgramme) -> Any:
        if not hasattr(self, "_cached"):
            self._cached = selectors.programme_completion(programme)
        return self._cached

    def get_completion(self, programme: ServiceProgramme) -> dict[str, Any]:
        return dict(ServiceCompletionOutput(self._completion(programme)[0]).data)

    def get_by_commitment(self, programme: ServiceProgramme) -> list[dict[str, Any]]:
        return list(ServiceCompletionOutput(self._completion(programme)[1], many=True).data)


class ServiceCardOutput(serializers.ModelSerializer):
    household_id = serializers.IntegerField()
    household_name = serializers.CharField(source="household.name")

    class Meta:
        model = ServiceCard
        fields = ["id", "number", "household_id", "household_name", "issued_on", "state", "reason"]


class ServiceTaskOutput(serializers.ModelSerializer):
    programme_id = serializers.IntegerField()
    card_number = serializers.CharField(source="card.number")
    household_name = serializers.CharField(source="card.household.name")
    service = serializers.CharField(source="commitment.label")
    responsible_id = serializers.IntegerField()
    responsible_name = serializers.CharField(source="responsible.name")

    class Meta:
        model = ServiceTask
        fields = [
            "id",
            "programme_id",
            "card_number",
            "household_name",
            "service",
            "sequence",
            "due_on",
            "responsible_id",
            "responsible_name",
            "state",
            "done_on",
            "note",
        ]


class ProgrammeList(generics.GenericAPIView):
    serializer_class = ServiceProgrammeOutput

    @extend_schema(
        parameters=[OpenApiParameter("under", int, description="单位编号（含下级）")],
        responses=ServiceProgrammeOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Service programmes of the caller's subtree."""
        under_id = query_id(request, "under")
        programmes = selectors.programme_list(
            request.user,
            under=org_selectors.organization_get(request.user, under_id) if under_id else None,
        ).prefetch_related("commitments")
        return self.get_paginated_response(
            ServiceProgrammeOutput(self.paginate_queryset(programmes), many=True).data
        )


class ProgrammeDetail(generics.GenericAPIView):
    serializer_class = ServiceProgrammeDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        """A programme with its commitments and its completion (totals, by commitment)."""
        programme = selectors.programme_get(request.user, pk)
        return Response(ServiceProgrammeDetailOutput(programme).data)


class ServiceEnrolInput(serializers.Serializer):
    household_ids = serializers.ListField(child=IdField(), min_length=1, max_length=2000)


class CardList(generics.GenericAPIView):
    serializer_class = ServiceCardOutput

    @extend_schema(responses=ServiceCardOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """The programme's cards, in number order."""
        programme = selectors.programme_get(request.user, pk)
        cards = selectors.card_list(programme)
        return self.get_paginated_response(
            ServiceCardOutput(self.paginate_queryset(cards), many=True).data
        )

    @extend_schema(request=ServiceEnrolInput, responses={201: ServiceCardOutput(many=True)})
    def post(self, request: Request, pk: int) -> Response:
        """Enrol households (all or nothing; those already holding a card are skipped)."""
        programme = selectors.programme_get(request.user, pk)
        data = validated(ServiceEnrolInput, request.data)
        ids = list(dict.fromkeys(data["household_ids"]))
        people = list(NeedyPerson.objects.filter(pk__in=ids))
        if len(people) != len(ids):
            raise ValidationError({"household_ids": ["找不到其中的帮扶对象"]})
        cards = services.cards_enrol(actor=request.user, programme=programme, households=people)
        return Response(ServiceCardOutput(cards, many=True).data, status=status.HTTP_201_CREATED)


class ServiceScheduleOutput(serializers.Serializer):
    households = serializers.IntegerField()
    members = serializers.IntegerField()
    tasks = serializers.IntegerField()
    kept = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    max_per_member = serializers.IntegerField()
    min_per_member = serializers.IntegerField()


class ProgrammeSchedule(generics.GenericAPIView):
    serializer_class = ServiceScheduleOutput

    @extend_schema(request=None, responses=ServiceScheduleOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Plan the rest of the programme's year (replaces planned tasks from today on)."""
        programme = selectors.programme_get(request.user, pk)
        result = services.programme_schedule(actor=request.user, programme=programme)
        return Response(ServiceScheduleOutput(result).data)


class TaskList(generics.GenericAPIView):
    serializer_class = ServiceTaskOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级）"),
            OpenApiParameter("programme", int, description="服务项目编号"),
            OpenApiParameter("overdue", bool, description="只列逾期未完成的任务"),
        ],
        responses=ServiceTaskOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Tasks the caller sees (a member: their own), oldest first; ``overdue=true`` for
        the overdue ones."""
        overdue = bool(query_param(request, "overdue", serializers.BooleanField()))
        programme_id = query_id(request, "programme")
        programme = selectors.programme_get(request.user, programme_id) if programme_id else None
        if scope_of(request.user, Action.VIEW).paths:
            under_id = query_id(request, "under")
            tasks = selectors.task_list(
                request.user,
                under=org_selectors.organization_get(request.user, under_id) if under_id else None,
                programme=programme,
                overdue=overdue,
            )
        else:
            tasks = selectors.own_tasks(request.user)
            if overdue:
                tasks = tasks.filter(selectors.overdue_q())
        return self.get_paginated_response(
            ServiceTaskOutput(self.paginate_queryset(tasks), many=True).data
        )


class ServiceDoneInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    done_on = serializers.DateField(required=False, default=None)


class TaskDone(generics.GenericAPIView):
    serializer_class = ServiceTaskOutput

    @extend_schema(request=ServiceDoneInput, responses=ServiceTaskOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Mark a task done: its responsible member (self-service) or the branch."""
        task = selectors.task_get(request.user, pk)
        data = validated(ServiceDoneInput, request.data)
        task = services.task_done(actor=request.user, task=task, **data)
        return Response(ServiceTaskOutput(selectors.task_get(request.user, task.pk)).data)


urlpatterns = [
    path("service-programmes/", ProgrammeList.as_view(), name="api-service-list"),
    path("service-programmes/<int:pk>/", ProgrammeDetail.as_view(), name="api-service-detail"),
    path("service-programmes/<int:pk>/cards/", CardList.as_view(), name="api-service-cards"),
    path(
        "service-programmes/<int:pk>/schedule/",
        ProgrammeSchedule.as_view(),
        name="api-service-schedule",
    ),
    path("service-tasks/", TaskList.as_view(), name="api-service-tasks"),
    path("service-tasks/<int:pk>/done/", TaskDone.as_view(), name="api-service-task-done"),
]
