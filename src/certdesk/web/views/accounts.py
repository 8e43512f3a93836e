"""Settings → Admins: list, add, edit, enable/disable and reset password of admins."""
from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from certdesk.accounts import policy, queries
from certdesk.accounts import services as accounts
from certdesk.accounts.models import Admin
from certdesk.accounts.policy import Perm
from certdesk.core.errors import DomainError
from certdesk.tenancy.queries import visible_organizations

from ..forms.accounts import AdminForm, PasswordResetForm, organization_choices, role_formset_class
from ..labels import translated
from .base import apply_error, is_htmx, no_store, portal_view
from ..paging import CappedPaginator

PAGE_SIZE = 50
EXTRA_ROLE_ROWS = 2


def _get_admin(actor, pk) -> Admin:
    return queries.get_admin(actor, pk)


@portal_view
def admin_list(request: HttpRequest, actor) -> HttpResponse:
    admins = queries.visible_admins(actor).order_by("login", "pk")
    query = request.GET.get("q", "").strip()[:64]
    if query:
        admins = admins.filter(Q(login__icontains=query) | Q(email__icontains=query) | Q(surname__icontains=query)
                               | Q(forename__icontains=query))
    page = CappedPaginator(admins, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    return render(request, "web/accounts/admin_list.html", {"admins": rows, "page": page, "query": query})


@portal_view
def admin_detail(request: HttpRequest, actor, pk) -> HttpResponse:
    admin = _get_admin(actor, pk)
    return render(request, "web/accounts/admin_detail.html", {"target": admin})


def _role_formset(request, actor, *, initial=None, extra=EXTRA_ROLE_ROWS):
    choices = organization_choices(visible_organizations(actor))
    formset_class = role_formset_class(extra)
    kwargs = {"prefix": "roles", "form_kwargs": {"org_choices": choices}}
    if request.method == "POST":
        return formset_class(request.POST, **kwargs)
    return formset_class(initial=initial or [], **kwargs)


def _credentials_from(formset) -> list[dict]:
    return [c for c in (form.credential() for form in formset.forms) if c is not None]


@sensitive_post_parameters("password")
@portal_view
def admin_create(request: HttpRequest, actor) -> HttpResponse:
    policy.require(actor, Perm.CREATE_ADMIN)
    roles = _role_formset(request, actor, extra=3)
    if request.method == "POST":
        form = AdminForm(request.POST, actor=actor)
        if form.is_valid() and roles.is_valid():
            try:
                admin = accounts.create_admin(
                    actor, password=form.cleaned_data["password"], credentials=_credentials_from(roles),
                    privileges=form.privileges_for_service(), **form.profile_values(),
                )
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("Admin %(login)s created. They must change the password at first "
                                            "login.") % {"login": admin.login})
                return redirect("web:admin-detail", pk=admin.pk)
    else:
        form = AdminForm(actor=actor)
    return render(request, "web/accounts/admin_create.html", {"form": form, "roles": roles})


@portal_view
def admin_edit(request: HttpRequest, actor, pk) -> HttpResponse:
    target = _get_admin(actor, pk)
    policy.require(actor, Perm.EDIT_ADMIN, target)
    current = [{"role": c.role, "organization": c.organization_id} for c in target.credential_list()]
    roles = _role_formset(request, actor, initial=current)
    if request.method == "POST":
        form = AdminForm(request.POST, actor=actor, editing=target, initial=AdminForm.initial_from(target))
        if form.is_valid() and roles.is_valid():
            try:
                accounts.update_admin(actor, target, credentials=_credentials_from(roles),
                                      privileges=form.privileges_for_service(), **form.profile_values())
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("Admin %(login)s saved.") % {"login": target.login})
                return redirect("web:admin-detail", pk=target.pk)
    else:
        form = AdminForm(initial=AdminForm.initial_from(target), actor=actor, editing=target)
    return render(request, "web/accounts/admin_edit.html", {"form": form, "roles": roles, "target": target})


@portal_view
def admin_disable(request: HttpRequest, actor, pk) -> HttpResponse:
    """Disabling is destructive: a confirmation (in a dialog, or a page without JavaScript), then POST."""
    target = _get_admin(actor, pk)
    if request.method == "POST":
        return _set_active(request, actor, target, False)
    context = {"target": target}
    if is_htmx(request):
        return render(request, "web/accounts/_partials/admin_disable_confirm.html", context)
    return render(request, "web/accounts/admin_disable.html", context)


@require_POST
@portal_view
def admin_enable(request: HttpRequest, actor, pk) -> HttpResponse:
    return _set_active(request, actor, _get_admin(actor, pk), True)


def _set_active(request, actor, target: Admin, active: bool) -> HttpResponse:
    try:
        accounts.set_admin_active(actor, target, active)
    except DomainError as err:
        messages.error(request, translated(err.message))
    else:
        if active:
            messages.success(request, _("Admin %(login)s enabled.") % {"login": target.login})
        else:
            messages.success(request, _("Admin %(login)s disabled: they can no longer log in.") % {
                "login": target.login})
    return redirect("web:admin-detail", pk=target.pk)


@sensitive_post_parameters("password")
@portal_view
def admin_password_reset(request: HttpRequest, actor, pk) -> HttpResponse:
    target = _get_admin(actor, pk)
    if request.method == "POST":
        form = PasswordResetForm(request.POST)
        if form.is_valid():
            try:
                _admin, password = accounts.reset_password(actor, target, form.cleaned_data["password"] or None)
            except DomainError as err:
                apply_error(form, err)
            else:
                # Shown once, never stored in a message or cached page.
                return no_store(render(request, "web/accounts/admin_password_done.html",
                                       {"target": target, "password": password}))
    else:
        form = PasswordResetForm()
    context = {"form": form, "target": target}
    if is_htmx(request) and request.method == "GET":
        return render(request, "web/accounts/_partials/admin_password_reset_form.html", context)
    return render(request, "web/accounts/admin_password_reset.html", context)
