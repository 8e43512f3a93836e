"""`/api/admin/v1/tokens`: the caller's own API tokens (`Authorization: Bearer <token>`), a certdesk
extension to the SCM API (issue 6). A token is shown once, when created, and stored hashed;
creating one needs the password (or the client certificate), never another token."""
from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from certdesk.accounts import access
from certdesk.accounts.models import ApiToken

from .base import ScmView, TextField, api_url, compact, iso
from .organizations import LOCATION

TAG = "admin"


class TokenInputSerializer(serializers.Serializer):
    name = TextField(help_text="What the token is for (1 to 64 characters)")
    days = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=access.MAX_TOKEN_DAYS,
                                    help_text="Days until it expires (default: never)")


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The first characters of the token")
    status = serializers.ChoiceField(choices=["ACTIVE", "EXPIRED", "REVOKED"])
    created = serializers.DateTimeField()
    expires = serializers.DateTimeField(required=False)
    lastUsed = serializers.DateTimeField(required=False)
    revoked = serializers.DateTimeField(required=False)


class NewTokenSerializer(TokenSerializer):
    token = serializers.CharField(help_text="The token, shown this once: send it as Authorization: Bearer <token>")


def token_status(token: ApiToken) -> str:
    from django.utils import timezone

    if token.revoked is not None:
        return "REVOKED"
    if token.expires is not None and token.expires <= timezone.now():
        return "EXPIRED"
    return "ACTIVE"


def token_item(token: ApiToken) -> dict[str, Any]:
    return compact({
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "status": token_status(token),
        "created": iso(token.created),
        "expires": iso(token.expires),
        "lastUsed": iso(token.last_used),
        "revoked": iso(token.revoked),
    })


class TokenListView(ScmView):
    token_auth_refused = ("POST",)  # a token cannot mint tokens

    @extend_schema(tags=[TAG], summary="The caller's API tokens (never the tokens themselves)",
                   responses={200: TokenSerializer(many=True)})
    def get(self, request):
        return Response([token_item(t) for t in access.own_tokens(self.actor(request))])

    @extend_schema(tags=[TAG], summary="Create an API token for the caller (shown once in the answer)",
                   request=TokenInputSerializer, parameters=[LOCATION],
                   responses={201: OpenApiResponse(NewTokenSerializer, description="Created; keep the token now")})
    def post(self, request):
        actor = self.actor(request)
        data = self.parse(TokenInputSerializer, self.body(request, strict=False))
        token, raw = access.create_api_token(actor, name=data.get("name"), days=data.get("days"))
        return Response({**token_item(token), "token": raw}, status=status.HTTP_201_CREATED,
                        headers={"Location": api_url(request, f"admin/v1/tokens/{token.pk}"),
                                 "Cache-Control": "no-store"})


class TokenDetailView(ScmView):
    @extend_schema(tags=[TAG], summary="One of the caller's API tokens", responses={200: TokenSerializer})
    def get(self, request, token_id: int):
        return Response(token_item(access.get_own_token(self.actor(request), token_id)))

    @extend_schema(tags=[TAG], summary="Revoke one of the caller's API tokens",
                   responses={204: OpenApiResponse(description="Revoked: empty body")})
    def delete(self, request, token_id: int):
        actor = self.actor(request)
        access.revoke_api_token(actor, access.get_own_token(actor, token_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScmAuthenticationScheme(OpenApiAuthenticationExtension):
    """OpenAPI security of the API: the three SCM headers, or an API token. Supersedes the
    header-only extension of schema.py (higher priority, same target)."""

    target_class = "certdesk.api.authentication.ScmHeaderAuthentication"
    priority = 1
    name = ["login", "password", "customerUri", "apiToken"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "login", "description": "Admin login"},
            {"type": "apiKey", "in": "header", "name": "password",
             "description": "Admin password. On /private/api, a TLS client certificate (verified by the reverse "
                            "proxy, matching the admin's certificateSerialNumber) replaces it"},
            {"type": "apiKey", "in": "header", "name": "customerUri",
             "description": "Customer URI (tenant), e.g. renater"},
            {"type": "http", "scheme": "bearer",
             "description": "Per-admin API token (POST /api/admin/v1/tokens or the portal's Settings → API tokens)"},
        ]

    def get_security_requirement(self, auto_schema):
        # Either all three headers together, or a token.
        return [{"login": [], "password": [], "customerUri": []}, {"apiToken": []}]
