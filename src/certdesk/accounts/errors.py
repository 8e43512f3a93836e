"""Refusals of the accounts services (SCM codes)."""
from certdesk.core.errors import AuthenticationFailed, DomainError, NotFound


class AdminNotFound(NotFound):
    code = -14


class InvalidCredentials(AuthenticationFailed):
    code = -16


class PasswordChangeRequired(DomainError):
    code = -213
    status = 401


class PasswordRejected(DomainError):
    code = -7306


class RoleRefused(DomainError):
    code = -219


class PrivilegeRefused(DomainError):
    code = -220


class DuplicateLogin(DomainError):
    code = -218
