"""Refusals of the domain services, with SCM's codes (spec §5: -700…-741 domain rules,
-1601 invalid field value, -1608 DCV method disabled, -107/-737 DCV missing or expired).

SCM does not publish every code of the -7xx range; where the spec is silent the number
is chosen inside that range and kept stable here.
"""
from certdesk.core.errors import DomainError, InvalidInput, NotFound


class DomainRefused(DomainError):
    """A domain rule refuses the action (generic)."""

    code = -702


class DomainExists(DomainRefused):
    code = -700


class DomainNotFound(NotFound):
    code = -701


class InvalidDomainName(InvalidInput):
    """The name breaks a syntax rule (IDNA, wildcard position, public suffix, IP address)."""

    code = -732


class DelegationExists(DomainRefused):
    code = -703


class DelegationNotFound(NotFound):
    code = -705


class DelegationStateRefused(DomainRefused):
    """The delegation is not in the state the action needs (approving an ACTIVE one…)."""

    code = -706


class NotDelegated(DomainRefused):
    """A name is not delegated to the organization/department for that certificate type."""

    code = -704


class CertificatesExist(DomainRefused):
    """The domain still covers live certificates (requested, being issued or issued)."""
    code = -740


class DomainInactive(DomainRefused):
    code = -715


class DcvOrderRefused(DomainRefused):
    """The DCV order is not in a state that allows the action (submit with nothing started…)."""

    code = -720


class DcvMethodRefused(DomainRefused):
    """The method cannot be used for this domain (HTTP/HTTPS on a wildcard domain)."""

    code = -721


class DcvMissing(DomainRefused):
    """No valid DCV covers the name (never validated, or expired)."""

    code = -737


class DcvMethodDisabled(DomainRefused):
    code = -1608
