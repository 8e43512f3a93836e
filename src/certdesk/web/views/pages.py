"""Dashboard, About, Settings and the menus that are not built yet."""
from __future__ import annotations

import importlib.metadata

from django.http import HttpRequest, HttpResponse
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from certdesk.accounts import policy
from certdesk.tenancy import services as tenancy
from certdesk.tenancy.queries import visible_organizations

from .base import portal_view

# The menus of seed 000 that this version does not offer yet, with what they will hold.
UNAVAILABLE = {
    "certificates": (_("Certificates"), _("View and request SSL, client and code signing certificates.")),
    "discovery": (_("Discovery"), _("Scan your networks for certificates and add them to the inventory.")),
    "persons": (_("Persons"), _("People who hold client certificates.")),
    "reports": (_("Reports"), _("Reports on certificates, discovery, notifications and activity.")),
    "enrollments": (_("Enrollments"), _("Certificate profiles, self-enrollment forms and ACME accounts.")),
    "integrations": (_("Integrations"), _("Agents and other integrations.")),
}

# What works in this version of the portal (About → enabled features).
FEATURES = (
    _("Login with username and password, per customer; forced password change"),
    _("Organizations and departments: create, edit, contact details and EV details"),
    _("Organization validation (OV anchor) triggered by an MRAO and decided by another MRAO"),
    _("Admins: MRAO, RAO and DRAO roles, privileges, enable and disable, password reset"),
    _("Portal in English and French"),
)


def product_version() -> str:
    import certdesk

    version = getattr(certdesk, "__version__", None)
    if version:
        return str(version)
    try:
        return importlib.metadata.version("certdesk")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@portal_view
def dashboard(request: HttpRequest, actor) -> HttpResponse:
    orgs = visible_organizations(actor)
    counts = {
        "organizations": orgs.filter(parent__isnull=True).count(),
        "departments": orgs.filter(parent__isnull=False).count(),
        "admins": policy.visible_admins(actor).count(),
    }
    return render(request, "web/portal/dashboard.html", {"counts": counts})


@portal_view
def unavailable(request: HttpRequest, actor, section: str) -> HttpResponse:
    title, description = UNAVAILABLE[section]
    return render(request, "web/portal/unavailable.html", {"title": title, "description": description})


@portal_view
def settings_index(request: HttpRequest, actor) -> HttpResponse:
    """Settings; an MRAO also sets the customer-wide options here (POST)."""
    is_mrao = policy.is_mrao(actor)
    if request.method == "POST":
        if not is_mrao:
            return render(request, "web/portal/settings.html", {"is_mrao": False}, status=403)
        tenancy.update_customer_settings(actor, rao_can_create_rao=request.POST.get("rao_can_create_rao") == "on")
        messages.success(request, _("Customer settings saved."))
        return redirect("web:settings")
    return render(request, "web/portal/settings.html", {"is_mrao": is_mrao, "customer": actor.customer})


def _download(name: str, slug: str) -> str:
    try:
        return reverse(name, kwargs={"slug": slug})
    except NoReverseMatch:
        return ""


def certificate_authorities() -> list[dict]:
    """The CA certificates table; empty while the CA app does not offer its query yet."""
    try:
        from certdesk.ca.queries import public_authorities
    except ImportError:
        return []
    rows = []
    for ca in public_authorities():
        rows.append({
            "ca": ca,
            "pem": _download("ca:download-pem", ca.slug),
            "der": _download("ca:download-der", ca.slug),
            "chain": _download("ca:download-chain", ca.slug),
        })
    return rows


@portal_view
def about(request: HttpRequest, actor) -> HttpResponse:
    return render(request, "web/portal/about.html", {
        "version": product_version(),
        "features": FEATURES,
        "not_yet": [title for title, _description in UNAVAILABLE.values()],
        "authorities": certificate_authorities(),
    })
