"""Likely-duplicate API: groups, merge, undo, "not the same person"; thin views over the
same selectors and services as the pages."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import MAX_INT, IdField, query_id, query_param, validated
from jiceng.core.scoping import Action
from jiceng.members.selectors import above_district
from jiceng.orgs import selectors as org_selectors

from . import selectors, services
from .models import MemberMerge


class GroupMember(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    home_org_id = serializers.IntegerField()
    id_number_masked = serializers.CharField()


class GroupOutput(serializers.Serializer):
    name = serializers.CharField()
    birth_date = serializers.DateField()
    members = GroupMember(many=True)
    differing = serializers.ListField(child=serializers.CharField())


class GroupPage(serializers.Serializer):
    count = serializers.IntegerField()
    results = GroupOutput(many=True)


class MergeInput(serializers.Serializer):
    keep_id = IdField()
    drop_id = IdField()
    choices = serializers.DictField(
        child=serializers.ChoiceField(["keep", "drop"]), required=False, default=dict
    )


class PairInput(serializers.Serializer):
    a_id = IdField()
    b_id = IdField()


class MergeOutput(serializers.ModelSerializer):
    class Meta:
        model = MemberMerge
        fields = ["id", "kept_id", "dropped_id", "dropped_name", "merged_at", "undone_at"]


class GroupList(generics.GenericAPIView):
    """Groups of likely duplicates, a page of ``GROUPS_PER_PAGE`` groups at a time."""

    serializer_class = GroupPage
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("org", int),
            OpenApiParameter(
                "page", {"type": "integer", "minimum": 1, "maximum": MAX_INT}, description="from 1"
            ),
        ],
        responses=GroupPage,
    )
    def get(self, request: Request) -> Response:
        root = org_selectors.subtree_root(request.user, query_id(request, "org"))
        if above_district(root):
            raise serializers.ValidationError(
                {"org": _("疑似重复按区县查找：请指定区县或更下级的单位")}
            )
        keys = selectors.key_list(request.user, root)
        number = query_param(
            request, "page", serializers.IntegerField(min_value=1, max_value=MAX_INT)
        )
        page = Paginator(keys, selectors.GROUPS_PER_PAGE).get_page(number)
        groups = selectors.groups(request.user, root, list(page.object_list))
        return Response(
            {"count": page.paginator.count, "results": GroupOutput(groups, many=True).data}
        )


class Merge(generics.GenericAPIView):
    serializer_class = MergeOutput

    @extend_schema(request=MergeInput, responses={201: MergeOutput})
    def post(self, request: Request) -> Response:
        data = validated(MergeInput, request.data)
        keep, drop = selectors.pair(request.user, data["keep_id"], data["drop_id"])
        merge = services.member_merge(
            actor=request.user, keep=keep, drop=drop, choices=data["choices"]
        )
        return Response(MergeOutput(merge).data, status=status.HTTP_201_CREATED)


class MergeUndo(generics.GenericAPIView):
    serializer_class = MergeOutput

    @extend_schema(request=None, responses=MergeOutput)
    def post(self, request: Request, pk: int) -> Response:
        merge = selectors.merge_get(request.user, pk, Action.CHANGE)
        services.member_merge_undo(actor=request.user, merge=merge)
        merge.refresh_from_db()
        return Response(MergeOutput(merge).data)


class Dismiss(generics.GenericAPIView):
    serializer_class = PairInput

    @extend_schema(request=PairInput, responses={201: None})
    def post(self, request: Request) -> Response:
        data = validated(PairInput, request.data)
        a, b = selectors.pair(request.user, data["a_id"], data["b_id"])
        services.duplicate_dismiss(actor=request.user, a=a, b=b)
        return Response(status=status.HTTP_201_CREATED)
