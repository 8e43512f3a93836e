"""Strings that come from the core (labels, refusals) and that the portal shows translated.

The core keeps plain English; these literals are only marked here so `makemessages` puts
them in the catalogue, and `translated()` looks them up at render time. A test checks
that every role, privilege and status label of the core is listed.
"""
from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from ..core.i18n import Message

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
    # refusals users meet most in the portal (fixed texts; formatted ones use core.i18n.msg)
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
    # field labels that core/validators.py puts into formatted refusals ("%(label)s is required.")
    gettext_noop("Name"),
    gettext_noop("Secondary organization name"),
    gettext_noop("Street"),
    gettext_noop("Address line 2"),
    gettext_noop("Address line 3"),
    gettext_noop("Locality"),
    gettext_noop("State or province"),
    gettext_noop("Postal code"),
    gettext_noop("Organization alias"),
    gettext_noop("Academic code (SCHAC home organization)"),
    gettext_noop("Jurisdiction state"),
    gettext_noop("Jurisdiction locality"),
    gettext_noop("Registration number"),
    gettext_noop("Incorporation date"),
    gettext_noop("Contact email"),
    gettext_noop("Email"),
    gettext_noop("Forename"),
    gettext_noop("Surname"),
    gettext_noop("Telephone"),
    gettext_noop("Comments"),
    gettext_noop("Description"),
    gettext_noop("External requester"),
    gettext_noop("Message"),
    gettext_noop("Reason"),
    gettext_noop("Recipient"),
    gettext_noop("URL"),
    gettext_noop("Your email address"),
    # certificate statuses named in refusals ("this one is %(status)s")
    gettext_noop("Requested"),
    gettext_noop("Applied"),
    gettext_noop("Issued"),
    gettext_noop("Declined"),
    gettext_noop("Invalid"),
    gettext_noop("Revoked"),
    gettext_noop("Expired"),
    gettext_noop("Replaced"),
    # where a certificate request came from (reports.queries.REQUEST_SOURCES, SCM's requestedVia words)
    gettext_noop("Client Admin"),
    gettext_noop("Enrollment Form"),
    gettext_noop("ACME"),
    gettext_noop("REST API"),
    gettext_noop("Web API"),
    gettext_noop("Bulk Request"),
    gettext_noop("Imported"),
    gettext_noop("Discovery"),
    gettext_noop("MS Agent"),
    gettext_noop("Admin Enroll"),
    gettext_noop("REST Enroll API"),
    # refusals of accounts.policy shown on the 403 page and next to forms
    gettext_noop("Only an MRAO can do this to a domain."),
    gettext_noop("You do not have the privilege to manage domains (allowManageDomains)."),
    gettext_noop("You do not have the privilege to add domains (allowManageDomains)."),
    gettext_noop("This delegation is to an organization or department outside your scope."),
    gettext_noop("You cannot approve domain delegations to this organization or department."),
    gettext_noop("You do not have the DCV privilege (allowDCV)."),
    gettext_noop("Only an MRAO can choose the DCV methods of the customer."),
    gettext_noop("Only an MRAO can edit the access control list of the customer."),
    gettext_noop("You do not have the privilege to change certificate details (sslManage)."),
    gettext_noop("You are not allowed to view the audit log."),
    gettext_noop("No customer selected."),
    gettext_noop("Not allowed."),
    # fixed refusals of client certificates (certificates.smime, certificates.escrow, accounts.policy)
    gettext_noop("A passphrase is required: the PKCS #12 file is encrypted with it."),
    gettext_noop("The passphrase may not contain control characters."),
    gettext_noop("Only client certificates of a person can be renewed here."),
    gettext_noop("The escrowed key was sealed with another escrow key: restore the CERTDESK_KEY_ESCROW_KEY (or "
                 "SECRET_KEY) it was sealed with."),
    gettext_noop("The escrowed key failed its integrity check: it cannot be recovered."),
    gettext_noop("The CSR key is refused: a certificate for this key was revoked for key compromise. Generate a new "
                 "key pair."),
    gettext_noop("Only an MRAO, the admin who requested the certificate, or an admin allowed to recover keys of "
                 "client certificates (clientCertKeyRecovery) can download its private key."),
    # the CAA check's fixed answer (domains.caa); the formatted ones name records and stay as they are
    gettext_noop("No CAA record restricts issuance (none found up to the top-level domain)."),
)


def translated(value) -> str:
    """The French (or other active language) text of a core string, or the string itself.

    A `Message` (core/i18n.py: `msg("... %(name)s ...", name=...)`) is looked up by its
    template and filled with its parameters, those that are messages themselves translated
    too; a whole-text translation in the catalogue wins (fixed refusals listed above).
    """
    if value is None:
        return ""
    text = str(value)
    if not text:
        return text
    whole = gettext(text)
    template = getattr(value, "template", None)
    if whole != text or not isinstance(template, str):
        return whole
    params = getattr(value, "params", None) or {}
    if not params:
        return gettext(template)
    filled = {name: translated(param) if isinstance(param, Message) else param for name, param in params.items()}
    try:
        return gettext(template) % filled
    except (KeyError, ValueError, TypeError):  # a broken translation must not hide the refusal
        return text
