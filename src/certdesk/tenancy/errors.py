"""Refusals of the tenancy services (SCM codes)."""
from certdesk.core.errors import Conflict, DomainError, NotFound


class OrganizationNotFound(NotFound):
    code = -1023


class DuplicateOrganization(Conflict):
    code = -1021
    status = 400


class OrganizationRefused(DomainError):
    code = -1021
