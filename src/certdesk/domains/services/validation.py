"""DCV: choose the customer's methods; start, save, submit, reset and re-check orders; the
worker's re-check and expiry sweep.

DCV checks do network I/O (DNS, HTTP), so they run between two short transactions and
never while a database lock is held: the order is marked first, checked, then the result
is written if the order is still the one that was checked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certdesk.accounts import policy
from certdesk.accounts.models import Admin
from certdesk.accounts.policy import Perm
from certdesk.core import audit
from certdesk.core.actor import Actor, Interface
from certdesk.core.errors import InvalidInput, RequiredField
from certdesk.core.i18n import msg
from certdesk.notifications import dispatch

from .. import dcv, queries, signals
from ..dcv import email as email_dcv
from ..errors import DcvMethodDisabled, DcvMethodRefused, DcvOrderRefused, DomainInactive, DomainNotFound
from ..models import DcvEmailChallenge, DcvOrder, DcvSettings, Domain
from ..states import (
    CHECKED_METHODS,
    FILE_METHODS,
    OPEN_ORDER_STATUSES,
    DcvMethod,
    DcvStatus,
    OrderStatus,
    check_order,
    expiry_notice_days,
    reuse_days,
    revalidation_window,
)
from .domains import lock_domain

# CA/B BR 3.2.2.4.7: a random value may be used for at most 30 days after its creation.
RANDOM_VALUE_DAYS = 30
WORKER_LABEL = "dcv-worker"

# ---------------------------------------------------------------------------
# DCV settings


@transaction.atomic
def set_dcv_methods(actor: Actor, methods: Iterable[str]) -> DcvSettings:
    """Choose which DCV methods the customer's admins may use (e.g. switch EMAIL off for public TLS)."""
    policy.require(actor, Perm.CONFIGURE_DCV)
    cleaned = []
    for method in methods or []:
        value = str(method).strip().upper()
        if value not in DcvMethod.values:
            raise InvalidInput(msg("Unknown DCV method '%(method)s': use %(values)s.",
                                   method=method, values=', '.join(DcvMethod.values)), field="methods")
        if value not in cleaned:
            cleaned.append(value)
    if not cleaned:
        raise RequiredField("Enable at least one DCV method.", field="methods")
    row, _ = DcvSettings.objects.select_for_update().get_or_create(customer=actor.customer)
    before = list(row.enabled_methods)
    ordered = [m for m in DcvMethod.values if m in cleaned]
    if ordered != before:
        row.enabled_methods = ordered
        row.save(update_fields=["enabled_methods"])
        audit.record(actor, "dcv.methods_changed", row, enabled_methods=[before, ordered])
    return row


# ---------------------------------------------------------------------------
# DCV orders


@dataclass(frozen=True)
class DcvResult:
    """The outcome of submit / re-check, in SCM's words (`status`, `orderStatus`, `message`)."""

    status: str  # DcvStatus of the domain
    order_status: str  # OrderStatus of the order (VALIDATED/CANCELLED when it closed)
    message: str
    order_id: int | None = None
    instructions: dcv.Instructions | None = None
    validated: bool = False
    expires: datetime | None = None


def validity_days(on: datetime) -> int:
    """Days a DCV made on `on` stays valid: CERTDESK_DCV_VALIDITY_DAYS, or the CA/B schedule."""
    return settings.DCV_VALIDITY_DAYS or reuse_days(on)


def _parse_method(method) -> DcvMethod:
    value = str(method or "").strip().upper()
    if value == "DNSTXT_RANDOM_VALUE":
        value = DcvMethod.TXT
    try:
        return DcvMethod(value)
    except ValueError:
        raise InvalidInput(msg("Unknown DCV method '%(method)s': use %(values)s.",
                               method=method, values=', '.join(DcvMethod.values)),
                           field="method") from None


def _check_method(domain: Domain, method: DcvMethod) -> None:
    if not domain.is_active:
        raise DomainInactive(msg("The domain %(domain)s is suspended.", domain=domain.name))
    if method.value not in queries.enabled_methods(domain.customer):
        raise DcvMethodDisabled(msg("The %(method)s DCV method is disabled for this customer.",
                                    method=method.label), field="method")
    if method in FILE_METHODS and domain.is_wildcard:
        raise DcvMethodRefused(
            msg("%(method)s DCV cannot validate the wildcard domain %(domain)s (CA/Browser Forum rules): "
                "use a DNS method (CNAME or TXT) or email.", method=method.label, domain=domain.name), field="method")


def _open_order(domain: Domain) -> DcvOrder | None:
    return DcvOrder.objects.select_for_update().filter(domain=domain, status__in=OPEN_ORDER_STATUSES).first()


def _close(actor: Actor, order: DcvOrder, status: str, reason: str, now: datetime) -> None:
    before = order.status
    order.status, order.closed_at, order.next_check = status, now, None
    order.save(update_fields=["status", "closed_at", "next_check"])
    audit.record(actor, "dcv.cancelled", order.domain, order_id=order.pk, method=order.method,
                 status=[before, status], reason=reason)


def _new_order(actor: Actor, domain: Domain, method: DcvMethod, now: datetime) -> DcvOrder:
    order = DcvOrder(domain=domain, method=method.value, target=domain.base_name, created_by=actor.admin,
                     status=OrderStatus.AWAITING_SUBMISSION)
    if method is not DcvMethod.TXT_PERSIST:
        order.values_expire = now + timedelta(days=RANDOM_VALUE_DAYS)
    dcv.prepare(order, domain)
    order.save()
    audit.record(actor, "dcv.started", domain, order_id=order.pk, method=order.method, host=order.host,
                 value=order.value, url=order.url, emails=order.emails)
    return order


def _start(actor: Actor, domain: Domain, method: DcvMethod, now: datetime) -> DcvOrder:
    _check_method(domain, method)
    order = _open_order(domain)
    if order is not None:
        fresh = order.values_expire is None or order.values_expire > now
        if order.method == method.value and fresh:
            return order  # "hit DCV again and you should be presented with the same screen" (seed 003 §6.2.1)
        if order.status == OrderStatus.SUBMITTED and order.method != method.value:
            raise DcvOrderRefused(msg("A %(method)s DCV order is submitted for %(domain)s: "
                                      "reset it before choosing another method.",
                                      method=order.method, domain=domain.name))
        _close(actor, order, OrderStatus.CANCELLED, "replaced by a new order" if fresh else "random value expired",
               now)
    return _new_order(actor, domain, method, now)


@transaction.atomic
def start_dcv(actor: Actor, domain: Domain, method: str) -> dcv.Instructions:
    """Validate: create (or show again) the DCV order and return what to publish.

    CNAME → host/point; TXT, TXT_PERSIST → host/point (the TXT value); HTTP(S) → url,
    first_line, second_line; EMAIL → the addresses to choose from (sending: notifications issue).
    Revalidation may start at any time; the current validation stays until a new one replaces it.
    EMAIL: submitting sends the validation email (see `submit_dcv`).
    """
    domain = lock_domain(domain)
    policy.require(actor, Perm.MANAGE_DCV, domain)
    order = _start(actor, domain, _parse_method(method), timezone.now())
    return dcv.instructions(order)


@transaction.atomic
def save_dcv(actor: Actor, domain: Domain) -> dcv.Instructions:
    """Save & Close: keep the started order AWAITING SUBMISSION to submit later."""
    domain = lock_domain(domain)
    policy.require(actor, Perm.MANAGE_DCV, domain)
    order = _open_order(domain)
    if order is None:
        raise DcvOrderRefused(msg("No DCV order is started for %(domain)s: choose a method (Validate) first.",
                                  domain=domain.name))
    check_order("save", order.status)
    audit.record(actor, "dcv.saved", domain, order_id=order.pk, method=order.method)
    return dcv.instructions(order)


@transaction.atomic
def reset_dcv(actor: Actor, domain: Domain) -> bool:
    """Reset (the bin): cancel the open order; the domain's validation, if any, stays. False if none was open."""
    domain = lock_domain(domain)
    policy.require(actor, Perm.MANAGE_DCV, domain)
    order = _open_order(domain)
    if order is None:
        return False
    check_order("cancel", order.status)
    _close(actor, order, OrderStatus.CANCELLED, "reset", timezone.now())
    return True


def _chosen_email(order: DcvOrder, domain: Domain, email) -> str:
    chosen = (email or "").strip().lower()
    if not chosen:
        raise RequiredField("Choose the address that receives the validation email.", field="email")
    if chosen not in [e.lower() for e in order.emails]:
        raise InvalidInput(msg("%(email)s is not one of the addresses offered for %(domain)s.",
                               email=email, domain=domain.unicode_name), field="email")
    problem = dispatch.address_problem(chosen)
    if problem:
        raise InvalidInput(problem, field="email")
    return chosen


def _mark_submitted(actor: Actor, domain: Domain, method, email, *, send: bool = True) -> tuple[DcvOrder, bool]:
    """Phase 1 of submit (in a transaction): the order becomes SUBMITTED. Returns (order, needs_check).

    EMAIL: each submit sends a new validation email (unless `send` is false: the bulk submit
    sends one email for all its orders); a link sent before for the order stops working.
    """
    now = timezone.now()
    wanted = _parse_method(method) if method else None
    order = _open_order(domain)
    if order is None:
        if wanted not in (DcvMethod.TXT, DcvMethod.TXT_PERSIST, DcvMethod.EMAIL):
            raise DcvOrderRefused(msg("No DCV order is started for %(domain)s: choose a method (Validate) first.",
                                      domain=domain.name))
        order = _start(actor, domain, wanted, now)  # TXT is submit-first, as in SCM; so is email with an address
    elif wanted is not None and wanted.value != order.method:
        raise DcvOrderRefused(msg("The open DCV order of %(domain)s uses %(method)s, not %(wanted)s: "
                                  "submit it or reset it first.",
                                  domain=domain.name, method=order.method, wanted=wanted.value))
    _check_method(domain, DcvMethod(order.method))
    check_order("submit", order.status)
    if order.values_expire is not None and order.values_expire <= now:
        raise DcvOrderRefused("The random value of this DCV order is older than 30 days: reset it and start again.")
    if order.method == DcvMethod.EMAIL:
        order.email = _chosen_email(order, domain, email)
    first = order.status != OrderStatus.SUBMITTED
    order.status = OrderStatus.SUBMITTED
    order.submitted_at = order.submitted_at if not first else now
    order.submitted_by = order.submitted_by if not first else actor.admin
    order.next_check = None
    order.save()
    if first:
        audit.record(actor, "dcv.submitted", domain, order_id=order.pk, method=order.method, email=order.email,
                     status=[OrderStatus.AWAITING_SUBMISSION, OrderStatus.SUBMITTED])
        signals.send_in_transaction(signals.dcv_submitted, domain_id=domain.pk, order_id=order.pk, method=order.method,
                               customer_id=domain.customer_id)
    if order.method == DcvMethod.EMAIL and send:
        order.domain = domain
        send_validation_email(actor, [order], order.email, now)
    return order, order.method in CHECKED_METHODS


# ---------------------------------------------------------------------------
# Email DCV: the validation email (the public page that confirms it: services.email_dcv)


def recipient_language(customer, address: str) -> str:
    """The language of an admin of the customer with that address, else the customer-wide default."""
    languages = dict(settings.LANGUAGES)
    admin = (Admin.objects.filter(customer=customer, email__iexact=address, is_active=True).exclude(language="")
             .order_by("id").first())
    if admin is not None and admin.language in languages:
        return admin.language
    return settings.NOTIFICATION_LANGUAGE if settings.NOTIFICATION_LANGUAGE in languages else "en"


def send_validation_email(actor: Actor, orders: list[DcvOrder], address: str, now: datetime) -> DcvEmailChallenge:
    """Write one validation email for `orders` (SUBMITTED EMAIL orders whose domains the caller has
    locked) to the outbox, in the caller's transaction; the worker sends it after commit.

    The link and code are new random values valid RANDOM_VALUE_DAYS (BR 3.2.2.4.4 with §1.6.1
    "Random Value"); only their hashes are stored. Orders keep `values_expire` in step with the link.
    """
    domain = orders[0].domain
    customer = domain.customer
    token, code = email_dcv.new_token(), email_dcv.new_code()
    hashed = email_dcv.token_hash(token)
    expires = now + timedelta(days=RANDOM_VALUE_DAYS)
    language = recipient_language(customer, address)
    challenge = DcvEmailChallenge.objects.create(
        customer=customer, email=address, token_hash=hashed, code_hash=email_dcv.code_hash(hashed, code),
        language=language, created=now, created_by=actor.admin, expires=expires)
    for order in orders:
        order.email_challenge, order.values_expire = challenge, expires
        order.save(update_fields=["email_challenge", "values_expire"])
    requester = (actor.admin.full_name or actor.admin.login) if actor.admin is not None else actor.label
    subject, body = email_dcv.message(
        language, domains=[o.domain.name for o in orders], address=address, url=email_dcv.link(token), code=code,
        expires=expires, requester=requester, customer=customer.name,
        reference=", ".join(str(o.pk) for o in orders))
    delegation = domain.delegations.order_by("status", "id").select_related("organization").first()
    dispatch.send_email(customer, address, subject, body, key=f"dcv-email:{challenge.pk}", kind="DcvEmail",
                        organization=delegation.organization if delegation is not None else None)
    for order in orders:
        audit.record(actor, "dcv.email_sent", order.domain, order_id=order.pk, email=address,
                     email_challenge=challenge.pk, expires=expires, domains=len(orders))
    return challenge


def submit_email_dcv(actor: Actor, domains: Iterable[Domain], email: str) -> list[DcvResult]:
    """Email DCV of several domains to one address (SCM `submit-bulk/domain/email`): ONE email, with one
    link and code that validate all of them. All or nothing: every domain must be in the actor's
    hands, have no open order of another method, and be offered the address."""
    wanted: dict[int, Domain] = {}
    for domain in domains:
        wanted.setdefault(domain.pk, domain)
    if not wanted:
        raise RequiredField("Give at least one domain.", field="domains")
    with transaction.atomic():
        now = timezone.now()
        locked = {pk: lock_domain(wanted[pk]) for pk in sorted(wanted)}  # one lock order: no deadlock
        orders: dict[int, DcvOrder] = {}
        for pk, domain in locked.items():
            policy.require(actor, Perm.MANAGE_DCV, domain)
            open_order = _open_order(domain)
            if open_order is not None and open_order.method != DcvMethod.EMAIL:
                raise DcvOrderRefused(msg("The open DCV order of %(domain)s uses %(method)s, "
                                          "not EMAIL: reset it first.",
                                          domain=domain.unicode_name, method=open_order.method))
            order, _ = _mark_submitted(actor, domain, DcvMethod.EMAIL, email, send=False)
            order.domain = domain
            orders[pk] = order
        ordered = [orders[pk] for pk in wanted]
        send_validation_email(actor, ordered, ordered[0].email, now)
    return [_result(order, None) for order in ordered]


@transaction.atomic
def delete_dcv(actor: Actor, domain: Domain) -> bool:
    """Delete the DCV of a domain (SCM `validation/delete`): cancel its open order and withdraw its
    validation (NOT VALIDATED; a validated parent may still cover it). False when there was nothing."""
    domain = lock_domain(domain)
    policy.require(actor, Perm.MANAGE_DCV, domain)
    now = timezone.now()
    order = _open_order(domain)
    if order is not None:
        _close(actor, order, OrderStatus.CANCELLED, "DCV deleted", now)
    before = {"dcv_status": domain.dcv_status, "dcv_method": domain.dcv_method,
              "dcv_validated_at": domain.dcv_validated_at, "dcv_expires": domain.dcv_expires}
    cleared = {"dcv_status": DcvStatus.NOT_VALIDATED, "dcv_method": "", "dcv_validated_at": None,
               "dcv_expires": None}
    changed = before != cleared or domain.dcv_notice_days is not None
    if changed:
        for field, value in cleared.items():
            setattr(domain, field, value)
        domain.dcv_notice_days = None
        domain.save(update_fields=[*cleared, "dcv_notice_days", "modified"])
    if not changed and order is None:
        return False
    audit.record(actor, "dcv.deleted", domain, order_id=order.pk if order is not None else None,
                 dcv_status=[before["dcv_status"], DcvStatus.NOT_VALIDATED], method=before["dcv_method"],
                 validated_at=before["dcv_validated_at"], expires=before["dcv_expires"])
    return True


def _validate(actor: Actor, order: DcvOrder, domain: Domain, now: datetime, reason: str) -> None:
    days = validity_days(now)
    expires = now + timedelta(days=days)
    order.status, order.closed_at, order.next_check = OrderStatus.VALIDATED, now, None
    order.set_last_error("")
    order.validated_at, order.expires = now, expires
    order.save()
    before = domain.dcv_status
    domain.dcv_status, domain.dcv_method = DcvStatus.VALIDATED, order.method
    domain.dcv_validated_at, domain.dcv_expires, domain.dcv_notice_days = now, expires, None
    domain.save(update_fields=["dcv_status", "dcv_method", "dcv_validated_at", "dcv_expires", "dcv_notice_days",
                               "modified"])
    audit.record(actor, "dcv.validated", domain, order_id=order.pk, method=order.method, expires=expires,
                 validity_days=days, dcv_status=[before, DcvStatus.VALIDATED], evidence=reason)
    signals.send_in_transaction(signals.dcv_validated, domain_id=domain.pk, order_id=order.pk, method=order.method,
                           expires=expires, customer_id=domain.customer_id)


def _apply_check(actor: Actor, order_id: int, result: dcv.CheckResult) -> DcvOrder:
    """Phase 3 (in a transaction): write the outcome if the order is still the SUBMITTED one checked."""
    with transaction.atomic():
        # Lock the domain, then the order: the same order as every other DCV verb (no deadlock).
        domain_id = DcvOrder.objects.filter(pk=order_id).values_list("domain_id", flat=True).first()
        domain = Domain.objects.select_for_update(of=("self",)).select_related("customer").filter(pk=domain_id).first()
        order = DcvOrder.objects.select_for_update().filter(pk=order_id).first()
        if domain is None or order is None:
            raise DomainNotFound("Domain not found (deleted while its DCV was being checked).")
        order.domain = domain
        if order.status != OrderStatus.SUBMITTED:
            return order  # reset or validated meanwhile: the result is stale
        now = timezone.now()
        order.last_check, order.check_count = now, order.check_count + 1
        expired = order.values_expire is not None and order.values_expire <= now
        if result.ok and not expired:
            _validate(actor, order, domain, now, result.reason)
            return order
        order.set_last_error(result.reason)
        if expired:
            order.set_last_error(msg("The random value is older than 30 days and can no longer validate: reset and "
                                     "start again. Last check: %(reason)s", reason=result.reason))
        order.next_check = None if expired else now + timedelta(seconds=settings.DCV_RECHECK_SECONDS)
        order.save(update_fields=["last_check", "check_count", "last_error", "last_error_data", "next_check"])
        if actor.interface != Interface.WORKER:
            audit.record(actor, "dcv.check_failed", domain, order_id=order.pk, method=order.method,
                         reason=order.last_error)
        return order


def _result(order: DcvOrder, result: dcv.CheckResult | None) -> DcvResult:
    domain = order.domain
    status = queries.dcv_status_for(domain).status
    if order.status == OrderStatus.VALIDATED:
        message = "Domain control validated: " + (result.reason if result else "")
    elif order.method == DcvMethod.EMAIL:
        message = (f"Submitted: a validation email was sent to {order.email}; the domain is validated once "
                   "its link is followed and its code entered.")
    elif result is not None and not result.ok:
        message = f"Submitted, not validated yet: {order.last_error or result.reason}"
        if order.next_check is not None:
            message += " It will be checked again automatically."
    else:
        message = f"The DCV order is {order.status}."
    return DcvResult(status=status, order_status=order.status, message=message.strip(), order_id=order.pk,
                     instructions=dcv.instructions(order), validated=order.status == OrderStatus.VALIDATED,
                     expires=domain.dcv_expires)


def submit_dcv(actor: Actor, domain: Domain, *, method: str | None = None, email: str | None = None) -> DcvResult:
    """Submit: the order becomes SUBMITTED and DNS/HTTP(S) methods are checked at once.

    VALIDATED when the check passes; otherwise the order stays SUBMITTED with the reason
    recorded and the worker re-checks it every CERTDESK_DCV_RECHECK_SECONDS. TXT and
    TXT_PERSIST may be submitted without a start (SCM's submit/domain/txt), the answer then
    carries the host/point to publish. EMAIL needs `email`, one of the offered addresses, and
    sends the validation email to it (in this transaction's outbox; may be submitted without a
    start too); the domain is validated on the public page its link leads to.
    """
    with transaction.atomic():
        locked = lock_domain(domain)
        policy.require(actor, Perm.MANAGE_DCV, locked)
        order, needs_check = _mark_submitted(actor, locked, method, email)
    if not needs_check:
        return _result(order, None)
    result = dcv.check(order)
    order = _apply_check(actor, order.pk, result)
    return _result(order, result)


def recheck_dcv(actor: Actor, domain: Domain) -> DcvResult:
    """Check the submitted order again now (SCM `/sync?force=true`, the worker's re-check)."""
    with transaction.atomic():
        locked = lock_domain(domain)
        policy.require(actor, Perm.MANAGE_DCV, locked)
        order = DcvOrder.objects.filter(domain=locked, status=OrderStatus.SUBMITTED).first()
        if order is None:
            raise DcvOrderRefused(msg("No submitted DCV order to check for %(domain)s.", domain=domain.name))
        order.domain = locked
    if order.method not in CHECKED_METHODS:
        return _result(order, None)
    result = dcv.check(order)
    order = _apply_check(actor, order.pk, result)
    return _result(order, result)


def system_actor(customer) -> Actor:
    """The actor the worker acts as for one customer (audited as "dcv-worker")."""
    return Actor.system(customer, interface=Interface.WORKER, label=WORKER_LABEL)


def recheck_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """The worker's hourly job: re-check submitted DNS/HTTP(S) orders whose next check is due.

    Each order is claimed (its next check pushed forward) before the network check, so two
    workers do not check the same order at once. Returns how many were checked.
    """
    now = now or timezone.now()
    due = list(
        DcvOrder.objects.filter(status=OrderStatus.SUBMITTED, method__in=[m.value for m in CHECKED_METHODS])
        .filter(next_check__lte=now)
        .exclude(values_expire__lte=now)
        .order_by("next_check", "id")
        .values_list("id", "next_check")[:limit]
    )
    checked = 0
    for order_id, next_check in due:
        claim_until = now + timedelta(seconds=settings.DCV_RECHECK_SECONDS)
        claimed = DcvOrder.objects.filter(pk=order_id, status=OrderStatus.SUBMITTED, next_check=next_check).update(
            next_check=claim_until)
        if not claimed:
            continue
        order = DcvOrder.objects.select_related("domain", "domain__customer").filter(pk=order_id).first()
        if order is None:
            continue
        result = dcv.check(order)
        try:
            _apply_check(system_actor(order.domain.customer), order_id, result)
        except DomainNotFound:
            continue
        checked += 1
    return checked


def _validity_of(domain: Domain) -> int:
    if domain.dcv_validated_at is None or domain.dcv_expires is None:
        return reuse_days(timezone.now())
    return max(1, round((domain.dcv_expires - domain.dcv_validated_at).total_seconds() / 86400))


def _notice(domain: Domain, now: datetime) -> int:
    remaining = domain.dcv_expires - now
    due = [d for d in expiry_notice_days(_validity_of(domain)) if remaining <= timedelta(days=d)]
    if not due:
        return 0
    days = min(due)
    with transaction.atomic():
        updated = Domain.objects.filter(pk=domain.pk, dcv_expires=domain.dcv_expires).exclude(
            dcv_notice_days__lte=days).update(dcv_notice_days=days)
        if not updated:
            return 0
        signals.send_in_transaction(signals.dcv_expiring, domain_id=domain.pk, days=days, expires=domain.dcv_expires,
                               customer_id=domain.customer_id)
    return 1


def _revalidate_persistent(domain: Domain, now: datetime) -> bool:
    """A persistent TXT value proves control again without a new record (BR 3.2.2.4.22)."""
    if now < domain.dcv_expires - revalidation_window(_validity_of(domain)):
        return False
    actor = system_actor(domain.customer)
    with transaction.atomic():
        locked = lock_domain(domain)
        if _open_order(locked) is not None or not locked.is_active:
            return False
        if DcvMethod.TXT_PERSIST.value not in queries.enabled_methods(locked.customer):
            return False
        order = _new_order(actor, locked, DcvMethod.TXT_PERSIST, now)
        order.status, order.submitted_at = OrderStatus.SUBMITTED, now
        order.save(update_fields=["status", "submitted_at"])
    result = dcv.check(order)
    order = _apply_check(actor, order.pk, result)
    return order.status == OrderStatus.VALIDATED
