"""Template context shared by every portal page: the menu, the actor, the language switch."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass
class MenuItem:
    key: str
    url_name: str
    label: Promise
    children: list["MenuItem"] = field(default_factory=list)
    url: str = ""
    active: bool = False
    current: bool = False


# The SCM main menu, in seed 000's order (Settings carries Admins).
MENU = (
    ("dashboard", "web:dashboard", _("Dashboard"), ()),
    ("certificates", "web:certificate-list", _("Certificates"), (
        ("ssl", "web:certificate-list", _("SSL Certificates")),
        ("client", "web:smime-list", _("Client Certificates")),
    )),
    ("discovery", "web:discovery-list", _("Discovery"), ()),
    ("domains", "web:domain-list", _("Domains"), ()),
    ("organizations", "web:organization-list", _("Organizations"), ()),
    ("persons", "web:person-list", _("Persons"), ()),
    ("reports", "web:report-list", _("Reports"), (
        ("certificates", "web:report-certificates", _("Certificates")),
        ("domains", "web:report-domains", _("Domains and DCV")),
        ("notifications", "web:report-notifications", _("Notification log")),
        ("activity", "web:report-activity", _("Activity")),
    )),
    ("enrollments", "web:enrollment-list", _("Enrollments"), (
        ("acme", "web:enrollment-acme-list", _("ACME accounts")),
        ("webforms", "web:enrollment-webform-list", _("SSL web forms")),
        ("endpoints", "web:enrollment-endpoint-list", _("Enrollment endpoints")),
    )),
    ("integrations", "web:integration-list", _("Integrations"), ()),
    ("settings", "web:settings", _("Settings"), (("admins", "web:admin-list", _("Admins")),)),
    ("about", "web:about", _("About"), ()),
)

# URL name prefix -> (menu section, sub-section)
SECTIONS = (
    ("organization-", ("organizations", "")),
    ("department-", ("organizations", "")),
    ("validation-", ("organizations", "")),
    ("admin-", ("settings", "admins")),
    ("settings", ("settings", "")),
    ("certificate-", ("certificates", "ssl")),
    ("smime-", ("certificates", "client")),
    ("discovery-", ("discovery", "")),
    ("domain-", ("domains", "")),
    ("person-", ("persons", "")),
    ("report-certificates", ("reports", "certificates")),
    ("report-domains", ("reports", "domains")),
    ("report-notifications", ("reports", "notifications")),
    ("report-activity", ("reports", "activity")),
    ("report-", ("reports", "")),
    ("enrollment-acme", ("enrollments", "acme")),
    ("enrollment-webform", ("enrollments", "webforms")),
    ("enrollment-endpoint", ("enrollments", "endpoints")),
    ("enrollment-", ("enrollments", "")),
    ("integration-", ("integrations", "")),
    ("dashboard", ("dashboard", "")),
    ("about", ("about", "")),
)


def section_of(url_name: str | None) -> tuple[str, str]:
    for prefix, section in SECTIONS:
        if url_name and url_name.startswith(prefix):
            return section
    return "", ""


def build_menu(url_name: str | None) -> list[MenuItem]:
    section, sub = section_of(url_name)
    items = []
    for key, name, label, children in MENU:
        item = MenuItem(key=key, url_name=name, label=label, url=reverse(name), active=key == section)
        for child_key, child_name, child_label in children:
            child = MenuItem(key=child_key, url_name=child_name, label=child_label, url=reverse(child_name))
            child.active = item.active and sub == child_key
            child.current = child_name == f"web:{url_name}"
            item.children.append(child)
        item.current = name == f"web:{url_name}"
        items.append(item)
    return items


def portal(request):
    match = getattr(request, "resolver_match", None)
    if match is None or match.app_name != "web":
        return {}
    actor = getattr(request, "actor", None)
    return {
        "actor": actor,
        "portal_customer": actor.customer if actor else None,
        # While a password change is forced the menu would only lead back to that form.
        "menu": build_menu(match.url_name) if actor and not actor.admin.must_change_password else [],
        "portal_languages": settings.LANGUAGES,
    }
