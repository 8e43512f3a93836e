"""Enrollments → ACME accounts (seed 002, issue 5): the list, creating an account for an
organization or department with the domains it may use, and the account page — ACME URL, Key ID
and HMAC key behind "Details" (retrievable again, as seed 002 says), the certbot command line,
the ACME clients registered with it, its bound domains, rename, suspend/resume and delete.

Every change goes through `certdesk.acme.services`, which checks the policy.
"""
from __future__ import annotations

import shlex

from django.contrib import messages
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.acme import protocol, services
from certdesk.acme.models import AccountStatus, AcmeAccount, AcmeOrder, ClientStatus
from certdesk.core.errors import Conflict, DomainError, NotFound
from certdesk.domains import queries as domain_queries
from certdesk.domains.models import Domain
from certdesk.domains.states import DcvStatus, DelegationStatus, DomainState
from certdesk.tenancy.queries import visible_organizations

from ..forms.acme import AcmeAccountCreateForm, AcmeBindForm, AcmeFilterForm, AcmeRenameForm
from ..labels import translated
from .base import error_page, is_htmx, no_store, portal_view, confirmation
from ..paging import CappedPaginator

PAGE_SIZE = 50

ACCOUNT_STATUS = {
    AccountStatus.PENDING: ("warn", gettext_lazy("Pending")),
    AccountStatus.VALID: ("ok", gettext_lazy("Valid")),
    AccountStatus.SUSPENDED: ("off", gettext_lazy("Suspended")),
    AccountStatus.DEACTIVATED: ("off", gettext_lazy("Deactivated")),
}
CLIENT_STATUS = {
    ClientStatus.VALID: ("ok", gettext_lazy("Valid")),
    ClientStatus.DEACTIVATED: ("off", gettext_lazy("Deactivated")),
    ClientStatus.REVOKED: ("off", gettext_lazy("Revoked")),
}
ERROR_ALIASES = {"acmeServer": "endpoint", "organizationId": "organization"}


def _badge(table: dict, value: str) -> dict:
    css, label = table.get(value, ("neutral", value))
    return {"css": css, "label": label, "value": value}


def _error_text(err: DomainError) -> str:
    """The service's refusal in the portal's language (its messages name things, so the common
    ones are worded again here)."""
    if isinstance(err, Conflict) and err.field == "name":
        return _("An ACME account with this name already exists for this organization or department on this "
                 "ACME server.")
    return translated(err.message)


def _apply(form, err: DomainError) -> None:
    field = ERROR_ALIASES.get(err.field or "", err.field)
    form.add_error(field if field in form.fields else None, _error_text(err))


def _manageable(actor) -> list:
    """Organizations and departments the actor may create ACME accounts for."""
    return [o for o in visible_organizations(actor).order_by("name")
            if policy.can(actor, Perm.MANAGE_ACME_ACCOUNT, o)]


def bindable_domains(organization) -> list[Domain]:
    """The domains an ACME account of `organization` may be bound to: active, delegated to exactly
    that organization or department for SSL (delegation approved), and DCV-validated (its own
    DCV or a covering parent's) — the same rule as `acme.services.bind_domains`."""
    if organization is None:
        return []
    candidates = list(Domain.objects.filter(
        customer_id=organization.customer_id, state=DomainState.ACTIVE, delegations__organization=organization,
        delegations__status=DelegationStatus.ACTIVE,
    ).prefetch_related("delegations").distinct().order_by("name"))
    candidates = [d for d in candidates if any(
        dl.organization_id == organization.pk and dl.is_active and "SSL" in (dl.cert_types or [])
        for dl in d.delegations.all())]
    states = domain_queries.dcv_states_for(candidates, organization=organization)
    return [d for d in candidates if states[d.pk].status == DcvStatus.VALIDATED]


def _with_counts(qs):
    """Bound domains and certificates obtained, as correlated subqueries (no row multiplication)."""
    through = AcmeAccount.domains.through
    domains = (through.objects.filter(acmeaccount_id=OuterRef("pk")).order_by().values("acmeaccount_id")
               .annotate(n=Count("domain_id")).values("n"))
    certificates = (AcmeOrder.objects.filter(client__account_id=OuterRef("pk"), certificate__isnull=False)
                    .order_by().values("client__account_id").annotate(n=Count("certificate_id", distinct=True))
                    .values("n"))
    return qs.annotate(
        domain_count=Coalesce(Subquery(domains, output_field=IntegerField()), Value(0)),
        certificate_count=Coalesce(Subquery(certificates, output_field=IntegerField()), Value(0)),
    )


def certificates_url(account: AcmeAccount) -> str:
    """The SSL list filtered to the account (shared list-filter contract: `acme_account`)."""
    return f"{reverse('web:certificate-list')}?{urlencode({'acme_account': account.pk})}"


def certbot_command(account: AcmeAccount, email: str, names: list[str]) -> tuple[str, bool]:
    """Seed 002's certbot line for this account, and whether its domain is only an example (the
    account is bound to wildcard domains only, or to none)."""
    plain = [n for n in names if not n.startswith("*.")]
    if plain:
        domain, example = plain[0], False
    elif names:
        domain, example = "www." + names[0][2:], True
    else:
        domain, example = "www.example.org", True
    parts = ["certbot", "certonly", "--standalone", "--non-interactive", "--agree-tos",
             "--email", email or "you@example.org", "--server", protocol.directory_url(account.endpoint),
             "--eab-kid", account.mac_id, "--eab-hmac-key", account.mac_key, "--domain", domain,
             "--cert-name", slugify(account.name) or f"acme-{account.pk}"]
    return " ".join(shlex.quote(p) for p in parts), example


# ---------------------------------------------------------------------------
# List and create


@portal_view
def account_list(request: HttpRequest, actor) -> HttpResponse:
    organizations = list(visible_organizations(actor))
    endpoints = services.endpoints()
    form = AcmeFilterForm(request.GET or None, endpoints=endpoints, organizations=organizations)
    values = form.values()
    accounts = services.visible_accounts(actor)
    if values["q"]:
        accounts = accounts.filter(name__icontains=values["q"])
    if values["endpoint"]:
        accounts = accounts.filter(endpoint__name=values["endpoint"])
    if values["status"]:
        accounts = accounts.filter(status=values["status"])
    if values["org"]:
        accounts = accounts.filter(organization_id=values["org"])
    page = CappedPaginator(_with_counts(accounts), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"account": a, "status": _badge(ACCOUNT_STATUS, a.status), "certificates_url": certificates_url(a)}
            for a in page.object_list]
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(request, "web/acme/account_list.html", {
        "form": form, "rows": rows, "page": page, "query": urlencode(query), "filtered": bool(query),
        "can_create": any(policy.can(actor, Perm.MANAGE_ACME_ACCOUNT, o) for o in organizations),
    })


def _chosen_organization(organizations: list, raw) -> object | None:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    return next((o for o in organizations if o.pk == pk), None)


@portal_view
def account_create(request: HttpRequest, actor) -> HttpResponse:
    organizations = _manageable(actor)
    if not organizations:
        return error_page(request, None, status=403)
    endpoints = services.endpoints()
    data = request.POST if request.method == "POST" else None
    source = data if data is not None else request.GET
    organization = _chosen_organization(organizations, source.get("organization"))
    if organization is None and len(organizations) == 1:
        organization = organizations[0]
    domains = bindable_domains(organization)
    if is_htmx(request) and request.method == "GET" and "organization" in request.GET:
        # The organization select changed: only the domain choices are redrawn.
        form = AcmeAccountCreateForm(initial={"organization": organization.pk if organization else None},
                                     endpoints=endpoints, organizations=organizations, domains=domains)
        return render(request, "web/acme/_partials/domain_choices.html", {"form": form, "organization": organization})
    if data is not None and "refresh" not in data:
        form = AcmeAccountCreateForm(data, endpoints=endpoints, organizations=organizations, domains=domains)
        if form.is_valid():
            try:
                account = services.create_account(
                    actor, organization=organization, endpoint_name=form.cleaned_data["endpoint"],
                    name=form.cleaned_data["name"], domains=form.cleaned_data["domains"])
            except DomainError as err:
                _apply(form, err)
            else:
                messages.success(request, _("ACME account %(name)s created. Note its ACME URL, Key ID and HMAC key "
                                            "(shown again with Details).") % {"name": account.name})
                return redirect(f"{reverse('web:enrollment-acme-detail', kwargs={'pk': account.pk})}?details=1")
    elif data is not None:
        form = AcmeAccountCreateForm(initial={k: data.get(k) for k in ("endpoint", "name")} | {
            "organization": organization.pk if organization else None},
            endpoints=endpoints, organizations=organizations, domains=domains)
    else:
        form = AcmeAccountCreateForm(initial={"endpoint": "OV", "organization": organization.pk if organization else None},
                                     endpoints=endpoints, organizations=organizations, domains=domains)
    return render(request, "web/acme/account_create.html", {"form": form, "organization": organization})


# ---------------------------------------------------------------------------
# Detail


def _detail_context(actor, account: AcmeAccount, *, bind_form=None, show_details: bool = False) -> dict:
    can_manage = policy.can(actor, Perm.MANAGE_ACME_ACCOUNT, account.organization)
    bound = list(account.domains.order_by("name"))
    bound_ids = {d.pk for d in bound}
    if can_manage and bind_form is None:
        bind_form = AcmeBindForm(domains=[d for d in bindable_domains(account.organization) if d.pk not in bound_ids])
    clients = [{"client": c, "status": _badge(CLIENT_STATUS, c.status),
                "contacts": ", ".join(x.removeprefix("mailto:") for x in c.contacts or [])}
               for c in account.clients.order_by("id")]
    counted = _with_counts(AcmeAccount.objects.filter(pk=account.pk)).values("certificate_count").first()
    context = {
        "account": account,
        "status": _badge(ACCOUNT_STATUS, account.status),
        "directory_url": protocol.directory_url(account.endpoint),
        "bound": bound,
        "clients": clients,
        "certificate_count": counted["certificate_count"] if counted else 0,
        "certificates_url": certificates_url(account),
        "can_manage": can_manage,
        # Shown when there is something left to bind, or to show why a bind was refused.
        "bind_form": bind_form if can_manage and (bind_form.fields["domains"].choices or bind_form.is_bound) else None,
        "show_details": show_details,
    }
    if show_details:
        context.update(_credentials(actor, account, bound))
    return context


def _credentials(actor, account: AcmeAccount, bound: list[Domain]) -> dict:
    command, example = certbot_command(account, actor.admin.email if actor.admin else "", [d.name for d in bound])
    return {"account": account, "directory_url": protocol.directory_url(account.endpoint), "command": command,
            "command_example": example}


@portal_view
def account_detail(request: HttpRequest, actor, pk) -> HttpResponse:
    account = services.get_account(actor, pk)
    response = render(request, "web/acme/account_detail.html",
                      _detail_context(actor, account, show_details=request.GET.get("details") == "1"))
    return no_store(response)


@portal_view
def account_credentials(request: HttpRequest, actor, pk) -> HttpResponse:
    """Details: the ACME URL, Key ID and HMAC key, and the certbot line (seed 002: "elles peuvent
    être récupérées à nouveau en cliquant sur Details"). Never cached."""
    account = services.get_account(actor, pk)
    if not is_htmx(request):
        return redirect(f"{reverse('web:enrollment-acme-detail', kwargs={'pk': account.pk})}?details=1#credentials")
    context = _credentials(actor, account, list(account.domains.order_by("name")))
    return no_store(render(request, "web/acme/_partials/credentials.html", context))


# ---------------------------------------------------------------------------
# Changes


@portal_view
def account_rename(request: HttpRequest, actor, pk) -> HttpResponse:
    account = services.get_account(actor, pk)
    policy.require(actor, Perm.MANAGE_ACME_ACCOUNT, account.organization)
    if request.method == "POST":
        form = AcmeRenameForm(request.POST)
        if form.is_valid():
            try:
                services.rename_account(actor, account, form.cleaned_data["name"])
            except DomainError as err:
                _apply(form, err)
            else:
                messages.success(request, _("ACME account renamed."))
                target = reverse("web:enrollment-acme-detail", kwargs={"pk": account.pk})
                if is_htmx(request):  # the form sits in the dialog: reload the whole page
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = target
                    return response
                return redirect(target)
    else:
        form = AcmeRenameForm(initial={"name": account.name})
    context = {"account": account, "form": form}
    if is_htmx(request):
        return render(request, "web/acme/_partials/account_rename_form.html", context)
    return render(request, "web/acme/account_rename.html", context)


@require_POST
@portal_view
def account_set_suspended(request: HttpRequest, actor, pk, suspended: bool) -> HttpResponse:
    account = services.get_account(actor, pk)
    services.set_suspended(actor, account, suspended)
    if suspended:
        messages.success(request, _("ACME account suspended: its ACME clients are refused until it is resumed."))
    else:
        messages.success(request, _("ACME account resumed."))
    return redirect("web:enrollment-acme-detail", pk=account.pk)


@portal_view
def account_delete(request: HttpRequest, actor, pk) -> HttpResponse:
    """A confirmation (dialog, or a page without JavaScript), then POST."""
    account = services.get_account(actor, pk)
    policy.require(actor, Perm.MANAGE_ACME_ACCOUNT, account.organization)
    if request.method == "POST":
        name = account.name
        services.delete_account(actor, account)
        messages.success(request, _("ACME account %(name)s deleted. The certificates it obtained stay.")
                         % {"name": name})
        return redirect("web:enrollment-acme-list")
    context = {"account": account}
    if is_htmx(request):
        return render(request, "web/acme/_partials/account_delete_confirm.html", context)
    return render(request, "web/acme/account_delete.html", context)


@require_POST
@portal_view
def domain_bind(request: HttpRequest, actor, pk) -> HttpResponse:
    account = services.get_account(actor, pk)
    policy.require(actor, Perm.MANAGE_ACME_ACCOUNT, account.organization)
    bound_ids = set(account.domains.values_list("pk", flat=True))
    form = AcmeBindForm(request.POST, domains=[d for d in bindable_domains(account.organization)
                                               if d.pk not in bound_ids])
    if form.is_valid():
        try:
            refused = services.bind_domains(actor, account, form.cleaned_data["domains"])
        except DomainError as err:
            _apply(form, err)
        else:
            if not refused:
                messages.success(request, _("Domains bound to the ACME account."))
                return redirect("web:enrollment-acme-detail", pk=account.pk)
            form.add_error("domains", _("These domains are not delegated to this organization or department with a "
                                        "valid DCV: %(names)s.") % {"names": ", ".join(refused)})
    return render(request, "web/acme/account_detail.html", _detail_context(actor, account, bind_form=form),
                  status=400)


@require_POST
@portal_view
def domain_unbind(request: HttpRequest, actor, pk) -> HttpResponse:
    account = services.get_account(actor, pk)
    name = request.POST.get("domain", "")
    missing = services.unbind_domains(actor, account, [name])
    if missing:
        messages.error(request, _("%(name)s is not bound to this ACME account.") % {"name": name})
    else:
        messages.success(request, _("Domain %(name)s unbound: the account can no longer obtain certificates for it.")
                         % {"name": name})
    return redirect("web:enrollment-acme-detail", pk=account.pk)


@require_POST
@portal_view
def client_deactivate(request: HttpRequest, actor, pk, client_pk) -> HttpResponse:
    account = services.get_account(actor, pk)
    policy.require(actor, Perm.MANAGE_ACME_ACCOUNT, account.organization)  # refused before the question
    if not account.clients.filter(pk=client_pk).exists():
        raise NotFound("ACME client not found.")
    if (asked := confirmation(request, _l("Deactivate this ACME client?"), _l("It can no longer use this account, for good: it has to register again with the Key ID and HMAC key."), _l("Deactivate client"))):
        return asked
    services.deactivate_client(actor, account, client_pk)
    messages.success(request, _("ACME client deactivated: it can no longer use this account."))
    return redirect("web:enrollment-acme-detail", pk=account.pk)
