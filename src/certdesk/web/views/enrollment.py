"""Enrollment (portal): the index, and SSL web form accounts (SCM "Enrollment → Enrollment Forms →
SSL Web Form → Accounts", seed 003 §7.4.2): list, create, edit, access code, enable/disable, delete."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core.errors import DomainError, NotFound, PermissionDenied
from certdesk.enrollment import queries, services
from certdesk.enrollment.models import WebFormAccount
from certdesk.tenancy.queries import visible_organizations

from ..forms.enrollment import AccessCodeForm, WebFormAccountForm, organization_label
from .base import apply_error, is_htmx, no_store, portal_view


def _manageable(actor) -> list:
    orgs = [o for o in visible_organizations(actor) if policy.can(actor, Perm.MANAGE_WEB_FORM, o)]
    orgs.sort(key=lambda o: (o.organization.name.lower(), o.parent_id is not None, o.name.lower()))
    return orgs


def _organization(actor, pk, organizations):
    org = next((o for o in organizations if o.pk == pk), None)
    if org is None:
        raise NotFound("Organization not found.", code=-1023)
    return org


def _account_form(actor, data=None, *, initial=None, with_code=True, current=None) -> WebFormAccountForm:
    organizations = _manageable(actor)
    if current is not None and all(o.pk != current.organization_id for o in organizations):
        organizations.append(current.organization)
    return WebFormAccountForm(data, initial=initial, organizations=organizations,
                              profiles=list(queries.offerable_profiles(actor.customer)), with_code=with_code)


def _row(actor, account: WebFormAccount) -> dict:
    return {
        "account": account,
        "organization": organization_label(account.organization),
        "profiles": [p.name for p in account.profiles.all()],
        "url": queries.public_form_url(account),
    }


@portal_view
def enrollment_index(request: HttpRequest, actor) -> HttpResponse:
    return render(request, "web/enrollment/enrollment_index.html", {
        "webform_count": queries.visible_accounts(actor).count(),
    })


@portal_view
def endpoint_list(request: HttpRequest, actor) -> HttpResponse:
    """Enrollment endpoints (SCM "Enrollment → Endpoints"): where clients enroll — the ACME servers
    with their directory URLs, the SCM REST API, and the public pages of the SSL web forms in scope."""
    from django.conf import settings
    from django.db.models import Count
    from django.urls import reverse

    from certdesk.acme import protocol
    from certdesk.acme import services as acme_services
    from certdesk.acme.models import AcmeEndpoint

    per_endpoint = dict(acme_services.visible_accounts(actor).order_by().values("endpoint_id")
                        .annotate(n=Count("id")).values_list("endpoint_id", "n"))
    acme = [{"endpoint": e, "url": protocol.directory_url(e), "accounts": per_endpoint.get(e.pk, 0)}
            for e in AcmeEndpoint.objects.order_by("id")]
    base = settings.BASE_URL
    return render(request, "web/enrollment/endpoint_list.html", {
        "acme": acme,
        "api": {"base": f"{base}/api/", "docs": f"{base}{reverse('api:docs')}", "schema": f"{base}{reverse('api:schema')}"},
        "webforms": [_row(actor, a) for a in queries.visible_accounts(actor).prefetch_related("profiles")],
        "acme_list": reverse("web:enrollment-acme-list"),
    })


@portal_view
def webform_list(request: HttpRequest, actor) -> HttpResponse:
    accounts = queries.visible_accounts(actor).prefetch_related("profiles")
    return render(request, "web/enrollment/webform_list.html", {
        "rows": [_row(actor, a) for a in accounts],
        "can_create": bool(_manageable(actor)),
    })


def _code_done(request, account: WebFormAccount, code: str, *, created: bool) -> HttpResponse:
    # Shown once, never stored in a message or a cached page.
    return no_store(render(request, "web/enrollment/webform_code_done.html", {
        "account": account, "code": code, "created": created, "url": queries.public_form_url(account),
    }))


@portal_view
def webform_create(request: HttpRequest, actor) -> HttpResponse:
    organizations = _manageable(actor)
    if not organizations:
        raise PermissionDenied("You have no SSL role on any organization or department.")
    if request.method == "POST":
        form = _account_form(actor, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                account, code = services.create_account(
                    actor, organization=_organization(actor, data["organization"], organizations), name=data["name"],
                    profiles=data["profiles"], auto_approve=data["auto_approve"],
                    allow_auto_renew=data["allow_auto_renew"], access_code=data["access_code"] or None)
            except DomainError as err:
                apply_error(form, err)
            else:
                return _code_done(request, account, code, created=True)
    else:
        initial = {"organization": organizations[0].pk} if len(organizations) == 1 else {}
        form = _account_form(actor, initial=initial)
    return render(request, "web/enrollment/webform_form.html", {"form": form, "account": None})


@portal_view
def webform_edit(request: HttpRequest, actor, pk) -> HttpResponse:
    account = queries.get_account(actor, pk)
    policy.require(actor, Perm.MANAGE_WEB_FORM, account.organization)
    if request.method == "POST":
        form = _account_form(actor, request.POST, with_code=False, current=account)
        if form.is_valid():
            data = form.cleaned_data
            try:
                organization = account.organization if data["organization"] == account.organization_id else (
                    _organization(actor, data["organization"], _manageable(actor)))
                services.update_account(actor, account, name=data["name"], organization=organization,
                                        profiles=data["profiles"], auto_approve=data["auto_approve"],
                                        allow_auto_renew=data["allow_auto_renew"])
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("Web form %(name)s saved.") % {"name": data["name"]})
                return redirect("web:enrollment-webform-list")
    else:
        form = _account_form(actor, with_code=False, current=account, initial={
            "name": account.name, "organization": account.organization_id,
            "profiles": [p.pk for p in account.profiles.all()], "auto_approve": account.auto_approve,
            "allow_auto_renew": account.allow_auto_renew,
        })
    return render(request, "web/enrollment/webform_form.html", {
        "form": form, "account": account, "url": queries.public_form_url(account),
    })


@portal_view
def webform_code(request: HttpRequest, actor, pk) -> HttpResponse:
    """Regenerate the access code: a confirmation (dialog, or a page without JavaScript), then POST."""
    account = queries.get_account(actor, pk)
    policy.require(actor, Perm.MANAGE_WEB_FORM, account.organization)
    form = AccessCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account, code = services.regenerate_access_code(actor, account,
                                                            access_code=form.cleaned_data["access_code"] or None)
        except DomainError as err:
            apply_error(form, err)
        else:
            return _code_done(request, account, code, created=False)
    context = {"account": account, "form": form}
    if is_htmx(request) and request.method == "GET":
        return render(request, "web/enrollment/_partials/webform_code_confirm.html", context)
    return render(request, "web/enrollment/webform_code.html", context, status=400 if form.errors else 200)


@require_POST
@portal_view
def webform_set_enabled(request: HttpRequest, actor, pk, enabled: bool) -> HttpResponse:
    account = services.set_enabled(actor, queries.get_account(actor, pk), enabled)
    if enabled:
        messages.success(request, _("Web form %(name)s enabled.") % {"name": account.name})
    else:
        messages.success(request, _("Web form %(name)s disabled: its page refuses every access code.")
                         % {"name": account.name})
    return redirect("web:enrollment-webform-list")


@portal_view
def webform_delete(request: HttpRequest, actor, pk) -> HttpResponse:
    account = queries.get_account(actor, pk)
    policy.require(actor, Perm.MANAGE_WEB_FORM, account.organization)
    if request.method == "POST":
        name = account.name
        services.delete_account(actor, account)
        messages.success(request, _("Web form %(name)s deleted.") % {"name": name})
        return redirect("web:enrollment-webform-list")
    context = {"account": account}
    if is_htmx(request):
        return render(request, "web/enrollment/_partials/webform_delete_confirm.html", context)
    return render(request, "web/enrollment/webform_delete.html", context)
