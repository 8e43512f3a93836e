"""Certificate statuses (the words SCM users know, seed 000 and spec §7.1) and the allowed moves.

    REQUESTED ──approve──▶ APPLIED ──issue──▶ ISSUED ──revoke──▶ REVOKED
        │                    │                  ├──replace──▶ REPLACED (revoked as superseded)
        └─decline─▶ DECLINED └─fail─▶ INVALID    └──expire───▶ EXPIRED

A request by an admin with "SSL auto approve" (never for EV) is created APPLIED directly.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_noop

from certdesk.core.i18n import msg

from .errors import AlreadyRevoked, NotRevocable, WrongState


class Status(models.TextChoices):
    REQUESTED = "REQUESTED", "Requested"
    APPLIED = "APPLIED", "Applied"
    ISSUED = "ISSUED", "Issued"
    DECLINED = "DECLINED", "Declined"
    INVALID = "INVALID", "Invalid"
    REVOKED = "REVOKED", "Revoked"
    EXPIRED = "EXPIRED", "Expired"
    REPLACED = "REPLACED", "Replaced"


# from → the statuses it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.REQUESTED: frozenset({Status.APPLIED, Status.DECLINED}),
    Status.APPLIED: frozenset({Status.ISSUED, Status.INVALID}),
    Status.ISSUED: frozenset({Status.REVOKED, Status.EXPIRED, Status.REPLACED}),
    Status.DECLINED: frozenset(),
    Status.INVALID: frozenset(),
    Status.REVOKED: frozenset(),
    Status.EXPIRED: frozenset(),
    Status.REPLACED: frozenset(),
}
INITIAL = frozenset({Status.REQUESTED, Status.APPLIED})

# Statuses whose certificate carries a revocation (CRL entry, OCSP "revoked").
REVOKED_STATUSES = (Status.REVOKED, Status.REPLACED)
# Not yet decided or not yet signed: "being processed".
PENDING_STATUSES = (Status.REQUESTED, Status.APPLIED)
# A signed certificate exists (it may be revoked or expired since).
SIGNED_STATUSES = (Status.ISSUED, Status.REVOKED, Status.EXPIRED, Status.REPLACED)

_VERBS = {
    Status.APPLIED: "approved", Status.DECLINED: "declined", Status.ISSUED: "issued", Status.INVALID: "failed",
    Status.REVOKED: "revoked", Status.EXPIRED: "expired", Status.REPLACED: "replaced",
}
# "The certificate cannot be <verb> while it is <status>.", one sentence per verb for the translators
_CANNOT = {
    Status.APPLIED: gettext_noop("The certificate cannot be approved while it is %(status)s."),
    Status.DECLINED: gettext_noop("The certificate cannot be declined while it is %(status)s."),
    Status.ISSUED: gettext_noop("The certificate cannot be issued while it is %(status)s."),
    Status.INVALID: gettext_noop("The certificate cannot be failed while it is %(status)s."),
    Status.REVOKED: gettext_noop("The certificate cannot be revoked while it is %(status)s."),
    Status.EXPIRED: gettext_noop("The certificate cannot be expired while it is %(status)s."),
    Status.REPLACED: gettext_noop("The certificate cannot be replaced while it is %(status)s."),
}


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check(current: str, target: str) -> None:
    """Raise the SCM refusal for a move the table does not allow."""
    if can_move(current, target):
        return
    if target == Status.REVOKED:
        if current in REVOKED_STATUSES:
            raise AlreadyRevoked("The certificate has already been revoked.")
        raise NotRevocable(msg("Only issued certificates can be revoked; this one is %(status)s.",
                               status=msg(Status(current).label)))
    if target == Status.APPLIED and current in (Status.APPLIED, *SIGNED_STATUSES):
        raise WrongState("This request has already been approved.")
    if target == Status.DECLINED and current == Status.DECLINED:
        raise WrongState("This request has already been declined.")
    status = msg(Status(current).label)  # a label of the catalogue
    if target in _CANNOT:
        raise WrongState(msg(_CANNOT[target], status=status))
    raise WrongState(msg("The certificate cannot be %(verb)s while it is %(status)s.",
                         verb=_VERBS.get(target, target.lower()), status=status))


def move(cert, target: str) -> str:
    """Check the move and set the new status on `cert` (the caller saves); returns the old status."""
    check(cert.status, target)
    old, cert.status = cert.status, target
    return old
