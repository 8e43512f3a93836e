"""Email DCV, the recipient's side: the public page its link leads to (no login).

`email_link(token)` says what the page shows (a GET never changes anything, so mail scanners
that follow links validate nothing); `confirm_email_dcv(token, code)` is the page's POST: the
right code validates every order still attached to the email and uses the link up; a wrong
code counts, and the MAX_ATTEMPTS-th refuses the link and cancels its orders (the admin starts
again). Expired, used, refused and reset links validate nothing and say why.

What is recorded is done by a system actor labelled `email:<address>` (the recipient has no
account), from the client's address.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from certdesk.core import audit
from certdesk.core.actor import Actor, Interface
from certdesk.core.i18n import msg

from .. import queries
from ..dcv import email as email_dcv
from ..models import DcvEmailChallenge, DcvOrder, Domain
from ..states import DcvMethod, OrderStatus
from .validation import _close, _validate


class LinkState:
    UNKNOWN = "unknown"  # no such link (mistyped, or its domain was deleted with its history)
    OPEN = "open"  # waiting for the code
    VALIDATED = "validated"  # the answer to the right code
    USED = "used"  # the link was used already
    EXPIRED = "expired"
    REFUSED = "refused"  # too many wrong codes
    CANCELLED = "cancelled"  # every order of the email was reset, replaced or deleted


@dataclass(frozen=True)
class EmailLink:
    """What the public page shows."""

    state: str
    email: str = ""
    customer: str = ""
    domains: tuple[str, ...] = ()  # U-labels: waiting (OPEN), validated (VALIDATED, USED)
    not_validated: tuple[tuple[str, str], ...] = ()  # (U-label, reason) for VALIDATED
    expires: datetime | None = None
    used_at: datetime | None = None
    attempts_left: int = 0
    wrong_code: bool = False


def _find(token: str) -> DcvEmailChallenge | None:
    if not email_dcv.well_formed_token(token):
        return None
    return (DcvEmailChallenge.objects.select_related("customer")
            .filter(token_hash=email_dcv.token_hash(token)).first())


def _waiting(challenge: DcvEmailChallenge):
    return DcvOrder.objects.filter(email_challenge=challenge, status=OrderStatus.SUBMITTED, method=DcvMethod.EMAIL)


def _names(domains) -> tuple[str, ...]:
    return tuple(d.unicode_name for d in domains)


def _closed_link(challenge: DcvEmailChallenge, waiting: list[DcvOrder], now: datetime) -> EmailLink | None:
    """The page of a link that can no longer validate anything, or None while it can."""
    common = dict(email=challenge.email, customer=challenge.customer.name, expires=challenge.expires)
    if challenge.used_at is not None:
        done = Domain.objects.filter(dcv_orders__email_challenge=challenge,
                                     dcv_orders__status=OrderStatus.VALIDATED).order_by("name").distinct()
        return EmailLink(LinkState.USED, used_at=challenge.used_at, domains=_names(done), **common)
    if challenge.refused_at is not None:
        return EmailLink(LinkState.REFUSED, **common)
    if challenge.expires <= now:
        return EmailLink(LinkState.EXPIRED, **common)
    if not waiting:
        return EmailLink(LinkState.CANCELLED, **common)
    return None


def email_link(token: str, *, now: datetime | None = None) -> EmailLink:
    """What the page shows for a GET: reads only."""
    challenge = _find(token)
    if challenge is None:
        return EmailLink(LinkState.UNKNOWN)
    now = now or timezone.now()
    waiting = list(_waiting(challenge).select_related("domain").order_by("domain__name"))
    closed = _closed_link(challenge, waiting, now)
    if closed is not None:
        return closed
    return EmailLink(LinkState.OPEN, email=challenge.email, customer=challenge.customer.name,
                     domains=_names(o.domain for o in waiting), expires=challenge.expires,
                     attempts_left=email_dcv.MAX_ATTEMPTS - challenge.attempts)


def recipient_actor(challenge: DcvEmailChallenge, ip: str | None) -> Actor:
    return Actor(customer=challenge.customer, admin=None, interface=Interface.PORTAL, ip=ip,
                 label_override=f"email:{challenge.email}")


def _not_validatable(domain: Domain) -> str:
    if not domain.is_active:
        return msg("the domain is suspended")
    if DcvMethod.EMAIL.value not in queries.enabled_methods(domain.customer):
        return msg("email validation is disabled for this customer")
    return ""


def confirm_email_dcv(token: str, code: str, *, ip: str | None = None, now: datetime | None = None) -> EmailLink:
    """The page's POST: validate with the code, or count a wrong code. Returns what to show next."""
    challenge = _find(token)
    if challenge is None:
        return EmailLink(LinkState.UNKNOWN)
    domain_ids = sorted(set(_waiting(challenge).values_list("domain_id", flat=True)))
    with transaction.atomic():
        # The lock order of every DCV verb: the domains (by id), then their orders.
        domains = {d.pk: d for d in Domain.objects.select_for_update(of=("self",)).select_related("customer")
                   .filter(pk__in=domain_ids).order_by("pk")}
        challenge = DcvEmailChallenge.objects.select_for_update().select_related("customer").get(pk=challenge.pk)
        waiting = list(_waiting(challenge).select_for_update().filter(domain_id__in=list(domains))
                       .order_by("domain_id"))
        for order in waiting:
            order.domain = domains[order.domain_id]
        now = now or timezone.now()
        closed = _closed_link(challenge, waiting, now)
        if closed is not None:
            return closed
        actor = recipient_actor(challenge, ip)
        if not email_dcv.code_matches(challenge.token_hash, challenge.code_hash, code):
            return _wrong_code(actor, challenge, waiting, now)
        # Single use, even where the database has no row locks (SQLite): only one request wins.
        if not DcvEmailChallenge.objects.filter(pk=challenge.pk, used_at__isnull=True, refused_at__isnull=True
                                                ).update(used_at=now, used_ip=(ip or "")[:64]):
            challenge.refresh_from_db()
            return _closed_link(challenge, waiting, now) or EmailLink(LinkState.USED, email=challenge.email)
        done, skipped = [], []
        evidence = f"{challenge.email} followed the link of the validation email and entered its code"
        for order in waiting:
            reason = _not_validatable(order.domain)
            if reason:
                order.set_last_error(msg("Not validated by the email confirmation: %(reason)s.", reason=reason))
                order.save(update_fields=["last_error", "last_error_data"])
                _close(actor, order, OrderStatus.CANCELLED, reason, now)
                skipped.append((order.domain.unicode_name, reason))
                continue
            _validate(actor, order, order.domain, now, evidence)
            done.append(order.domain)
        return EmailLink(LinkState.VALIDATED, email=challenge.email, customer=challenge.customer.name,
                         domains=_names(sorted(done, key=lambda d: d.name)), not_validated=tuple(skipped),
                         used_at=now)


def _wrong_code(actor: Actor, challenge: DcvEmailChallenge, waiting: list[DcvOrder], now: datetime) -> EmailLink:
    DcvEmailChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
    challenge.refresh_from_db(fields=["attempts"])
    refused = challenge.attempts >= email_dcv.MAX_ATTEMPTS
    common = dict(email=challenge.email, customer=challenge.customer.name, expires=challenge.expires,
                  wrong_code=True)
    for order in waiting:
        audit.record(actor, "dcv.email_code_wrong", order.domain, order_id=order.pk,
                     email_challenge=challenge.pk, attempts=challenge.attempts)
    if not refused:
        return EmailLink(LinkState.OPEN, domains=_names(o.domain for o in waiting),
                         attempts_left=email_dcv.MAX_ATTEMPTS - challenge.attempts, **common)
    challenge.refused_at = now
    challenge.save(update_fields=["refused_at"])
    reason = msg("the validation email link was refused after %(attempts)s wrong codes", attempts=email_dcv.MAX_ATTEMPTS)
    for order in waiting:
        order.set_last_error(msg("Cancelled: %(reason)s. Start the validation again.", reason=reason))
        order.save(update_fields=["last_error", "last_error_data"])
        _close(actor, order, OrderStatus.CANCELLED, reason, now)
    return EmailLink(LinkState.REFUSED, **common)
