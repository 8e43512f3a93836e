"""Settings → Email Notifications (rules, email templates, webhooks), Reports → Notifications
(the log) and the bell at the top right of every portal page (issue 7)."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from certdesk.accounts import policy
from certdesk.core.errors import DomainError
from certdesk.notifications import queries, services, types
from certdesk.notifications.models import Status
from certdesk.tenancy.queries import visible_organizations

from ..forms.accounts import organization_choices
from ..forms.notifications import ALL_ORGANIZATIONS, RuleForm, TemplateForm, WebhookForm
from ..labels import translated
from .base import apply_error, error_page, is_htmx, portal_view, safe_next, confirmation
from ..paging import CappedPaginator
from . import reports

PAGE_SIZE = 50


def _org_choices(actor):
    return organization_choices(visible_organizations(actor))


def _scope(actor, value):
    return None if value in (None, ALL_ORGANIZATIONS) else services.organization_in_scope(actor, value)


def _type_label(code: str) -> str:
    ntype = types.BY_CODE.get(code)
    return str(ntype.label) if ntype else code


# ---------------------------------------------------------------------------
# Rules


@portal_view
def notification_list(request: HttpRequest, actor) -> HttpResponse:
    rules = list(queries.visible_rules(actor))
    rows = [{"rule": r, "label": _type_label(r.type), "can_manage": _can_manage(actor, r.organization)}
            for r in rules]
    return render(request, "web/notifications/notification_list.html", {
        "rows": rows, "can_create": True, "is_mrao": policy.is_mrao(actor)})


def _can_manage(actor, organization) -> bool:
    try:
        services.require_manage(actor, organization)
    except DomainError:
        return False
    return True


@portal_view
def notification_create(request: HttpRequest, actor) -> HttpResponse:
    mrao = policy.is_mrao(actor)
    form = RuleForm(request.POST or None, org_choices=_org_choices(actor), mrao=mrao,
                    initial={"notify_roles": ["RAO"], "enabled": True})
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.create_rule(actor, organization=_scope(actor, form.cleaned_data["organization"]),
                                        **form.service_values())
        except DomainError as err:
            apply_error(form, err)
        else:
            messages.success(request, _("Notification “%(name)s” created.") % {"name": rule.description})
            return redirect("web:settings-notifications")
    return render(request, "web/notifications/notification_form.html", {"form": form, "rule": None})


@portal_view
def notification_edit(request: HttpRequest, actor, pk) -> HttpResponse:
    rule = queries.get_rule(actor, pk)
    services.require_manage(actor, rule.organization)
    initial = {"type": rule.type, "organization": str(rule.organization_id or ""), "description": rule.description,
               "notify_roles": rule.notify_roles, "extra_recipients": "\n".join(rule.extra_recipients),
               "days_before": ", ".join(str(d) for d in rule.days_before), "enabled": rule.enabled}
    form = RuleForm(request.POST or None, initial=initial, org_choices=_org_choices(actor),
                    mrao=policy.is_mrao(actor), builtin=rule.builtin)
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        if not rule.builtin:
            values["organization"] = _scope(actor, form.cleaned_data["organization"])
        try:
            services.update_rule(actor, rule, **values)
        except DomainError as err:
            apply_error(form, err)
        else:
            messages.success(request, _("Notification “%(name)s” saved.") % {"name": rule.description})
            return redirect("web:settings-notifications")
    return render(request, "web/notifications/notification_form.html", {"form": form, "rule": rule})


@require_POST
@portal_view
def notification_toggle(request: HttpRequest, actor, pk) -> HttpResponse:
    rule = queries.get_rule(actor, pk)
    try:
        rule = services.set_rule_enabled(actor, rule, not rule.enabled)
    except DomainError as err:
        messages.error(request, translated(err.message))
    else:
        text = _("Notification “%(name)s” enabled.") if rule.enabled else _("Notification “%(name)s” disabled.")
        messages.success(request, text % {"name": rule.description})
    return redirect("web:settings-notifications")


def _may_manage(actor, organization) -> bool:
    """Whether to ask before deleting: only who may; the service refuses the others with its message."""
    try:
        services.require_manage(actor, organization)
    except DomainError:
        return False
    return True


@require_POST
@portal_view
def notification_delete(request: HttpRequest, actor, pk) -> HttpResponse:
    rule = queries.get_rule(actor, pk)
    if _may_manage(actor, rule.organization) and (asked := confirmation(request, _l("Delete this notification?"), _l("Nobody is emailed for it any more. The notification log keeps what was sent."), _l("Delete notification"))):
        return asked
    try:
        services.delete_rule(actor, rule)
    except DomainError as err:
        messages.error(request, translated(err.message))
    else:
        messages.success(request, _("Notification “%(name)s” deleted.") % {"name": rule.description})
    return redirect("web:settings-notifications")


# ---------------------------------------------------------------------------
# Email templates


def _template_scope(request, actor):
    """The organization whose templates are shown (?organization=id), None for the customer's."""
    value = request.GET.get("organization") or request.POST.get("organization") or ""
    organization = _scope(actor, value)
    if organization is None and not policy.is_mrao(actor):
        organization = next((o for o in visible_organizations(actor) if o.parent_id is None), None)
    return organization


@portal_view
def template_list(request: HttpRequest, actor) -> HttpResponse:
    organization = _template_scope(request, actor)
    rows = []
    for ntype in types.TYPES:
        sources = {lang: services.current_template(actor.customer, organization, ntype.code, lang)[2]
                   for lang, _name in settings.LANGUAGES}
        rows.append({"type": ntype, "sources": sources})
    scopes = [(str(o.pk), str(o)) for o in visible_organizations(actor) if o.parent_id is None]
    return render(request, "web/notifications/template_list.html", {
        "rows": rows, "organization": organization, "scopes": scopes, "is_mrao": policy.is_mrao(actor),
        "languages": settings.LANGUAGES})


@portal_view
def template_edit(request: HttpRequest, actor, type_code: str, language: str) -> HttpResponse:
    ntype = types.BY_CODE.get(type_code)
    if ntype is None or language not in dict(settings.LANGUAGES):
        return error_page(request, None, status=404)
    organization = _template_scope(request, actor)
    subject, body, source = services.current_template(actor.customer, organization, ntype.code, language)
    form = TemplateForm(request.POST or None, initial={"subject": subject, "body": body})
    preview = None
    back = reverse("web:settings-notification-templates") + (f"?organization={organization.pk}" if organization
                                                             else "")
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "reset":
                services.reset_template(actor, type=ntype.code, language=language, organization=organization)
                messages.success(request, _("The email template is back to the default."))
                return redirect(back)
            if form.is_valid():
                data = form.cleaned_data
                if action == "preview":
                    preview = services.preview(ntype.code, data["subject"], data["body"])
                else:
                    services.save_template(actor, type=ntype.code, language=language, subject=data["subject"],
                                           body=data["body"], organization=organization)
                    messages.success(request, _("Email template saved."))
                    return redirect(back)
        except DomainError as err:
            apply_error(form, err)
    return render(request, "web/notifications/template_form.html", {
        "form": form, "type": ntype, "language": language, "language_name": dict(settings.LANGUAGES)[language],
        "organization": organization, "source": source, "preview": preview, "back": back,
        "variables": sorted(ntype.variables)})


# ---------------------------------------------------------------------------
# Webhooks


@portal_view
def webhook_list(request: HttpRequest, actor) -> HttpResponse:
    form = WebhookForm(request.POST or None, org_choices=_org_choices(actor), mrao=policy.is_mrao(actor))
    if request.method == "POST" and form.is_valid():
        try:
            services.create_webhook(actor, url=form.cleaned_data["url"],
                                    organization=_scope(actor, form.cleaned_data["organization"]),
                                    types_=form.cleaned_data["types"], description=form.cleaned_data["description"])
        except DomainError as err:
            apply_error(form, err)
        else:
            messages.success(request, _("Webhook added. Give its secret to the receiving service."))
            return redirect("web:settings-notification-webhooks")
    hooks = [{"hook": h, "can_manage": _can_manage(actor, h.organization)} for h in queries.visible_webhooks(actor)]
    return render(request, "web/notifications/webhook_list.html", {"form": form, "hooks": hooks})


@require_POST
@portal_view
def webhook_toggle(request: HttpRequest, actor, pk) -> HttpResponse:
    hook = queries.get_webhook(actor, pk)
    try:
        services.set_webhook_enabled(actor, hook, not hook.enabled)
    except DomainError as err:
        messages.error(request, translated(err.message))
    return redirect("web:settings-notification-webhooks")


@require_POST
@portal_view
def webhook_delete(request: HttpRequest, actor, pk) -> HttpResponse:
    hook = queries.get_webhook(actor, pk)
    if _may_manage(actor, hook.organization) and (asked := confirmation(request, _l("Delete this webhook?"), _l("Its URL receives no more events."), _l("Delete webhook"))):
        return asked
    try:
        services.delete_webhook(actor, hook)
    except DomainError as err:
        messages.error(request, translated(err.message))
    else:
        messages.success(request, _("Webhook deleted."))
    return redirect("web:settings-notification-webhooks")


# ---------------------------------------------------------------------------
# Reports


@portal_view
def report_index(request: HttpRequest, actor) -> HttpResponse:
    return render(request, "web/notifications/report_index.html", {})


NOTIFICATION_STATUS_LABELS = {
    Status.PENDING: gettext_lazy("Pending"),
    Status.SENDING: gettext_lazy("Sending"),
    Status.SENT: pgettext_lazy("notification status", "Sent"),  # plain "Sent" heads a date column
    Status.FAILED: gettext_lazy("Failed"),
}


@portal_view
def notification_log(request: HttpRequest, actor) -> HttpResponse:
    status = request.GET.get("status", "").upper()
    if status not in Status.values:
        status = ""
    query = request.GET.get("q", "").strip()[:100]
    log = queries.notification_log(actor, status=status, recipient=query)
    export = request.GET.get("export", "")
    if export in reports.EXPORT_FORMATS:  # CSV / XLSX of every filtered row (issue 8)
        return reports.export_notification_log(request, log, export)
    page = CappedPaginator(log, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = urlencode({k: v for k, v in (("status", status), ("q", query)) if v})
    rows = list(page.object_list)
    for message in rows:  # the status in the reader's language, not the stored code
        message.status_label = NOTIFICATION_STATUS_LABELS.get(message.status, message.status)
    return render(request, "web/notifications/notification_log.html", {
        "page": page, "rows": rows, "status": status, "query": query,
        "statuses": list(NOTIFICATION_STATUS_LABELS.items()),
        "export_query": f"{filters}&export=" if filters else "export="})


# ---------------------------------------------------------------------------
# The bell


@portal_view
def bell(request: HttpRequest, actor) -> HttpResponse:
    items, unread = queries.bell(actor)
    return render(request, "web/notifications/_partials/bell.html", {"items": items, "unread": unread})


@require_POST
@portal_view
def bell_read(request: HttpRequest, actor) -> HttpResponse:
    services.mark_inbox_read(actor)
    if is_htmx(request):
        items, unread = queries.bell(actor)
        return render(request, "web/notifications/_partials/bell.html", {"items": items, "unread": unread})
    return redirect(safe_next(request, request.POST.get("next"), reverse("web:dashboard")))
