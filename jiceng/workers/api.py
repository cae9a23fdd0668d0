"""API of worker recruitment (S3), included by ``config.api`` under ``/api/workers/``: the
same selectors and services as the pages. Applications are listed masked."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import query_param, validated
from jiceng.core.scoping import Action, get_visible_or_404
from jiceng.orgs.models import Organization, OrgType

from . import selectors, services
from .models import PartyWorker, WorkerApplication, WorkerPost, WorkerRecruitment
from .rules import NOTICE_DAYS_RANGE, AppState, EducationLevel


class WorkersRoundOutput(serializers.ModelSerializer):
    district_id = serializers.IntegerField()
    district_name = serializers.CharField(source="district.name")

    class Meta:
        model = WorkerRecruitment
        fields = [
            "id",
            "district_id",
            "district_name",
            "title",
            "opens_on",
            "closes_on",
            "written_weight",
            "interview_weight",
            "notice_days",
        ]


class WorkersPostOutput(serializers.ModelSerializer):
    serves = serializers.SerializerMethodField()

    class Meta:
        model = WorkerPost
        fields = [
            "id",
            "recruitment_id",
            "title",
            "places",
            "requirements",
            "min_age",
            "max_age",
            "min_education",
            "ranked_on",
            "serves",
        ]

    @extend_schema(responses=serializers.ListField(child=serializers.CharField()))
    def get_serves(self, post: WorkerPost) -> list[str]:
        return [o.code for o in selectors.served_orgs(post)]


class WorkersRoundDetailOutput(WorkersRoundOutput):
    posts = WorkersPostOutput(many=True)

    class Meta(WorkersRoundOutput.Meta):
        fields = [*WorkersRoundOutput.Meta.fields, "posts"]


class WorkersApplicationOutput(serializers.ModelSerializer):
    name = serializers.CharField()

    class Meta:
        model = WorkerApplication
        fields = [
            "id",
            "post_id",
            "receipt",
            "name",
            "id_number_masked",
            "phone_masked",
            "birth_date",
            "education",
            "applied_on",
            "state",
            "ineligible_reason",
            "written_score",
            "interview_score",
            "total_score",
            "rank",
            "notice_from",
            "notice_until",
        ]


class WorkersStepOutput(serializers.Serializer):
    step = serializers.CharField()
    on = serializers.DateField()
    value = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()
    late_reason = serializers.CharField()


class WorkersApplicationDetailOutput(WorkersApplicationOutput):
    steps = WorkersStepOutput(many=True)
    open_steps = serializers.SerializerMethodField()

    class Meta(WorkersApplicationOutput.Meta):
        fields = [*WorkersApplicationOutput.Meta.fields, "steps", "open_steps"]

    @extend_schema(responses=serializers.ListField(child=serializers.CharField()))
    def get_open_steps(self, a: WorkerApplication) -> list[str]:
        return services.open_steps(a)


class WorkersWorkerOutput(serializers.ModelSerializer):
    name = serializers.CharField()
    post_id = serializers.IntegerField(source="application.post_id")

    class Meta:
        model = PartyWorker
        fields = [
            "id",
            "application_id",
            "post_id",
            "name",
            "hired_on",
            "certificate_no",
            "trained_on",
            "org_id",
            "since",
            "until",
            "leave_reason",
        ]


class WorkersFiguresOutput(serializers.Serializer):
    district_id = serializers.IntegerField(source="district.pk")
    district_name = serializers.CharField(source="district.name")
    places = serializers.IntegerField()
    applicants = serializers.IntegerField()
    hired = serializers.IntegerField()
    trained = serializers.IntegerField()
    in_post = serializers.IntegerField()


# Decimals are written as strings (two places at most); the schema says exactly which strings
# are numbers a weight (0–1) or a score (0–100) may be, so that a client, and the API fuzzing,
# is never told an empty string is acceptable.
@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^(0(\.\d{1,2})?|1(\.0{1,2})?)$"}
)
class WeightField(serializers.DecimalField):
    pass


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^(100(\.0{1,2})?|\d{1,2}(\.\d{1,2})?)$"}
)
class ScoreField(serializers.DecimalField):
    pass


class WorkersRoundInput(serializers.Serializer):
    district_id = serializers.IntegerField()
    title = serializers.CharField(max_length=120)
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()
    written_weight = WeightField(max_digits=3, decimal_places=2)
    interview_weight = WeightField(max_digits=3, decimal_places=2)
    notice_days = serializers.IntegerField(
        min_value=NOTICE_DAYS_RANGE[0], max_value=NOTICE_DAYS_RANGE[1]
    )


class WorkersPostInput(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    places = serializers.IntegerField(min_value=1)
    requirements = serializers.CharField(required=False, allow_blank=True, default="")
    min_age = serializers.IntegerField(min_value=16, max_value=70, default=18)
    max_age = serializers.IntegerField(min_value=16, max_value=70, default=40)
    min_education = serializers.ChoiceField(
        choices=[("", ""), *EducationLevel.choices], required=False, default=""
    )
    serves = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class WorkersScoreInput(serializers.Serializer):
    application_id = serializers.IntegerField()
    written = ScoreField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    interview = ScoreField(max_digits=5, decimal_places=2, required=False, allow_null=True)


class WorkersScoresInput(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True)
    scores = WorkersScoreInput(many=True)


class WorkersDateInput(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True)


class WorkersScreenInput(serializers.Serializer):
    eligible = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True)


class WorkersDeployInput(serializers.Serializer):
    org_id = serializers.IntegerField()
    on = serializers.DateField(required=False, allow_null=True)
    late_reason = serializers.CharField(required=False, allow_blank=True, default="")


def _orgs_by_code(request: Request, codes: list[str]) -> list[Organization]:
    found = {
        o.code: o
        for o in Organization.objects.visible_to(request.user, Action.CHANGE).filter(code__in=codes)
    }
    missing = [c for c in codes if c not in found]
    if missing:
        raise serializers.ValidationError(
            {"serves": [f"找不到代码为 {'、'.join(missing)} 的党组织，或不在您的管辖范围内"]}
        )
    return [found[c] for c in codes]


class RoundList(generics.GenericAPIView):
    serializer_class = WorkersRoundOutput

    @extend_schema(operation_id="workers_rounds_list", responses=WorkersRoundOutput(many=True))
    def get(self, request: Request) -> Response:
        """The recruitment rounds of the caller's scope."""
        rounds = selectors.recruitment_list(request.user)
        return self.get_paginated_response(
            WorkersRoundOutput(self.paginate_queryset(rounds), many=True).data
        )

    @extend_schema(request=WorkersRoundInput, responses={201: WorkersRoundOutput})
    def post(self, request: Request) -> Response:
        """Register a district's round (weights summing to one, the notice's working days)."""
        data = validated(WorkersRoundInput, request.data)
        district = get_visible_or_404(
            Organization.objects.filter(org_type=OrgType.DISTRICT_COMMITTEE),
            request.user,
            Action.CHANGE,
            pk=data.pop("district_id"),
        )
        r = services.recruitment_create(actor=request.user, district=district, **data)
        return Response(WorkersRoundOutput(r).data, status=status.HTTP_201_CREATED)


class RoundDetail(generics.GenericAPIView):
    serializer_class = WorkersRoundDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        r = selectors.recruitment_get(request.user, pk)
        return Response(WorkersRoundDetailOutput(r).data)


class PostCreate(generics.GenericAPIView):
    serializer_class = WorkersPostOutput

    @extend_schema(request=WorkersPostInput, responses={201: WorkersPostOutput})
    def post(self, request: Request, pk: int) -> Response:
        """Add a post to a round: places, requirements, the organisations it serves (codes)."""
        r = selectors.recruitment_get(request.user, pk, Action.CHANGE)
        data = validated(WorkersPostInput, request.data)
        serves = _orgs_by_code(request, data.pop("serves"))
        post = services.post_create(actor=request.user, recruitment=r, serves=serves, **data)
        return Response(WorkersPostOutput(post).data, status=status.HTTP_201_CREATED)


STATE_FILTER = serializers.ChoiceField(choices=[("", ""), *AppState.choices])


class PostApplications(generics.GenericAPIView):
    serializer_class = WorkersApplicationOutput

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=["", *AppState.values])],
        responses=WorkersApplicationOutput(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        """A post's applications in ranking order (ID number and phone masked)."""
        post = selectors.post_get(request.user, pk)
        apps = selectors.application_list(
            request.user, post=post, state=query_param(request, "state", STATE_FILTER) or ""
        )
        return self.get_paginated_response(
            WorkersApplicationOutput(self.paginate_queryset(apps), many=True).data
        )


class PostScores(generics.GenericAPIView):
    serializer_class = WorkersScoresInput

    @extend_schema(request=WorkersScoresInput, responses={200: WorkersPostOutput})
    def post(self, request: Request, pk: int) -> Response:
        """Enter a post's scores, all or nothing."""
        post = selectors.post_get(request.user, pk, Action.CHANGE)
        data = validated(WorkersScoresInput, request.data)
        scores = {
            s["application_id"]: (s.get("written"), s.get("interview")) for s in data["scores"]
        }
        services.scores_enter(actor=request.user, post=post, scores=scores, on=data.get("on"))
        post.refresh_from_db()
        return Response(WorkersPostOutput(post).data)


class PostRank(generics.GenericAPIView):
    serializer_class = WorkersPostOutput

    @extend_schema(request=None, responses=WorkersPostOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Rank a post's scored applicants (weights of the round, the stated tie rule)."""
        post = selectors.post_get(request.user, pk, Action.CHANGE)
        services.post_rank(actor=request.user, post=post)
        post.refresh_from_db()
        return Response(WorkersPostOutput(post).data)


class PostNotice(generics.GenericAPIView):
    serializer_class = WorkersApplicationOutput

    @extend_schema(request=WorkersDateInput, responses=WorkersApplicationOutput(many=True))
    def post(self, request: Request, pk: int) -> Response:
        """Put the best-ranked candidates on public notice for the free places."""
        post = selectors.post_get(request.user, pk, Action.CHANGE)
        data = validated(WorkersDateInput, request.data)
        nominees = services.notice_publish(actor=request.user, post=post, on=data.get("on"))
        return Response(WorkersApplicationOutput(nominees, many=True).data)


class ApplicationDetail(generics.GenericAPIView):
    serializer_class = WorkersApplicationDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        a = selectors.application_get(request.user, pk)
        return Response(WorkersApplicationDetailOutput(a).data)


class ApplicationScreen(generics.GenericAPIView):
    serializer_class = WorkersApplicationDetailOutput

    @extend_schema(request=WorkersScreenInput, responses=WorkersApplicationDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        a = selectors.application_get(request.user, pk, Action.CHANGE)
        data = validated(WorkersScreenInput, request.data)
        a = services.application_screen(actor=request.user, application=a, **data)
        return Response(WorkersApplicationDetailOutput(a).data)


class ApplicationHire(generics.GenericAPIView):
    serializer_class = WorkersWorkerOutput

    @extend_schema(request=WorkersDateInput, responses={201: WorkersWorkerOutput})
    def post(self, request: Request, pk: int) -> Response:
        """Hire a candidate after the notice period, with no open objection."""
        a = selectors.application_get(request.user, pk, Action.CHANGE)
        data = validated(WorkersDateInput, request.data)
        w = services.application_hire(actor=request.user, application=a, on=data.get("on"))
        return Response(WorkersWorkerOutput(w).data, status=status.HTTP_201_CREATED)


class WorkerList(generics.GenericAPIView):
    serializer_class = WorkersWorkerOutput

    @extend_schema(responses=WorkersWorkerOutput(many=True))
    def get(self, request: Request) -> Response:
        workers = selectors.worker_list(request.user)
        return self.get_paginated_response(
            WorkersWorkerOutput(self.paginate_queryset(workers), many=True).data
        )


class WorkerDeploy(generics.GenericAPIView):
    serializer_class = WorkersWorkerOutput

    @extend_schema(request=WorkersDeployInput, responses=WorkersWorkerOutput)
    def post(self, request: Request, pk: int) -> Response:
        """Put a trained worker in post at an organisation the post serves."""
        w = selectors.worker_get(request.user, pk, Action.CHANGE)
        data = validated(WorkersDeployInput, request.data)
        org = get_visible_or_404(Organization, request.user, Action.CHANGE, pk=data.pop("org_id"))
        w = services.worker_deploy(actor=request.user, worker=w, org=org, **data)
        return Response(WorkersWorkerOutput(w).data)


class Figures(generics.GenericAPIView):
    serializer_class = WorkersFiguresOutput
    pagination_class = None

    @extend_schema(responses=WorkersFiguresOutput(many=True))
    def get(self, request: Request) -> Response:
        """Per district: places, applicants, hired, trained, in post."""
        return Response(WorkersFiguresOutput(selectors.figures(request.user), many=True).data)


urlpatterns = [
    path("rounds/", RoundList.as_view(), name="api-workers-round-list"),
    path("rounds/<int:pk>/", RoundDetail.as_view(), name="api-workers-round-detail"),
    path("rounds/<int:pk>/posts/", PostCreate.as_view(), name="api-workers-post-create"),
    path(
        "posts/<int:pk>/applications/",
        PostApplications.as_view(),
        name="api-workers-post-applications",
    ),
    path("posts/<int:pk>/scores/", PostScores.as_view(), name="api-workers-post-scores"),
    path("posts/<int:pk>/rank/", PostRank.as_view(), name="api-workers-post-rank"),
    path("posts/<int:pk>/notice/", PostNotice.as_view(), name="api-workers-post-notice"),
    path(
        "applications/<int:pk>/",
        ApplicationDetail.as_view(),
        name="api-workers-application-detail",
    ),
    path(
        "applications/<int:pk>/screen/",
        ApplicationScreen.as_view(),
        name="api-workers-application-screen",
    ),
    path(
        "applications/<int:pk>/hire/",
        ApplicationHire.as_view(),
        name="api-workers-application-hire",
    ),
    path("people/", WorkerList.as_view(), name="api-workers-worker-list"),
    path("people/<int:pk>/deploy/", WorkerDeploy.as_view(), name="api-workers-worker-deploy"),
    path("figures/", Figures.as_view(), name="api-workers-figures"),
]
