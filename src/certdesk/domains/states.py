"""Domain, delegation and DCV statuses (SCM's words) and the allowed transitions.

Also the DCV reuse schedule of the CA/Browser Forum, kept as data.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import models
from django.utils.translation import gettext_noop

from certdesk.core.i18n import msg

from .errors import DcvOrderRefused, DelegationStateRefused


class DomainState(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    SUSPENDED = "SUSPENDED", "Suspended"


class DelegationStatus(models.TextChoices):
    REQUESTED = "REQUESTED", "Requested"
    ACTIVE = "ACTIVE", "Active"


class DcvMethod(models.TextChoices):
    EMAIL = "EMAIL", "Email"
    CNAME = "CNAME", "DNS CNAME"
    TXT = "TXT", "DNS TXT"
    TXT_PERSIST = "TXT_PERSIST", "DNS TXT (persistent)"
    HTTP = "HTTP", "HTTP file"
    HTTPS = "HTTPS", "HTTPS file"


# Methods whose check the server can run on its own (submit and the worker's re-check).
CHECKED_METHODS = frozenset({DcvMethod.CNAME, DcvMethod.TXT, DcvMethod.TXT_PERSIST, DcvMethod.HTTP, DcvMethod.HTTPS})
# CA/B Forum BR 3.2.2.4.18/19: file-based methods may not validate wildcard domains (since 2021-12).
FILE_METHODS = frozenset({DcvMethod.HTTP, DcvMethod.HTTPS})


class DcvStatus(models.TextChoices):
    NOT_VALIDATED = "NOT_VALIDATED", "Not validated"
    VALIDATED = "VALIDATED", "Validated"
    EXPIRED = "EXPIRED", "Expired"


class OrderStatus(models.TextChoices):
    """The DCV order status SCM shows, plus the two closed states kept for history."""

    NOT_INITIATED = "NOT_INITIATED", "Not initiated"
    AWAITING_SUBMISSION = "AWAITING_SUBMISSION", "Awaiting submission"
    SUBMITTED = "SUBMITTED", "Submitted"
    VALIDATED = "VALIDATED", "Validated"  # closed: the order proved control
    CANCELLED = "CANCELLED", "Cancelled"  # closed: reset, replaced, or the domain was revalidated otherwise


OPEN_ORDER_STATUSES = (OrderStatus.AWAITING_SUBMISSION, OrderStatus.SUBMITTED)


class DisplayStatus(models.TextChoices):
    """The domain list's colours: green VALIDATED, yellow ACTION REQUIRED, red EXPIRED (seed 000)."""

    VALIDATED = "VALIDATED", "Validated"
    ACTION_REQUIRED = "ACTION_REQUIRED", "Action required"
    EXPIRED = "EXPIRED", "Expired"


# order status: where each action may start from
ORDER_TRANSITIONS = {
    "save": {OrderStatus.AWAITING_SUBMISSION},
    "submit": {OrderStatus.AWAITING_SUBMISSION, OrderStatus.SUBMITTED},
    "validate": {OrderStatus.SUBMITTED},
    "cancel": {OrderStatus.AWAITING_SUBMISSION, OrderStatus.SUBMITTED},
}

DELEGATION_TRANSITIONS = {
    "approve": {DelegationStatus.REQUESTED},
    "reject": {DelegationStatus.REQUESTED},
}


def check_order(action: str, current: str) -> None:
    if current not in ORDER_TRANSITIONS[action]:
        template = {
            "save": gettext_noop("The DCV order cannot be saved while its status is %(current)s."),
            "submit": gettext_noop("The DCV order cannot be submitted while its status is %(current)s."),
            "validate": gettext_noop("The DCV order cannot be validated while its status is %(current)s."),
            "cancel": gettext_noop("The DCV order cannot be reset while its status is %(current)s."),
        }[action]
        raise DcvOrderRefused(msg(template, current=current))


def check_delegation(action: str, current: str) -> None:
    if current not in DELEGATION_TRANSITIONS[action]:
        template = {
            "approve": gettext_noop("This delegation cannot be approved: it is already %(current)s."),
            "reject": gettext_noop("This delegation cannot be rejected: it is already %(current)s."),
        }[action]
        raise DelegationStateRefused(msg(template, current=current))


# ---------------------------------------------------------------------------
# DCV reuse period: CA/Browser Forum TLS Baseline Requirements §4.2.1 as amended by
# Ballot SC-081v3 (adopted April 2025): domain validation data may be reused for
# 398 days before 2026-03-15, 200 days from 2026-03-15, 100 days from 2027-03-15 and
# 10 days from 2029-03-15. Each row: (first day in force, days).
DCV_REUSE_SCHEDULE: tuple[tuple[date, int], ...] = (
    (date.min, 398),
    (date(2026, 3, 15), 200),
    (date(2027, 3, 15), 100),
    (date(2029, 3, 15), 10),
)
# SCM lets RAOs revalidate in the last 60 days (seed 000); with shorter reuse periods the
# window is a third of the period instead, so it never covers the whole validity.
REVALIDATION_WINDOW_DAYS = 60
# Expiry warnings (seed 000: "30 jours puis 15 jours avant expiration").
EXPIRY_NOTICE_DAYS = (30, 15)


def reuse_days(on: date | datetime) -> int:
    """The DCV reuse period (days) in force on a date, per DCV_REUSE_SCHEDULE."""
    day = on.date() if isinstance(on, datetime) else on
    days = DCV_REUSE_SCHEDULE[0][1]
    for start, period in DCV_REUSE_SCHEDULE:
        if day >= start:
            days = period
    return days


def revalidation_window(validity_days: int) -> timedelta:
    """How long before expiry a domain turns ACTION REQUIRED (revalidation invited)."""
    if validity_days >= 3 * REVALIDATION_WINDOW_DAYS:
        return timedelta(days=REVALIDATION_WINDOW_DAYS)
    return timedelta(days=max(1, validity_days // 3))


def expiry_notice_days(validity_days: int) -> tuple[int, ...]:
    """The 'expiring in N days' events to send for a validation of that length, largest first."""
    days = tuple(d for d in EXPIRY_NOTICE_DAYS if d < validity_days)
    return days or (max(1, validity_days // 3),)
