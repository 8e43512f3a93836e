"""Strings that come from the core (labels, refusals) and that the portal shows translated.

The core keeps plain English; these literals are only marked here so `makemessages` puts
them in the catalogue, and `translated()` looks them up at render time. A test checks
that every role, privilege and status label of the core is listed.
"""
from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

CORE_STRINGS = (
    # tenancy.states
    gettext_noop("Not validated"),
    gettext_noop("Pending"),
    gettext_noop("Validated"),
    gettext_noop("Rejected"),
    gettext_noop("OV"),
    gettext_noop("EV"),
    # accounts.models.AdminType
    gettext_noop("Standard (portal and API)"),
    gettext_noop("Web API Use Only"),
    # accounts.roles.ROLE_LABELS
    gettext_noop("MRAO (all organizations)"),
    gettext_noop("RAO – SSL"),
    gettext_noop("RAO – Client certificates"),
    gettext_noop("RAO – Code Signing"),
    gettext_noop("DRAO – SSL"),
    gettext_noop("DRAO – Client certificates"),
    gettext_noop("DRAO – Code Signing"),
    # accounts.roles.PRIVILEGE_LABELS
    gettext_noop("Allow creating of peer admin users"),
    gettext_noop("Allow editing of peer admin users (and resetting their password)"),
    gettext_noop("Allow deleting of peer admin users"),
    gettext_noop("Allow DCV"),
    gettext_noop("Allow domain creation"),
    gettext_noop("Allow domain delegation approval"),
    gettext_noop("Allow SSL auto approve"),
    gettext_noop("Allow SSL details changing"),
    gettext_noop("Allow SSL approve"),
    gettext_noop("Allow key recovery of client certificates"),
    gettext_noop("Allow adding departments"),
    gettext_noop("Allow editing departments"),
    gettext_noop("Organization validation manager"),
    # refusals users meet most in the portal (fixed texts only; formatted ones stay English)
    gettext_noop("Invalid customer, login or password."),
    gettext_noop("The current password is wrong."),
    gettext_noop("The new password must differ from the current one."),
    gettext_noop("A new password is required."),
    gettext_noop("A password is required."),
    gettext_noop("The MRAO who triggered the validation cannot decide it: another MRAO must approve or reject it."),
    gettext_noop("Departments follow their organization's validation: validate the organization."),
    gettext_noop("Only an MRAO can create organizations."),
    gettext_noop("Only an MRAO can do this to an organization."),
    gettext_noop("Locality or state/province is required."),
    gettext_noop("Country is required (a 2-letter ISO 3166 code)."),
    gettext_noop("Name is required."),
    gettext_noop("Forename is required."),
    gettext_noop("Surname is required."),
    gettext_noop("Reason is required."),
    gettext_noop("Organization not found."),
    gettext_noop("Admin not found."),
    gettext_noop("You cannot change your own roles, status or password this way."),
    gettext_noop("This admin has roles outside your scope."),
    gettext_noop("An admin needs at least one role (credential)."),
    gettext_noop("Login must be 3 to 128 characters: letters, digits and . _ @ + - only."),
    gettext_noop("You do not have the privilege to create admins (allowCreate)."),
    gettext_noop("You are not allowed to add departments to this organization."),
    gettext_noop("You are not allowed to edit this department."),
)


def translated(value) -> str:
    """The French (or other active language) text of a core string, or the string itself."""
    if value is None:
        return ""
    text = str(value)
    return gettext(text) if text else text
