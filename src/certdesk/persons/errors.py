"""Refusals of the person services, with SCM's codes (spec §5): -105 person not found, -7 required
field, -1601 invalid field value. SCM publishes no code for a duplicate person: certdesk answers
-1601 naming the field; an email outside the delegated domains answers -704, the domain rule
"not delegated" (domains.errors.NotDelegated)."""
from certdesk.core.errors import InvalidInput, NotFound


class PersonNotFound(NotFound):
    code = -105


class PersonInvalid(InvalidInput):
    """A field breaks a rule (length, syntax, list size)."""


class DuplicatePerson(InvalidInput):
    """Another person of the customer has this email (or EPPN)."""


class EmailDomainNotDelegated(InvalidInput):
    """The email's domain is not delegated to the person's organization/department for client certificates."""

    code = -704
