"""Refusals of the self-enrollment services. SCM publishes no codes for web forms: these are kept
stable next to the generic ones (-1601 invalid field value, -14 not found)."""
from certdesk.core.errors import DomainError, InvalidInput, NotFound


class WebFormAccountNotFound(NotFound):
    code = -14


class WebFormInvalid(InvalidInput):
    """An account field breaks a rule (name, profiles, access code)."""


class AccessRefused(DomainError):
    """Unknown form, disabled form, wrong access code or too many attempts: one message for all
    (no oracle telling which forms exist)."""

    code = -16
    status = 403


class ProfileNotOffered(InvalidInput):
    """The request names a profile the form does not offer."""
