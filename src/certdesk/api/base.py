"""What every SCM resource view shares: lenient JSON parsing, body shapes, ids, Location, dates.

Views here only parse, call one service and render (ARCHITECTURE "Three adapters, one core").
"""
from __future__ import annotations

import codecs
import json
from datetime import date, datetime, timezone
from typing import Any

from django.conf import settings
from django.urls import re_path
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.views import APIView

from certdesk.core.actor import Actor
from certdesk.core.errors import InvalidInput

from .errors import ScmErrorSerializer

# Database ids are signed 64-bit: longer digit strings cannot name anything (and would
# overflow SQLite), so URL patterns stop at 18 digits and answer 404 beyond.
ID = r"[0-9]{1,18}"
MAX_ID = 2**63 - 1


def scm_path(pattern: str, view, name: str | None = None):
    """A route whose trailing slash is optional (SCM docs use both forms, spec §1)."""
    return re_path(rf"^{pattern}(?:/)?$", view, name=name)


class ScmJSONParser(JSONParser):
    """JSON with errors every client can read; never a 500 for deep nesting or bad bytes."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError):
            raise ParseError("Malformed JSON: the body is not valid UTF-8 text.") from None
        if not text.strip():
            return {}
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:
            raise ParseError(f"Malformed JSON: {exc}.") from None
        except RecursionError:
            raise ParseError("Malformed JSON: nested too deeply.") from None


class AnyContentJSONParser(ScmJSONParser):
    """SCM clients and shell scripts (curl -d) do not always send `application/json`: read JSON anyway."""

    media_type = "*/*"


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


# Refusals any authenticated SCM operation may answer, documented once for all (spec §5).
ERROR_RESPONSES = {
    "400": "Bad request: malformed JSON, a missing or invalid field, or a business rule (SCM code and "
           "description say which)",
    "401": "Unknown user (-16), a password that must be changed first (-213), or an address outside the "
           "IP access control list (-3)",
    "403": "Not authorized (-3 and others): out of the caller's roles or privileges, or the Web API of the "
           "organization is not enabled",
    "404": "Not found, or outside the caller's organizations and departments (the same answer)",
    "429": "Too many requests for this account or address (-429): wait Retry-After seconds",
}
WRITE_ERROR_RESPONSES = {"413": "The request body is too large"}


class ScmAutoSchema(AutoSchema):
    """drf-spectacular schema of SCM views: every operation also documents the SCM error answers."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(ERROR_RESPONSES)
        if self.method in ("POST", "PUT", "PATCH"):
            errors.update(WRITE_ERROR_RESPONSES)
        for code, description in errors.items():
            if code not in responses:
                response = self._get_response_for_code(ScmErrorSerializer, code, direction=direction)
                response["description"] = description
                responses[code] = response
        responses["429"].setdefault("headers", {})["Retry-After"] = {
            "schema": {"type": "integer"}, "description": "Seconds to wait before trying again"}
        responses["401"].setdefault("headers", {})["WWW-Authenticate"] = {
            "schema": {"type": "string"}, "description": "The authentication schemes accepted"}
        return responses


# Base of every SCM REST view (a comment, not a docstring: docstrings become OpenAPI descriptions).
class ScmView(APIView):
    parser_classes = [ScmJSONParser, AnyContentJSONParser]
    schema = ScmAutoSchema()
    # Views that must answer an admin whose password has to change (only changepassword).
    allowed_while_password_expired = False
    # "SSL" or "SMIME" on views that handle certificates of that type: admins none of whose
    # organizations has its Web API enabled for the type are refused (permissions.IsAdminActor);
    # the view also calls accounts.policy.require_api_enabled on the object's organization.
    api_cert_type: str | None = None
    # Views that change how the admin gets in (password, API tokens): refused to API tokens
    # (True, or a tuple of the HTTP methods concerned).
    token_auth_refused: bool | tuple[str, ...] = False

    @staticmethod
    def actor(request: Request) -> Actor:
        return request.auth

    @staticmethod
    def body(request: Request, *, strict: bool) -> dict[str, Any]:
        """The JSON object sent. Actions take no body, `{}` or `""` alike (spec §3): non-objects
        count as empty; creates and updates (`strict`) need an object."""
        data = request.data
        if isinstance(data, dict):
            return data
        if strict:
            raise InvalidInput("The request body must be a JSON object.")
        return {}

    @staticmethod
    def parse(serializer_class, data: dict, *, partial: bool = False) -> dict[str, Any]:
        """Check the shape of a body with a serializer; unknown keys are ignored (spec §3)."""
        serializer = serializer_class(data=data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


def api_url(request: Request, rest: str) -> str:
    """Absolute URL of `rest` under the API root the request came through (/api or /private/api).

    Built on CERTDESK_BASE_URL, the base of every URL certdesk hands out (certdesk-decisions
    "Set-up and operation"), not on the Host header a reverse proxy may rewrite.
    """
    path = request.path_info
    marker = path.find("/api/")
    root = path[: marker + len("/api/")] if marker >= 0 else "/api/"
    return settings.BASE_URL + root + rest.lstrip("/")


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    return value.isoformat()


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop unset values (None, empty text): SCM omits them (spec §7.1 'Unset values are omitted')."""
    return {k: v for k, v in data.items() if v is not None and v != ""}


def query_text(request: Request, name: str, *, max_length: int = 256) -> str:
    """A query-string filter as text ("" when absent); refused when no database could store it."""
    value = request.query_params.get(name, "").strip()
    if len(value) > max_length or any(ord(ch) < 32 for ch in value):
        raise InvalidInput(f"{name} is not a valid filter value.", field=name)
    return value


def parse_int(value: Any, *, name: str, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """A query-string or body integer, refused with a readable 400 when it is not one."""
    if isinstance(value, bool):
        raise InvalidInput(f"{name} must be an integer.", field=name)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be an integer.", field=name) from None
    if number < minimum or number > maximum:
        raise InvalidInput(f"{name} must be between {minimum} and {maximum}.", field=name)
    return number


# ---------------------------------------------------------------------------
# Serializer fields with SCM's tolerance: strings must be strings (no silent coercion of
# objects), numbers are accepted where clients are known to send them.


@extend_schema_field({"oneOf": [{"type": "array", "items": {"type": "string", "format": "email"}},
                               {"type": "string"}]})
class EmailListField(serializers.Field):
    """A list of addresses, or one string of addresses separated by commas or semicolons."""

    default_error_messages = {"invalid": "must be a list of email addresses or a comma-separated string."}

    def to_internal_value(self, data):
        if data is None or isinstance(data, str):
            return data
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class TextField(serializers.CharField):
    default_error_messages = {"invalid": "must be text."}

    def __init__(self, *, numbers: bool = False, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("trim_whitespace", False)
        self.numbers = numbers
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float) if self.numbers else str):
            self.fail("invalid")
        return super().to_internal_value(data)


class FlagField(serializers.BooleanField):
    """true/false only (also "true"/"false" as text, as some clients send)."""

    default_error_messages = {"invalid": "must be true or false."}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data.strip().lower() in {"true", "false"}:
            return data.strip().lower() == "true"
        self.fail("invalid")


class IdField(serializers.IntegerField):
    default_error_messages = {"invalid": "must be an integer id."}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(data)


def text_list(**kwargs) -> serializers.ListField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_null", True)
    return serializers.ListField(child=TextField(allow_null=False), **kwargs)


def reject_nul(value: Any, *, field: str, depth: int = 0) -> Any:
    """Free-form JSON kept as is must still be storable (PostgreSQL refuses NUL in text and jsonb)."""
    if depth > 20:
        raise InvalidInput(f"{field} is nested too deeply.", field=field)
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput(f"{field} contains a NUL character.", field=field)
    elif isinstance(value, dict):
        for key, item in value.items():
            reject_nul(key, field=field, depth=depth + 1)
            reject_nul(item, field=field, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            reject_nul(item, field=field, depth=depth + 1)
    return value
