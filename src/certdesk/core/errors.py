"""DomainError: the one way services refuse. Adapters translate it to their dialect."""
from __future__ import annotations


class DomainError(Exception):
    """A refusal users see: an SCM-style negative code, a description, an HTTP status.

    `field` names the input at fault when there is one (forms show the message next to it).
    """

    code: int = -1
    status: int = 400

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message  # as given: a core.i18n.Message keeps its template for the portal's translation
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.field = field

    def __str__(self) -> str:
        return self.message


class InvalidInput(DomainError):
    """A field value breaks a rule (SCM -1601 'invalid field value')."""

    code = -1601


class RequiredField(DomainError):
    code = -7


class NotFound(DomainError):
    """Missing, or out of the actor's scope: both answer the same (no id guessing)."""

    code = -14
    status = 404


class PermissionDenied(DomainError):
    """The actor may not do this (SCM -3 'not authorized')."""

    code = -3
    status = 403


class Conflict(DomainError):
    code = -1021
    status = 409


class AuthenticationFailed(DomainError):
    code = -16
    status = 401
