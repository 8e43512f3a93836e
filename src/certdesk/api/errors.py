"""Every refusal of the REST API as SCM's `{"code": <int>, "description": "<text>"}` (spec §5)."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from certdesk.core.errors import DomainError

# SCM codes used by the adapter itself (services carry their own).
UNKNOWN_USER = -16
INVALID_FIELD = -1601
REQUIRED_FIELD = -7
NOT_FOUND = -14
NOT_AUTHORIZED = -3
INTERNAL = -1
# No SCM code is known for a rate limit: certdesk answers -429 (HTTP 429 with Retry-After; issue 6).
TOO_MANY_REQUESTS = -429


class ScmErrorSerializer(serializers.Serializer):
    """Documentation of the error body every refusal has (spec §5)."""

    code = serializers.IntegerField(help_text="SCM error code (negative), e.g. -16 unknown user, -3 not "
                                              "authorized, -14 not found, -1601 invalid field, -7 required field, "
                                              "-429 too many requests")
    description = serializers.CharField(help_text="What went wrong, in words")


def scm_response(code: int, description: str, status_code: int, headers: dict | None = None) -> Response:
    return Response({"code": code, "description": description}, status=status_code, headers=headers)


def _flatten(detail: Any, prefix: str = "") -> list[tuple[str, str, str]]:
    """DRF validation details as (field path, message, DRF code)."""
    out: list[tuple[str, str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            out.extend(_flatten(value, path))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                out.extend(_flatten(value, f"{prefix}[{index}]"))
            else:
                out.extend(_flatten(value, prefix))
    else:
        out.append((prefix, str(detail), getattr(detail, "code", "invalid")))
    return out


def _validation_response(exc: exceptions.ValidationError) -> Response:
    problems = _flatten(exc.detail)
    if not problems:
        return scm_response(INVALID_FIELD, "Invalid request.", 400)
    field, message, code = problems[0]
    code_value = REQUIRED_FIELD if code in {"required", "null", "blank"} else INVALID_FIELD
    text = f"{field}: {message}" if field else message
    if len(problems) > 1:
        text += " " + " ".join(f"{f}: {m}" if f else m for f, m, _ in problems[1:5])
    return scm_response(code_value, text, 400)


def scm_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF exception handler (settings.REST_FRAMEWORK['EXCEPTION_HANDLER'])."""
    from rest_framework.views import set_rollback  # late: DRF settings import this package early

    set_rollback()
    if isinstance(exc, DomainError):
        return scm_response(exc.code, exc.message, exc.status)
    if isinstance(exc, (Http404, exceptions.NotFound)):
        return scm_response(NOT_FOUND, "Not found.", 404)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        headers = {"WWW-Authenticate": exc.auth_header} if getattr(exc, "auth_header", None) else None
        if isinstance(exc, exceptions.NotAuthenticated):
            text = "Unknown user: send the login, password and customerUri headers."
        else:
            text = str(exc.detail) or "Unknown user"
        return scm_response(getattr(exc, "scm_code", UNKNOWN_USER), text, 401, headers)
    if isinstance(exc, (exceptions.PermissionDenied, DjangoPermissionDenied)):
        return scm_response(NOT_AUTHORIZED, "You are not authorized to do this.", 403)
    if isinstance(exc, exceptions.ParseError):
        text = str(exc.detail)
        if not text.startswith("Malformed JSON"):
            text = f"Malformed JSON: {text}"
        return scm_response(INVALID_FIELD, text, 400)
    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(exc)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return scm_response(INVALID_FIELD, f"Method {context['request'].method} is not allowed here.", 405,
                            {"Allow": ", ".join(context["view"].allowed_methods)})
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, int(-(-(exc.wait or 1) // 1)))
        text = getattr(exc, "description", None) or f"Too many requests. Retry in {wait} seconds."
        return scm_response(TOO_MANY_REQUESTS, text, 429, {"Retry-After": str(wait)})
    if isinstance(exc, RequestDataTooBig):
        return scm_response(INVALID_FIELD, "The request body is too large.", 413)
    if isinstance(exc, SuspiciousOperation):
        return scm_response(INVALID_FIELD, "Bad request.", 400)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        return scm_response(INTERNAL if exc.status_code >= 500 else INVALID_FIELD, str(exc.detail),
                            exc.status_code, headers or None)
    # Anything else is a bug to fix, not to catch (STYLE "Errors"): let Django log it as a 500.
    return None
