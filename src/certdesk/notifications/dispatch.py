"""Events → messages: `notify()` finds the rules that match an event, resolves their recipients,
renders each message in the recipient's language and writes it to the outbox, all inside the
caller's transaction; the worker sends them once it commits (ARCHITECTURE "One pipeline").
"""
from __future__ import annotations

import json
import logging
import operator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache, reduce
from typing import Any, Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone as djtz

from certdesk.accounts.models import Admin, Credential
from certdesk.core import queue, validators
from certdesk.core.errors import InvalidInput
from certdesk.tenancy.models import CertType, Customer, Organization

from . import defaults, templating, types
from .models import (
    Channel,
    EmailTemplate,
    InboxItem,
    NotificationEvent,
    NotificationRule,
    OutboxMessage,
    Status,
    Webhook,
)
from .types import NotificationType, Recipient

logger = logging.getLogger("certdesk.notifications")

_ROLE_SUFFIX = {CertType.SSL: "SSL", CertType.SMIME: "SMIME", CertType.CODESIGN: "CS"}
_ALL_SUFFIXES = ("SSL", "SMIME", "CS")


@dataclass
class Target:
    address: str
    admin: Admin | None
    language: str
    name: str


# ---------------------------------------------------------------------------
# The entry point


def notify(event_type: str, *, organization: Organization | Iterable[Organization] | None = None,
           context: dict[str, Any] | None = None, requester_email: str | None = None,
           customer: Customer | None = None, key: str = "", days: int | None = None,
           now: datetime | None = None) -> NotificationEvent | None:
    """Queue the messages of one event, in the current transaction (call it inside the service's
    transaction, so the messages exist exactly when the change does).

    - `event_type`: a type code of `certdesk.notifications.types` (e.g. "SSLIssued").
    - `organization`: the organization or department the event belongs to (several for a domain
      delegated to several); None for customer-level events (then give `customer`).
    - `context`: the template variables (see the type's `samples`); values may be text, numbers,
      dates or lists. It is also the webhook payload's `data`.
    - `requester_email`: the address of "the requester" recipient (for AdminCreation: the new admin).
    - `key`: a unique name of the event (e.g. "SSLIssued:1234"); notifying the same key again does
      nothing, so a job that runs twice sends once.
    - `days`: for expiry types, how many days are left (rules choose which counts they want).

    Returns the event, or None when the key was already notified or notifying failed (logged:
    a notification problem never undoes the caller's change)."""
    ntype = types.get(event_type)
    orgs = _organizations(organization)
    if customer is None:
        if not orgs:
            raise ValueError("notify() needs an organization or a customer")
        customer = orgs[0].customer
    if days is None and ntype.is_expiry and (context or {}).get("days") not in (None, ""):
        days = int((context or {})["days"])
    try:
        with transaction.atomic():
            return _notify(ntype, customer, orgs, dict(context or {}), requester_email, key, days,
                           now or djtz.now())
    except _AlreadyNotified:
        return None  # this event was notified already: its savepoint is rolled back, nothing was written
    except Exception:  # noqa: BLE001 - logged; the caller's change stands
        logger.exception("could not queue the %s notification (key %r)", event_type, key)
        return None


def send_email(customer: Customer, to: str, subject: str, body: str, *, organization: Organization | None = None,
               key: str = "", kind: str = "DirectEmail") -> NotificationEvent | None:
    """One email outside the notification rules (e.g. the email DCV message to the chosen address),
    through the same outbox, retries and log."""
    now = djtz.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = NotificationEvent.objects.create(customer=customer, organization=organization, type=kind,
                                                         key=key[:200], context={"to": to}, created=now)
        except IntegrityError:
            return None
        message = _email_row(event, Target(to, None, "", to), subject, body, now)
        message.save()
        if message.status == Status.PENDING:
            queue.enqueue_on_commit(_flush_task())
    return event


def _flush_task():
    from . import tasks

    return tasks.flush_outbox


def _organizations(value) -> list[Organization]:
    if value is None:
        return []
    items = [value] if isinstance(value, Organization) else list(value)
    seen, out = set(), []
    for org in items:
        if org is not None and org.pk not in seen:
            seen.add(org.pk)
            out.append(org)
    return out


class _AlreadyNotified(Exception):
    """The event's key was notified before (raised out of `notify()`'s savepoint, which undoes it)."""


def _notify(ntype: NotificationType, customer: Customer, orgs: list[Organization], context: dict[str, Any],
            requester_email: str | None, key: str, days: int | None, now: datetime) -> NotificationEvent | None:
    """Inside `notify()`'s savepoint: the event row comes first, so a key notified already stops
    here (the unique key refuses it and the savepoint is rolled back: no statement runs after the
    refused INSERT)."""
    try:
        event = NotificationEvent.objects.create(
            customer=customer, organization=orgs[0] if orgs else None, type=ntype.code, key=(key or "")[:200],
            context=_jsonable(context), created=now)
    except IntegrityError:
        raise _AlreadyNotified from None
    matched = list(matching_rules(customer, ntype, orgs, days, rules=_rules_of_type(customer, ntype, orgs)))
    targets = resolve_recipients(customer, ntype, matched, requester_email)
    values = _base_values(customer, orgs, context, now)
    renderer = _Renderer(customer, orgs, ntype)
    messages: list[OutboxMessage] = []
    inbox: list[InboxItem] = []
    for target in targets:
        subject, body = renderer.render(target.language, {**values, "recipient_name": target.name})
        messages.append(_email_row(event, target, subject, body, now))
        if target.admin is not None:
            inbox.append(InboxItem(admin=target.admin, event=event, title=subject[:300], created=now))
    hooks = matching_webhooks(customer, ntype, orgs)
    if hooks:
        payload = _payload(event, ntype, customer, orgs, context)
        messages.extend(OutboxMessage(event=event, channel=Channel.WEBHOOK, recipient=hook.url, webhook=hook,
                                      subject=ntype.code, body=payload, next_attempt=now, created=now)
                        for hook in hooks)
    OutboxMessage.objects.bulk_create(messages)
    InboxItem.objects.bulk_create(inbox)
    if any(m.status == Status.PENDING for m in messages):
        queue.enqueue_on_commit(_flush_task())
    return event


def _email_row(event: NotificationEvent, target: Target, subject: str, body: str, now: datetime) -> OutboxMessage:
    """One email; an address that can never be delivered is logged as FAILED at once."""
    problem = address_problem(target.address)
    return OutboxMessage(
        event=event, channel=Channel.EMAIL, recipient=target.address[:500], admin=target.admin,
        language=target.language, subject=subject, body=body, next_attempt=now, created=now,
        status=Status.FAILED if problem else Status.PENDING, last_error=problem or "")


def address_problem(address: str) -> str | None:
    try:
        validators.email(address, field="recipient", label="Recipient")
    except InvalidInput as err:
        return f"Invalid recipient address, not sent: {err.message}"
    if address.lower().rstrip(".").endswith(".invalid"):
        return "Invalid recipient address, not sent: the .invalid domain never receives mail (RFC 2606)."
    return None


# ---------------------------------------------------------------------------
# Rules and recipients


def ensure_builtin_rules(customer: Customer) -> None:
    """Seed 000's built-in notifications exist (enabled) for every customer; created on first use."""
    existing = set(NotificationRule.objects.filter(customer=customer, builtin=True).values_list("type", flat=True))
    missing = [t for t in types.TYPES if t.code not in existing]
    if missing:
        NotificationRule.objects.bulk_create([
            NotificationRule(customer=customer, type=t.code, description=t.builtin_description, builtin=True,
                             enabled=True, notify_roles=list(t.recipients), days_before=list(t.days))
            for t in missing
        ], ignore_conflicts=True)


def expiry_days(event_type: str, customer: Customer | None = None) -> list[int]:
    """The day counts before expiry at which enabled rules of this expiry type want a notice
    (built-in 30, plus whatever custom rules ask): what an expiry sweep should emit, largest first."""
    ntype = types.get(event_type)
    rules = NotificationRule.objects.filter(type=ntype.code, enabled=True)
    if customer is not None:
        rules = rules.filter(customer=customer)
    wanted = set(ntype.days)
    for days in rules.values_list("days_before", flat=True):
        wanted.update(days or ntype.days)
    return sorted(wanted, reverse=True)


def _scope_ids(orgs: list[Organization]) -> set[int]:
    """An organization's rules and webhooks also cover its departments."""
    return {o.pk for o in orgs} | {o.parent_id for o in orgs if o.parent_id}


def _rules_of_type(customer: Customer, ntype: NotificationType, orgs: list[Organization]) -> list[NotificationRule]:
    """The enabled rules of this type and scope, by id, in one query: the same query tells whether
    the type's built-in rule exists (enabled or not), and only when it does not are the built-in
    rules created (`ensure_builtin_rules`, then read again). So a customer created at runtime, or
    a type added by an upgrade, gets its built-in rule on first use, and every later event costs
    no extra query."""
    scope = Q(organization__isnull=True)
    if orgs:
        scope |= Q(organization_id__in=_scope_ids(orgs))
    query = NotificationRule.objects.filter(customer=customer, type=ntype.code).filter(scope | Q(builtin=True))
    rules = list(query.order_by("id"))
    if not any(rule.builtin for rule in rules):
        ensure_builtin_rules(customer)
        rules = list(query.order_by("id"))
    scope_ids = _scope_ids(orgs)
    return [rule for rule in rules if rule.enabled
            and (rule.organization_id is None or rule.organization_id in scope_ids)]


def matching_rules(customer: Customer, ntype: NotificationType, orgs: list[Organization], days: int | None, *,
                   rules: list[NotificationRule] | None = None):
    """(rule, the event's organizations it covers) for each enabled rule of this type and scope
    (`rules`: those already read by `_rules_of_type`)."""
    if rules is None:
        scope = Q(organization__isnull=True)
        if orgs:
            scope |= Q(organization_id__in=_scope_ids(orgs))
        rules = NotificationRule.objects.filter(customer=customer, type=ntype.code, enabled=True).filter(
            scope).order_by("id")
    for rule in rules:
        if ntype.is_expiry and days is not None and days not in (rule.days_before or list(ntype.days)):
            continue
        covered = orgs if rule.organization_id is None else [
            o for o in orgs if rule.organization_id in (o.pk, o.parent_id)]
        yield rule, covered


def _role_filter(ntype: NotificationType, roles: set[str], orgs: list[Organization]) -> Q | None:
    """The credentials of these roles over these organizations; None when no credential can match."""
    suffixes = (_ROLE_SUFFIX[ntype.cert_type],) if ntype.cert_type else _ALL_SUFFIXES
    parts: list[Q] = []
    if Recipient.MRAO in roles:
        parts.append(Q(role="MRAO"))
    if Recipient.RAO in roles:
        ids = {o.parent_id or o.pk for o in orgs}
        if ids:
            parts.append(Q(role__in=[f"RAO_{s}" for s in suffixes], organization_id__in=ids))
    if Recipient.DRAO in roles:
        ids = {o.pk for o in orgs if o.parent_id}
        if ids:
            parts.append(Q(role__in=[f"DRAO_{s}" for s in suffixes], organization_id__in=ids))
    return reduce(operator.or_, parts) if parts else None


def _language(admin: Admin | None) -> str:
    languages = dict(settings.LANGUAGES)
    if admin is not None and admin.language in languages:
        return admin.language
    return settings.NOTIFICATION_LANGUAGE if settings.NOTIFICATION_LANGUAGE in languages else "en"


def resolve_recipients(customer: Customer, ntype: NotificationType, matched, requester_email: str | None,
                       ) -> list[Target]:
    """Every address once: admins by role of the event's scope, the requester, extra addresses.
    The admins by role and the requester's admin account come from one query."""
    role_parts: list[Q] = []
    want_requester = False
    extras: list[str] = []
    for rule, covered in matched:
        roles = set(rule.notify_roles or [])
        part = _role_filter(ntype, roles - {Recipient.REQUESTER}, covered)
        if part is not None:
            role_parts.append(part)
        want_requester |= Recipient.REQUESTER in roles
        extras.extend(rule.extra_recipients or [])
    requester = requester_email.strip() if want_requester and requester_email else ""
    targets: dict[str, Target] = {}

    def add(address: str, admin: Admin | None) -> None:
        address = (address or "").strip()
        if address and address.lower() not in targets:
            name = (admin.full_name or admin.login) if admin is not None else address
            targets[address.lower()] = Target(address, admin, _language(admin), name)

    by_role: list[Admin] = []
    requester_admin: Admin | None = None
    if role_parts or requester:
        role_q = reduce(operator.or_, role_parts) if role_parts else None
        admins = Admin.objects.filter(customer=customer, is_active=True)
        wanted = []
        if role_q is not None:
            admins = admins.annotate(by_role=Exists(Credential.objects.filter(role_q, admin_id=OuterRef("pk"))))
            wanted.append(Q(by_role=True))
        if requester:
            admins = admins.annotate(is_requester=ExpressionWrapper(Q(email__iexact=requester),
                                                                    output_field=BooleanField()))
            wanted.append(Q(is_requester=True))
        for admin in admins.filter(reduce(operator.or_, wanted)).order_by("login", "id"):
            if getattr(admin, "by_role", False):
                by_role.append(admin)
            if getattr(admin, "is_requester", False) and (requester_admin is None or admin.pk < requester_admin.pk):
                requester_admin = admin
    for admin in by_role:
        add(admin.email, admin)
    if requester:
        add(requester_email, requester_admin)
    for address in extras:
        add(address, None)
    return list(targets.values())


def matching_webhooks(customer: Customer, ntype: NotificationType, orgs: list[Organization]) -> list[Webhook]:
    scope = Q(organization__isnull=True)
    if orgs:
        scope |= Q(organization_id__in=_scope_ids(orgs))
    hooks = Webhook.objects.filter(customer=customer, enabled=True).filter(scope).order_by("id")
    return [h for h in hooks if not h.types or ntype.code in h.types]


# ---------------------------------------------------------------------------
# Rendering


def text_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(text_value(v) for v in value)
    return str(value)


def _jsonable(context: dict[str, Any]) -> dict[str, Any]:
    return {str(k): v if isinstance(v, (int, float, bool)) else text_value(v) for k, v in context.items()}


def _base_values(customer: Customer, orgs: list[Organization], context: dict[str, Any], now: datetime) -> dict:
    first = orgs[0] if orgs else None
    values = {
        "customer": customer.name,
        "organization": ", ".join(dict.fromkeys(o.organization.name for o in orgs)),
        "department": first.name if first is not None and first.parent_id else "",
        "portal_url": settings.BASE_URL + "/",
        "event_date": text_value(now),
    }
    values.update({k: text_value(v) for k, v in context.items()})
    return values


class _Renderer:
    """Templates of one event: the organization's, the customer's, or the built-in text, for
    every language at once (one query, made at the first message), parsed once per language."""

    def __init__(self, customer: Customer, orgs: list[Organization], ntype: NotificationType):
        self.customer, self.ntype = customer, ntype
        self.org = orgs[0].organization if orgs else None
        self.rows: dict[tuple[int | None, str], EmailTemplate] | None = None
        self.cache: dict[str, tuple[templating.Parsed, templating.Parsed]] = {}

    def render(self, language: str, values: dict[str, str]) -> tuple[str, str]:
        if language not in self.cache:
            if self.rows is None:
                self.rows = _template_rows(self.customer, self.org, self.ntype)
            self.cache[language] = _template_from(self.rows, self.org, self.ntype, language)
        subject, body = self.cache[language]
        return templating.render_subject(subject, values), templating.render(body, values)


def _template_rows(customer: Customer, org: Organization | None, ntype: NotificationType,
                   language: str | None = None) -> dict[tuple[int | None, str], EmailTemplate]:
    """The administrators' templates of this type that could apply (the organization's and the
    customer's), by (organization id, language)."""
    owners = Q(organization__isnull=True)
    if org is not None:
        owners |= Q(organization=org)
    rows = EmailTemplate.objects.filter(owners, customer=customer, type=ntype.code)
    if language is not None:
        rows = rows.filter(language=language)
    return {(t.organization_id, t.language): t for t in rows}


def _template_from(rows: dict[tuple[int | None, str], EmailTemplate], org: Organization | None,
                   ntype: NotificationType, language: str) -> tuple[templating.Parsed, templating.Parsed]:
    allowed = frozenset(ntype.variables)
    for owner in ([org.pk] if org is not None else []) + [None]:
        row = rows.get((owner, language))
        if row is not None:
            try:
                return _parsed(row.subject, row.body, allowed)
            except templating.TemplateRefused:
                logger.warning("email template %s no longer parses; using the built-in text", row.pk)
    subject, body = defaults.text(ntype.code, language)
    return _parsed(subject, body, allowed)


@lru_cache(maxsize=512)
def _parsed(subject: str, body: str, allowed: frozenset[str]) -> tuple[templating.Parsed, templating.Parsed]:
    """`templating.check`, remembered by text: the built-in texts and the templates in use are
    parsed once per process (a refusal is not remembered: it is raised, and logged, each time)."""
    return templating.check(subject, body, allowed)


def template_for(customer: Customer, org: Organization | None, ntype: NotificationType,
                 language: str) -> tuple[templating.Parsed, templating.Parsed]:
    return _template_from(_template_rows(customer, org, ntype, language), org, ntype, language)


def _payload(event: NotificationEvent, ntype: NotificationType, customer: Customer, orgs: list[Organization],
             context: dict[str, Any]) -> str:
    first = orgs[0] if orgs else None
    return json.dumps({
        "id": event.pk,
        "type": ntype.code,
        "title": ntype.title,
        "created": event.created.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "customer": customer.uri,
        "organization": None if first is None else {"id": first.pk, "name": first.name,
                                                    "parentId": first.parent_id},
        "data": {k: text_value(v) for k, v in context.items()},
    }, sort_keys=True, ensure_ascii=False)
