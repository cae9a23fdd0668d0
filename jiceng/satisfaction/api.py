"""API of satisfaction surveys (S23), under ``/api/satisfaction/``: the same selectors and
services as the pages. Surveys (list, create with questions and units, detail, edit, open and
close), the results per unit, and the comments (records other apps link to)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import IdField, query_id, query_param, validated
from jiceng.core.scoping import Action
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .models import Question, SatisfactionSurvey, SurveyComment
from .rules import (
    QUESTIONS_MAX,
    SCALE_MAX,
    TRANSITIONS,
    UNITS_MAX,
    QuestionKind,
    SurveyState,
)


class SatisfactionQuestionOutput(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["id", "position", "kind", "text", "choices", "required"]


class SatisfactionSurveyOutput(serializers.ModelSerializer):
    owner_id = serializers.IntegerField()
    owner_name = serializers.CharField(source="owner.name")
    scale = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = SatisfactionSurvey
        fields = [
            "id",
            "owner_id",
            "owner_name",
            "title",
            "intro",
            "opens_on",
            "closes_on",
            "state",
            "scale",
            "satisfied_levels",
            "threshold_percent",
            "open_link",
        ]


class SatisfactionSurveyUnitOutput(serializers.Serializer):
    id = serializers.IntegerField()
    org_id = serializers.IntegerField()
    org_name = serializers.CharField(source="org.name")
    tokens = serializers.IntegerField(source="token_count")
    tokens_used = serializers.IntegerField(source="used_count")


class SatisfactionSurveyDetailOutput(SatisfactionSurveyOutput):
    questions = serializers.SerializerMethodField()
    units = serializers.SerializerMethodField()

    class Meta(SatisfactionSurveyOutput.Meta):
        fields = [*SatisfactionSurveyOutput.Meta.fields, "questions", "units"]

    @extend_schema(responses=SatisfactionQuestionOutput(many=True))
    def get_questions(self, survey: SatisfactionSurvey) -> list[dict[str, Any]]:
        return SatisfactionQuestionOutput(selectors.questions_of(survey), many=True).data  # type: ignore[return-value]

    @extend_schema(responses=SatisfactionSurveyUnitOutput(many=True))
    def get_units(self, survey: SatisfactionSurvey) -> list[dict[str, Any]]:
        return SatisfactionSurveyUnitOutput(selectors.units_of(survey), many=True).data  # type: ignore[return-value]


class SatisfactionQuestionInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    text = serializers.CharField(max_length=200)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list, max_length=12
    )
    required = serializers.BooleanField(default=True)  # type: ignore[assignment]


class SatisfactionSurveyInput(serializers.Serializer):
    owner_id = IdField()
    title = serializers.CharField(max_length=120)
    intro = serializers.CharField(required=False, allow_blank=True, default="")
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()
    scale = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=SCALE_MAX
    )
    satisfied_levels = serializers.IntegerField(min_value=1, max_value=6, required=False)
    threshold_percent = serializers.IntegerField(min_value=1, max_value=100, required=False)
    open_link = serializers.BooleanField(default=False)
    questions = SatisfactionQuestionInput(many=True, required=False, max_length=QUESTIONS_MAX)  # type: ignore[call-arg]
    unit_org_ids = serializers.ListField(
        child=IdField(), required=False, default=list, max_length=UNITS_MAX
    )


class SatisfactionSurveyEditInput(serializers.Serializer):
    title = serializers.CharField(max_length=120, required=False)
    intro = serializers.CharField(required=False, allow_blank=True)
    opens_on = serializers.DateField(required=False)
    closes_on = serializers.DateField(required=False)
    scale = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=SCALE_MAX
    )
    satisfied_levels = serializers.IntegerField(min_value=1, max_value=6, required=False)
    threshold_percent = serializers.IntegerField(min_value=1, max_value=100, required=False)
    open_link = serializers.BooleanField(required=False)


STATE_FILTER = serializers.ChoiceField(choices=[("", ""), *SurveyState.choices])


class SurveyList(generics.GenericAPIView):
    serializer_class = SatisfactionSurveyOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("under", int, description="单位编号（含下级）"),
            OpenApiParameter("state", str, enum=["", *SurveyState.values]),
        ],
        responses=SatisfactionSurveyOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """The surveys the caller may see (run by organisations of their subtree)."""
        under_id = query_id(request, "under")
        surveys = selectors.survey_list(
            request.user,
            under=org_selectors.organization_get(request.user, under_id) if under_id else None,
            state=query_param(request, "state", STATE_FILTER) or "",
        )
        return self.get_paginated_response(
            SatisfactionSurveyOutput(self.paginate_queryset(surveys), many=True).data
        )

    @extend_schema(request=SatisfactionSurveyInput, responses={201: SatisfactionSurveyDetailOutput})
    def post(self, request: Request) -> Response:
        """Set up a survey, with its questions and units if given (one transaction)."""
        data = validated(SatisfactionSurveyInput, request.data)
        owner = org_selectors.organization_get(request.user, data.pop("owner_id"), Action.CHANGE)
        questions = data.pop("questions", [])
        unit_ids = data.pop("unit_org_ids", [])
        with transaction.atomic():
            survey = services.survey_create(actor=request.user, owner=owner, **data)
            for q in questions:
                services.question_add(actor=request.user, survey=survey, **q)
            if unit_ids:
                orgs = list(Organization.objects.visible_to(request.user).filter(pk__in=unit_ids))
                if len(orgs) != len(set(unit_ids)):
                    raise ValidationError(
                        {"unit_org_ids": ["找不到部分单位，或不在您的管辖范围内"]}
                    )
                services.units_add(actor=request.user, survey=survey, orgs=orgs)
        return Response(SatisfactionSurveyDetailOutput(survey).data, status=status.HTTP_201_CREATED)


class SurveyDetail(generics.GenericAPIView):
    serializer_class = SatisfactionSurveyDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        """A survey with its questions and units (tokens made and used per unit)."""
        return Response(SatisfactionSurveyDetailOutput(selectors.survey_get(request.user, pk)).data)

    @extend_schema(request=SatisfactionSurveyEditInput, responses=SatisfactionSurveyDetailOutput)
    def patch(self, request: Request, pk: int) -> Response:
        survey = selectors.survey_get(request.user, pk)
        data = validated(SatisfactionSurveyEditInput, request.data)
        survey = services.survey_edit(actor=request.user, survey=survey, **data)
        return Response(SatisfactionSurveyDetailOutput(survey).data)


class SatisfactionSurveyStateInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(TRANSITIONS))


class SurveyTransition(generics.GenericAPIView):
    serializer_class = SatisfactionSurveyOutput

    @extend_schema(request=SatisfactionSurveyStateInput, responses=SatisfactionSurveyOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Open a survey (it needs a rating question and a unit) or close it."""
        survey = selectors.survey_get(request.user, pk)
        data = validated(SatisfactionSurveyStateInput, request.data)
        survey = services.survey_act(actor=request.user, survey=survey, **data)
        return Response(SatisfactionSurveyOutput(survey).data)


class SatisfactionIntervalOutput(serializers.Serializer):
    low = serializers.FloatField()
    high = serializers.FloatField()


class SatisfactionUnitResultOutput(serializers.Serializer):
    unit_id = serializers.IntegerField()
    org_id = serializers.IntegerField()
    name = serializers.CharField()
    responses = serializers.IntegerField()
    rated = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    interval = SatisfactionIntervalOutput(allow_null=True)
    redo = serializers.BooleanField(help_text="满意率低于补课线，须补课")


class SatisfactionResultsTotalOutput(serializers.Serializer):
    responses = serializers.IntegerField()
    rated = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    interval = SatisfactionIntervalOutput(allow_null=True)
    redo_units = serializers.IntegerField()


class SatisfactionResultsOutput(serializers.Serializer):
    threshold_percent = serializers.IntegerField()
    total = SatisfactionResultsTotalOutput()
    by_unit = SatisfactionUnitResultOutput(many=True)


class SurveyResults(generics.GenericAPIView):
    serializer_class = SatisfactionResultsOutput

    def get(self, request: Request, pk: int) -> Response:
        """Per unit: responses, the satisfied share of the headline question with its 95 %
        Wilson interval, and whether the unit is below the threshold (补课)."""
        survey = selectors.survey_get(request.user, pk)
        rows = selectors.results_by_unit(survey)
        return Response(
            SatisfactionResultsOutput(
                {
                    "threshold_percent": survey.threshold_percent,
                    "total": selectors.results_total(survey, rows),
                    "by_unit": rows,
                }
            ).data
        )


class SatisfactionCommentOutput(serializers.ModelSerializer):
    survey_id = serializers.IntegerField()
    unit_id = serializers.IntegerField()
    org_id = serializers.IntegerField(source="unit.org_id")
    org_name = serializers.CharField(source="unit.org.name")
    question = serializers.CharField(source="question.text")

    class Meta:
        model = SurveyComment
        fields = [
            "id",
            "survey_id",
            "unit_id",
            "org_id",
            "org_name",
            "question",
            "text",
            "submitted_at",
        ]


class SurveyComments(generics.GenericAPIView):
    serializer_class = SatisfactionCommentOutput

    @extend_schema(
        parameters=[OpenApiParameter("unit", int, description="被测评单位编号")],
        responses=SatisfactionCommentOutput(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        """The free-text comments of a survey, newest first."""
        survey = selectors.survey_get(request.user, pk)
        unit_id = query_id(request, "unit")
        unit = selectors.unit_get(survey, unit_id) if unit_id else None
        comments = selectors.comment_list(request.user, survey=survey, unit=unit)
        return self.get_paginated_response(
            SatisfactionCommentOutput(self.paginate_queryset(comments), many=True).data
        )


class CommentDetail(generics.GenericAPIView):
    serializer_class = SatisfactionCommentOutput

    def get(self, request: Request, pk: int) -> Response:
        """One comment (what a rectification item links to)."""
        return Response(SatisfactionCommentOutput(selectors.comment_get(request.user, pk)).data)


urlpatterns = [
    path("surveys/", SurveyList.as_view(), name="api-satisfaction-list"),
    path("surveys/<int:pk>/", SurveyDetail.as_view(), name="api-satisfaction-detail"),
    path("surveys/<int:pk>/state/", SurveyTransition.as_view(), name="api-satisfaction-state"),
    path("surveys/<int:pk>/results/", SurveyResults.as_view(), name="api-satisfaction-results"),
    path("surveys/<int:pk>/comments/", SurveyComments.as_view(), name="api-satisfaction-comments"),
    path("comments/<int:pk>/", CommentDetail.as_view(), name="api-satisfaction-comment"),
]
