"""Portal pages of Enrollment → SSL web forms: index, list, create (code shown once), edit,
new access code, enable/disable, delete (dialog), scope (DRAO: its department; other customer: 404)."""
from __future__ import annotations

import re

import pytest

from certdesk.core.models import AuditEvent
from certdesk.enrollment import queries, services
from certdesk.enrollment.models import WebFormAccount

from ..web.conftest import parse_page
from .conftest import CODE


def _check_page(response):
    html = response.content.decode()
    page = parse_page(html)
    assert page.inline_scripts == 0 and not page.event_attributes and not page.unlabelled(), page.unlabelled()
    return html


def _shown_code(html: str) -> str:
    return re.search(r'<p class="secret" aria-label="Access code">([^<]+)</p>', html).group(1)


def test_enrollments_index_links_to_web_forms_and_acme(mrao_client, ssl):
    response = mrao_client.get("/enrollments/")
    html = _check_page(response)
    assert response.status_code == 200
    assert 'href="/enrollments/web-forms/"' in html and 'href="/enrollments/acme/"' in html
    assert "Not yet available" not in html


def test_list_shows_the_link_to_share(mrao_client, univ_form, physics_form):
    response = mrao_client.get("/enrollments/web-forms/")
    html = _check_page(response)
    assert univ_form.name in html and physics_form.name in html
    assert queries.public_form_url(univ_form) in html
    assert "OV Multi-Domain" in html


def test_rao_creates_a_form_and_sees_its_code_once(client, login_as, rao_univ, univ, ssl):
    login_as(rao_univ)
    page = client.get("/enrollments/web-forms/new/")
    html = _check_page(page)
    offered = re.findall(r'name="profiles" value="\d+"[^>]*>\s*([^<]+)</label>', html)
    assert "OV SSL" in [o.strip() for o in offered] and "EV Anchor" not in [o.strip() for o in offered]
    response = client.post("/enrollments/web-forms/new/", {
        "name": "Camford University SSL self-enrollment", "organization": univ.pk,
        "profiles": [ssl["profiles"]["OV SSL"].pk, ssl["profiles"]["EV SSL"].pk], "auto_approve": "on",
    })
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-store")
    html = response.content.decode()
    code = _shown_code(html)
    account = WebFormAccount.objects.get()
    assert account.auto_approve and account.created_by_id == rao_univ.pk
    assert queries.public_form_url(account) in html
    assert services.open_form(account.slug, code).pk == account.pk
    assert code not in client.get("/enrollments/web-forms/").content.decode()


def test_create_errors_are_shown_next_to_the_fields(client, login_as, rao_univ, univ, ssl):
    login_as(rao_univ)
    response = client.post("/enrollments/web-forms/new/", {
        "name": "Short code", "organization": univ.pk, "profiles": [ssl["profiles"]["EV Anchor"].pk],
        "access_code": "short",
    })
    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_access_code_error"' in html and 'id="id_profiles_error"' in html
    assert not WebFormAccount.objects.exists()


def test_drao_without_auto_approve_gets_a_field_error(client, login_as, drao_physics, physics, ssl):
    login_as(drao_physics)
    response = client.post("/enrollments/web-forms/new/", {
        "name": "Physics", "organization": physics.pk, "profiles": [ssl["profiles"]["OV SSL"].pk],
        "auto_approve": "on", "access_code": CODE,
    })
    assert 'id="id_auto_approve_error"' in response.content.decode()
    assert not WebFormAccount.objects.exists()


def test_drao_sees_and_manages_only_its_department(client, login_as, drao_physics, univ, physics, univ_form,
                                                   physics_form, ssl):
    login_as(drao_physics)
    html = client.get("/enrollments/web-forms/").content.decode()
    assert physics_form.name in html and univ_form.name not in html
    create = client.get("/enrollments/web-forms/new/").content.decode()
    choices = re.findall(r'<option value="(\d+)"', create)
    assert choices == [str(physics.pk)]
    for url in (f"/enrollments/web-forms/{univ_form.pk}/edit/", f"/enrollments/web-forms/{univ_form.pk}/code/",
                f"/enrollments/web-forms/{univ_form.pk}/delete/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/enrollments/web-forms/{univ_form.pk}/disable/").status_code == 404
    response = client.post("/enrollments/web-forms/new/", {
        "name": "Sneaky", "organization": univ.pk, "profiles": [ssl["profiles"]["OV SSL"].pk], "access_code": CODE,
    })
    assert response.status_code == 200 and 'id="id_organization_error"' in response.content.decode()
    assert WebFormAccount.objects.count() == 2


def test_other_customer_gets_404(client, login_as, other_mrao, univ_form):
    login_as(other_mrao)
    assert univ_form.name not in client.get("/enrollments/web-forms/").content.decode()
    assert client.get(f"/enrollments/web-forms/{univ_form.pk}/edit/").status_code == 404
    assert client.post(f"/enrollments/web-forms/{univ_form.pk}/delete/").status_code == 404
    assert WebFormAccount.objects.filter(pk=univ_form.pk).exists()


def test_edit(client, login_as, rao_univ, univ_form, physics, ssl):
    login_as(rao_univ)
    _check_page(client.get(f"/enrollments/web-forms/{univ_form.pk}/edit/"))
    response = client.post(f"/enrollments/web-forms/{univ_form.pk}/edit/", {
        "name": "Renamed form", "organization": physics.pk, "profiles": [ssl["profiles"]["OV SSL"].pk],
        "allow_auto_renew": "on",
    })
    assert response.status_code == 302
    univ_form.refresh_from_db()
    assert univ_form.name == "Renamed form" and univ_form.organization_id == physics.pk
    assert univ_form.allow_auto_renew and [p.name for p in univ_form.profiles.all()] == ["OV SSL"]
    assert AuditEvent.objects.filter(action="enrollment.web_form_updated").exists()


def test_regenerate_code_dialog_and_new_code(client, login_as, rao_univ, univ_form):
    login_as(rao_univ)
    dialog = client.get(f"/enrollments/web-forms/{univ_form.pk}/code/", HTTP_HX_REQUEST="true")
    assert dialog.status_code == 200 and 'id="dialog-title"' in dialog.content.decode()
    _check_page(client.get(f"/enrollments/web-forms/{univ_form.pk}/code/"))
    response = client.post(f"/enrollments/web-forms/{univ_form.pk}/code/", {"access_code": ""})
    assert response.status_code == 200 and response["Cache-Control"].startswith("no-store")
    code = _shown_code(response.content.decode())
    assert code != CODE
    assert services.open_form(univ_form.slug, code)
    bad = client.post(f"/enrollments/web-forms/{univ_form.pk}/code/", {"access_code": "short"})
    assert bad.status_code == 400 and 'id="id_access_code_error"' in bad.content.decode()


def test_disable_enable(client, login_as, rao_univ, univ_form):
    login_as(rao_univ)
    assert client.get(f"/enrollments/web-forms/{univ_form.pk}/disable/").status_code == 405
    assert client.post(f"/enrollments/web-forms/{univ_form.pk}/disable/").status_code == 302
    univ_form.refresh_from_db()
    assert not univ_form.enabled
    assert "Disabled" in client.get("/enrollments/web-forms/").content.decode()
    client.post(f"/enrollments/web-forms/{univ_form.pk}/enable/")
    univ_form.refresh_from_db()
    assert univ_form.enabled


def test_delete_with_confirmation_dialog(client, login_as, rao_univ, univ_form):
    login_as(rao_univ)
    dialog = client.get(f"/enrollments/web-forms/{univ_form.pk}/delete/", HTTP_HX_REQUEST="true")
    html = dialog.content.decode()
    assert dialog.status_code == 200 and 'id="dialog-title"' in html and "<html" not in html
    _check_page(client.get(f"/enrollments/web-forms/{univ_form.pk}/delete/"))
    assert WebFormAccount.objects.filter(pk=univ_form.pk).exists()
    response = client.post(f"/enrollments/web-forms/{univ_form.pk}/delete/")
    assert response.status_code == 302
    assert not WebFormAccount.objects.filter(pk=univ_form.pk).exists()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_pages_render_in_both_languages(mrao_client, univ_form, language):
    for url in ("/enrollments/", "/enrollments/web-forms/", "/enrollments/web-forms/new/",
                f"/enrollments/web-forms/{univ_form.pk}/edit/"):
        response = mrao_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        _check_page(response)


def test_list_queries_do_not_grow_with_the_number_of_forms(client, login_as, rao_univ, rao, univ, physics, ssl,
                                                           django_assert_max_num_queries):
    login_as(rao_univ)
    profiles = [ssl["profiles"]["OV SSL"], ssl["profiles"]["OV Multi-Domain"]]

    def add(count, start):
        for i in range(start, start + count):
            services.create_account(rao, organization=univ if i % 2 else physics, name=f"Form {i}",
                                    profiles=profiles, access_code=CODE)

    add(2, 0)
    client.get("/enrollments/web-forms/")  # warm the session and caches
    with django_assert_max_num_queries(40) as few:
        assert client.get("/enrollments/web-forms/").status_code == 200
    add(10, 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/enrollments/web-forms/").content.decode()
    assert "Form 11" in html
