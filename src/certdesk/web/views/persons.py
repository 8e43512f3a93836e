"""Persons menu: the people who will hold client certificates (seed 000 "Persons (Personnes)").

List (search by name or email, filter by organization or department, server-side paging; HTMX
refreshes the table only), add, the person's page, edit (refused when the person changed since
the form was shown: hidden `modified` stamp), delete (confirmation dialog, or its own page
without JavaScript). Who sees what: accounts.policy (MRAO; RAO/DRAO of client certificates).
"""
from __future__ import annotations

from datetime import UTC

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core.errors import DomainError
from certdesk.persons import queries, services
from certdesk.persons.models import Person

from ..forms.persons import PAGE_SIZES, VALIDATION_TYPE_LABELS, PersonFilterForm, PersonForm
from ..paging import CappedPaginator
from .base import apply_error, is_htmx, portal_view
from . import smime as smime_views

PAGE_SIZE = 50
TABLE_TARGET = "person-table"
FIELD_ALIASES = {"organizationId": "organization", "secondaryEmails": "secondary_emails"}


def stamp(person: Person) -> str:
    """The version of the person a form was rendered from (its `modified`, to the microsecond)."""
    return person.modified.astimezone(UTC).strftime("%Y%m%d%H%M%S%f") if person.modified else ""


def _org_label(org) -> str:
    return f"{org.parent.name} / {org.name}" if org.parent_id else org.name


def _organizations(actor) -> list:
    """Where the actor may add persons (client-certificate roles), for the form's choices (one query)."""
    return list(queries.person_organizations(actor))


# ---------------------------------------------------------------------------
# List


@portal_view
def person_list(request: HttpRequest, actor) -> HttpResponse:
    organizations = _organizations(actor)
    form = PersonFilterForm(request.GET or None, organizations=organizations)
    values = form.values()
    persons = queries.visible_persons(actor, search=values["q"], organization_id=values["org"])
    size = PAGE_SIZE
    try:
        if int(request.GET.get("size", "")) in PAGE_SIZES:
            size = int(request.GET["size"])
    except ValueError:
        pass
    page = CappedPaginator(persons, size).get_page(request.GET.get("page"))
    rows = [{"person": p, "organization": _org_label(p.organization),
             "validation_type": VALIDATION_TYPE_LABELS.get(p.validation_type, p.validation_type)}
            for p in page.object_list]
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {
        "form": form, "rows": rows, "page": page, "query": urlencode(query), "filtered": bool(query),
        "invalid": bool(request.GET) and not form.is_valid(),
        "can_create": bool(organizations),
        "has_role": bool(organizations) or policy.is_mrao(actor),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == TABLE_TARGET:
        return render(request, "web/persons/_partials/person_table.html", context)
    return render(request, "web/persons/person_list.html", context)


# ---------------------------------------------------------------------------
# Add, detail, edit, delete


def _target(actor, organizations: list, org_id: int | None):
    """The organization chosen in the form, among those offered (others read as missing)."""
    return next((o for o in organizations if o.pk == org_id), None)


@portal_view
def person_create(request: HttpRequest, actor) -> HttpResponse:
    organizations = _organizations(actor)
    if not organizations:
        return render(request, "web/portal/error.html", {
            "title": _("Not allowed"),
            "text": _("Persons are managed by MRAOs and by RAO/DRAO admins of client certificates: you hold no "
                      "client certificate role."),
        }, status=403)
    status = 200
    if request.method == "POST":
        form = PersonForm(request.POST, organizations=organizations)
        if form.is_valid():
            organization = _target(actor, organizations, form.cleaned_data["organization"])
            try:
                person = services.create_person(actor, organization, **form.service_values())
            except DomainError as err:
                apply_error(form, err, FIELD_ALIASES)
            else:
                messages.success(request, _("Person %(name)s added.") % {"name": person.common_name})
                return redirect("web:person-detail", pk=person.pk)
        status = 400
    else:
        initial = {"organization": organizations[0].pk} if len(organizations) == 1 else {}
        form = PersonForm(initial=initial, organizations=organizations)
    return render(request, "web/persons/person_create.html", {"form": form}, status=status)


def detail_context(actor, person: Person) -> dict:
    """The person's page, but for its invitations section (views.invitations adds it)."""
    return {
        "person": person,
        "organization": _org_label(person.organization),
        "validation_type": VALIDATION_TYPE_LABELS.get(person.validation_type, person.validation_type),
        "can_manage": policy.can(actor, Perm.MANAGE_PERSON, person),
        **smime_views.person_certificates(actor, person),  # the Certificates section
    }


@portal_view
def person_detail(request: HttpRequest, actor, pk) -> HttpResponse:
    from .invitations import person_invitations

    person = queries.get_person(actor, pk)
    return render(request, "web/persons/person_detail.html", {
        **detail_context(actor, person),
        **person_invitations(actor, person),  # the Invitations section
    })


def _initial(person: Person) -> dict:
    return {"organization": person.organization_id, "email": person.email, "first_name": person.first_name,
            "middle_name": person.middle_name, "last_name": person.last_name, "common_name": person.common_name,
            "validation_type": person.validation_type, "phone": person.phone,
            "secondary_emails": "\n".join(person.secondary_emails or []), "eppn": person.eppn, "upn": person.upn,
            "modified": stamp(person)}


@portal_view
def person_edit(request: HttpRequest, actor, pk) -> HttpResponse:
    person = queries.get_person(actor, pk)
    policy.require(actor, Perm.MANAGE_PERSON, person)
    organizations = _organizations(actor)
    status = 200
    if request.method == "POST":
        form = PersonForm(request.POST, organizations=organizations)
        if form.is_valid():
            if form.cleaned_data["modified"] != stamp(person):
                # Someone changed the person since this form was shown: show what it is now, save nothing.
                form = PersonForm(_initial(person), organizations=organizations)
                form.is_valid()
                form.add_error(None, _("This person was changed by someone else since this page was shown. Nothing "
                                       "was saved: the form now shows the current values, make your changes again."))
                return render(request, "web/persons/person_edit.html", {"form": form, "person": person}, status=409)
            values = form.service_values()
            if values["common_name"] == person.common_name:
                del values["common_name"]  # unchanged: a default common name follows the names
            organization = _target(actor, organizations, form.cleaned_data["organization"])
            try:
                services.update_person(actor, person, organization=organization, **values)
            except DomainError as err:
                apply_error(form, err, FIELD_ALIASES)
            else:
                messages.success(request, _("Person saved."))
                return redirect("web:person-detail", pk=person.pk)
        status = 400
    else:
        form = PersonForm(initial=_initial(person), organizations=organizations)
    return render(request, "web/persons/person_edit.html", {"form": form, "person": person}, status=status)


@portal_view
def person_delete(request: HttpRequest, actor, pk) -> HttpResponse:
    """A confirmation (dialog, or a page without JavaScript), then POST."""
    person = queries.get_person(actor, pk)
    policy.require(actor, Perm.MANAGE_PERSON, person)
    if request.method == "POST":
        name = person.common_name
        services.delete_person(actor, person)
        messages.success(request, _("Person %(name)s deleted.") % {"name": name})
        url = reverse("web:person-list")
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    context = {"person": person}
    if is_htmx(request):
        return render(request, "web/persons/_partials/person_delete_confirm.html", context)
    return render(request, "web/persons/person_delete.html", context)
