"""Accessibility of the main portal pages in Chromium (issue 8): every control labelled, images
with alt, headings in order, the skip link, keyboard navigation to the main actions with a
visible focus, and the same rules on a page showing form errors."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from certdesk.domains import services as domains

from .a11y import audit, focused, tab_until
from .conftest import PASSWORD, actor_for

pytestmark = [pytest.mark.slow]


@pytest.fixture
def data(mrao, univ, physics, rao_univ, drao_physics):
    domain = domains.create_domain(actor_for(mrao), "univ-lyon.test", delegations=[(univ, ["SSL"])])
    return {"univ": univ, "physics": physics, "domain": domain, "admin": rao_univ}


def main_pages(data) -> list[str]:
    return [
        "/dashboard/", "/certificates/", "/domains/", "/domains/new/", f"/domains/{data['domain'].pk}/",
        f"/domains/{data['domain'].pk}/dcv/validate/", "/organizations/", f"/organizations/{data['univ'].pk}/",
        f"/organizations/{data['univ'].pk}/departments/new/", f"/organizations/{data['physics'].pk}/",
        "/reports/", "/reports/notifications/", "/settings/", "/settings/admins/", "/settings/admins/new/",
        f"/settings/admins/{data['admin'].pk}/", "/settings/access-control/", "/settings/api-tokens/",
        "/settings/notifications/", "/settings/dcv/", "/about/", "/password/change/", "/discovery/",
        "/discovery/new/", "/discovery/certificates/",
    ]


def test_main_pages_pass_the_automated_checks(portal, data):
    portal.goto("/login/")
    problems = {"/login/": audit(portal.page)}
    portal.login("mrao")
    for path in main_pages(data):
        response = portal.goto(path)
        assert response.status == 200, path
        problems[path] = audit(portal.page)
    portal.goto("/certificates/new/")
    if portal.page.url.endswith("/certificates/new/"):
        problems["/certificates/new/"] = audit(portal.page)
    assert {path: found for path, found in problems.items() if found} == {}


def test_pages_with_form_errors_stay_accessible(portal, data):
    page = portal.page
    portal.login("mrao")
    portal.goto("/settings/admins/new/")
    page.get_by_role("button", name="Create admin").click()
    expect(page.locator(".form-errors")).to_be_visible()
    assert audit(page) == []
    # each invalid control says so and points at its message
    for control in page.locator("[aria-invalid=true]").all():
        described = control.get_attribute("aria-describedby") or ""
        assert any(page.locator(f"#{ident}.errorlist").count() for ident in described.split()), described
    portal.goto(f"/organizations/{data['univ'].pk}/departments/new/")
    page.get_by_role("button", name="Add department").click()
    name = page.get_by_label("Name", exact=True)
    expect(name).to_have_attribute("aria-invalid", "true")
    assert audit(page) == []


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(portal, data):
    page = portal.page
    portal.login("mrao")
    for path in ("/dashboard/", "/domains/", "/settings/admins/"):
        portal.goto(path)
        page.keyboard.press("Tab")
        info = focused(page)
        assert info and info["name"] == "Skip to main content", (path, info)
        box = page.locator(".skip-link").bounding_box()
        assert box and box["y"] >= 0 and box["height"] > 0, "the skip link becomes visible when focused"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        expect(page).to_have_url(re.compile(r"#main$"))
        # the next Tab goes into the content, not back to the menu
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('main').contains(document.activeElement)"), path


@pytest.mark.parametrize("path, role, name", [
    ("/domains/", "link", "Add domain"),
    ("/organizations/", "link", "Add organization"),
    ("/settings/admins/", "link", "Add admin"),
])
def test_keyboard_reaches_the_main_action_with_a_visible_focus(portal, data, path, role, name):
    page = portal.page
    portal.login("mrao")
    portal.goto(path)
    stops = tab_until(page, lambda info: info["name"] == name)
    assert stops[0]["name"] == "Skip to main content"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(path + "new/") + "$"))


def test_login_needs_only_the_keyboard(portal, data):
    page = portal.page
    portal.goto("/login/")
    tab_until(page, lambda info: info["id"] == "id_username")
    page.keyboard.type("mrao")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_dcv_dialog_flow_works_from_the_keyboard(portal, data):
    page = portal.page
    portal.login("mrao")
    portal.goto(f"/domains/{data['domain'].pk}/")
    tab_until(page, lambda info: info["name"] == "Validate")
    page.keyboard.press("Enter")
    radio = page.get_by_role("radio", name="DNS TXT").first
    radio.focus()
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    tab_until(page, lambda info: info["name"] == "Next")
    page.keyboard.press("Enter")
    expect(page.locator("#dcv-panel")).to_contain_text("AWAITING SUBMISSION")


BROKEN_PAGE = """<!DOCTYPE html><html><head><title></title></head><body>
<h2>Starts at h2</h2><h4>skips h3</h4>
<input name="nolabel"><label for="ghost">Ghost</label>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<a href="/x"></a><button></button>
<p id="dup"></p><p id="dup"></p><input aria-describedby="missing" aria-label="ok">
</body></html>"""


def test_the_checker_finds_what_it_looks_for(browser):
    """The audit is only worth its empty answers if it reports a page that breaks each rule."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content(BROKEN_PAGE)
    found = "\n".join(audit(page))
    context.close()
    for expected in ("<html> has no lang", "no <title>", "no accessible name: <input[name=nolabel]>",
                     "label for a missing id: ghost", "image without alt", "no accessible name: <a>",
                     "no accessible name: <button>", "duplicate id: dup", "points to a missing id: missing",
                     "expected exactly one h1", "the first heading is h2", "heading level skipped: h2 then h4",
                     "no <main> landmark"):
        assert expected in found, expected
