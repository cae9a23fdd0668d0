from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from ..second_factor import services as second_factor


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class ApiToken(GenericAPIView):
    """Issue (POST, replacing the old one) or revoke (DELETE) the caller's API token.

    Only a browser session verified by the second factor may issue one (issue 14): there is no
    exchange of a password for a token, so a stolen password alone never yields API access.
    """

    authentication_classes = (SessionAuthentication,)
    serializer_class = TokenOut

    @extend_schema(request=None, responses={201: TokenOut})
    def post(self, request: Request) -> Response:
        token = second_factor.api_token_issue(actor=request.user)  # type: ignore[arg-type]
        return Response({"token": token.key}, status=201)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        second_factor.api_token_revoke(actor=request.user)  # type: ignore[arg-type]
        return Response(status=204)


class AssignmentOut(serializers.Serializer):
    role = serializers.CharField()
    organization_id = serializers.IntegerField()
    organization_name = serializers.CharField()
    outreach = serializers.BooleanField(help_text="可查看帮扶对象的类别和健康状况")


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
                        "outreach": a.outreach,
                    }
                    for a in user.active_assignments()  # type: ignore[union-attr]
                ],
            }
        )
