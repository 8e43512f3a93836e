"""The verbs of Settings → Email Notifications: notification rules, email templates, webhooks,
and the bell's "mark as read". Who may: an MRAO for the whole customer ("ALL ORG"), an admin
for the organizations and departments it covers (email templates: organizations only)."""
from __future__ import annotations

import secrets
from typing import Any, Iterable
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certdesk.accounts import policy
from certdesk.accounts.roles import Level
from certdesk.core import audit, validators
from certdesk.core.actor import Actor
from certdesk.core.errors import InvalidInput, NotFound, PermissionDenied, RequiredField
from certdesk.core.i18n import msg
from certdesk.tenancy.models import Organization

from . import defaults, templating, types
from .dispatch import ensure_builtin_rules
from .errors import NotificationRefused
from .models import EmailTemplate, InboxItem, NotificationRule, Webhook
from .types import NotificationType, Recipient

RULE_AUDITED = ("type", "organization", "description", "enabled", "notify_roles", "extra_recipients", "days_before")
MAX_EXTRA_RECIPIENTS = 50
_ROLE_ALIASES = {"REQUESTOR": Recipient.REQUESTER, "OWNER": Recipient.REQUESTER}


# ---------------------------------------------------------------------------
# Scope


def require_manage(actor: Actor, organization: Organization | None, *, templates: bool = False) -> None:
    """Raise unless the actor may manage notifications of this scope (None: every organization)."""
    if actor.customer is None:
        raise PermissionDenied("No customer selected.")
    if organization is None:
        if not policy.is_mrao(actor) and actor.admin is not None:
            raise PermissionDenied("Only an MRAO can manage notifications for all organizations (ALL ORG).")
        return
    if organization.customer_id != actor.customer.pk or not policy.covers(actor, organization):
        raise NotFound("Organization not found.", code=-1023)
    if templates:
        if organization.is_department:
            raise NotificationRefused("Email templates are set per organization; departments use their "
                                      "organization's.", field="organization")
        if not policy.covers(actor, organization, min_level=Level.ORGANIZATION):
            raise PermissionDenied("Only a RAO of the organization or an MRAO can change its email templates.")


def organization_in_scope(actor: Actor, org_id) -> Organization | None:
    """The organization or department named by id (None for empty), as the actor sees it."""
    if org_id in (None, "", 0, "0"):
        return None
    try:
        org_id = int(org_id)
    except (TypeError, ValueError):
        raise InvalidInput("The organization id must be a number.", field="organization") from None
    org = policy.scope(actor, Organization.objects.select_related("parent", "customer")).filter(pk=org_id).first()
    if org is None:
        raise NotFound("Organization not found.", code=-1023)
    return org


# ---------------------------------------------------------------------------
# Input


def clean_roles(values: Iterable[Any] | None) -> list[str]:
    out: list[str] = []
    if values is None:
        return out
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple, set)):
        raise InvalidInput("notifyRoles must be a list of roles.", field="notify_roles")
    for value in values:
        text = str(value).strip().upper()
        role = _ROLE_ALIASES.get(text, text)
        if role.startswith("DRAO"):
            role = Recipient.DRAO
        elif role.startswith("RAO"):
            role = Recipient.RAO
        if role not in Recipient.ALL:
            raise InvalidInput(msg("Unknown recipient role '%(value)s': use %(all)s.",
                                   value=value, all=', '.join(Recipient.ALL)),
                               field="notify_roles")
        if role not in out:
            out.append(role)
    return [r for r in Recipient.ALL if r in out]


def clean_addresses(values: Iterable[Any] | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [v for v in values.replace(";", ",").replace("\n", ",").split(",")]
    out: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise InvalidInput("Recipients must be email addresses.", field="extra_recipients")
        if not value.strip():
            continue
        address = validators.email(value, field="extra_recipients", label="Recipient")
        if address.lower() not in {a.lower() for a in out}:
            out.append(address)
    if len(out) > MAX_EXTRA_RECIPIENTS:
        raise InvalidInput(msg("At most %(max_extra_recipients)s extra recipients.",
                               max_extra_recipients=MAX_EXTRA_RECIPIENTS), field="extra_recipients")
    return out


def clean_days(ntype: NotificationType, values: Iterable[Any] | None) -> list[int]:
    if values is None or values == "" or (isinstance(values, (list, tuple, set)) and not values):
        return []
    if not ntype.is_expiry:
        raise InvalidInput(msg("Days before expiry only apply to expiry notifications, not %(code)s.", code=ntype.code),
                           field="days_before")
    if isinstance(values, (int, str)):
        values = [v for v in str(values).replace(";", ",").split(",") if v.strip()]
    out: set[int] = set()
    for value in values:
        try:
            if isinstance(value, bool):
                raise ValueError
            day = int(str(value).strip())
        except (TypeError, ValueError):
            raise InvalidInput(msg("'%(value)s' is not a number of days.", value=value), field="days_before") from None
        if not 1 <= day <= 365:
            raise InvalidInput("Days before expiry must be between 1 and 365.", field="days_before")
        out.add(day)
    if len(out) > 10:
        raise InvalidInput("At most 10 reminders per notification.", field="days_before")
    return sorted(out, reverse=True)


# ---------------------------------------------------------------------------
# Rules


def _snapshot(rule: NotificationRule) -> dict:
    return audit.snapshot(rule, RULE_AUDITED)


@transaction.atomic
def create_rule(actor: Actor, *, type: str, organization: Organization | None = None, description: str = "",
                notify_roles: Iterable[str] = (), extra_recipients: Iterable[str] = (),
                days_before: Iterable[int] = (), enabled: bool = True) -> NotificationRule:
    require_manage(actor, organization)
    ntype = types.parse(type)
    rule = NotificationRule(
        customer=actor.customer, organization=organization, type=ntype.code, builtin=False,
        description=validators.plain_text(description, field="description", label="Description",
                                          max_length=256) or ntype.title,
        notify_roles=clean_roles(notify_roles), extra_recipients=clean_addresses(extra_recipients),
        days_before=clean_days(ntype, days_before), enabled=bool(enabled), created_by=actor.admin,
    )
    _require_recipients(rule)
    rule.save()
    audit.record(actor, "notification.created", rule, after=_snapshot(rule))
    return rule


def _require_recipients(rule: NotificationRule) -> None:
    if not rule.notify_roles and not rule.extra_recipients:
        raise RequiredField("Choose at least one recipient: a role, the requester or an email address.",
                            field="notify_roles")


def _locked(rule: NotificationRule) -> NotificationRule:
    return NotificationRule.objects.select_for_update(of=("self",)).select_related(
        "organization", "organization__parent").get(pk=rule.pk)


@transaction.atomic
def update_rule(actor: Actor, rule: NotificationRule, **changes: Any) -> NotificationRule:
    """Change the fields given (type, organization, description, notify_roles, extra_recipients,
    days_before, enabled). A built-in rule keeps its type and scope."""
    rule = _locked(rule)
    require_manage(actor, rule.organization)
    before = _snapshot(rule)
    if "organization" in changes and changes["organization"] != rule.organization:
        if rule.builtin:
            raise NotificationRefused("A built-in notification applies to all organizations.", field="organization")
        require_manage(actor, changes["organization"])
        rule.organization = changes["organization"]
    if "type" in changes and changes["type"] not in (None, ""):
        ntype = types.parse(changes["type"])
        if rule.builtin and ntype.code != rule.type:
            raise NotificationRefused("The type of a built-in notification cannot change.", field="type")
        rule.type = ntype.code
    ntype = types.get(rule.type)
    if "description" in changes and changes["description"] is not None:
        rule.description = validators.plain_text(changes["description"], field="description",
                                                 label="Description", max_length=256) or ntype.title
    if "notify_roles" in changes and changes["notify_roles"] is not None:
        rule.notify_roles = clean_roles(changes["notify_roles"])
    if "extra_recipients" in changes and changes["extra_recipients"] is not None:
        rule.extra_recipients = clean_addresses(changes["extra_recipients"])
    if "days_before" in changes and changes["days_before"] is not None:
        rule.days_before = clean_days(ntype, changes["days_before"])
    elif not ntype.is_expiry:
        rule.days_before = []
    if "enabled" in changes and changes["enabled"] is not None:
        rule.enabled = bool(changes["enabled"])
    _require_recipients(rule)
    diff = audit.diff(before, _snapshot(rule))
    if diff:
        rule.save()
        audit.record(actor, "notification.updated", rule, changes=diff)
    return rule


def set_rule_enabled(actor: Actor, rule: NotificationRule, enabled: bool) -> NotificationRule:
    return update_rule(actor, rule, enabled=enabled)


@transaction.atomic
def delete_rule(actor: Actor, rule: NotificationRule) -> None:
    rule = _locked(rule)
    require_manage(actor, rule.organization)
    if rule.builtin:
        raise NotificationRefused("Built-in notifications cannot be deleted; disable them instead.")
    audit.record(actor, "notification.deleted", rule, before=_snapshot(rule))
    rule.delete()


def builtin_rules_exist(actor: Actor) -> None:
    if actor.customer is not None:
        ensure_builtin_rules(actor.customer)


# ---------------------------------------------------------------------------
# Email templates


def _language(language: str) -> str:
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(msg("Unknown language '%(language)s'.", language=language), field="language")
    return language


def preview(type: str, subject: str, body: str) -> tuple[str, str]:
    """The template rendered with the type's sample values; TemplateRefused when it is wrong."""
    ntype = types.parse(type)
    parsed_subject, parsed_body = templating.check(subject, body, ntype.variables)
    values = ntype.variables
    return templating.render_subject(parsed_subject, values), templating.render(parsed_body, values)


def current_template(customer, organization: Organization | None, type: str, language: str
                     ) -> tuple[str, str, str]:
    """(subject, body, source) in force: source is "organization", "customer" or "built-in"."""
    ntype = types.parse(type)
    owners = [organization, None] if organization is not None else [None]
    for owner in owners:
        row = EmailTemplate.objects.filter(customer=customer, organization=owner, type=ntype.code,
                                           language=language).first()
        if row is not None:
            return row.subject, row.body, "organization" if owner is not None else "customer"
    subject, body = defaults.text(ntype.code, language)
    return subject, body, "built-in"


@transaction.atomic
def save_template(actor: Actor, *, type: str, language: str, subject: str, body: str,
                  organization: Organization | None = None) -> EmailTemplate:
    """Override a type's email for the customer (MRAO) or one organization (its RAO). Refused with
    the reason when the template does not parse or names a variable the type does not have."""
    require_manage(actor, organization, templates=True)
    ntype = types.parse(type)
    language = _language(language)
    templating.check(subject, body, ntype.variables)
    row, created = EmailTemplate.objects.select_for_update().get_or_create(
        customer=actor.customer, organization=organization, type=ntype.code, language=language,
        defaults={"subject": subject.strip(), "body": body, "modified_by": actor.admin})
    if not created:
        row.subject, row.body, row.modified_by = subject.strip(), body, actor.admin
        row.save()
    audit.record(actor, "notification.template_saved", row, type=ntype.code, language=language,
                 organization=organization.pk if organization else None)
    return row


@transaction.atomic
def reset_template(actor: Actor, *, type: str, language: str, organization: Organization | None = None) -> None:
    """Back to the text of the level above (the customer's, or the built-in one)."""
    require_manage(actor, organization, templates=True)
    ntype = types.parse(type)
    deleted, _ = EmailTemplate.objects.filter(customer=actor.customer, organization=organization, type=ntype.code,
                                              language=_language(language)).delete()
    if deleted:
        audit.record(actor, "notification.template_reset", None, type=ntype.code, language=language,
                     organization=organization.pk if organization else None)


# ---------------------------------------------------------------------------
# Webhooks


def clean_url(url: str) -> str:
    url = validators.plain_text(url, field="url", label="URL", required=True, max_length=500)
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise InvalidInput("The webhook URL must be an http:// or https:// address.", field="url")
    if parsed.username or parsed.password:
        raise InvalidInput("Put no credentials in the webhook URL: requests are signed instead.", field="url")
    return url


@transaction.atomic
def create_webhook(actor: Actor, *, url: str, organization: Organization | None = None,
                   types_: Iterable[str] = (), description: str = "") -> Webhook:
    require_manage(actor, organization)
    hook = Webhook.objects.create(
        customer=actor.customer, organization=organization, url=clean_url(url),
        secret=secrets.token_hex(32), types=sorted({types.parse(t, field="types").code for t in types_ or []}),
        description=validators.plain_text(description, field="description", label="Description", max_length=256),
        created_by=actor.admin,
    )
    audit.record(actor, "notification.webhook_created", hook, url=hook.url, types=hook.types,
                 organization=organization.pk if organization else None)
    return hook


@transaction.atomic
def set_webhook_enabled(actor: Actor, hook: Webhook, enabled: bool) -> Webhook:
    hook = Webhook.objects.select_for_update(of=("self",)).select_related("organization").get(pk=hook.pk)
    require_manage(actor, hook.organization)
    if hook.enabled != enabled:
        hook.enabled = enabled
        hook.save(update_fields=["enabled"])
        audit.record(actor, "notification.webhook_enabled" if enabled else "notification.webhook_disabled", hook)
    return hook


@transaction.atomic
def delete_webhook(actor: Actor, hook: Webhook) -> None:
    hook = Webhook.objects.select_for_update(of=("self",)).select_related("organization").get(pk=hook.pk)
    require_manage(actor, hook.organization)
    audit.record(actor, "notification.webhook_deleted", hook, url=hook.url)
    hook.delete()


# ---------------------------------------------------------------------------
# The bell


def mark_inbox_read(actor: Actor) -> int:
    if actor.admin is None:
        return 0
    return InboxItem.objects.filter(admin=actor.admin, read_at__isnull=True).update(read_at=timezone.now())
