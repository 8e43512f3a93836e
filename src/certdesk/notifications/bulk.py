"""Many events of one type at once, in a fixed number of queries (issue 7: the daily sweeps'
query count must not grow with the certificates, domains or organizations they notify about).

Same outcome as calling `dispatch.notify()` once per item — the same rules (built-in and
custom, scope, days before), recipients (roles of the item's organizations, the requester,
extra addresses), templates (organization's, customer's, built-in; per recipient language),
webhooks, bell items and keys (an item whose key was notified already is skipped) — but the
rules, admins, templates and webhooks are read once and the rows written with one
`executemany` per table.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from django.db import connection, transaction
from django.utils import timezone as djtz

from certdesk.accounts.models import Admin, Credential
from certdesk.core import queue
from certdesk.tenancy.models import Customer, Organization

from . import defaults, templating, types
from .dispatch import (
    _ALL_SUFFIXES,
    _ROLE_SUFFIX,
    Target,
    _base_values,
    _email_row,
    _flush_task,
    _jsonable,
    _language,
    _payload,
    _scope_ids,
    ensure_builtin_rules,
)
from .models import Channel, EmailTemplate, InboxItem, NotificationEvent, NotificationRule, OutboxMessage, Status, Webhook
from .types import Recipient

logger = logging.getLogger("certdesk.notifications")


@dataclass
class Item:
    """One event: what `notify()` takes, for one item."""

    organizations: list[Organization]
    context: dict[str, Any]
    key: str
    days: int | None = None
    requester_email: str | None = None
    event: NotificationEvent | None = field(default=None, init=False)


def _insert_many(model, objects: Iterable) -> None:
    """INSERT every object with one executemany (no primary keys come back)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    rows = (tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields) for obj in objects)
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


class _Context:
    """What every item of one batch shares, read once."""

    def __init__(self, customer: Customer, ntype: types.NotificationType):
        self.customer, self.ntype = customer, ntype
        ensure_builtin_rules(customer)
        self.rules = list(NotificationRule.objects.filter(customer=customer, type=ntype.code, enabled=True)
                          .order_by("id"))
        self.credentials = list(Credential.objects.filter(admin__customer=customer, admin__is_active=True)
                                .select_related("admin").order_by("admin__login", "id"))
        self.admins_by_email: dict[str, Admin] = {}
        for admin in Admin.objects.filter(customer=customer, is_active=True).order_by("-id"):
            self.admins_by_email[admin.email.strip().lower()] = admin  # the lowest id wins, as notify() does
        self.templates = {(t.organization_id, t.language): t
                          for t in EmailTemplate.objects.filter(customer=customer, type=ntype.code)}
        self.hooks = list(Webhook.objects.filter(customer=customer, enabled=True).order_by("id"))
        self.parsed: dict[tuple[int | None, str], tuple[templating.Parsed, templating.Parsed]] = {}
        suffixes = (_ROLE_SUFFIX[ntype.cert_type],) if ntype.cert_type else _ALL_SUFFIXES
        self.rao_roles = {f"RAO_{s}" for s in suffixes}
        self.drao_roles = {f"DRAO_{s}" for s in suffixes}

    def matching(self, orgs: list[Organization], days: int | None):
        scope = _scope_ids(orgs)
        for rule in self.rules:
            if rule.organization_id is not None and rule.organization_id not in scope:
                continue
            if self.ntype.is_expiry and days is not None and days not in (rule.days_before or list(self.ntype.days)):
                continue
            yield rule, (orgs if rule.organization_id is None else
                         [o for o in orgs if rule.organization_id in (o.pk, o.parent_id)])

    def recipients(self, orgs: list[Organization], days: int | None, requester_email: str | None) -> list[Target]:
        mrao = False
        rao_orgs: set[int] = set()
        drao_orgs: set[int] = set()
        want_requester, extras = False, []
        for rule, covered in self.matching(orgs, days):
            roles = set(rule.notify_roles or [])
            mrao |= Recipient.MRAO in roles
            if Recipient.RAO in roles:
                rao_orgs |= {o.parent_id or o.pk for o in covered}
            if Recipient.DRAO in roles:
                drao_orgs |= {o.pk for o in covered if o.parent_id}
            want_requester |= Recipient.REQUESTER in roles
            extras.extend(rule.extra_recipients or [])
        targets: dict[str, Target] = {}

        def add(address: str, admin: Admin | None) -> None:
            address = (address or "").strip()
            if address and address.lower() not in targets:
                name = (admin.full_name or admin.login) if admin is not None else address
                targets[address.lower()] = Target(address, admin, _language(admin), name)

        for credential in self.credentials:
            if ((mrao and credential.role == "MRAO")
                    or (credential.role in self.rao_roles and credential.organization_id in rao_orgs)
                    or (credential.role in self.drao_roles and credential.organization_id in drao_orgs)):
                add(credential.admin.email, credential.admin)
        if want_requester and requester_email:
            add(requester_email, self.admins_by_email.get(requester_email.strip().lower()))
        for address in extras:
            add(address, None)
        return list(targets.values())

    def render(self, org: Organization | None, language: str, values: dict[str, str]) -> tuple[str, str]:
        owner = org.pk if org is not None else None
        if (owner, language) not in self.parsed:
            self.parsed[(owner, language)] = self._template(owner, language)
        subject, body = self.parsed[(owner, language)]
        return templating.render_subject(subject, values), templating.render(body, values)

    def _template(self, owner: int | None, language: str):
        allowed = self.ntype.variables
        for candidate in ([owner] if owner is not None else []) + [None]:
            row = self.templates.get((candidate, language))
            if row is not None:
                try:
                    return templating.check(row.subject, row.body, allowed)
                except templating.TemplateRefused:
                    logger.warning("email template %s no longer parses; using the built-in text", row.pk)
        subject, body = defaults.text(self.ntype.code, language)
        return templating.check(subject, body, allowed)

    def webhooks(self, orgs: list[Organization]) -> list[Webhook]:
        scope = _scope_ids(orgs)
        return [h for h in self.hooks if (h.organization_id is None or h.organization_id in scope)
                and (not h.types or self.ntype.code in h.types)]


def notify_many(event_type: str, customer: Customer, items: list[Item], *, now: datetime | None = None) -> int:
    """Queue the messages of many events of one type, in the current transaction; returns how many
    events were new. About ten queries whatever the number of items, organizations and recipients."""
    ntype = types.get(event_type)
    now = now or djtz.now()
    unique: dict[str, Item] = {}
    for item in items:
        if not item.key:
            raise ValueError("notify_many() needs a key per item")
        unique.setdefault(item.key[:200], item)
    if not unique:
        return 0
    with transaction.atomic():
        done = set(NotificationEvent.objects.filter(customer=customer, key__in=list(unique))
                   .values_list("key", flat=True))
        todo = {key: item for key, item in unique.items() if key not in done}
        if not todo:
            return 0
        shared = _Context(customer, ntype)
        _insert_many(NotificationEvent, (
            NotificationEvent(customer=customer, organization=item.organizations[0] if item.organizations else None,
                              type=ntype.code, key=key, context=_jsonable(item.context), created=now)
            for key, item in todo.items()))
        for event in NotificationEvent.objects.filter(customer=customer, key__in=list(todo)):
            todo[event.key].event = event
        messages: list[OutboxMessage] = []
        inbox: list[InboxItem] = []
        for item in todo.values():
            event, orgs = item.event, item.organizations
            values = _base_values(customer, orgs, item.context, now)
            org = orgs[0].organization if orgs else None
            for target in shared.recipients(orgs, item.days, item.requester_email):
                subject, body = shared.render(org, target.language, {**values, "recipient_name": target.name})
                messages.append(_email_row(event, target, subject, body, now))
                if target.admin is not None:
                    inbox.append(InboxItem(admin=target.admin, event=event, title=subject[:300], created=now))
            hooks = shared.webhooks(orgs)
            if hooks:
                payload = _payload(event, ntype, customer, orgs, item.context)
                messages.extend(OutboxMessage(event=event, channel=Channel.WEBHOOK, recipient=hook.url, webhook=hook,
                                              subject=ntype.code, body=payload, next_attempt=now, created=now)
                                for hook in hooks)
        _insert_many(OutboxMessage, messages)
        _insert_many(InboxItem, inbox)
        if any(m.status == Status.PENDING for m in messages):
            queue.enqueue_on_commit(_flush_task())
    return len(todo)
