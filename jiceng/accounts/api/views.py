from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response


class ObtainToken(ObtainAuthToken):
    """Exchange username and password for an API token (django-axes counts failures)."""

    permission_classes = (AllowAny,)


class AssignmentOut(serializers.Serializer):
    role = serializers.CharField()
    organization_id = serializers.IntegerField()
    organization_name = serializers.CharField()


class MeOut(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    assignments = AssignmentOut(many=True)


class Me(GenericAPIView):
    serializer_class = MeOut

    @extend_schema(responses=MeOut)
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            {
                "username": user.username,
                "display_name": getattr(user, "display_name", ""),
                "assignments": [
                    {
                        "role": a.role,
                        "organization_id": a.organization_id,
                        "organization_name": a.organization.name,
                    }
                    for a in user.active_assignments()  # type: ignore[union-attr]
                ],
            }
        )
