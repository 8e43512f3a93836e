"""Enrollments → ACME accounts (issue 5, seed 002): the list with its counts, creating an account
for an organization or department with some of its delegated, validated domains (and the
refusals: duplicate name, domain not delegated or not validated, organization out of scope),
Details revealing the Key ID, HMAC key and certbot line, suspend/resume, rename, bind/unbind,
deactivating a real registered ACME client, delete, DRAO scope, other customers, French."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from certdesk.acme import services as acme_services
from certdesk.acme.models import AcmeAccount, AcmeClient
from certdesk.core.audit import AuditEvent
from tests.acme.conftest import ALGS, BASE, account_keys  # noqa: F401 - session fixture: ACME account keys
from tests.acme.conftest import Client as AcmeTestClient
from tests.certificates.conftest import (  # noqa: F401 - CAs, profiles, delegated and validated example.org domains
    _certificate_settings,
    csr,
    domains,
    keys,
    profiles,
    ssl,
)
from tests.domains.conftest import (  # noqa: F401 - fixtures: loopback DNS server, domain settings
    _dns_server,
    _domain_settings,
    dns,
    make_domain,
    validate,
)

from ..conftest import actor_for
from .conftest import parse_page

HX = {"HTTP_HX_REQUEST": "true"}
FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}


@pytest.fixture(autouse=True)
def _acme_base_url(settings, _domain_settings):  # noqa: F811
    settings.BASE_URL = BASE


@pytest.fixture
def drao_client(drao_physics, login_as):
    return login_as(drao_physics, the_client=Client())


@pytest.fixture
def rao_client(rao_univ, login_as):
    return login_as(rao_univ, the_client=Client())


@pytest.fixture
def physics_account(domains, drao_physics, physics):  # noqa: F811
    return acme_services.create_account(actor_for(drao_physics), organization=physics, endpoint_name="OV",
                                        name="physics-web", domains=["*.physics.example.org"])


@pytest.fixture
def univ_account(domains, rao_univ, univ):  # noqa: F811
    return acme_services.create_account(actor_for(rao_univ), organization=univ, endpoint_name="DV",
                                        name="univ-web", domains=["example.org"])


@pytest.fixture
def registered(account_keys):  # noqa: F811
    """Register a real ACME client (EAB newAccount through the ACME views) with an account."""

    def register(account, key="rsa", contact="mailto:drao@physics.univ-lyon.example"):
        acme = AcmeTestClient(Client(), account_keys[key], ALGS[key], account.endpoint.name)
        response = acme.register(account, contact=[contact])
        assert response.status_code == 201, response.content
        return AcmeClient.objects.filter(account=account).latest("id")

    return register


def _html(response, status=200) -> str:
    assert response.status_code == status, (response.status_code, response.content[:800])
    return response.content.decode()


def _field_errors(html: str, field: str) -> str:
    marker = f'id="id_{field}_error"'
    assert marker in html, f"no error next to {field}"
    return html.split(marker, 1)[1].split("</ul>", 1)[0]


# ---------------------------------------------------------------------------
# List


def test_list_shows_name_endpoint_scope_status_counts_and_certificates_link(
        mrao_client, physics_account, univ_account, registered, django_assert_max_num_queries):
    registered(physics_account)
    with django_assert_max_num_queries(20):
        html = _html(mrao_client.get("/enrollments/acme/"))
    assert "physics-web" in html and "univ-web" in html
    row = html.split("physics-web", 1)[1].split("</tr>", 1)[0]
    assert "<td>OV</td>" in row and "Universite de Lyon / Physics" in row
    assert '<span class="badge ok">Valid</span>' in row
    assert '<td class="num">1</td>' in row  # one bound domain
    assert f'href="/certificates/?acme_account={physics_account.pk}"' in row
    other = html.split("univ-web", 1)[1].split("</tr>", 1)[0]
    assert "<td>DV</td>" in other and '<span class="badge warn">Pending</span>' in other
    # filters
    html = _html(mrao_client.get("/enrollments/acme/?endpoint=DV"))
    assert "univ-web" in html and "physics-web" not in html
    html = _html(mrao_client.get("/enrollments/acme/?status=valid&q=phys"))
    assert "physics-web" in html and "univ-web" not in html


def test_certificates_obtained_counts_real_acme_issuance(mrao_client, ssl, physics_account, account_keys,  # noqa: F811
                                                        csr):  # noqa: F811
    import josepy
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    acme = AcmeTestClient(Client(), account_keys["p256"], ALGS["p256"], "OV")
    assert acme.register(physics_account).status_code == 201
    order = acme.order("www.physics.example.org").json()
    der = x509.load_pem_x509_csr(csr("www.physics.example.org", ["www.physics.example.org"]).encode()).public_bytes(
        serialization.Encoding.DER)
    assert acme.post(order["finalize"], {"csr": josepy.b64.b64encode(der).decode()}).status_code == 200
    html = _html(mrao_client.get("/enrollments/acme/"))
    row = html.split("physics-web", 1)[1].split("</tr>", 1)[0]
    assert f'<a href="/certificates/?acme_account={physics_account.pk}">1<' in row
    html = _html(mrao_client.get(f"/enrollments/acme/{physics_account.pk}/"))
    assert f'<a href="/certificates/?acme_account={physics_account.pk}">1</a>' in html
    # deleting the account keeps the certificate (acme.services.delete_account)
    from certdesk.certificates.models import Certificate

    assert mrao_client.post(f"/enrollments/acme/{physics_account.pk}/delete/").status_code == 302
    assert Certificate.objects.filter(requested_via="ACME").count() == 1


def test_list_query_count_does_not_grow_with_accounts(mrao_client, domains, rao_univ, univ,  # noqa: F811
                                                     django_assert_max_num_queries):
    rao = actor_for(rao_univ)
    for i in range(12):
        acme_services.create_account(rao, organization=univ, endpoint_name="OV", name=f"server-{i}",
                                     domains=["example.org", "*.example.org"])
    with django_assert_max_num_queries(20):
        html = _html(mrao_client.get("/enrollments/acme/"))
    assert html.count('<td class="num">2</td>') == 12


# ---------------------------------------------------------------------------
# Create


def test_drao_creates_an_account_for_its_department_and_sees_its_credentials(drao_client, domains, physics,  # noqa: F811
                                                                             make_domain):
    make_domain("physics-only.example.net", physics)  # delegated but never validated: not offered
    form = _html(drao_client.get("/enrollments/acme/new/"))
    assert "*.physics.example.org" in form  # the DRAO's single department is preselected
    assert "physics-only.example.net" not in form and ">example.org<" not in form
    response = drao_client.post("/enrollments/acme/new/", {
        "endpoint": "OV", "name": "lab-server", "organization": physics.pk, "domains": ["*.physics.example.org"]})
    account = AcmeAccount.objects.get(name="lab-server")
    assert response.status_code == 302
    assert response["Location"] == f"/enrollments/acme/{account.pk}/?details=1"
    assert account.organization == physics and account.endpoint.name == "OV" and account.status == "pending"
    assert [d.name for d in account.domains.all()] == ["*.physics.example.org"]
    html = _html(drao_client.get(response["Location"]))
    assert account.mac_id in html and account.mac_key in html
    assert f"{BASE}/acme/OV/directory" in html
    assert response_no_store(drao_client.get(response["Location"]))


def response_no_store(response) -> bool:
    return "no-store" in response["Cache-Control"]


def test_organization_change_redraws_the_domain_choices(rao_client, domains, univ, physics, chemistry):  # noqa: F811
    html = _html(rao_client.get(f"/enrollments/acme/new/?organization={physics.pk}", **HX))
    assert 'id="acme-domain-choices"' in html and "<html" not in html
    assert "*.physics.example.org" in html and "*.chemistry.example.org" not in html
    html = _html(rao_client.get(f"/enrollments/acme/new/?organization={univ.pk}", **HX))
    assert 'value="example.org"' in html and 'value="*.example.org"' in html
    assert "*.physics.example.org" not in html
    # without JavaScript: "Show its domains" re-renders the form for the chosen organization
    html = _html(rao_client.post("/enrollments/acme/new/", {"endpoint": "OV", "name": "x", "organization": chemistry.pk,
                                                            "refresh": "1"}))
    assert "*.chemistry.example.org" in html and not AcmeAccount.objects.exists()


def test_create_refuses_a_duplicate_name_next_to_the_field(drao_client, physics_account, physics):
    html = _html(drao_client.post("/enrollments/acme/new/", {"endpoint": "OV", "name": "physics-web",
                                                              "organization": physics.pk}))
    assert "already exists" in _field_errors(html, "name")
    assert AcmeAccount.objects.count() == 1
    # the same name on another endpoint is another account
    assert drao_client.post("/enrollments/acme/new/", {"endpoint": "DV", "name": "physics-web",
                                                       "organization": physics.pk}).status_code == 302


def test_create_refuses_domains_not_delegated_or_not_validated(drao_client, domains, physics, make_domain):  # noqa: F811
    make_domain("physics-only.example.net", physics)  # delegated, DCV never done
    for name in ("example.org", "*.chemistry.example.org", "physics-only.example.net", "nowhere.example.com"):
        html = _html(drao_client.post("/enrollments/acme/new/", {
            "endpoint": "OV", "name": "lab", "organization": physics.pk, "domains": ["*.physics.example.org", name]}))
        assert _field_errors(html, "domains"), name
    assert not AcmeAccount.objects.exists()


def test_create_refuses_an_organization_out_of_scope(drao_client, domains, chemistry, other_org):  # noqa: F811
    for org in (chemistry, other_org):
        html = _html(drao_client.post("/enrollments/acme/new/", {"endpoint": "OV", "name": "lab",
                                                                  "organization": org.pk}))
        assert _field_errors(html, "organization")
    assert not AcmeAccount.objects.exists()


def test_create_refuses_bad_input(drao_client, domains, physics):  # noqa: F811
    html = _html(drao_client.post("/enrollments/acme/new/", {"endpoint": "XX", "name": "  ", "organization": physics.pk}))
    assert _field_errors(html, "endpoint") and _field_errors(html, "name")
    html = _html(drao_client.post("/enrollments/acme/new/", {"endpoint": "OV", "name": "a\x00b",
                                                              "organization": physics.pk}))
    assert "form-errors" in html
    assert not AcmeAccount.objects.exists()


def test_admin_without_ssl_role_cannot_create(login_as, mrao_actor, univ):
    from certdesk.accounts import services as accounts

    from ..conftest import PASSWORD

    smime = accounts.create_admin(mrao_actor, login="rao_smime", email="smime@univ-lyon.example", forename="S",
                                  surname="Mime", password=PASSWORD, credentials=[{"role": "RAO_SMIME", "orgId": univ.pk}],
                                  privileges=[], must_change_password=False)
    c = login_as(smime, the_client=Client())
    assert c.get("/enrollments/acme/new/").status_code == 403
    assert "Add ACME account" not in _html(c.get("/enrollments/acme/"))


# ---------------------------------------------------------------------------
# Detail: Details, certbot line, clients, domains, rename, suspend, delete


def test_details_button_reveals_key_id_hmac_key_and_certbot_command(drao_client, physics_account):
    account = physics_account
    html = _html(drao_client.get(f"/enrollments/acme/{account.pk}/"))
    assert account.mac_key not in html and account.mac_id not in html
    assert f'hx-get="/enrollments/acme/{account.pk}/details/"' in html
    assert f"{BASE}/acme/OV/directory" in html  # the ACME URL itself is not secret
    response = drao_client.get(f"/enrollments/acme/{account.pk}/details/", **HX)
    fragment = _html(response)
    assert response_no_store(response) and "<html" not in fragment
    assert account.mac_id in fragment and account.mac_key in fragment
    command = fragment.split('id="acme-certbot">', 1)[1].split("</pre>", 1)[0]
    assert command == (f"certbot certonly --standalone --non-interactive --agree-tos --email "
                       f"drao@physics.univ-lyon.example --server {BASE}/acme/OV/directory --eab-kid {account.mac_id} "
                       f"--eab-hmac-key {account.mac_key} --domain www.physics.example.org --cert-name physics-web")
    assert "Replace the domain" in fragment  # only a wildcard is bound: the host is an example
    # again, as often as wanted (seed 002), and without JavaScript through the page itself
    assert account.mac_key in _html(drao_client.get(f"/enrollments/acme/{account.pk}/details/", **HX))
    response = drao_client.get(f"/enrollments/acme/{account.pk}/details/")
    assert response.status_code == 302 and response["Location"].endswith("?details=1#credentials")


def test_certbot_command_uses_a_bound_host_name(rao_client, univ_account):
    fragment = _html(rao_client.get(f"/enrollments/acme/{univ_account.pk}/details/", **HX))
    assert "--server https://certdesk.example.net/acme/DV/directory" in fragment
    assert "--domain example.org --cert-name univ-web" in fragment and "Replace the domain" not in fragment


def test_suspend_and_resume(drao_client, physics_account, registered):
    registered(physics_account)
    url = f"/enrollments/acme/{physics_account.pk}/"
    assert drao_client.post(url + "suspend/").status_code == 302
    physics_account.refresh_from_db()
    assert physics_account.status == "suspended"
    html = _html(drao_client.get(url))
    assert '<span class="badge off">Suspended</span>' in html and "/resume/" in html
    assert drao_client.post(url + "resume/").status_code == 302
    physics_account.refresh_from_db()
    assert physics_account.status == "valid"
    assert drao_client.get(url + "suspend/").status_code == 405  # a change is never a GET


def test_rename_in_the_dialog(drao_client, physics_account):
    url = f"/enrollments/acme/{physics_account.pk}/rename/"
    html = _html(drao_client.get(url, **HX))
    assert 'id="dialog-title"' in html and 'value="physics-web"' in html
    html = _html(drao_client.post(url, {"name": ""}, **HX))
    assert _field_errors(html, "name")
    response = drao_client.post(url, {"name": "physics-lab"}, **HX)
    assert response.status_code == 204 and response["HX-Redirect"] == f"/enrollments/acme/{physics_account.pk}/"
    physics_account.refresh_from_db()
    assert physics_account.name == "physics-lab"
    # without JavaScript
    assert drao_client.post(url, {"name": "physics-lab-2"}).status_code == 302
    physics_account.refresh_from_db()
    assert physics_account.name == "physics-lab-2"
    assert "Rename" in _html(drao_client.get(url))


def test_bind_and_unbind_domains(rao_client, univ_account):
    url = f"/enrollments/acme/{univ_account.pk}/"
    html = _html(rao_client.get(url))
    assert 'value="*.example.org"' in html  # offered: delegated to the university and validated
    assert rao_client.post(url + "domains/bind/", {"domains": ["*.example.org"]}).status_code == 302
    assert sorted(d.name for d in univ_account.domains.all()) == ["*.example.org", "example.org"]
    # a domain of a department is not the university's to bind: error next to the field, nothing added
    html = _html(rao_client.post(url + "domains/bind/", {"domains": ["*.physics.example.org"]}), status=400)
    assert _field_errors(html, "domains")
    assert univ_account.domains.count() == 2
    assert rao_client.post(url + "domains/unbind/", {"domain": "example.org"}).status_code == 302
    assert [d.name for d in univ_account.domains.all()] == ["*.example.org"]
    response = rao_client.post(url + "domains/unbind/", {"domain": "example.org"}, follow=True)
    assert "is not bound to this ACME account" in response.content.decode()
    assert AuditEvent.objects.filter(action="acme.domains_unbound").count() == 1


def test_registered_clients_are_listed_and_can_be_deactivated(drao_client, physics_account, registered):
    client = registered(physics_account, contact="mailto:ops@physics.univ-lyon.example")
    url = f"/enrollments/acme/{physics_account.pk}/"
    html = _html(drao_client.get(url))
    assert client.thumbprint in html and "ops@physics.univ-lyon.example" in html
    assert f"/clients/{client.pk}/deactivate/" in html
    assert drao_client.post(f"{url}clients/{client.pk}/deactivate/", {"confirmed": "1"}).status_code == 302
    client.refresh_from_db()
    assert client.status == "deactivated"
    assert f"/clients/{client.pk}/deactivate/" not in _html(drao_client.get(url))
    assert drao_client.post(f"{url}clients/999999/deactivate/").status_code == 404


def test_delete_asks_for_confirmation_then_deletes(drao_client, physics_account):
    url = f"/enrollments/acme/{physics_account.pk}/delete/"
    html = _html(drao_client.get(url, **HX))
    assert 'id="dialog-title"' in html and "physics-web" in html and "data-dialog-close" in html
    assert "physics-web" in _html(drao_client.get(url))  # the same confirmation as a page
    assert AcmeAccount.objects.filter(pk=physics_account.pk).exists()
    response = drao_client.post(url)
    assert response.status_code == 302 and response["Location"] == "/enrollments/acme/"
    assert not AcmeAccount.objects.filter(pk=physics_account.pk).exists()
    assert drao_client.get(f"/enrollments/acme/{physics_account.pk}/").status_code == 404


# ---------------------------------------------------------------------------
# Scope


def test_drao_sees_only_its_department_accounts(drao_client, physics_account, univ_account, login_as,
                                                drao_chemistry):
    html = _html(drao_client.get("/enrollments/acme/"))
    assert "physics-web" in html and "univ-web" not in html
    for path in ("", "details/", "rename/", "delete/"):
        assert drao_client.get(f"/enrollments/acme/{univ_account.pk}/{path}", **HX).status_code == 404, path
    for path in ("suspend/", "delete/", "domains/bind/", "domains/unbind/", "rename/"):
        assert drao_client.post(f"/enrollments/acme/{univ_account.pk}/{path}", {"name": "x", "domain": "example.org"}
                                ).status_code == 404, path
    chemistry_client = login_as(drao_chemistry, the_client=Client())
    assert chemistry_client.get(f"/enrollments/acme/{physics_account.pk}/").status_code == 404
    assert "physics-web" not in _html(chemistry_client.get("/enrollments/acme/"))
    univ_account.refresh_from_db()
    assert univ_account.status == "pending" and univ_account.name == "univ-web" and univ_account.domains.count() == 1


def test_rao_of_the_organization_manages_its_departments_accounts(rao_client, physics_account):
    html = _html(rao_client.get(f"/enrollments/acme/{physics_account.pk}/"))
    assert "/suspend/" in html and "/delete/" in html
    assert physics_account.mac_key in _html(rao_client.get(f"/enrollments/acme/{physics_account.pk}/details/", **HX))


def test_other_customer_gets_404(login_as, other_mrao, physics_account):
    c = login_as(other_mrao, the_client=Client())
    assert "physics-web" not in _html(c.get("/enrollments/acme/"))
    for path in ("", "details/", "rename/", "delete/"):
        assert c.get(f"/enrollments/acme/{physics_account.pk}/{path}", **HX).status_code == 404
    assert c.post(f"/enrollments/acme/{physics_account.pk}/suspend/").status_code == 404
    assert c.post(f"/enrollments/acme/{physics_account.pk}/delete/").status_code == 404
    assert AcmeAccount.objects.filter(pk=physics_account.pk, status="pending").exists()


def test_login_required(client, physics_account):
    response = client.get("/enrollments/acme/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post(f"/enrollments/acme/{physics_account.pk}/delete/").status_code == 302
    assert AcmeAccount.objects.exists()


# ---------------------------------------------------------------------------
# French, CSP, labels


def test_french_rendering(drao_client, physics_account, registered):
    registered(physics_account)
    html = _html(drao_client.get("/enrollments/acme/", **FR))
    for text in ("Comptes ACME", "Serveur ACME", "Domaines associés", "Certificats obtenus", "Ajouter un compte ACME",
                 "Valide", "Inscriptions"):
        assert text in html, text
    html = _html(drao_client.get(f"/enrollments/acme/{physics_account.pk}/", **FR))
    for text in ("URL ACME", "Clients ACME", "Empreinte de la clé", "Désactiver", "Renommer…", "Suspendre",
                 "Détails", "Domaines associés"):
        assert text in html, text
    fragment = _html(drao_client.get(f"/enrollments/acme/{physics_account.pk}/details/", **HX, **FR))
    assert "Clé HMAC" in fragment and "Copier la commande" in fragment
    html = _html(drao_client.get("/enrollments/acme/new/", **FR))
    assert "Organisation ou département et ses domaines" in html and "Créer le compte ACME" in html
    html = _html(drao_client.get(f"/enrollments/acme/{physics_account.pk}/delete/", **HX, **FR))
    assert "Supprimer le compte ACME physics-web ?" in html


def test_french_covers_every_string_of_these_pages():
    """Every msgid of the ACME templates, views and forms has a French translation."""
    import re

    root = Path(__file__).resolve().parents[2]
    main = (root / "src/certdesk/locale/fr/LC_MESSAGES/django.po").read_text(encoding="utf-8")

    def translated_ids(text):
        out = set()
        for m in re.finditer(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', text, re.M):
            if "".join(re.findall(r'"(.*)"', m.group(2))):
                out.add("".join(re.findall(r'"(.*)"', m.group(1))).replace('\\"', '"'))
        return out

    known = translated_ids(main)
    wanted = set()
    for path in (root / "src/certdesk/web/templates/web/acme").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        wanted |= set(re.findall(r'{% translate "([^"]*)"', text)) | set(re.findall(r"{% translate '([^']*)'", text))
        for block in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", text, re.S):
            wanted.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", block))
    for name in ("views/acme.py", "forms/acme.py"):
        text = (root / "src/certdesk/web" / name).read_text(encoding="utf-8")
        for m in re.finditer(r'(?:\b_|gettext_lazy)\(\s*((?:"[^"]*"\s*)+)', text):
            wanted.add("".join(re.findall(r'"([^"]*)"', m.group(1))))
    assert sorted(wanted - known) == []


def test_acme_pages_have_csp_no_inline_script_and_labelled_inputs(rao_client, physics_account, registered):
    registered(physics_account)
    pk = physics_account.pk
    pages = ["/enrollments/acme/", "/enrollments/acme/?status=valid", "/enrollments/acme/new/",
             f"/enrollments/acme/{pk}/", f"/enrollments/acme/{pk}/?details=1", f"/enrollments/acme/{pk}/rename/",
             f"/enrollments/acme/{pk}/delete/"]
    for language in ("en", "fr"):
        for url in pages:
            for extra in ({}, HX):
                response = rao_client.get(url, HTTP_ACCEPT_LANGUAGE=language, **extra)
                assert response.status_code == 200, url
                assert "script-src 'self'" in response["Content-Security-Policy"], url
                page = parse_page(response.content.decode())
                assert page.inline_scripts == 0 and page.event_attributes == [], url
                assert page.style_attributes == 0, url
                assert page.unlabelled() == [], (url, page.unlabelled())


# ---------------------------------------------------------------------------
# Enrollment endpoints


def test_endpoints_page_lists_acme_directories_api_and_web_forms_in_scope(
        mrao_client, drao_client, physics_account, univ_account, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        html = _html(mrao_client.get("/enrollments/endpoints/"))
    ov = html.split('id="endpoint-OV"', 1)[1].split("</tr>", 1)[0]
    assert f"{BASE}/acme/OV/directory" in ov and '?endpoint=OV">1</a>' in ov
    dv = html.split('id="endpoint-DV"', 1)[1].split("</tr>", 1)[0]
    assert f"{BASE}/acme/DV/directory" in dv and '?endpoint=DV">1</a>' in dv
    assert f"{BASE}/api/" in html and "/api/docs" in html
    # a DRAO counts only the accounts of its department
    html = _html(drao_client.get("/enrollments/endpoints/"))
    assert '?endpoint=OV">1</a>' in html.split('id="endpoint-OV"', 1)[1].split("</tr>", 1)[0]
    assert '?endpoint=DV">0</a>' in html.split('id="endpoint-DV"', 1)[1].split("</tr>", 1)[0]
    html = _html(mrao_client.get("/enrollments/"))
    assert 'href="/enrollments/endpoints/"' in html


def test_endpoints_page_in_french(mrao_client, physics_account):
    html = _html(mrao_client.get("/enrollments/endpoints/", **FR))
    assert "<h1>Points d’inscription</h1>" in html and "Serveurs ACME" in html
