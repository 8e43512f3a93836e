"""The portal shell: menu, languages, CSP, accessibility basics, pages not built yet, About."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

import certdesk.web
from certdesk.accounts.models import Admin
from certdesk.accounts.roles import PRIVILEGE_LABELS, ROLE_LABELS
from certdesk.accounts.services import GENERIC_LOGIN_ERROR
from certdesk.tenancy.states import ValidationRequestStatus, ValidationStatus
from certdesk.web.labels import CORE_STRINGS

from .conftest import parse_page

MENU_EN = ["Dashboard", "Certificates", "Discovery", "Domains", "Organizations", "Persons", "Reports",
           "Enrollments", "Integrations", "Settings", "About"]
MENU_FR = ["Tableau de bord", "Certificats", "Découverte", "Domaines", "Organisations", "Personnes", "Rapports",
           "Inscriptions", "Intégrations", "Paramètres", "À propos"]
UNAVAILABLE = ["/reports/", "/integrations/"]


def _menu(html: str) -> list[str]:
    """The top-level menu labels, plus Settings' Admins (the only sub-item every page shows)."""
    nav = html.split('<nav class="sidenav"', 1)[1].split("</nav>", 1)[0]
    top = re.sub(r"<ul>\s*(?:<li>(?:(?!</li>).)*</li>\s*)*</ul>", lambda m: m.group(0) if "admins" in m.group(0) else "",
                 nav.split("<ul>", 1)[1], flags=re.S)
    return [re.sub(r"\s+", " ", label).strip() for label in re.findall(r"<a [^>]*>([^<]+)</a>", top)]


def test_menu_lists_the_scm_menus_in_order(mrao_client):
    labels = _menu(mrao_client.get("/dashboard/").content.decode())
    assert [label for label in labels if label != "Admins"] == MENU_EN
    assert labels.index("Admins") == labels.index("Settings") + 1  # sub-item of Settings


def test_menu_in_french_from_accept_language(mrao_client):
    html = mrao_client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="fr">' in html
    labels = _menu(html)
    assert [label for label in labels if label != "Administrateurs"] == MENU_FR
    for word in ("Tableau de bord", "Organisations", "Paramètres", "À propos"):
        assert word in html


def test_login_page_in_french(client, customer):
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Mot de passe" in html and "Identifiant" in html and "Français" in html


def test_french_switch_sets_the_cookie_and_the_admin_preference(mrao_client, mrao):
    html = mrao_client.get("/dashboard/").content.decode()
    assert 'name="language" value="fr"' in html and "Français" in html
    response = mrao_client.post("/language/", {"language": "fr", "next": "/organizations/"})
    assert response.status_code == 302 and response["Location"] == "/organizations/"
    assert response.cookies["django_language"].value == "fr"
    assert Admin.objects.get(pk=mrao.pk).language == "fr"
    # the saved preference wins over the browser's, even without the cookie
    mrao_client.cookies.pop("django_language")
    html = mrao_client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Tableau de bord" in html
    mrao_client.post("/language/", {"language": "en", "next": "/dashboard/"})
    assert Admin.objects.get(pk=mrao.pk).language == "en"


def test_language_switch_refuses_unknown_languages_and_foreign_next(mrao_client, mrao):
    response = mrao_client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert Admin.objects.get(pk=mrao.pk).language == ""
    assert mrao_client.get("/language/").status_code == 405


def test_language_switch_works_logged_out(client, customer):
    response = client.post("/language/", {"language": "fr", "next": "/login/"})
    assert response.cookies["django_language"].value == "fr"
    assert "Mot de passe" in client.get("/login/").content.decode()


def _all_pages(univ, physics, rao_univ):
    return [
        "/dashboard/", "/organizations/", "/organizations/new/", f"/organizations/{univ.pk}/",
        f"/organizations/{univ.pk}/edit/", f"/organizations/{physics.pk}/", f"/departments/{physics.pk}/edit/",
        f"/organizations/{univ.pk}/departments/new/", "/settings/", "/settings/admins/", "/settings/admins/new/",
        f"/settings/admins/{rao_univ.pk}/", f"/settings/admins/{rao_univ.pk}/edit/",
        f"/settings/admins/{rao_univ.pk}/disable/", f"/settings/admins/{rao_univ.pk}/password/reset/",
        "/about/", "/password/change/", "/persons/", "/persons/new/", "/discovery/", "/discovery/new/",
        "/discovery/certificates/", *UNAVAILABLE,
    ]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_page_has_csp_no_inline_script_no_event_handler_and_labelled_inputs(
    client, mrao_client, univ, physics, rao_univ, language
):
    pages = _all_pages(univ, physics, rao_univ)
    for url in pages:
        response = mrao_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
                          "frame-ancestors 'none'", "form-action 'self'"):
            assert directive in csp, (url, directive)
        html = response.content.decode()
        page = parse_page(html)
        assert page.inline_scripts == 0, url
        assert page.event_attributes == [], (url, page.event_attributes)
        assert page.style_attributes == 0, url
        assert page.unlabelled() == [], (url, page.unlabelled())
        assert "<script>" not in html
        assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false' in html
        assert 'href="#main"' in html  # skip link
        assert 'src="http' not in html and 'href="http' not in html


def test_login_page_has_csp_and_labelled_inputs(client, mrao, other_mrao):
    for url in ("/login/", "/customer/renater/"):
        response = client.get(url)
        page = parse_page(response.content.decode())
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert page.inline_scripts == 0 and page.event_attributes == [] and page.unlabelled() == []


def test_fragments_have_no_inline_script(mrao_client, mrao_actor, univ, rao_univ):
    for url in (f"/settings/admins/{rao_univ.pk}/disable/", f"/settings/admins/{rao_univ.pk}/password/reset/"):
        response = mrao_client.get(url, HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert "<html" not in html and 'id="dialog-title"' in html
        page = parse_page(html)
        assert page.inline_scripts == 0 and page.event_attributes == [] and page.unlabelled() == []


def test_static_assets_are_vendored():
    static = Path(certdesk.web.__file__).parent / "static" / "web"
    htmx = (static / "vendor" / "htmx.min.js").read_text()
    assert "htmx" in htmx and len(htmx) > 20000
    assert (static / "certdesk.css").exists() and (static / "certdesk.js").exists()
    assert ":focus-visible" in (static / "certdesk.css").read_text()


@pytest.mark.parametrize("url", UNAVAILABLE)
def test_pages_not_built_yet_say_so(mrao_client, url):
    response = mrao_client.get(url)
    assert response.status_code == 200
    assert "Not yet available in this version" in response.content.decode()
    french = mrao_client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Pas encore disponible dans cette version" in french


def test_dashboard_shows_real_counts_in_scope(client, login_as, mrao, univ, physics, chemistry, rao_univ,
                                              drao_physics, other_org):
    login_as(mrao)
    counts = client.get("/dashboard/").context["counts"]
    assert counts == {"organizations": 2, "departments": 2, "admins": 4}
    login_as(drao_physics)
    counts = client.get("/dashboard/").context["counts"]
    assert counts == {"organizations": 0, "departments": 1, "admins": 1}


def test_about_shows_version_features_and_ca_section(mrao_client):
    response = mrao_client.get("/about/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "0.1.0" in html or response.context["version"]
    assert "Enabled features" in html and "Certificate authorities" in html
    assert "Organization validation (OV anchor)" in html


def test_about_is_for_logged_in_admins_only(client, customer):
    response = client.get("/about/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_settings_lists_admins(mrao_client):
    html = mrao_client.get("/settings/").content.decode()
    assert 'href="/settings/admins/"' in html


def test_core_labels_are_all_in_the_translation_list():
    for label in [*ROLE_LABELS.values(), *PRIVILEGE_LABELS.values(), *ValidationStatus.labels,
                  *ValidationRequestStatus.labels, GENERIC_LOGIN_ERROR]:
        assert label in CORE_STRINGS, label


def test_french_catalogue_is_compiled_next_to_its_source():
    locale = Path(certdesk.web.__file__).parent.parent / "locale" / "fr" / "LC_MESSAGES"
    po, mo = locale / "django.po", locale / "django.mo"
    assert po.exists() and mo.exists()
    assert mo.stat().st_mtime >= po.stat().st_mtime - 5
    text = po.read_text()
    assert 'msgstr "Tableau de bord"' in text and "#, fuzzy" not in text


def test_dates_follow_the_admins_time_zone(client, login_as, mrao_actor, rao_univ, univ):
    from datetime import datetime, timezone

    from certdesk.accounts import services as accounts
    from certdesk.tenancy.models import Organization

    Organization.objects.filter(pk=univ.pk).update(validated_at=datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc))
    login_as(rao_univ)
    assert "Jan. 15, 2026, noon" in client.get(f"/organizations/{univ.pk}/").content.decode()
    accounts.update_admin(mrao_actor, rao_univ, time_zone="Europe/Paris")
    assert "Jan. 15, 2026, 1 p.m." in client.get(f"/organizations/{univ.pk}/").content.decode()
    french = client.get(f"/organizations/{univ.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "15 janvier 2026 13:00" in french


def test_about_lists_the_certificate_authorities_with_downloads(mrao_client, authorities,
                                                              django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = mrao_client.get("/about/")
    html = response.content.decode()
    assert "No certificate authority has been set up yet." not in html
    for ca in authorities.values():
        assert ca.name in html and ca.fingerprint_sha256 in html
        for name in ("ca:download-pem", "ca:download-der", "ca:download-chain"):
            assert f'href="{reverse(name, kwargs={"slug": ca.slug})}"' in html
    # the public downloads need no login
    mrao_client.post("/logout/")
    assert mrao_client.get(reverse("ca:download-pem", kwargs={"slug": "rsa-root"})).status_code == 200


def test_mrao_lets_raos_create_raos_from_settings(client, mrao, rao_univ, customer):
    from certdesk.tenancy.models import Customer

    client.force_login(mrao)
    page = client.get("/settings/")
    assert b"rao_can_create_rao" in page.content
    client.post("/settings/", {"rao_can_create_rao": "on"})
    assert Customer.objects.get(pk=customer.pk).rao_can_create_rao
    client.force_login(rao_univ)
    assert b"rao_can_create_rao" not in client.get("/settings/").content
    assert client.post("/settings/", {}).status_code == 403
    assert Customer.objects.get(pk=customer.pk).rao_can_create_rao
