"""API of responsibility chains (S6): overdue tasks of a subtree with their chains, and a
task done."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.campaigns.progress import selectors as progress_selectors
from jiceng.campaigns.progress.api import UNDER, under_for

from . import selectors, services
from .models import ChainLink, ResponsibilityTask


class ChainLinkOutput(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name")

    class Meta:
        model = ChainLink
        fields = ["rank", "org_id", "org_name", "person"]


class TaskOutput(serializers.ModelSerializer):
    unit_id = serializers.IntegerField()
    step_id = serializers.IntegerField(allow_null=True)
    links = ChainLinkOutput(many=True, read_only=True)
    escalated_rank = serializers.SerializerMethodField()

    class Meta:
        model = ResponsibilityTask
        fields = [
            "id",
            "unit_id",
            "step_id",
            "title",
            "due_on",
            "state",
            "done_on",
            "links",
            "escalated_rank",
        ]

    def get_escalated_rank(self, obj: ResponsibilityTask) -> int:
        return obj.escalation_rank(obj.campaign.reference_date(), len(obj.links.all()))


class CampaignTasks(generics.GenericAPIView):
    serializer_class = TaskOutput

    @extend_schema(parameters=[UNDER], responses=TaskOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """Overdue tasks under a subtree with their four-level chains (S6)."""
        campaign = progress_selectors.campaign_get(request.user, pk)
        under = under_for(request, campaign)
        page = self.paginate_queryset(
            selectors.overdue_tasks(request.user, campaign, under).select_related("campaign")
        )
        return self.get_paginated_response(TaskOutput(page, many=True).data)


class TaskDone(generics.GenericAPIView):
    serializer_class = TaskOutput

    @extend_schema(request=None, responses=TaskOutput)
    def post(self, request: Request, pk: int) -> Response:
        task = selectors.task_get(request.user, pk)
        task = services.task_done(actor=request.user, task=task)
        return Response(TaskOutput(task).data)
