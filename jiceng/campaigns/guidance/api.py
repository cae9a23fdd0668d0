"""API of guidance: classified guidance (S14, S15) and the previous batch's pilot lessons
(S5)."""

from __future__ import annotations

from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.campaigns.progress import selectors as progress_selectors

from . import selectors
from .models import GuidanceTemplate, PilotLesson


class TemplateOutput(serializers.ModelSerializer):
    owner_id = serializers.IntegerField()

    class Meta:
        model = GuidanceTemplate
        fields = [
            "id",
            "name",
            "owner_id",
            "sector",
            "org_type",
            "focus",
            "steps",
            "indicators",
            "source",
        ]


class LessonOutput(serializers.ModelSerializer):
    org_name = serializers.CharField(source="unit.org.name")

    class Meta:
        model = PilotLesson
        fields = ["id", "sector", "title", "text", "org_name", "recorded_on"]


class GuidanceOutput(serializers.Serializer):
    templates = TemplateOutput(many=True)
    lessons = LessonOutput(many=True)


class CampaignGuidance(generics.GenericAPIView):
    serializer_class = GuidanceOutput

    def get(self, request: Request, pk: int) -> Response:
        """Classified guidance (S14, S15) and the previous batch's pilot lessons (S5)."""
        campaign = progress_selectors.campaign_get(request.user, pk)
        return Response(
            GuidanceOutput(
                {
                    "templates": selectors.templates_for(request.user, campaign),
                    "lessons": selectors.lessons_for(campaign),
                }
            ).data
        )
