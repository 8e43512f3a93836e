"""The portal in a real browser: log in, forced password change, a department and its DRAO,
a domain validated through DNS on loopback, French, bad input next to its field, an expired
session, a narrow screen. Screenshots of the main pages are saved along the way."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from certdesk.accounts.models import Admin
from certdesk.domains import services as domains
from certdesk.domains.models import DcvOrder, Domain
from certdesk.domains.states import DcvStatus
from certdesk.tenancy.models import Organization

from .a11y import audit
from .conftest import PASSWORD, actor_for

pytestmark = [pytest.mark.slow]

NEW_PASSWORD = "Lyon-Campus-Passphrase-42"
MENU_FR = ["Tableau de bord", "Certificats", "Découverte", "Domaines", "Organisations", "Personnes", "Rapports",
           "Inscriptions", "Intégrations", "Paramètres", "À propos"]


def field_error(page, label: str):
    """The error list of the field labelled `label` (inside the same .field wrapper)."""
    control = page.get_by_label(label, exact=True)
    return control.locator("xpath=ancestor::div[contains(@class,'field')][1]").locator(".errorlist")


def test_login_then_forced_password_change_with_errors_next_to_the_fields(portal, newcomer):
    page = portal.page
    portal.goto("/")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to certdesk")
    portal.shot("login")

    portal.login("newcomer", "wrong-password-123")
    expect(page.locator(".form-errors")).to_contain_text("Invalid customer, login or password.")

    portal.login("newcomer")
    expect(page).to_have_url(re.compile(r"/password/change/$"))
    # a too-short password is refused next to its field, not in a 500 or a banner only
    page.get_by_label("Current password", exact=True).fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Confirm the new password", exact=True).fill("short")
    page.get_by_role("button", name=re.compile("Change")).click()
    error = field_error(page, "New password")
    expect(error).to_be_visible()
    expect(error).to_contain_text("too short")
    new_password = page.get_by_label("New password", exact=True)
    expect(new_password).to_have_attribute("aria-invalid", "true")
    assert "_error" in (new_password.get_attribute("aria-describedby") or "")
    portal.shot("password-change-error")

    # every portal page sends back here until the password is changed
    portal.goto("/domains/")
    expect(page).to_have_url(re.compile(r"/password/change/$"))
    page.get_by_label("Current password", exact=True).fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm the new password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("Change")).click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator(".messages")).to_contain_text("Your password has been changed.")
    assert not Admin.objects.get(pk=newcomer.pk).must_change_password

    portal.logout()
    portal.login("newcomer", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_mrao_creates_a_department_and_its_drao_who_then_logs_in(portal, mrao, univ):
    page = portal.page
    portal.login("mrao")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    portal.shot("dashboard")

    portal.menu("Organizations")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Organizations"))
    portal.shot("organizations")
    page.get_by_role("link", name="Universite de Lyon").first.click()
    page.get_by_role("link", name="Add department").click()
    # empty name: the error is shown next to the Name field
    page.get_by_role("button", name="Add department").click()
    expect(field_error(page, "Name")).to_contain_text("required")
    page.get_by_label("Name", exact=True).fill("Biologie")
    page.get_by_label("Contact emails", exact=True).fill("bio@univ-lyon.example")
    page.get_by_role("button", name="Add department").click()
    expect(page.get_by_role("table", name="Departments")).to_contain_text("Biologie")
    biology = Organization.objects.get(name="Biologie")
    assert biology.parent_id == univ.pk

    portal.menu("Settings")
    page.get_by_role("link", name="Admins", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Admins")
    portal.shot("settings-admins")
    page.get_by_role("link", name="Add admin").click()
    page.get_by_label("Login", exact=True).fill("drao_bio")
    page.get_by_label("Email", exact=True).fill("drao@bio.univ-lyon.example")
    page.get_by_label("Forename", exact=True).fill("Bastien")
    page.get_by_label("Surname", exact=True).fill("Biolo")
    page.get_by_label("Initial password", exact=True).fill(PASSWORD)
    page.get_by_label("Role, row 1").select_option("DRAO_SSL")
    page.get_by_label("Organization or department, row 1").select_option(str(biology.pk))
    page.get_by_label(re.compile("allowDCV")).check()
    page.get_by_role("button", name="Create admin").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bastien")
    drao = Admin.objects.get(login="drao_bio")
    assert drao.must_change_password
    assert [(c.role, c.organization_id) for c in drao.credentials.all()] == [("DRAO_SSL", biology.pk)]

    portal.logout()
    portal.login("drao_bio")
    expect(page).to_have_url(re.compile(r"/password/change/$"))
    page.get_by_label("Current password", exact=True).fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm the new password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("Change")).click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator(".who")).to_contain_text("drao_bio")
    # the DRAO sees its department only
    portal.menu("Organizations")
    expect(page.get_by_role("main")).to_contain_text("Biologie")
    expect(page.get_by_role("main")).not_to_contain_text("Universite de Nantes")


def test_add_a_domain_and_validate_it_through_dns(portal, mrao, univ, dns):
    page = portal.page
    portal.login("mrao")
    portal.menu("Domains")
    page.get_by_role("link", name="Add domain").click()
    # bad input first: a public suffix is refused next to the field
    page.get_by_label("Domain", exact=True).fill("ac.uk")
    page.get_by_label("Organization or department (delegation 1)").select_option(str(univ.pk))
    page.get_by_role("group", name="Certificate types (delegation 1)").get_by_label("SSL").check()
    page.get_by_role("button", name="Add domain").click()
    expect(field_error(page, "Domain")).to_contain_text("public suffix")
    page.get_by_label("Domain", exact=True).fill("univ-lyon.test")
    page.get_by_label("Organization or department (delegation 1)").select_option(str(univ.pk))
    page.get_by_role("group", name="Certificate types (delegation 1)").get_by_label("SSL").check()
    page.get_by_role("button", name="Add domain").click()
    expect(page).to_have_url(re.compile(r"/domains/\d+/$"))  # the POST is done before the database is read
    domain = Domain.objects.get(name="univ-lyon.test")
    expect(page).to_have_url(re.compile(rf"/domains/{domain.pk}/$"))

    panel = page.locator("#dcv-panel")
    expect(panel).to_contain_text("NOT VALIDATED")
    panel.get_by_role("link", name="Validate").click()
    panel.get_by_role("radio", name="DNS TXT").first.check()  # DNS TXT, then DNS TXT (persistent)
    panel.get_by_role("button", name="Next").click()
    expect(panel).to_contain_text("AWAITING SUBMISSION")
    order = DcvOrder.objects.get(domain=domain)
    expect(panel).to_contain_text(order.value)
    portal.shot("domain-dcv-instructions")

    # the record is published on the loopback DNS server the DCV check asks
    dns.add(f'{order.host} 60 IN TXT "{order.value}"')
    panel.get_by_role("button", name="Submit").click()
    expect(panel).to_contain_text("Domain control validated.")
    expect(panel.locator(".badge.ok")).to_have_text("VALIDATED")
    expect(page.locator("#domain-display-badge")).to_have_text("VALIDATED")  # the title follows, no reload
    portal.shot("domain-dcv")
    domain.refresh_from_db()
    assert domain.dcv_status == DcvStatus.VALIDATED

    portal.menu("Domains")
    expect(page.get_by_role("main")).to_contain_text("univ-lyon.test")
    portal.shot("domains")


def test_switch_to_french_changes_the_menu_and_keeps_the_page(portal, mrao, univ):
    page = portal.page
    portal.login("mrao")
    portal.menu("Organizations")
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_url(re.compile(r"/organizations/$"))
    menu = page.get_by_role("navigation", name="Menu principal")
    expect(menu.locator(":scope > ul > li > a")).to_have_text(MENU_FR)
    menu.get_by_role("link", name="Tableau de bord", exact=True).click()
    expect(menu.locator(":scope > ul > li > a")).to_have_text(MENU_FR)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    assert audit(page) == []
    portal.shot("dashboard-fr")
    assert Admin.objects.get(pk=mrao.pk).language == "fr"
    # the saved preference follows the admin to a new browser session
    portal.logout()
    page.context.clear_cookies()
    portal.goto("/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the browser says en-GB
    portal.login("mrao")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def test_expired_session_goes_to_login_and_back_to_the_page(portal, mrao, univ, settings):
    page = portal.page
    portal.login("mrao")
    portal.goto(f"/organizations/{univ.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Universite de Lyon")
    portal.idle_for((settings.SESSION_TIMEOUT_MINUTES + 1) * 60)
    page.reload()
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    expect(page.locator(".messages")).to_contain_text("Your session expired")
    portal.login("mrao")
    expect(page).to_have_url(re.compile(rf"/organizations/{univ.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Universite de Lyon")


def test_expired_session_during_an_htmx_action_reloads_into_the_login(portal, mrao, univ, settings):
    """The Validate button loads a fragment: the whole page goes to the login, then comes back."""
    domain = domains.create_domain(actor_for(mrao), "expired.test", delegations=[(univ, ["SSL"])])
    page = portal.page
    portal.login("mrao")
    portal.goto(f"/domains/{domain.pk}/")
    portal.idle_for((settings.SESSION_TIMEOUT_MINUTES + 1) * 60)
    page.locator("#dcv-panel").get_by_role("link", name="Validate").click()
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    expect(page.locator(".messages")).to_contain_text("Your session expired")
    assert not DcvOrder.objects.filter(domain=domain).exists()
    portal.login("mrao")
    expect(page).to_have_url(re.compile(rf"/domains/{domain.pk}/$"))


def test_narrow_screen_has_no_sideways_scrolling(narrow_portal, mrao, univ):
    page = narrow_portal.page
    narrow_portal.login("mrao")
    for path in ("/dashboard/", "/organizations/", f"/organizations/{univ.pk}/", "/domains/", "/settings/admins/"):
        narrow_portal.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (path, overflow)
    narrow_portal.goto("/dashboard/")
    expect(page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Domains")).to_be_visible()
    narrow_portal.shot("dashboard-narrow")
