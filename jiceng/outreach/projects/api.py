"""API of support projects (S28), included by ``outreach.api.urls``: the same selectors and
services as the pages."""

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
from jiceng.orgs.models import Organization

from . import selectors, services
from .models import ProjectGoal, ProjectMember, ProjectProgress, SupportProject
from .rules import TRANSITIONS, BeneficiaryKind, ProjectRole, ProjectState


class ProjectOutput(serializers.ModelSerializer):
    owner_id = serializers.IntegerField()
    owner_name = serializers.CharField(source="owner.name")

    class Meta:
        model = SupportProject
        fields = [
            "id",
            "owner_id",
            "owner_name",
            "title",
            "beneficiary_kind",
            "beneficiary_name",
            "beneficiary_place",
            "description",
            "starts_on",
            "ends_on",
            "state",
            "ended_on",
            "closing_note",
        ]


class ProjectGoalOutput(serializers.Serializer):
    id = serializers.IntegerField(source="goal.pk")
    measure = serializers.CharField(source="goal.measure")
    unit = serializers.CharField(source="goal.unit")
    baseline = serializers.DecimalField(source="goal.baseline", max_digits=14, decimal_places=2)
    target = serializers.DecimalField(source="goal.target", max_digits=14, decimal_places=2)
    target_on = serializers.DateField(source="goal.target_on", allow_null=True)
    latest = serializers.DecimalField(
        source="outcome.latest", max_digits=14, decimal_places=2, allow_null=True
    )
    latest_on = serializers.DateField(source="measured_on", allow_null=True)
    percent = serializers.DecimalField(
        source="outcome.percent", max_digits=10, decimal_places=1, allow_null=True
    )
    met = serializers.BooleanField(source="outcome.met")


class ProjectAssignmentOutput(serializers.ModelSerializer):
    member_id = serializers.IntegerField()
    member_name = serializers.CharField(source="member.name")

    class Meta:
        model = ProjectMember
        fields = ["id", "member_id", "member_name", "role", "since"]


class ProjectMeasurementOutput(serializers.Serializer):
    goal_id = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2)
    measured_on = serializers.DateField()


class ProjectProgressOutput(serializers.ModelSerializer):
    measurements = ProjectMeasurementOutput(many=True, read_only=True)

    class Meta:
        model = ProjectProgress
        fields = ["id", "noted_on", "note", "at", "measurements"]


class ProjectDetailOutput(ProjectOutput):
    goals = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta(ProjectOutput.Meta):
        fields = [*ProjectOutput.Meta.fields, "goals", "members", "progress"]

    @extend_schema(responses=ProjectGoalOutput(many=True))
    def get_goals(self, project: SupportProject) -> list[dict[str, Any]]:
        return ProjectGoalOutput(selectors.goal_outcomes(project), many=True).data  # type: ignore[return-value]

    @extend_schema(responses=ProjectAssignmentOutput(many=True))
    def get_members(self, project: SupportProject) -> list[dict[str, Any]]:
        return ProjectAssignmentOutput(selectors.assignments_of(project), many=True).data  # type: ignore[return-value]

    @extend_schema(responses=ProjectProgressOutput(many=True))
    def get_progress(self, project: SupportProject) -> list[dict[str, Any]]:
        return ProjectProgressOutput(selectors.progress_of(project), many=True).data  # type: ignore[return-value]


class ProjectInput(serializers.Serializer):
    owner_id = IdField()
    title = serializers.CharField(max_length=120)
    beneficiary_kind = serializers.ChoiceField(BeneficiaryKind.choices)
    beneficiary_name = serializers.CharField(max_length=120)
    beneficiary_place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class ProjectEditInput(serializers.Serializer):
    title = serializers.CharField(max_length=120, required=False)
    beneficiary_kind = serializers.ChoiceField(BeneficiaryKind.choices, required=False)
    beneficiary_name = serializers.CharField(max_length=120, required=False)
    beneficiary_place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    starts_on = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False)


def value_field() -> serializers.FloatField:
    """A goal's value: a JSON number, rounded to 0.01 by the service."""
    return serializers.FloatField(min_value=-999_999_999_999, max_value=999_999_999_999)


STATE_FILTER = serializers.ChoiceField(choices=[("", ""), *ProjectState.choices])
KIND_FILTER = serializers.ChoiceField(choices=[("", ""), *BeneficiaryKind.choices])


class ProjectList(generics.GenericAPIView):
    serializer_class = ProjectOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级）"),
            OpenApiParameter("state", str, enum=["", *ProjectState.values]),
            OpenApiParameter("beneficiary_kind", str, enum=["", *BeneficiaryKind.values]),
        ],
        responses=ProjectOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Projects the caller may see (a member: those assigned to them)."""
        if scope_of(request.user, Action.VIEW).paths:
            under_id = query_id(request, "under")
            projects: Any = selectors.project_list(
                request.user,
                under=org_selectors.organization_get(request.user, under_id) if under_id else None,
                state=query_param(request, "state", STATE_FILTER) or "",
                beneficiary_kind=query_param(request, "beneficiary_kind", KIND_FILTER) or "",
            )
        else:
            projects = selectors.own_projects(request.user)
        return self.get_paginated_response(
            ProjectOutput(self.paginate_queryset(projects), many=True).data
        )

    @extend_schema(request=ProjectInput, responses={201: ProjectDetailOutput})
    def post(self, request: Request) -> Response:
        """Register a support project for an organisation in the caller's change scope."""
        data = validated(ProjectInput, request.data)
        owner = org_selectors.organization_get(request.user, data.pop("owner_id"), Action.CHANGE)
        project = services.project_create(actor=request.user, owner=owner, **data)
        return Response(ProjectDetailOutput(project).data, status=status.HTTP_201_CREATED)


class ProjectDetail(generics.GenericAPIView):
    serializer_class = ProjectDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        """A project with its goals (latest value, % of the way from the baseline, met),
        members and progress."""
        return Response(ProjectDetailOutput(selectors.project_get(request.user, pk)).data)

    @extend_schema(request=ProjectEditInput, responses=ProjectDetailOutput)
    def patch(self, request: Request, pk: int) -> Response:
        project = selectors.project_get(request.user, pk)
        data = validated(ProjectEditInput, request.data)
        project = services.project_edit(actor=request.user, project=project, **data)
        return Response(ProjectDetailOutput(project).data)


class ProjectStateInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(TRANSITIONS))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ProjectTransition(generics.GenericAPIView):
    serializer_class = ProjectOutput

    @extend_schema(request=ProjectStateInput, responses=ProjectOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Start, complete (with what was achieved) or close (with why) a project."""
        project = selectors.project_get(request.user, pk)
        data = validated(ProjectStateInput, request.data)
        project = services.project_act(actor=request.user, project=project, **data)
        return Response(ProjectOutput(project).data)


class ProjectGoalInput(serializers.Serializer):
    measure = serializers.CharField(max_length=120)
    unit = serializers.CharField(max_length=12)
    baseline = value_field()
    target = value_field()
    target_on = serializers.DateField(required=False, allow_null=True, default=None)


class ProjectGoalCreated(serializers.ModelSerializer):
    class Meta:
        model = ProjectGoal
        fields = ["id", "measure", "unit", "baseline", "target", "target_on"]


class GoalAdd(generics.GenericAPIView):
    serializer_class = ProjectGoalCreated

    @extend_schema(request=ProjectGoalInput, responses={201: ProjectGoalCreated})
    def post(self, request: Request, pk: int) -> Response:
        project = selectors.project_get(request.user, pk)
        data = validated(ProjectGoalInput, request.data)
        goal = services.goal_add(actor=request.user, project=project, **data)
        return Response(ProjectGoalCreated(goal).data, status=status.HTTP_201_CREATED)


class GoalRemove(generics.GenericAPIView):
    serializer_class = ProjectGoalCreated

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int, goal_pk: int) -> Response:
        project = selectors.project_get(request.user, pk)
        services.goal_remove(actor=request.user, goal=selectors.goal_get(project, goal_pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectMemberInput(serializers.Serializer):
    member_id = IdField()
    role = serializers.ChoiceField(ProjectRole.choices, default=ProjectRole.MEMBER)
    since = serializers.DateField(required=False, allow_null=True, default=None)


class MemberAdd(generics.GenericAPIView):
    serializer_class = ProjectAssignmentOutput

    @extend_schema(request=ProjectMemberInput, responses={201: ProjectAssignmentOutput})
    def post(self, request: Request, pk: int) -> Response:
        """Assign a member (under the project's organisation or in the caller's scope)."""
        project = selectors.project_get(request.user, pk)
        data = validated(ProjectMemberInput, request.data)
        member = selectors.member_pick(request.user, data.pop("member_id"))
        if member is None:
            raise ValidationError({"member_id": ["找不到该党员，或不在您的管辖范围内"]})
        assignment = services.project_member_add(
            actor=request.user, project=project, member=member, **data
        )
        return Response(ProjectAssignmentOutput(assignment).data, status=status.HTTP_201_CREATED)


class MemberRemove(generics.GenericAPIView):
    serializer_class = ProjectAssignmentOutput

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int, assignment_pk: int) -> Response:
        project = selectors.project_get(request.user, pk)
        assignment = selectors.assignment_get(project, assignment_pk)
        services.project_member_remove(actor=request.user, assignment=assignment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectMeasurementInput(serializers.Serializer):
    goal_id = IdField()
    value = value_field()


class ProjectProgressInput(serializers.Serializer):
    noted_on = serializers.DateField()
    note = serializers.CharField()
    measurements = ProjectMeasurementInput(many=True, required=False, default=list)


class ProgressAdd(generics.GenericAPIView):
    serializer_class = ProjectProgressOutput

    @extend_schema(request=ProjectProgressInput, responses={201: ProjectProgressOutput})
    def post(self, request: Request, pk: int) -> Response:
        """Record progress with the goals' measured values (all saved or none); by the
        project's organisation or an assigned member."""
        project = selectors.project_get(request.user, pk)
        data = validated(ProjectProgressInput, request.data)
        goals = {g.pk: g for g in project.goals.all()}
        measurements = []
        for m in data.pop("measurements"):
            if m["goal_id"] not in goals:
                raise ValidationError({"measurements": ["所填目标不属于该项目"]})
            measurements.append((goals[m["goal_id"]], m["value"]))
        progress = services.progress_record(
            actor=request.user, project=project, measurements=measurements, **data
        )
        return Response(ProjectProgressOutput(progress).data, status=status.HTTP_201_CREATED)


class ProjectFigureRow(serializers.Serializer):
    name = serializers.CharField()
    org_id = serializers.IntegerField(allow_null=True)
    projects = serializers.IntegerField()
    active = serializers.IntegerField()
    completed = serializers.IntegerField()
    goals = serializers.IntegerField()
    goals_met = serializers.IntegerField()


class ProjectFiguresOutput(serializers.Serializer):
    total = ProjectFigureRow()
    by_unit = ProjectFigureRow(many=True)


class ProjectFigures(generics.GenericAPIView):
    serializer_class = ProjectFiguresOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级），默认为本人管辖范围")
        ],
        responses=ProjectFiguresOutput,
    )
    def get(self, request: Request) -> Response:
        """Projects, active, completed, goals and goals met by unit one level down."""
        under: Organization = org_selectors.subtree_root(request.user, query_id(request, "under"))
        rows = selectors.figures_by_unit(request.user, under)
        return Response(
            ProjectFiguresOutput(
                {"total": selectors.figures_total(rows, under), "by_unit": rows}
            ).data
        )


urlpatterns = [
    path("projects/", ProjectList.as_view(), name="api-project-list"),
    path("projects/figures/", ProjectFigures.as_view(), name="api-project-figures"),
    path("projects/<int:pk>/", ProjectDetail.as_view(), name="api-project-detail"),
    path("projects/<int:pk>/state/", ProjectTransition.as_view(), name="api-project-state"),
    path("projects/<int:pk>/goals/", GoalAdd.as_view(), name="api-project-goals"),
    path(
        "projects/<int:pk>/goals/<int:goal_pk>/",
        GoalRemove.as_view(),
        name="api-project-goal-remove",
    ),
    path("projects/<int:pk>/members/", MemberAdd.as_view(), name="api-project-members"),
    path(
        "projects/<int:pk>/members/<int:assignment_pk>/",
        MemberRemove.as_view(),
        name="api-project-member-remove",
    ),
    path("projects/<int:pk>/progress/", ProgressAdd.as_view(), name="api-project-progress"),
]
