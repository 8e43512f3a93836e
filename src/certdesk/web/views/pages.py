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

from .base import portal_view

# The menus of seed 000 that this version does not offer yet, with what they will hold.
UNAVAILABLE = {
    "integrations": (_("Integrations"), _("Agents and other integrations.")),
}

# What works in this version of the portal (About → enabled features).
FEATURES = (
    _("Login with username and password, per customer; forced password change"),
    _("Organizations and departments: create, edit, contact details and EV details"),
    _("Organization validation (OV anchor) triggered by an MRAO and decided by another MRAO"),
    _("Admins: MRAO, RAO and DRAO roles, privileges, enable and disable, password reset"),
    _("Portal in English and French"),
    _("SSL certificates: list with filters, request, approve, decline, revoke, renew, replace, edit, download "
      "in every format"),
    _("ACME accounts: create with Key ID and HMAC key, bound domains, ACME clients, suspend, delete"),
    _("SSL self-enrollment web forms: access code, assigned profiles, automatic approval, public request page"),
    _("Dashboard with charts of your scope; reports on certificates, domains and DCV, notifications and activity, "
      "exported as CSV or XLSX"),
    _("Persons (future holders of client certificates): list with search and filter, add, edit, delete"),
    _("Discovery: scan tasks over your IP ranges and host names (run now or daily/weekly), discovered "
      "certificates with their locations, managed or not, import into the SSL inventory"),
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
    """Figures and charts of the admin's scope, each linking to the filtered list behind it (issue 8)."""
    from .reports import dashboard_context

    return render(request, "web/portal/dashboard.html", dashboard_context(actor))


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
