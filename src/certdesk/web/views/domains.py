"""Domains menu: the list with its green/yellow/red states, adding a domain with its delegations,
the domain page with its DCV panel (Validate → instructions → Save & Close / Submit, Reset),
delegation approval, the CAA check, and Settings → DCV methods. Also the public page the
email DCV message links to (no login).

DCV submit runs DNS/HTTP checks between two short transactions inside the service: these
views never open a transaction of their own (no ATOMIC_REQUESTS either).
"""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core.errors import DomainError
from certdesk.core.net import client_ip
from certdesk.domains import caa, dcv, names, queries, services
from certdesk.domains.models import Domain
from certdesk.domains.states import (
    FILE_METHODS,
    DcvMethod,
    DcvStatus,
    DelegationStatus,
    DisplayStatus,
    DomainState,
    OrderStatus,
)
from certdesk.tenancy.queries import visible_organizations

from ..forms.domains import (
    CERT_TYPE_CHOICES,
    METHOD_HELP,
    METHOD_LABELS,
    DcvEmailCodeForm,
    DcvEmailForm,
    DcvMethodForm,
    DcvMethodsForm,
    DelegationAddForm,
    DelegationDecisionForm,
    DomainCreateForm,
    DomainEditForm,
    DomainFilterForm,
)
from ..labels import translated
from .base import apply_error, is_htmx, no_store, portal_view, confirmation
from ..paging import CappedPaginator

PAGE_SIZE = 50

# What the list and the panel show, in SCM's words (seed 000): colour classes of certdesk.css.
DISPLAY = {
    DisplayStatus.VALIDATED: ("ok", gettext_lazy("VALIDATED")),
    DisplayStatus.ACTION_REQUIRED: ("warn", gettext_lazy("ACTION REQUIRED")),
    DisplayStatus.EXPIRED: ("off", gettext_lazy("EXPIRED")),
}
DCV_STATUS = {
    DcvStatus.NOT_VALIDATED: ("off", gettext_lazy("NOT VALIDATED")),
    DcvStatus.VALIDATED: ("ok", gettext_lazy("VALIDATED")),
    DcvStatus.EXPIRED: ("off", gettext_lazy("EXPIRED")),
}
ORDER_STATUS = {
    OrderStatus.NOT_INITIATED: ("neutral", gettext_lazy("NOT INITIATED")),
    OrderStatus.AWAITING_SUBMISSION: ("warn", gettext_lazy("AWAITING SUBMISSION")),
    OrderStatus.SUBMITTED: ("warn", gettext_lazy("SUBMITTED")),
}
DELEGATION_STATUS = {
    DelegationStatus.REQUESTED: ("warn", gettext_lazy("Requested")),
    DelegationStatus.ACTIVE: ("ok", gettext_lazy("Approved")),
}
DOMAIN_STATE = {
    DomainState.ACTIVE: ("ok", gettext_lazy("Active")),
    DomainState.SUSPENDED: ("off", gettext_lazy("Suspended")),
}
CERT_TYPE_LABELS = dict(CERT_TYPE_CHOICES)
STATE_FILTER = {"active": DomainState.ACTIVE, "suspended": DomainState.SUSPENDED}
DELEGATION_FILTER = {"requested": DelegationStatus.REQUESTED, "active": DelegationStatus.ACTIVE}


def _badge(table: dict, value: str) -> dict:
    css, label = table.get(value, ("neutral", value))
    return {"css": css, "label": label, "value": value}


def _delegatable(actor) -> list:
    """Organizations and departments the actor may delegate a domain to."""
    return [o for o in visible_organizations(actor).order_by("name") if policy.can(actor, Perm.DELEGATE_DOMAIN, o)]


def _org_order(delegation) -> tuple:
    """Organizations first, each followed by its departments (as the organization choices read)."""
    org = delegation.organization
    top = org.parent if org.parent_id else org
    return (top.name.lower(), top.pk, org.parent_id is not None, org.name.lower())


def _types(cert_types) -> str:
    return ", ".join(str(CERT_TYPE_LABELS.get(t, t)) for t in cert_types or [])


# ---------------------------------------------------------------------------
# List


@portal_view
def domain_list(request: HttpRequest, actor) -> HttpResponse:
    # only what the filter's choices show: an MRAO of a big network sees hundreds of organizations
    organizations = list(visible_organizations(actor).select_related(None).only("id", "name", "parent_id"))
    form = DomainFilterForm(request.GET or None, organizations=organizations)
    values = form.values()
    domains = queries.visible_domains(
        actor, name=values["q"], state=STATE_FILTER.get(values["state"]),
        delegation_status=DELEGATION_FILTER.get(values["delegation"]), organization_id=values["org"],
    ).prefetch_related("delegations__organization__parent")
    page = CappedPaginator(domains, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    states = queries.dcv_states_for(shown)  # a fixed number of queries, whatever the page holds
    rows = []
    for domain in shown:
        state = states[domain.pk]
        rows.append({
            "domain": domain,
            "display": _badge(DISPLAY, state.display),
            "dcv": _badge(DCV_STATUS, state.status),
            "expires": state.expires,
            "inherited_from": names.to_unicode(state.inherited_from) if state.inherited_from else "",
            "state": _badge(DOMAIN_STATE, domain.state),
            "delegations": [{"org": d.organization, "status": _badge(DELEGATION_STATUS, d.status)}
                            for d in domain.delegations.all()],
        })
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(request, "web/domains/domain_list.html", {
        "form": form, "rows": rows, "page": page, "query": urlencode(query), "filtered": bool(query),
        "awaiting": len(queries.delegations_awaiting_approval(actor)),
        "can_create": policy.can(actor, Perm.CREATE_DOMAIN),
    })


# ---------------------------------------------------------------------------
# Add, edit, suspend, delete


@portal_view
def domain_create(request: HttpRequest, actor) -> HttpResponse:
    policy.require(actor, Perm.CREATE_DOMAIN)
    organizations = _delegatable(actor)
    if request.method == "POST":
        form = DomainCreateForm(request.POST, organizations=organizations)
        if form.is_valid():
            try:
                domain = services.create_domain(actor, form.cleaned_data["name"],
                                                description=form.cleaned_data["description"],
                                                delegations=form.delegations())
            except DomainError as err:
                apply_error(form, err, {"delegations": "org_1", "certTypes": "types_1"})
            else:
                if queries.requires_approval(domain):
                    messages.success(request, _("Domain %(name)s added: its delegation waits for the approval of a "
                                                "RAO or an MRAO.") % {"name": domain.unicode_name})
                else:
                    messages.success(request, _("Domain %(name)s added. Next step: validate control of it (DCV).")
                                     % {"name": domain.unicode_name})
                return redirect("web:domain-detail", pk=domain.pk)
    else:
        initial = {}
        if len(organizations) == 1:
            initial = {"org_1": organizations[0].pk, "types_1": ["SSL"]}
        form = DomainCreateForm(initial=initial, organizations=organizations)
    return render(request, "web/domains/domain_create.html", {"form": form})


@portal_view
def domain_edit(request: HttpRequest, actor, pk) -> HttpResponse:
    domain = queries.get_domain(actor, pk)
    policy.require(actor, Perm.EDIT_DOMAIN, domain)
    with_contacts = policy.can(actor, Perm.EDIT_DOMAIN_CONTACTS, domain)
    if request.method == "POST":
        form = DomainEditForm(request.POST, with_contacts=with_contacts)
        if form.is_valid():
            try:
                services.update_domain(actor, domain, description=form.cleaned_data["description"])
                if with_contacts:
                    services.set_domain_contacts(actor, domain, form.cleaned_data["contact_emails"])
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("Domain saved."))
                return redirect("web:domain-detail", pk=domain.pk)
    else:
        form = DomainEditForm(initial={"description": domain.description,
                                       "contact_emails": ", ".join(domain.contact_emails or [])},
                              with_contacts=with_contacts)
    return render(request, "web/domains/domain_edit.html", {"form": form, "domain": domain})


@require_POST
@portal_view
def domain_set_state(request: HttpRequest, actor, pk, active: bool) -> HttpResponse:
    domain = queries.get_domain(actor, pk)
    try:
        services.set_domain_state(actor, domain, active=active)
    except DomainError as err:
        messages.error(request, translated(err.message))
    else:
        messages.success(request, _("Domain activated.") if active else _(
            "Domain suspended: it covers no certificate request until it is activated again."))
    return redirect("web:domain-detail", pk=domain.pk)


@portal_view
def domain_delete(request: HttpRequest, actor, pk) -> HttpResponse:
    """Only an MRAO deletes a domain (seed 000): a confirmation (dialog, or a page without JavaScript), then POST."""
    domain = queries.get_domain(actor, pk)
    policy.require(actor, Perm.DELETE_DOMAIN, domain)
    if request.method == "POST":
        name = domain.unicode_name
        services.delete_domain(actor, domain)
        messages.success(request, _("Domain %(name)s deleted.") % {"name": name})
        return redirect("web:domain-list")
    context = {"domain": domain}
    if is_htmx(request):
        return render(request, "web/domains/_partials/domain_delete_confirm.html", context)
    return render(request, "web/domains/domain_delete.html", context)


# ---------------------------------------------------------------------------
# Detail and delegations


def _detail_context(actor, domain: Domain, *, add_form=None, panel_mode: str = "") -> dict:
    delegations = sorted(domain.delegations.select_related("organization__parent"), key=_org_order)
    rows = []
    for delegation in delegations:
        rows.append({
            "delegation": delegation,
            "org": delegation.organization,
            "types": _types(delegation.cert_types),
            "status": _badge(DELEGATION_STATUS, delegation.status),
            "can_decide": not delegation.is_active and policy.can(actor, Perm.APPROVE_DELEGATION, delegation),
            "can_remove": len(delegations) > 1 and policy.can(actor, Perm.DELEGATE_DOMAIN, delegation),
        })
    can_delegate = policy.can(actor, Perm.DELEGATE_DOMAIN, domain)
    if can_delegate and add_form is None:
        add_form = DelegationAddForm(organizations=_delegatable(actor), initial={"cert_types": ["SSL"]})
    return {
        "domain": domain,
        "state": _badge(DOMAIN_STATE, domain.state),
        "delegations": rows,
        "requires_approval": any(not d.is_active for d in delegations),
        "can_decide_any": any(r["can_decide"] for r in rows),
        "add_form": add_form if can_delegate else None,
        "panel": _panel(actor, domain, mode=panel_mode),
        "can_edit": policy.can(actor, Perm.EDIT_DOMAIN, domain),
        "can_suspend": policy.can(actor, Perm.SUSPEND_DOMAIN, domain),
        "can_delete": policy.can(actor, Perm.DELETE_DOMAIN, domain),
    }


@portal_view
def domain_detail(request: HttpRequest, actor, pk) -> HttpResponse:
    domain = queries.get_domain(actor, pk)
    mode = "instructions" if request.GET.get("dcv") == "instructions" else ""
    return render(request, "web/domains/domain_detail.html", _detail_context(actor, domain, panel_mode=mode))


@require_POST
@portal_view
def delegation_add(request: HttpRequest, actor, pk) -> HttpResponse:
    domain = queries.get_domain(actor, pk)
    form = DelegationAddForm(request.POST, organizations=_delegatable(actor))
    if form.is_valid():
        org = form.organizations[form.cleaned_data["organization"]]
        try:
            delegation = services.delegate_domain(actor, domain, org, form.cleaned_data["cert_types"])
        except DomainError as err:
            apply_error(form, err, {"certTypes": "cert_types", "delegations": "organization"})
        else:
            if delegation.is_active:
                messages.success(request, _("Domain delegated to %(org)s.") % {"org": org})
            else:
                messages.success(request, _("Delegation to %(org)s requested: a RAO or an MRAO must approve it.")
                                 % {"org": org})
            return redirect("web:domain-detail", pk=domain.pk)
    return render(request, "web/domains/domain_detail.html", _detail_context(actor, domain, add_form=form),
                  status=400)


@require_POST
@portal_view
def delegation_remove(request: HttpRequest, actor, pk, org_pk) -> HttpResponse:
    domain = queries.get_domain(actor, pk)
    delegation = domain.delegations.select_related("organization").filter(organization_id=org_pk).first()
    if delegation is None:
        messages.error(request, _("This delegation does not exist any more."))
        return redirect("web:domain-detail", pk=domain.pk)
    if policy.can(actor, Perm.DELEGATE_DOMAIN, delegation) and (asked := confirmation(request, _l("Remove this delegation?"), _l("The organization or department can no longer request certificates for this domain."), _l("Remove delegation"))):
        return asked
    try:
        services.undelegate_domain(actor, domain, delegation.organization)
    except DomainError as err:
        messages.error(request, translated(err.message))
    else:
        messages.success(request, _("Delegation to %(org)s removed.") % {"org": delegation.organization})
    return redirect("web:domain-detail", pk=domain.pk)


@portal_view
def delegation_decide(request: HttpRequest, actor, pk) -> HttpResponse:
    """Approve Delegations (seed 000): choose the organizations/departments, then Approve or Reject."""
    domain = queries.get_domain(actor, pk)
    pending = [d for d in sorted(domain.delegations.select_related("organization__parent"), key=_org_order)
               if not d.is_active and policy.can(actor, Perm.APPROVE_DELEGATION, d)]
    if not pending:
        messages.info(request, _("No delegation of this domain waits for your approval."))
        return redirect("web:domain-detail", pk=domain.pk)
    form = DelegationDecisionForm(request.POST or None, delegations=pending,
                                  initial={"organizations": [d.organization_id for d in pending]})
    if request.method == "POST" and form.is_valid():
        decision = request.POST.get("decision")
        chosen = [d.organization for d in pending if d.organization_id in form.cleaned_data["organizations"]]
        name = domain.unicode_name
        removed = False
        try:
            for org in chosen:
                if decision == "reject":
                    removed = services.reject_delegation(actor, domain, org) or removed
                else:
                    services.approve_delegation(actor, domain, org)
        except DomainError as err:
            messages.error(request, translated(err.message))
            return redirect("web:domain-detail", pk=domain.pk)
        if decision == "reject":
            if removed:
                messages.success(request, _("Delegation rejected: %(name)s had no other delegation and was "
                                            "removed.") % {"name": name})
                return redirect("web:domain-list")
            messages.success(request, _("Delegations rejected: %(count)s.") % {"count": len(chosen)})
        else:
            messages.success(request, _("Delegations approved: %(count)s.") % {"count": len(chosen)})
        return redirect("web:domain-detail", pk=domain.pk)
    context = {"domain": domain, "form": form}
    if is_htmx(request) and request.method == "GET":
        return render(request, "web/domains/_partials/delegation_decide_form.html", context)
    return render(request, "web/domains/delegation_decide.html", context)


# ---------------------------------------------------------------------------
# The DCV panel


def _panel(actor, domain: Domain, *, mode: str = "", notice: str = "", error: str = "", form=None) -> dict:
    """The right-hand DCV panel. `mode`: "" (status), "choose" (method), "instructions"."""
    domain.refresh_from_db()
    state = queries.dcv_status_for(domain)
    order = queries.current_order(domain)
    instructions = dcv.instructions(order) if order is not None else None
    email_form = None
    if order is not None and order.method == DcvMethod.EMAIL:
        email_form = form if isinstance(form, DcvEmailForm) else DcvEmailForm(emails=order.emails,
                                                                              initial={"email": order.email})
    if mode == "instructions" and order is None:
        mode = ""
    return {
        "domain": domain,
        "mode": mode,
        "state": state,
        "status": _badge(DCV_STATUS, state.status),
        "display": _badge(DISPLAY, state.display),
        "method": METHOD_LABELS.get(state.method, state.method) if state.method else "",
        "inherited_from": names.to_unicode(state.inherited_from) if state.inherited_from else "",
        "order": order,
        "order_status": _badge(ORDER_STATUS, state.order_status),
        "order_method": METHOD_LABELS.get(order.method, order.method) if order else "",
        "instructions": instructions,
        "is_dns": order is not None and order.method in (DcvMethod.CNAME, DcvMethod.TXT, DcvMethod.TXT_PERSIST),
        "record_type": "CNAME" if order is not None and order.method == DcvMethod.CNAME else "TXT",
        "is_file": order is not None and order.method in FILE_METHODS,
        "is_email": order is not None and order.method == DcvMethod.EMAIL,
        "email_form": email_form,
        "method_form": form if isinstance(form, DcvMethodForm) else None,
        "method_help": METHOD_HELP,
        "can_manage": policy.can(actor, Perm.MANAGE_DCV, domain),
        "notice": notice,
        "error": error,
    }


def _panel_response(request, actor, domain, *, mode: str = "", notice: str = "", error: str = "", form=None,
                    status: int = 200) -> HttpResponse:
    if is_htmx(request):
        # the page title's badge follows the panel (out-of-band swap), e.g. VALIDATED after Submit
        return render(request, "web/domains/_partials/dcv_panel.html",
                      {"panel": _panel(actor, domain, mode=mode, notice=notice, error=error, form=form),
                       "oob_badge": True}, status=status)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    url = reverse("web:domain-detail", kwargs={"pk": domain.pk})
    return redirect(url + ("?dcv=instructions" if mode == "instructions" else "") + "#dcv-panel")


def _methods_for(domain: Domain) -> list[str]:
    enabled = queries.enabled_methods(domain.customer)
    return [m for m in enabled if not (domain.is_wildcard and m in FILE_METHODS)]


@portal_view
def dcv_panel(request: HttpRequest, actor, pk) -> HttpResponse:
    domain = queries.get_domain(actor, pk)
    mode = "instructions" if request.GET.get("dcv") == "instructions" else ""
    return _panel_response(request, actor, domain, mode=mode)


@portal_view
def dcv_validate(request: HttpRequest, actor, pk) -> HttpResponse:
    """Validate: choose a method (GET), then start the order and show what to publish (POST)."""
    domain = queries.get_domain(actor, pk)
    policy.require(actor, Perm.MANAGE_DCV, domain)
    form = DcvMethodForm(request.POST or None, methods=_methods_for(domain))
    if request.method == "POST" and form.is_valid():
        try:
            services.start_dcv(actor, domain, form.cleaned_data["method"])
        except DomainError as err:
            apply_error(form, err)
        else:
            return _panel_response(request, actor, domain, mode="instructions")
    status = 400 if request.method == "POST" else 200
    if is_htmx(request):
        return render(request, "web/domains/_partials/dcv_panel.html",
                      {"panel": _panel(actor, domain, mode="choose", form=form)}, status=status)
    return render(request, "web/domains/dcv_validate.html",
                  {"domain": domain, "panel": _panel(actor, domain, mode="choose", form=form)}, status=status)


@require_POST
@portal_view
def dcv_save(request: HttpRequest, actor, pk) -> HttpResponse:
    """Save & Close: the order stays AWAITING SUBMISSION, to submit once the record or file is published."""
    domain = queries.get_domain(actor, pk)
    try:
        services.save_dcv(actor, domain)
    except DomainError as err:
        return _panel_response(request, actor, domain, error=translated(err.message))
    return _panel_response(request, actor, domain, notice=_(
        "Saved: publish the record or file, then come back and Submit."))


@require_POST
@portal_view
def dcv_submit(request: HttpRequest, actor, pk) -> HttpResponse:
    """Submit: checks DNS and HTTP(S) methods at once and shows the result or the reason it failed."""
    domain = queries.get_domain(actor, pk)
    order = queries.current_order(domain)
    email = None
    if order is not None and order.method == DcvMethod.EMAIL:
        form = DcvEmailForm(request.POST, emails=order.emails)
        if not form.is_valid():
            return _panel_response(request, actor, domain, mode="instructions", form=form, status=400,
                                   error=_("Choose the address that receives the validation email."))
        email = form.cleaned_data["email"]
    try:
        result = services.submit_dcv(actor, domain, email=email)
    except DomainError as err:
        return _panel_response(request, actor, domain, mode="instructions" if order else "",
                               error=translated(err.message))
    if result.validated:
        return _panel_response(request, actor, domain, notice=_("Domain control validated."))
    if email:
        return _panel_response(request, actor, domain, notice=_(
            "Submitted: a validation email was sent to %(email)s. The domain is validated once its recipient "
            "follows the link and enters the code.") % {"email": email})
    current = queries.current_order(domain)
    reason = (current.last_error_message if current is not None else "") or result.message
    return _panel_response(request, actor, domain, mode="instructions", error=_(
        "Submitted, not validated yet: %(reason)s It is checked again automatically.") % {"reason": translated(reason)})


@portal_view
def dcv_reset(request: HttpRequest, actor, pk) -> HttpResponse:
    """Reset (the bin): cancel the open order after a confirmation; the domain's validation, if any, stays."""
    domain = queries.get_domain(actor, pk)
    policy.require(actor, Perm.MANAGE_DCV, domain)
    if request.method == "POST":
        try:
            reset = services.reset_dcv(actor, domain)
        except DomainError as err:
            messages.error(request, translated(err.message))
        else:
            if reset:
                messages.success(request, _("The DCV order was reset: you can start again with Validate."))
            else:
                messages.info(request, _("No DCV order was open."))
        return redirect("web:domain-detail", pk=domain.pk)
    context = {"domain": domain, "order": queries.current_order(domain)}
    if is_htmx(request):
        return render(request, "web/domains/_partials/dcv_reset_confirm.html", context)
    return render(request, "web/domains/dcv_reset.html", context)


@portal_view
def domain_caa(request: HttpRequest, actor, pk) -> HttpResponse:
    """The CAA check (RFC 8659) of the domain, with the record to add when this CA is not allowed."""
    domain = queries.get_domain(actor, pk)
    result = caa.check(domain.name)
    context = {"domain": domain, "caa": result, "records": [str(r) for r in result.records]}
    if is_htmx(request):
        return render(request, "web/domains/_partials/caa_panel.html", context)
    return render(request, "web/domains/domain_caa.html", context)


# ---------------------------------------------------------------------------
# Settings → DCV methods


@portal_view
def dcv_methods(request: HttpRequest, actor) -> HttpResponse:
    can_configure = policy.can(actor, Perm.CONFIGURE_DCV)
    enabled = queries.enabled_methods(actor.customer)
    if request.method == "POST":
        policy.require(actor, Perm.CONFIGURE_DCV)
        form = DcvMethodsForm(request.POST)
        if form.is_valid():
            try:
                services.set_dcv_methods(actor, form.cleaned_data["methods"])
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("DCV methods saved."))
                return redirect("web:settings-dcv-methods")
    else:
        form = DcvMethodsForm(initial={"methods": enabled})
    if not can_configure:
        form.fields["methods"].disabled = True
    return render(request, "web/domains/dcv_methods.html", {
        "form": form, "can_configure": can_configure,
        "methods": [(METHOD_LABELS[DcvMethod(m)], METHOD_HELP[DcvMethod(m)], m in enabled) for m in DcvMethod.values],
    })


# ---------------------------------------------------------------------------
# The public page of the validation email (no login)

# What each state of the link answers: the page is always clear, and only the right code validates.
LINK_STATUS = {
    services.LinkState.OPEN: 200,
    services.LinkState.VALIDATED: 200,
    services.LinkState.UNKNOWN: 404,
    services.LinkState.USED: 410,
    services.LinkState.EXPIRED: 410,
    services.LinkState.REFUSED: 410,
    services.LinkState.CANCELLED: 410,
}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def dcv_email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the email DCV message: shows the domains and asks for the code; only a POST with
    the right code validates (a GET, such as a mail scanner's, never does). The link works once."""
    form = DcvEmailCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        link = services.confirm_email_dcv(token, form.cleaned_data["code"], ip=client_ip(request))
    else:
        link = services.email_link(token)
    status = LINK_STATUS.get(link.state, 200)
    if link.wrong_code:
        status = 400
        if link.state == services.LinkState.OPEN:
            form.add_error("code", _("This code is not the one in the email. Attempts left: %(count)s.")
                           % {"count": link.attempts_left})
    elif request.method == "POST" and form.errors and link.state == services.LinkState.OPEN:
        status = 400
    response = render(request, "web/public/dcv_email.html", {"link": link, "form": form}, status=status)
    # The token is in the URL: never sent on as a referrer, never cached, never indexed.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return no_store(response)
