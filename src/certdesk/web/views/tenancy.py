"""Organizations menu: organizations, their departments and their validation (OV anchor)."""
from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core.errors import DomainError
from certdesk.tenancy import services as tenancy
from certdesk.tenancy.models import Organization
from certdesk.tenancy.queries import get_organization, get_validation, visible_organizations
from certdesk.tenancy.states import TRANSITIONS, ValidationRequestStatus, ValidationStatus

from ..forms.tenancy import DepartmentForm, OrganizationForm, RejectValidationForm
from ..labels import translated
from .base import apply_error, is_htmx, portal_view
from ..paging import CappedPaginator

PAGE_SIZE = 50


def _status(org: Organization) -> tuple[str, str]:
    value = org.effective_validation_status()
    return value, ValidationStatus(value).label


@portal_view
def organization_list(request: HttpRequest, actor) -> HttpResponse:
    visible = visible_organizations(actor)
    query = request.GET.get("q", "").strip()[:64]
    organizations = visible.filter(parent__isnull=True).annotate(department_count=Count("departments"))
    if query:
        organizations = organizations.filter(name__icontains=query)
    page = CappedPaginator(organizations.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"org": org, "status": _status(org)} for org in page.object_list]
    # Departments whose organization the actor does not see (a DRAO's own departments).
    departments = visible.filter(parent__isnull=False).exclude(parent__in=visible.filter(parent__isnull=True))
    if query:
        departments = departments.filter(name__icontains=query)
    department_rows = [{"org": dept, "status": _status(dept)} for dept in departments.order_by("parent__name",
                                                                                                "name")[:PAGE_SIZE]]
    return render(request, "web/tenancy/organization_list.html", {
        "rows": rows, "page": page, "department_rows": department_rows, "query": query,
    })


def _validation_context(actor, org: Organization, *, error: str = "", notice: str = "") -> dict:
    status, label = _status(org)
    validations = list(org.validations.select_related("submitted_by", "decided_by")[:20])
    return {
        "org": org,
        "status": status,
        "status_label": label,
        "validations": validations,
        "pending": next((v for v in validations if v.status == ValidationRequestStatus.PENDING), None),
        "can_submit": status in TRANSITIONS["submit"] and policy.can(actor, Perm.SUBMIT_VALIDATION, org),
        "can_decide": policy.can(actor, Perm.DECIDE_VALIDATION, org),
        "error": error,
        "notice": notice,
    }


@portal_view
def organization_detail(request: HttpRequest, actor, pk) -> HttpResponse:
    org = get_organization(actor, pk)
    context = {"org": org, "status": _status(org)}
    if org.is_department:
        context["parent_visible"] = policy.covers(actor, org.parent)
        return render(request, "web/tenancy/department_detail.html", context)
    departments = visible_organizations(actor).filter(parent=org).order_by("name")
    context["departments"] = [{"org": d, "status": _status(d)} for d in departments]
    context["panel"] = _validation_context(actor, org)
    return render(request, "web/tenancy/organization_detail.html", context)


@portal_view
def organization_create(request: HttpRequest, actor) -> HttpResponse:
    policy.require(actor, Perm.CREATE_ORGANIZATION)
    if request.method == "POST":
        form = OrganizationForm(request.POST, with_ev=True)
        if form.is_valid():
            try:
                org = tenancy.create_organization(actor, **form.values())
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("Organization %(name)s created.") % {"name": org.name})
                return redirect("web:organization-detail", pk=org.pk)
    else:
        form = OrganizationForm(with_ev=True)
    return render(request, "web/tenancy/organization_create.html", {"form": form})


@portal_view
def organization_edit(request: HttpRequest, actor, pk) -> HttpResponse:
    org = get_organization(actor, pk)
    policy.require(actor, Perm.EDIT_ORGANIZATION, org)
    if org.is_department:
        return _department_edit(request, actor, org)
    with_ev = policy.can(actor, Perm.EDIT_EV_DETAILS, org)
    if request.method == "POST":
        form = OrganizationForm(request.POST, with_ev=with_ev)
        if form.is_valid():
            try:
                tenancy.update_organization(actor, org, **form.values())
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("Organization saved."))
                return redirect("web:organization-detail", pk=org.pk)
    else:
        form = OrganizationForm(initial=OrganizationForm.initial_from(org), with_ev=with_ev)
    return render(request, "web/tenancy/organization_edit.html", {"form": form, "org": org})


def _department_edit(request: HttpRequest, actor, dept: Organization) -> HttpResponse:
    if request.method == "POST":
        form = DepartmentForm(request.POST)
        if form.is_valid():
            try:
                tenancy.update_organization(actor, dept, **form.values())
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("Department saved."))
                return redirect("web:organization-detail", pk=dept.pk)
    else:
        form = DepartmentForm(initial=DepartmentForm.initial_from(dept))
    return render(request, "web/tenancy/department_edit.html", {"form": form, "dept": dept})


@portal_view
def department_create(request: HttpRequest, actor, pk) -> HttpResponse:
    parent = get_organization(actor, pk)
    policy.require(actor, Perm.CREATE_DEPARTMENT, parent)
    if request.method == "POST":
        form = DepartmentForm(request.POST)
        if form.is_valid():
            try:
                dept = tenancy.create_department(actor, parent, **form.values())
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("Department %(name)s added.") % {"name": dept.name})
                return redirect("web:organization-detail", pk=parent.pk)
    else:
        form = DepartmentForm()
    return render(request, "web/tenancy/department_create.html", {"form": form, "parent": parent})


# ---------------------------------------------------------------------------
# Validation (the OV anchor): submit and approve swap the panel in place with HTMX;
# without JavaScript they redirect back to the organization with a message.


def _panel_or_redirect(request, actor, org, *, error: str = "", notice: str = "") -> HttpResponse:
    if is_htmx(request):
        org.refresh_from_db()
        return render(request, "web/tenancy/_partials/validation_panel.html",
                      {"panel": _validation_context(actor, org, error=error, notice=notice)})
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect("web:organization-detail", pk=org.pk)


@require_POST
@portal_view
def validation_submit(request: HttpRequest, actor, pk) -> HttpResponse:
    org = get_organization(actor, pk)
    try:
        tenancy.submit_validation(actor, org)
    except DomainError as err:
        return _panel_or_redirect(request, actor, org, error=translated(err.message))
    return _panel_or_redirect(request, actor, org, notice=_(
        "Validation submitted: another MRAO must now approve or reject it."))


@require_POST
@portal_view
def validation_approve(request: HttpRequest, actor, pk, validation_pk) -> HttpResponse:
    org = get_organization(actor, pk)
    validation = get_validation(actor, org, validation_pk)
    try:
        tenancy.approve_validation(actor, validation)
    except DomainError as err:
        return _panel_or_redirect(request, actor, org, error=translated(err.message))
    return _panel_or_redirect(request, actor, org, notice=_("Organization validated."))


@portal_view
def validation_reject(request: HttpRequest, actor, pk, validation_pk) -> HttpResponse:
    org = get_organization(actor, pk)
    validation = get_validation(actor, org, validation_pk)
    if request.method == "POST":
        form = RejectValidationForm(request.POST)
        if form.is_valid():
            try:
                tenancy.reject_validation(actor, validation, reason=form.cleaned_data["reason"])
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("Validation rejected."))
                return redirect("web:organization-detail", pk=org.pk)
    else:
        form = RejectValidationForm()
    context = {"form": form, "org": org, "validation": validation}
    if is_htmx(request) and request.method == "GET":
        return render(request, "web/tenancy/_partials/validation_reject_form.html", context)
    return render(request, "web/tenancy/validation_reject.html", context)
