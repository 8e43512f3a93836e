"""Refusals of the certificate authority: unreadable keys, unknown CAs, signer problems."""
from certdesk.core.errors import Conflict, DomainError, InvalidInput, NotFound


class CAError(DomainError):
    """A CA operation could not be carried out."""


class CAKeyUnreadable(CAError):
    """The encrypted key file is missing, corrupt or the passphrase is wrong: an operator fault."""

    status = 500


class SignerUnavailable(CAError):
    """The CA names a signer backend this installation does not provide."""

    status = 500


class AuthorityNotFound(NotFound):
    """No certificate authority with this slug."""


class HierarchyConflict(Conflict):
    """Another `certdesk init` created the same authorities at the same moment."""


class InvalidAuthorityName(InvalidInput):
    """CERTDESK_CA_NAME cannot go into a certificate subject."""
