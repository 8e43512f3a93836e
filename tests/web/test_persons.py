"""Persons menu: the list (search, organization filter, paging, HTMX table), add, the person's page,
edit (errors next to the field, stale form refused), delete behind a confirmation, scope, French,
CSP and labels."""
from __future__ import annotations

from html import unescape

import pytest
from django.test import Client

from certdesk.core.models import AuditEvent
from certdesk.persons import services
from certdesk.persons.models import Person
from tests.conftest import actor_for
from tests.persons.conftest import (  # noqa: F401 - fixtures
    alice,
    bob,
    claire,
    drao_smime_physics,
    nina,
    person_domains,
    rao_smime,
)

from .conftest import parse_page

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _html(response, status=200) -> str:
    assert response.status_code == status, (response.status_code, response.content[:800])
    return response.content.decode()


def _form(physics, **kw) -> dict:
    data = {"organization": physics.pk, "email": "jean@univ-lyon.test", "first_name": "Jean", "middle_name": "",
            "last_name": "Dupont", "common_name": "", "validation_type": "STANDARD", "phone": "",
            "secondary_emails": "", "eppn": "", "upn": ""}
    data.update(kw)
    return data


@pytest.fixture
def drao_client(drao_smime_physics, login_as):
    return login_as(drao_smime_physics, the_client=Client())


# ---------------------------------------------------------------------------
# List


def test_menu_entry_is_the_list_not_a_placeholder(mrao_client, alice, bob):
    html = _html(mrao_client.get("/persons/"))
    assert "not yet available" not in html.lower()
    assert "Alice Martin" in html and "Bob Durand" in html and "Add person" in html
    assert '<a href="/persons/" aria-current="page">Persons</a>' in html
    assert '<a href="/persons/" class="active">Persons</a>' in _html(mrao_client.get(f"/persons/{alice.pk}/"))
    about = _html(mrao_client.get("/about/"))
    assert "Persons (future holders of client certificates)" in about


def test_search_filter_and_htmx_table(mrao_client, alice, bob, claire, physics):
    html = _html(mrao_client.get("/persons/", {"q": "alice"}))
    assert "Alice Martin" in html and "Bob Durand" not in html
    html = _html(mrao_client.get("/persons/", {"q": "chem.univ"}))  # part of an email
    assert "Claire Petit" in html and "Alice Martin" not in html
    html = _html(mrao_client.get("/persons/", {"org": physics.pk}))
    assert "Alice Martin" in html and "Claire Petit" not in html
    table = _html(mrao_client.get("/persons/", {"q": "bob"}, HTTP_HX_TARGET="person-table", **HX))
    assert table.startswith('<div id="person-table"') and "Bob Durand" in table and "<html" not in table
    html = _html(mrao_client.get("/persons/", {"org": "not-a-number"}))
    assert "Some filters are not valid" in html


def test_paging(mrao_client, mrao_actor, physics, person_domains):
    for i in range(30):
        services.create_person(mrao_actor, physics, email=f"p{i:02d}@univ-lyon.test", first_name="P",
                               last_name=f"N{i:02d}")
    html = _html(mrao_client.get("/persons/", {"size": 25}))
    assert "N00" in html and "N24" in html and "N25" not in html and "Page 1 of 2" in html
    html = _html(mrao_client.get("/persons/", {"size": 25, "page": 2}))
    assert "N25" in html and "N29" in html and "N00" not in html


def test_list_is_scoped(drao_client, alice, bob, claire, nina, client, login_as, rao_univ):
    html = _html(drao_client.get("/persons/"))
    assert "Alice Martin" in html and "Bob Durand" not in html and "Claire Petit" not in html
    ssl_rao = login_as(rao_univ, the_client=Client())
    html = _html(ssl_rao.get("/persons/"))
    assert "Alice Martin" not in html and "you hold no client certificate role" in html
    assert "Add person" not in html
    assert ssl_rao.get("/persons/new/").status_code == 403
    assert ssl_rao.get(f"/persons/{alice.pk}/").status_code == 404


# ---------------------------------------------------------------------------
# Add


def test_add_person(mrao_client, physics, person_domains):
    response = mrao_client.post("/persons/new/", _form(physics, secondary_emails="a@x.example\nb@x.example"))
    person = Person.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/persons/{person.pk}/"
    assert person.secondary_emails == ["a@x.example", "b@x.example"] and person.common_name == "Jean Dupont"
    html = _html(mrao_client.get(response["Location"]))
    assert "Person Jean Dupont added." in html and "jean@univ-lyon.test" in html and "Physics" in html


@pytest.mark.parametrize("changes,field,text", [
    ({"email": "jean@elsewhere.example"}, "email", "is not delegated to"),
    ({"email": "not-an-email"}, "email", "not a valid email address"),
    ({"first_name": ""}, "first_name", "required"),
    ({"eppn": "no-scope"}, "eppn", "user@scope"),
    ({"phone": "call me"}, "phone", "Phone may hold"),
    ({"secondary_emails": "ok@x.example, broken"}, "secondary_emails", "not a valid email address"),
])
def test_add_errors_show_next_to_the_field(mrao_client, physics, person_domains, changes, field, text):
    html = _html(mrao_client.post("/persons/new/", _form(physics, **changes)), status=400)
    error_block = html.split(f'id="id_{field}_error"', 1)
    assert len(error_block) == 2, html[:3000]
    assert text in error_block[1].split("</ul>", 1)[0]
    assert not Person.objects.exists()


def test_add_duplicate_email_shows_next_to_email(mrao_client, alice, physics):
    html = _html(mrao_client.post("/persons/new/", _form(physics, email="ALICE@univ-lyon.test")), status=400)
    assert "already exists" in html.split('id="id_email_error"', 1)[1].split("</ul>", 1)[0]


def test_drao_adds_only_in_its_department(drao_client, physics, chemistry, person_domains):
    html = _html(drao_client.get("/persons/new/"))
    assert f'value="{physics.pk}"' in html and f'value="{chemistry.pk}"' not in html
    _html(drao_client.post("/persons/new/", _form(chemistry, email="x@chem.univ-lyon.test")), status=400)
    assert drao_client.post("/persons/new/", _form(physics)).status_code == 302


# ---------------------------------------------------------------------------
# Detail, edit, delete


def test_edit_person(mrao_client, alice, univ):
    html = _html(mrao_client.get(f"/persons/{alice.pk}/edit/"))
    stamp = html.split('name="modified" value="', 1)[1].split('"', 1)[0]
    response = mrao_client.post(f"/persons/{alice.pk}/edit/", _form(
        univ, email=alice.email, first_name="Alice", last_name="Bernard", common_name="Alice Martin",
        eppn=alice.eppn, modified=stamp))
    assert response.status_code == 302
    alice.refresh_from_db()
    # the default common name, sent back unchanged, follows the new last name
    assert (alice.last_name, alice.common_name, alice.organization_id) == ("Bernard", "Alice Bernard", univ.pk)
    assert AuditEvent.objects.filter(action="person.updated").count() == 1


def test_stale_edit_form_is_refused_and_shows_current_values(mrao_client, mrao_actor, alice, physics):
    html = _html(mrao_client.get(f"/persons/{alice.pk}/edit/"))
    stamp = html.split('name="modified" value="', 1)[1].split('"', 1)[0]
    services.update_person(mrao_actor, alice, phone="+33 9 99")  # another admin, meanwhile
    html = _html(mrao_client.post(f"/persons/{alice.pk}/edit/", _form(
        physics, email=alice.email, first_name="Alice", last_name="Overwritten", modified=stamp)), status=409)
    assert "changed by someone else" in html and "+33 9 99" in html
    alice.refresh_from_db()
    assert alice.last_name == "Martin" and alice.phone == "+33 9 99"


def test_edit_error_next_to_field(mrao_client, alice, bob, physics):
    html = _html(mrao_client.get(f"/persons/{alice.pk}/edit/"))
    stamp = html.split('name="modified" value="', 1)[1].split('"', 1)[0]
    html = _html(mrao_client.post(f"/persons/{alice.pk}/edit/", _form(
        physics, email="bob@univ-lyon.test", first_name="Alice", last_name="Martin", modified=stamp)), status=400)
    assert "already exists" in html.split('id="id_email_error"', 1)[1].split("</ul>", 1)[0]


def test_delete_behind_a_confirmation(mrao_client, alice):
    detail = _html(mrao_client.get(f"/persons/{alice.pk}/"))
    assert f'hx-get="/persons/{alice.pk}/delete/"' in detail
    dialog = _html(mrao_client.get(f"/persons/{alice.pk}/delete/", **HX))
    assert 'id="dialog-title"' in dialog and "<html" not in dialog and "Delete person" in dialog
    page = _html(mrao_client.get(f"/persons/{alice.pk}/delete/"))
    assert "<html" in page and Person.objects.filter(pk=alice.pk).exists()
    response = mrao_client.post(f"/persons/{alice.pk}/delete/", **HX)
    assert response.status_code == 204 and response["HX-Redirect"] == "/persons/"
    assert not Person.objects.filter(pk=alice.pk).exists()
    assert mrao_client.post(f"/persons/{alice.pk}/delete/").status_code == 404


def test_out_of_scope_person_reads_as_missing(drao_client, claire):
    for url in (f"/persons/{claire.pk}/", f"/persons/{claire.pk}/edit/", f"/persons/{claire.pk}/delete/"):
        assert drao_client.get(url).status_code == 404, url
    assert drao_client.post(f"/persons/{claire.pk}/delete/").status_code == 404
    assert Person.objects.filter(pk=claire.pk).exists()


def test_anonymous_goes_to_login(client, alice):
    response = client.get("/persons/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# ---------------------------------------------------------------------------
# French, CSP, labels




def test_french_pages_render(mrao_client, alice, physics):
    fr = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    html = unescape(_html(mrao_client.get("/persons/", **fr)))
    for text in ('lang="fr"', "Personnes", "Filtrer les personnes", "Ajouter une personne", "1 personne",
                 "Organisation ou département", "Alice Martin"):
        assert text in html, text
    html = unescape(_html(mrao_client.get("/persons/new/", **fr)))
    for text in ("Prénom", "Deuxième prénom", "Type de validation", "Autres identités", "Élevée"):
        assert text in html, text
    html = unescape(_html(mrao_client.post("/persons/new/", _form(physics, email="x@elsewhere.example"), **fr),
                          status=400))
    assert "n'est pas délégué à Universite de Lyon / Physics pour les certificats clients" in html
    html = unescape(_html(mrao_client.get(f"/persons/{alice.pk}/", **fr)))
    assert "Identifiant de la personne" in html and "Certificats clients" in html
    for url in (f"/persons/{alice.pk}/edit/", f"/persons/{alice.pk}/delete/"):
        assert 'lang="fr"' in _html(mrao_client.get(url, **fr)), url


def test_pages_have_csp_no_inline_script_and_labelled_inputs(mrao_client, alice):
    pages = ["/persons/", "/persons/?q=a", "/persons/new/", f"/persons/{alice.pk}/", f"/persons/{alice.pk}/edit/",
             f"/persons/{alice.pk}/delete/"]
    for language in ("en", "fr"):
        for url in pages:
            for extra in ({}, HX):
                response = mrao_client.get(url, HTTP_ACCEPT_LANGUAGE=language, **extra)
                assert response.status_code == 200, url
                assert "script-src 'self'" in response["Content-Security-Policy"], url
                page = parse_page(response.content.decode())
                assert page.inline_scripts == 0 and page.event_attributes == [], url
                assert page.style_attributes == 0, url
                assert page.unlabelled() == [], (url, page.unlabelled())


def test_list_query_count_does_not_grow_with_rows(mrao_client, mrao_actor, physics, person_domains,
                                                  django_assert_max_num_queries):
    for i in range(20):
        services.create_person(mrao_actor, physics, email=f"q{i}@univ-lyon.test", first_name="Q", last_name=f"{i}")
    with django_assert_max_num_queries(15):
        _html(mrao_client.get("/persons/"))
