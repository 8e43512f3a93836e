"""Refusals of the certificate services, with SCM's codes (spec §5).

Where SCM publishes no code for a rule (CAA, weak keys beyond size), the number is chosen
next to its relatives and kept stable here: adapters and scripts rely on them.
"""
from certdesk.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied


class CertificateError(DomainError):
    """A certificate rule refuses the action (generic)."""

    code = -1


class CertificateNotFound(NotFound):
    """Unknown certificate id, or one outside the actor's scope (SCM -124 "wrong SSL id")."""

    code = -124


class CsrNotBase64(CertificateError):
    code = -9


class CsrUndecodable(CertificateError):
    code = -10


class CsrInvalid(CertificateError):
    """The CSR parses but is not acceptable (its signature does not verify)."""

    code = -138


class KeyAlgorithmRefused(CertificateError):
    code = -11


class KeySizeRefused(CertificateError):
    code = -13


class WeakKey(CertificateError):
    """Debian weak key, ROCA, Fermat-factorable, small factors, known compromised (BR §6.1.1.3)."""

    code = -141


class ProfileNotFound(CertificateError):
    """Unknown, inactive or other-kind profile (SCM -39 "invalid certificate type")."""

    code = -39


class TermNotAllowed(CertificateError):
    code = -36


class NamesRefused(InvalidInput):
    """A name breaks a profile rule (wildcard, count, syntax)."""


class NameNotAuthorized(CertificateError):
    """Not delegated to this organization/department, or no valid DCV (SCM -107/-737)."""

    code = -737


class CaaForbidden(CertificateError):
    """CAA (RFC 8659) does not authorize this CA. SCM has no published code: -1137 sits with the
    other "domain not usable for issuance" codes (-107 -737 -1137)."""

    code = -1137


class OrganizationNotValidated(CertificateError):
    """The organization's validation status forbids the profile (SCM -843)."""

    code = -843


class EvAnchorMissing(CertificateError):
    code = -843


class WrongState(CertificateError):
    """The certificate is not in a state that allows the action (SCM -1113)."""

    code = -1113


class AlreadyRevoked(CertificateError):
    code = -159


class NotRevocable(CertificateError):
    """Only issued certificates can be revoked (SCM -102)."""

    code = -102


class InvalidReason(InvalidInput):
    pass


class SecondApprovalRequired(PermissionDenied):
    """EV certificates and anchors: the approver can never be the requester (seed 003 §7.2.2)."""


class NotCollectable(CertificateError):
    """Not yet issued. SCM answers code 0 with exactly this text, and clients match it verbatim
    (`e.Code == 0 && e.Description == "Being processed by Sectigo"`), so it is kept as is."""

    code = 0

    def __init__(self, message: str = "Being processed by Sectigo", **kwargs):
        super().__init__(message, **kwargs)


class CertificateRevoked(CertificateError):
    """Collecting a revoked certificate (SCM -192, as the python client names it)."""

    code = -192


class UnknownFormat(CertificateError):
    code = -1450
