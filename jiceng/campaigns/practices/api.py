"""API of "four ones" (S18): the items a user may see, an item recorded by a member or their
branch, and the branch's confirmation."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.campaigns.progress import selectors as progress_selectors
from jiceng.core.api import IdField, validated
from jiceng.core.scoping import Action, scope_of

from . import selectors, services
from .models import FourOnesItem
from .rules import FourOnes


class FourOnesOutput(serializers.ModelSerializer):
    member_id = serializers.IntegerField()
    member_name = serializers.CharField(source="member.name")

    class Meta:
        model = FourOnesItem
        fields = [
            "id",
            "member_id",
            "member_name",
            "kind",
            "description",
            "evidence",
            "done_on",
            "state",
            "reason",
            "confirmed_on",
        ]


class FourOnesInput(serializers.Serializer):
    member_id = IdField()
    kind = serializers.ChoiceField(FourOnes.choices)
    description = serializers.CharField(max_length=300)
    evidence = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    done_on = serializers.DateField()


class CampaignFourOnes(generics.GenericAPIView):
    serializer_class = FourOnesOutput

    @extend_schema(responses=FourOnesOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """Items the user may see: a member their own, an officer their subtree's (S18)."""
        if scope_of(request.user, Action.VIEW).paths:
            campaign = progress_selectors.campaign_get(request.user, pk)
        else:  # a member (self-service): the campaign their branch takes part in
            campaign = selectors.own_campaign(request.user, pk)
        items = selectors.four_ones_items(request.user, campaign)
        return self.get_paginated_response(
            FourOnesOutput(self.paginate_queryset(items), many=True).data
        )

    @extend_schema(request=FourOnesInput, responses={201: FourOnesOutput})
    def post(self, request: Request, pk: int) -> Response:
        """Record an item for oneself (a member) or a member of one's branch."""
        data = validated(FourOnesInput, request.data)
        member = selectors.member_for_four_ones(request.user, data.pop("member_id"))
        campaign = selectors.member_campaign(member)
        if campaign is None or campaign.pk != pk:
            raise Http404
        item = services.four_ones_record(
            actor=request.user, campaign=campaign, member=member, **data
        )
        return Response(FourOnesOutput(item).data, status=status.HTTP_201_CREATED)


class ConfirmInput(serializers.Serializer):
    confirm = serializers.BooleanField(default=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class FourOnesConfirm(generics.GenericAPIView):
    serializer_class = FourOnesOutput

    @extend_schema(request=ConfirmInput, responses=FourOnesOutput)
    def post(self, request: Request, pk: int) -> Response:
        item = selectors.four_ones_get(request.user, pk)
        data = validated(ConfirmInput, request.data)
        item = services.four_ones_confirm(actor=request.user, item=item, **data)
        return Response(FourOnesOutput(item).data)
