from __future__ import annotations

from typing import cast

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import clock, tree
from jiceng.core.api import query_id, query_param, validated
from jiceng.core.scoping import Action
from jiceng.orgs import health, selectors, services
from jiceng.orgs.models import Organization, OrgType, RectificationStep

from .serializers import (
    DesignateInput,
    OrganizationCreateInput,
    OrganizationOutput,
    OrganizationUpdateInput,
    RectificationDetailOutput,
    RectificationOutput,
    RectificationStepInput,
    SecretaryVacancyOutput,
    SizeSuggestionOutput,
    WeakCandidateOutput,
)


def _parent_ids(orgs: list[Organization]) -> dict[str, int]:
    paths = {tree.parent_path(o.path) for o in orgs if o.depth > 1}
    return dict(Organization.objects.filter(path__in=paths).values_list("path", "id"))


class OrganizationListCreate(generics.GenericAPIView):
    serializer_class = OrganizationOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("parent", int, description="direct children of this organisation"),
            OpenApiParameter("q", str, description="name, Traditional or pinyin initials"),
            OpenApiParameter("org_type", str, enum=OrgType.values),
        ],
        responses=OrganizationOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        qs = selectors.organization_list(request.user).select_related("secretary")
        if request.query_params.get("q"):
            qs = selectors.organization_search(request.user, request.query_params["q"])
        if parent_id := query_id(request, "parent"):
            parent = selectors.organization_get(request.user, parent_id)
            qs = qs.filter(path__startswith=parent.path, depth=parent.depth + 1)
        org_type = query_param(request, "org_type", serializers.ChoiceField(OrgType.choices))
        if org_type:
            qs = qs.filter(org_type=org_type)
        page = self.paginate_queryset(qs.order_by("path"))
        rows = list(page if page is not None else qs)
        data = OrganizationOutput(rows, many=True, context={"parent_ids": _parent_ids(rows)}).data
        return self.get_paginated_response(data)

    @extend_schema(request=OrganizationCreateInput, responses={201: OrganizationOutput})
    def post(self, request: Request) -> Response:
        data = validated(OrganizationCreateInput, request.data)
        parent = selectors.organization_get(request.user, data.pop("parent_id"), Action.CHANGE)
        org = services.organization_found(actor=request.user, parent=parent, **data)
        return Response(
            OrganizationOutput(org, context={"parent_ids": {parent.path: parent.pk}}).data,
            status=status.HTTP_201_CREATED,
        )


class OrganizationDetail(generics.GenericAPIView):
    serializer_class = OrganizationOutput

    def get(self, request: Request, pk: int) -> Response:
        org = selectors.organization_get(request.user, pk)
        return Response(OrganizationOutput(org, context={"parent_ids": _parent_ids([org])}).data)

    @extend_schema(request=OrganizationUpdateInput, responses=OrganizationOutput)
    def patch(self, request: Request, pk: int) -> Response:
        org = selectors.organization_get(request.user, pk, Action.CHANGE)
        data = validated(OrganizationUpdateInput, request.data)
        org = services.organization_update(actor=request.user, org=org, **data)
        return Response(OrganizationOutput(org, context={"parent_ids": _parent_ids([org])}).data)


# ----- Organisation health (S11, S12): the same selectors and services as the pages ------------


class WeakCandidates(generics.GenericAPIView):
    """Organisations of the subtree meeting a computed weak-and-lax criterion, with reasons."""

    serializer_class = WeakCandidateOutput

    @extend_schema(responses=WeakCandidateOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        root = selectors.organization_get(request.user, pk)
        today = clock.today()
        page = self.paginate_queryset(selectors.weak_candidates(request.user, root, today))
        rows = [
            {
                "id": o.pk,
                "code": o.code,
                "name": o.name,
                "org_type": o.org_type,
                "full_members": o.full_members,
                "secretary_vacant_since": o.secretary_vacant_since,
                "reasons": [
                    {"criterion": c, "criterion_label": label, "detail": detail}
                    for c, label, detail in health.candidate_reasons(o, today)
                ],
            }
            for o in page or []
        ]
        return self.get_paginated_response(WeakCandidateOutput(rows, many=True).data)


class SecretaryVacancies(generics.GenericAPIView):
    """Vacant secretary posts in the subtree, longest vacancy first (S11)."""

    serializer_class = SecretaryVacancyOutput

    @extend_schema(responses=SecretaryVacancyOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        root = selectors.organization_get(request.user, pk)
        today = clock.today()
        page = self.paginate_queryset(selectors.secretary_vacancies(request.user, root))
        rows = [
            {
                "id": o.pk,
                "code": o.code,
                "name": o.name,
                "org_type": o.org_type,
                "secretary_vacant_since": o.secretary_vacant_since,
                "days_vacant": (today - o.secretary_vacant_since).days,
                "months_vacant": health.months_between(o.secretary_vacant_since, today),
            }
            for o in page or []
        ]
        return self.get_paginated_response(SecretaryVacancyOutput(rows, many=True).data)


class SizeSuggestions(generics.GenericAPIView):
    """Branch-size rules turned into suggested actions: split, upgrade, join a joint branch."""

    serializer_class = SizeSuggestionOutput

    @extend_schema(responses=SizeSuggestionOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        root = selectors.organization_get(request.user, pk)
        page = self.paginate_queryset(selectors.size_suggestion_rows(request.user, root))
        rows = cast(list[Organization], page or [])
        suggestions = selectors.size_suggestions(request.user, rows)
        return self.get_paginated_response(SizeSuggestionOutput(suggestions, many=True).data)


class RectificationListCreate(generics.GenericAPIView):
    serializer_class = RectificationOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("org", int, description="rectifications in this subtree"),
            OpenApiParameter("group", str, enum=["open", "closed"]),
        ],
        responses=RectificationOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        qs = selectors.rectification_list(request.user).select_related("org")
        if org_id := query_id(request, "org"):
            root = selectors.organization_get(request.user, org_id)
            qs = qs.filter(org__path__startswith=root.path)
        group = query_param(request, "group", serializers.ChoiceField(["open", "closed"]))
        if group:
            qs = qs.open() if group == "open" else qs.exclude(pk__in=qs.open().values("pk"))
        page = self.paginate_queryset(qs.order_by("-designated_on", "-id"))
        return self.get_paginated_response(RectificationOutput(page, many=True).data)

    @extend_schema(request=DesignateInput, responses={201: RectificationOutput})
    def post(self, request: Request) -> Response:
        """Designate an organisation weak and lax (S12)."""
        data = validated(DesignateInput, request.data)
        org = selectors.organization_get(request.user, data.pop("org_id"), Action.CHANGE)
        rect = services.rectification_designate(actor=request.user, org=org, **data)
        return Response(RectificationOutput(rect).data, status=status.HTTP_201_CREATED)


class RectificationDetail(generics.GenericAPIView):
    serializer_class = RectificationDetailOutput

    def get(self, request: Request, pk: int) -> Response:
        rect = selectors.rectification_get(request.user, pk)
        return Response(RectificationDetailOutput(rect).data)


class RectificationStepView(generics.GenericAPIView):
    """One step of a rectification: plan, note, close, revoke, reopen. A step its state does
    not allow is a 400 with the Chinese message."""

    serializer_class = RectificationOutput

    @extend_schema(
        operation_id="rectifications_step",
        request=RectificationStepInput,
        responses=RectificationOutput,
        parameters=[
            OpenApiParameter("step", str, OpenApiParameter.PATH, enum=RectificationStep.values)
        ],
    )
    def post(self, request: Request, pk: int, step: str) -> Response:
        rect = selectors.rectification_get(request.user, pk, Action.CHANGE)
        if step not in RectificationStep.values:
            raise Http404
        d = validated(RectificationStepInput, request.data)
        actor = request.user
        if step == RectificationStep.PLAN:
            rect = services.rectification_plan(
                actor=actor,
                rectification=rect,
                measures=d.get("measures", ""),
                owner=d.get("owner", ""),
                deadline=d.get("deadline"),  # type: ignore[arg-type]
            )
        elif step == RectificationStep.NOTE:
            services.rectification_add_note(
                actor=actor, rectification=rect, text=d.get("text", ""), on=d.get("on")
            )
        elif step == RectificationStep.CLOSE:
            rect = services.rectification_close(
                actor=actor,
                rectification=rect,
                result=d.get("result", ""),
                still_met=d.get("still_met") or {},
                on=d.get("on"),
            )
        elif step == RectificationStep.REVOKE:
            rect = services.rectification_revoke(
                actor=actor, rectification=rect, reason=d.get("reason", "")
            )
        else:
            rect = services.rectification_reopen(
                actor=actor, rectification=rect, reason=d.get("reason", "")
            )
        rect.refresh_from_db()
        return Response(RectificationOutput(rect).data)
