"""Reads of persons, always through the actor's scope (accounts.policy.scope_persons)."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from certdesk.accounts import policy
from certdesk.core import validators
from certdesk.core.actor import Actor
from certdesk.core.errors import DomainError
from certdesk.tenancy.models import Organization

from .errors import PersonNotFound
from .models import Person


def visible_persons(actor: Actor, *, search: str = "", name: str = "", organization_id: int | None = None,
                    email: str = "", common_name: str = "", phone: str = "", secondary_email: str = "",
                    order: str = "name") -> QuerySet[Person]:
    """Persons the actor may see, filtered like SCM's list.

    `search` (the portal's box): part of a name, the common name or an email (primary or secondary);
    `name`: part of the first, middle or last name or the common name; `email` and
    `secondary_email`: that address exactly (any case), so scripts find exactly one person;
    `common_name` and `phone`: part of them. `order`: "name" (portal) or "id" (API paging).
    """
    qs = policy.scope_persons(actor).select_related("organization", "organization__parent")
    if search.strip():
        text = search.strip()
        qs = qs.filter(_name_matches(text) | Q(email__icontains=text)
                       | Q(secondary_emails_index__contains=text.lower()))
    if name.strip():
        qs = qs.filter(_name_matches(name.strip()))
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    if email.strip():
        qs = qs.filter(email__iexact=email.strip())
    if common_name.strip():
        qs = qs.filter(common_name__icontains=common_name.strip())
    if phone.strip():
        qs = qs.filter(phone__icontains=phone.strip())
    if secondary_email.strip():
        qs = qs.filter(secondary_emails_index__contains=f",{secondary_email.strip().lower()},")
    if order == "id":
        return qs.order_by("id")
    return qs.order_by("last_name", "first_name", "id")


def _name_matches(text: str) -> Q:
    query = Q()
    for word in text.split():
        query &= (Q(first_name__icontains=word) | Q(middle_name__icontains=word) | Q(last_name__icontains=word)
                  | Q(common_name__icontains=word))
    return query


def get_person(actor: Actor, person_id) -> Person:
    try:
        person_id = int(person_id)
    except (TypeError, ValueError):
        raise PersonNotFound("Person not found.") from None
    person = policy.scope_persons(actor).select_related("organization", "organization__parent").filter(
        pk=person_id).first()
    if person is None:
        raise PersonNotFound("Person not found.")
    return person


def get_person_by_email(actor: Actor, email: str) -> Person:
    """The person whose (primary) email this is, any case; not a valid address reads as not found."""
    try:
        email = validators.email(email)
    except DomainError:
        raise PersonNotFound("Person not found.") from None
    person = policy.scope_persons(actor).filter(email__iexact=email).first()
    if person is None:
        raise PersonNotFound(f"Person {email} not found.")
    return person


def person_organizations(actor: Actor) -> QuerySet[Organization]:
    """Organizations and departments where the actor may add persons (a client-certificate role)."""
    return policy.scope(actor, Organization.objects.select_related("parent"), cert_type="SMIME").order_by(
        "name", "id")
