"""Portal Certificates → Client Certificates (seed 003 §8): the list (filters, search, scope), the
request (server-generated key → PKCS #12 download, CSR, refusals next to their fields with nothing
created), the certificate page and its actions (approve, revoke behind the confirmation, renew,
downloads), a person's Certificates section with "Revoke all", French, CSP and labels."""
from __future__ import annotations

from html import unescape

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.test import Client
from django.utils import translation

from certdesk.certificates import smime
from certdesk.certificates.models import Certificate, EscrowedKey
from certdesk.certificates.states import Status
from certdesk.core.models import AuditEvent
from certdesk.persons.models import Person
from tests.smime.conftest import (  # noqa: F401 - fixtures of the client-certificate tests
    _certificate_settings,
    _dns_server,
    _domain_settings,
    _session_ca_keys,
    alice,
    claire,
    csr,
    dns,
    drao_smime,
    keys,
    people_domains,
    personal,
    pki,
    profiles,
    rao_smime,
    smime_profiles,
)

from ..conftest import actor_for
from .conftest import parse_page

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
PASSPHRASE = "Correct-Horse-42"


def _html(response, status=200) -> str:
    assert response.status_code == status, (response.status_code, response.content[:1500])
    return unescape(response.content.decode())


def _request(admin, person, profile, **kwargs):
    kwargs.setdefault("key_algorithm", "EC")
    kwargs.setdefault("key_size", "P-256")
    return smime.request_smime(actor_for(admin), person, profile, 365, **kwargs)


@pytest.fixture
def world(pki, alice, claire, rao_smime, personal):
    """Alice (Physics) with an issued certificate with an escrowed key, and one waiting for approval;
    Claire (Chemistry) with an issued one."""
    issued = _request(rao_smime, alice, personal)
    waiting = _request(rao_smime, alice, personal, auto_approve=False)
    chem = _request(rao_smime, claire, personal)
    assert (issued.status, waiting.status, chem.status) == (Status.ISSUED, Status.REQUESTED, Status.ISSUED)
    return {"issued": issued, "waiting": waiting, "chem": chem}


def ids(response) -> list[int]:
    return [row["cert"].pk for row in response.context["rows"]]


def _request_form(physics, personal, **extra) -> dict:
    data = {"email": "bruno@people.example.org", "first_name": "Bruno", "last_name": "Lefèvre",
            "organization": physics.pk, "common_name": "", "profile": personal.pk, "term": 365,
            "key_source": "generate", "key_type": "EC-P-256", "csr": "", "comments": ""}
    data.update(extra)
    return data


# ---------------------------------------------------------------------------
# Menu, list, filters, scope


def test_menu_has_client_certificates_next_to_ssl(mrao_client, world):
    html = _html(mrao_client.get("/certificates/client/"))
    assert '<a href="/certificates/" ' in html or '<a href="/certificates/">' in html
    assert '<a href="/certificates/client/" aria-current="page">Client Certificates</a>' in html
    ssl_at, client_at = html.index(">SSL Certificates<"), html.index(">Client Certificates<")
    assert ssl_at < client_at


def test_list_shows_persons_certificates_newest_first(mrao_client, world):
    response = mrao_client.get("/certificates/client/")
    html = _html(response)
    for header in ("Person", "Email", "Common name", "Profile", "Status", "Expires", "Organization or department"):
        assert f">{header}<" in html, header
    assert ids(response) == [world["chem"].pk, world["waiting"].pk, world["issued"].pk]
    assert "Alice Martin" in html and "alice@people.example.org" in html and "claire@chem.example.org" in html
    assert "GÉANT Personal Certificate" in html and "Universite de Lyon / Physics" in html
    assert ">Issued<" in html and ">Requested<" in html and "3 certificates" in html
    assert f'href="/certificates/client/{world["issued"].pk}/"' in html
    assert "Request a client certificate" in html


def test_list_filters_and_search(mrao_client, world, physics, personal):
    assert ids(mrao_client.get("/certificates/client/?status=REQUESTED")) == [world["waiting"].pk]
    assert ids(mrao_client.get(f"/certificates/client/?org={physics.pk}")) == [world["waiting"].pk,
                                                                               world["issued"].pk]
    assert ids(mrao_client.get(f"/certificates/client/?profile={personal.pk}&status=ISSUED")) == [
        world["chem"].pk, world["issued"].pk]
    assert ids(mrao_client.get("/certificates/client/?expires_in=400")) == sorted(
        [world["issued"].pk, world["chem"].pk], key=lambda pk: (Certificate.objects.get(pk=pk).not_after, pk))
    assert ids(mrao_client.get("/certificates/client/?expires_in=10")) == []
    # by email (a secondary one too), by name, by serial
    assert ids(mrao_client.get("/certificates/client/?q=claire@chem")) == [world["chem"].pk]
    assert ids(mrao_client.get("/certificates/client/?q=a.martin@people.example.org")) == [
        world["waiting"].pk, world["issued"].pk]
    assert ids(mrao_client.get("/certificates/client/?q=Martin")) == [world["waiting"].pk, world["issued"].pk]
    serial = world["chem"].serial_hex.lstrip("0")
    assert ids(mrao_client.get(f"/certificates/client/?q={serial}")) == [world["chem"].pk]
    html = _html(mrao_client.get("/certificates/client/?q=nobody-here"))
    assert "No certificate matches these filters." in html
    table = _html(mrao_client.get("/certificates/client/?status=ISSUED", HTTP_HX_TARGET="client-table", **HX))
    assert table.startswith('<div id="client-table"') and "<html" not in table
    bad = mrao_client.get("/certificates/client/?expires_in=-3")
    assert "Some filters are not valid" in _html(bad) and ids(bad) == []


def test_list_pages_on_the_server(mrao_client, world):
    response = mrao_client.get("/certificates/client/?size=25")
    assert response.context["paginator"].count == 3 and not response.context["page"].has_other_pages()
    with pytest.MonkeyPatch.context() as patch:
        from certdesk.web.forms import smime as forms_module

        field = forms_module.ClientFilterForm.base_fields["size"]
        patch.setattr(field, "choices", [("1", "1"), ("25", "25")])
        first = mrao_client.get("/certificates/client/?size=1")
        second = mrao_client.get("/certificates/client/?size=1&page=2")
    assert ids(first) == [world["chem"].pk] and ids(second) == [world["waiting"].pk]
    html = _html(first)
    assert "Page 1 of 3" in html and "size=1&amp;page=2" in first.content.decode()


def test_drao_sees_only_its_department(world, drao_smime, login_as, physics):
    client = login_as(drao_smime, the_client=Client())
    response = client.get("/certificates/client/")
    assert ids(response) == [world["waiting"].pk, world["issued"].pk]
    assert "claire@chem.example.org" not in _html(response)
    assert client.get(f"/certificates/client/{world['chem'].pk}/").status_code == 404
    assert client.get(f"/certificates/client/{world['issued'].pk}/").status_code == 200
    # requests only for its department's persons: Chemistry's read as missing, Physics is the only choice
    assert client.get(f"/certificates/client/new/?person={world['chem'].person_id}").status_code == 404
    form = client.get("/certificates/client/new/")
    assert [value for value, _label in form.context["form"].fields["organization"].choices] == ["", physics.pk]


def test_ssl_only_admin_is_refused(world, rao_univ, login_as):
    client = login_as(rao_univ, the_client=Client())
    html = _html(client.get("/certificates/client/"), status=403)
    assert "client certificate role" in html
    assert client.get(f"/certificates/client/{world['issued'].pk}/").status_code == 404
    assert client.get("/certificates/client/new/").status_code == 403


# ---------------------------------------------------------------------------
# Request


def test_request_with_a_server_key_then_download_the_pkcs12(mrao_client, pki, physics, personal):
    response = mrao_client.post("/certificates/client/new/", _request_form(physics, personal, key_type="RSA-2048"))
    assert response.status_code == 302, response.content[:1500]
    cert = Certificate.objects.get(kind="SMIME", person__email="bruno@people.example.org")
    assert response["Location"] == f"/certificates/client/{cert.pk}/pkcs12/"
    assert cert.status == Status.ISSUED and EscrowedKey.objects.filter(certificate=cert).exists()
    person = Person.objects.get(email="bruno@people.example.org")
    assert (person.organization_id, person.common_name) == (physics.pk, "Bruno Lefèvre")
    page = _html(mrao_client.get(response["Location"]))
    assert f"Client certificate {cert.pk} issued." in page
    assert 'type="password"' in page and "Passphrase (again)" in page
    download = mrao_client.post(f"/certificates/client/{cert.pk}/pkcs12/",
                                {"passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE,
                                 "encryption": "AES256-SHA256"})
    assert download.status_code == 200
    assert download["Content-Type"] == "application/x-pkcs12"
    assert download["Content-Disposition"] == f'attachment; filename="client_certificate_{cert.pk}.p12"'
    assert "no-store" in download["Cache-Control"]
    key, leaf, chain = pkcs12.load_key_and_certificates(download.content, PASSPHRASE.encode())
    assert leaf == cert.certificate() and isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert key.public_key().public_numbers() == leaf.public_key().public_numbers()
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["bruno@people.example.org"]
    assert chain
    assert AuditEvent.objects.filter(action="certificate.key_recovered").count() == 1
    assert PASSPHRASE not in download.content.decode("latin-1")
    assert "Key downloaded (PKCS#12)" in _html(mrao_client.get(f"/certificates/client/{cert.pk}/"))
    assert not any(PASSPHRASE in e.changes for e in AuditEvent.objects.all())


def test_passphrases_that_differ_are_refused_and_never_shown(mrao_client, world):
    cert = world["issued"]
    response = mrao_client.post(f"/certificates/client/{cert.pk}/pkcs12/",
                                {"passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE + "x",
                                 "encryption": "AES256-SHA256"})
    html = _html(response, status=400)
    assert "The two passphrases differ" in html and PASSPHRASE not in html
    short = _html(mrao_client.post(f"/certificates/client/{cert.pk}/pkcs12/",
                                   {"passphrase": "short", "passphrase_again": "short",
                                    "encryption": "AES256-SHA256"}), status=400)
    assert "at least 8 characters" in short and 'value="short"' not in short
    assert not AuditEvent.objects.filter(action="certificate.key_recovered").exists()


def test_request_for_a_person_with_a_csr(mrao_client, pki, alice, personal, csr):
    page = _html(mrao_client.get(f"/persons/{alice.pk}/"))
    assert f'href="/certificates/client/new/?person={alice.pk}"' in page
    form = _html(mrao_client.get(f"/certificates/client/new/?person={alice.pk}"))
    assert "alice@people.example.org" in form and 'name="email"' not in form
    response = mrao_client.post("/certificates/client/new/", {
        "person": alice.pk, "profile": personal.pk, "term": 365, "key_source": "csr", "key_type": "",
        "csr": csr(key="rsa2048"), "common_name": "", "comments": "laptop"})
    assert response.status_code == 302, response.content[:1500]
    cert = Certificate.objects.get(kind="SMIME", person=alice)
    assert response["Location"] == f"/certificates/client/{cert.pk}/"
    assert cert.status == Status.ISSUED and not EscrowedKey.objects.filter(certificate=cert).exists()
    detail = _html(mrao_client.get(response["Location"]))
    assert "No: requested with a CSR" in detail and "Download PKCS#12" not in detail
    assert "alice@people.example.org" in detail and "a.martin@people.example.org" in detail
    assert "Certificate only, PEM encoded" in detail
    pem = mrao_client.get(f"/certificates/client/{cert.pk}/download/x509CO/")
    assert pem.status_code == 200 and x509.load_pem_x509_certificate(pem.content) == cert.certificate()
    assert mrao_client.get(f"/certificates/client/{cert.pk}/download/nope/").status_code == 404
    # no escrowed key: the PKCS #12 page says so on the certificate's page, and a POST is refused in the form
    moved = mrao_client.get(f"/certificates/client/{cert.pk}/pkcs12/", follow=True)
    assert "There is no key to download for this certificate" in _html(moved)
    refused = mrao_client.post(f"/certificates/client/{cert.pk}/pkcs12/",
                               {"passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE,
                                "encryption": "AES256-SHA256"})
    assert "has no escrowed key" in _html(refused, status=400)


def test_an_existing_person_is_found_by_email(mrao_client, pki, alice, physics, personal):
    response = mrao_client.post("/certificates/client/new/", _request_form(
        physics, personal, email="ALICE@people.example.org", first_name="", last_name="", organization=""))
    assert response.status_code == 302, response.content[:1500]
    assert Person.objects.filter(email__iexact="alice@people.example.org").count() == 1
    assert Certificate.objects.get(kind="SMIME").person_id == alice.pk


def test_bad_input_gets_form_errors_and_creates_nothing(mrao_client, pki, physics, personal, csr):
    # the email domain is not delegated for client certificates: named in the error, no person, no certificate
    html = _html(mrao_client.post("/certificates/client/new/", _request_form(
        physics, personal, email="eve@staff.example.org")), status=400)
    assert "staff.example.org" in html and "not delegated" in html
    assert 'id="id_email_error"' in html
    # a weak key in the CSR
    html = _html(mrao_client.post("/certificates/client/new/", _request_form(
        physics, personal, key_source="csr", csr=csr(key="rsa1024"))), status=400)
    assert 'id="id_csr_error"' in html and "1024" in html
    # CSR chosen but none given; a new person without names
    html = _html(mrao_client.post("/certificates/client/new/", _request_form(
        physics, personal, key_source="csr", csr="")), status=400)
    assert "Paste the CSR or upload its file." in html
    html = _html(mrao_client.post("/certificates/client/new/", _request_form(
        physics, personal, first_name="", organization="")), status=400)
    assert "Give the first name of the new person." in html
    assert "Choose the organization or department of the new person." in html
    # a term the profile does not offer
    html = _html(mrao_client.post("/certificates/client/new/", _request_form(physics, personal, term=999)),
                 status=400)
    assert 'id="id_term_error"' in html
    assert not Person.objects.filter(email__in=["eve@staff.example.org", "bruno@people.example.org"]).exists()
    assert not Certificate.objects.filter(kind="SMIME").exists()


def test_a_person_whose_domain_is_no_longer_delegated_gets_the_domain_named(mrao_client, pki, alice, personal):
    from certdesk.domains.models import Delegation

    Delegation.objects.filter(domain__name="people.example.org").update(cert_types=["SSL"])
    html = _html(mrao_client.post("/certificates/client/new/", {
        "person": alice.pk, "profile": personal.pk, "term": 365, "key_source": "generate", "key_type": "RSA-2048",
        "common_name": "", "comments": ""}), status=400)
    assert "people.example.org" in html and "not delegated" in html and 'class="form-errors"' in html
    assert not Certificate.objects.filter(kind="SMIME").exists()
    assert not EscrowedKey.objects.exists()


def test_a_refused_request_keeps_no_new_person(mrao_client, pki, physics, personal, monkeypatch):
    """The person is added in the request's transaction: a refusal after it rolls it back."""
    from certdesk.certificates.errors import WeakKey

    def refuse(*args, **kwargs):
        raise WeakKey("The CSR key is refused.", field="csr")

    monkeypatch.setattr(smime, "request_smime", refuse)
    html = _html(mrao_client.post("/certificates/client/new/", _request_form(physics, personal)), status=400)
    assert "The CSR key is refused." in html
    assert not Person.objects.filter(email="bruno@people.example.org").exists()


# ---------------------------------------------------------------------------
# Detail and actions


def test_detail_shows_the_certificate(mrao_client, world):
    cert = world["issued"]
    html = _html(mrao_client.get(f"/certificates/client/{cert.pk}/"))
    for text in ("Alice Martin", "alice@people.example.org", "a.martin@people.example.org", "Key escrow",
                 "Yes: generated by certdesk, held in escrow", "EC - P-256", "GÉANT Personal Certificate",
                 "Serial number", "History", "Issued", "Download PKCS#12 (.p12)", "Revoke…", "Renew…",
                 "Certificate only, PEM encoded", "PKCS#7, DER encoded (.p7b)"):
        assert text in html, text
    assert "CN=Alice Martin,SN=Martin,GN=Alice" in html and "Key downloaded" not in html
    waiting = _html(mrao_client.get(f"/certificates/client/{world['waiting'].pk}/"))
    assert ">Approve<" in waiting and "Decline…" in waiting and "Revoke…" not in waiting


def test_approve_issues_the_waiting_request(mrao_client, world):
    waiting = world["waiting"]
    page = mrao_client.get(f"/certificates/client/{waiting.pk}/")
    stamp = page.context["stamp"]
    response = mrao_client.post(f"/certificates/client/{waiting.pk}/approve/", {"modified": stamp})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Status.ISSUED
    again = mrao_client.post(f"/certificates/client/{waiting.pk}/approve/", {"modified": stamp}, follow=True)
    assert "Nothing was done" in _html(again) or "already" in _html(again)


def test_decline_a_waiting_request(mrao_client, world):
    waiting = world["waiting"]
    dialog = _html(mrao_client.get(f"/certificates/client/{waiting.pk}/decline/", **HX))
    assert "Decline request" in dialog and "<html" not in dialog
    stamp = mrao_client.get(f"/certificates/client/{waiting.pk}/").context["stamp"]
    empty = _html(mrao_client.post(f"/certificates/client/{waiting.pk}/decline/", {"modified": stamp, "reason": ""}),
                  status=400)
    assert 'id="id_reason_error"' in empty
    done = mrao_client.post(f"/certificates/client/{waiting.pk}/decline/", {"modified": stamp, "reason": "duplicate"})
    assert done.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.status, waiting.reason) == (Status.DECLINED, "duplicate")


def test_revoke_asks_for_confirmation_first(mrao_client, world):
    cert = world["issued"]
    dialog = _html(mrao_client.get(f"/certificates/client/{cert.pk}/revoke/", **HX))
    assert "Reason (RFC 5280)" in dialog and "<html" not in dialog
    stamp = mrao_client.get(f"/certificates/client/{cert.pk}/").context["stamp"]
    fields = {"modified": stamp, "reason_code": 1, "comment": "laptop stolen"}
    asked = _html(mrao_client.post(f"/certificates/client/{cert.pk}/revoke/", fields, **HX))
    assert "Revoke this client certificate?" in asked and 'name="confirmed" value="1"' in asked
    assert 'name="reason_code" value="1"' in asked
    cert.refresh_from_db()
    assert cert.status == Status.ISSUED  # nothing yet
    done = mrao_client.post(f"/certificates/client/{cert.pk}/revoke/", {**fields, "confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == f"/certificates/client/{cert.pk}/"
    cert.refresh_from_db()
    assert (cert.status, cert.revocation_reason, cert.revocation_comment) == (Status.REVOKED, 1, "laptop stolen")
    html = _html(mrao_client.get(done["Location"]))
    assert "Key compromise" in html and "Revoke…" not in html


def test_renew_an_escrowed_certificate_leads_to_the_new_pkcs12(mrao_client, world):
    cert = world["issued"]
    stamp = mrao_client.get(f"/certificates/client/{cert.pk}/").context["stamp"]
    response = mrao_client.post(f"/certificates/client/{cert.pk}/renew/", {"modified": stamp})
    new = Certificate.objects.get(renewal_of=cert)
    assert response.status_code == 302 and response["Location"] == f"/certificates/client/{new.pk}/pkcs12/"
    assert new.status == Status.ISSUED and EscrowedKey.objects.filter(certificate=new).exists()


def test_renew_a_csr_certificate_with_a_new_csr(mrao_client, pki, alice, rao_smime, personal, csr, keys):
    old = _request(rao_smime, alice, personal, csr_pem=csr(key="rsa2048"))
    dialog = _html(mrao_client.get(f"/certificates/client/{old.pk}/renew/", **HX))
    assert 'name="csr"' in dialog
    stamp = mrao_client.get(f"/certificates/client/{old.pk}/").context["stamp"]
    weak = mrao_client.post(f"/certificates/client/{old.pk}/renew/", {"modified": stamp, "csr": csr(key="rsa1024")})
    assert 'id="id_csr_error"' in _html(weak, status=400)
    assert not Certificate.objects.filter(renewal_of=old).exists()
    response = mrao_client.post(f"/certificates/client/{old.pk}/renew/",
                                {"modified": stamp, "csr": csr(key="rsa2048b")})
    new = Certificate.objects.get(renewal_of=old)
    assert response.status_code == 302 and response["Location"] == f"/certificates/client/{new.pk}/"
    assert new.status == Status.ISSUED and not EscrowedKey.objects.filter(certificate=new).exists()
    assert new.certificate().public_key().public_numbers() == keys["rsa2048b"].public_key().public_numbers()
    assert mrao_client.get("/certificates/client/999999/").status_code == 404


def test_drao_without_key_recovery_cannot_download_keys_it_did_not_request(world, drao_smime, login_as):
    client = login_as(drao_smime, the_client=Client())
    cert = world["issued"]  # requested by the RAO
    html = _html(client.get(f"/certificates/client/{cert.pk}/"))
    assert "Download PKCS#12" not in html
    refused = client.post(f"/certificates/client/{cert.pk}/pkcs12/",
                          {"passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE, "encryption": "AES256-SHA256"})
    assert refused.status_code == 403


# ---------------------------------------------------------------------------
# A person's certificates


def test_person_page_lists_certificates_and_revokes_all(mrao_client, world, alice):
    html = _html(mrao_client.get(f"/persons/{alice.pk}/"))
    assert f'href="/certificates/client/{world["issued"].pk}/"' in html
    assert f'href="/certificates/client/{world["waiting"].pk}/"' in html
    assert f'href="/certificates/client/{world["chem"].pk}/"' not in html
    assert "Revoke all" in html
    url = f"/persons/{alice.pk}/certificates/revoke/"
    asked = _html(mrao_client.post(url, {"reason_code": 3, "comment": "left"}, **HX))
    assert "Revoke all the client certificates of this person?" in asked
    assert Certificate.objects.get(pk=world["issued"].pk).status == Status.ISSUED
    done = mrao_client.post(url, {"reason_code": 3, "comment": "left", "confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == f"/persons/{alice.pk}/"
    statuses = dict(Certificate.objects.filter(kind="SMIME").values_list("pk", "status"))
    assert statuses == {world["issued"].pk: Status.REVOKED, world["waiting"].pk: Status.REQUESTED,
                        world["chem"].pk: Status.ISSUED}
    assert "1 client certificate(s) of Alice Martin revoked." in _html(mrao_client.get(done["Location"]))


# ---------------------------------------------------------------------------
# French, CSP, labels


def test_french_pages_have_no_english_main_labels(mrao_client, world, alice, mrao):
    fr = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    mrao.language = "fr"
    mrao.save(update_fields=["language"])
    labels = ("Client Certificates", "Request a client certificate", "Person", "Common name", "Profile", "Status",
              "Expires", "Organization or department", "Key escrow", "Download the certificate", "History",
              "Email addresses", "Serial number", "Passphrase", "Filter")
    with translation.override("fr"):
        french = {text: str(translation.gettext(text)) for text in labels}
    assert (french["Status"], french["Profile"], french["Common name"]) == ("Statut", "Profil", "Nom commun")
    pages = [_html(mrao_client.get("/certificates/client/", **fr)),
             _html(mrao_client.get(f"/certificates/client/{world['issued'].pk}/", **fr))]
    assert all('lang="fr"' in page for page in pages)
    both = "\n".join(pages)
    for english, translated_text in french.items():
        if english in ("Passphrase", "Download the certificate", "Key escrow", "Email addresses", "Serial number",
                       "History"):
            page = pages[1]
        else:
            page = both
        assert translated_text in page, english
        if translated_text != english:
            assert f">{english}<" not in page, english


def test_pages_have_csp_no_inline_script_and_labelled_inputs(mrao_client, world, alice):
    cert, waiting = world["issued"], world["waiting"]
    pages = ["/certificates/client/", "/certificates/client/?q=alice", "/certificates/client/new/",
             f"/certificates/client/new/?person={alice.pk}", f"/certificates/client/{cert.pk}/",
             f"/certificates/client/{waiting.pk}/", f"/certificates/client/{cert.pk}/pkcs12/",
             f"/certificates/client/{cert.pk}/revoke/", f"/certificates/client/{cert.pk}/renew/",
             f"/certificates/client/{waiting.pk}/decline/", f"/persons/{alice.pk}/"]
    for language in ("en", "fr"):
        for url in pages:
            response = mrao_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, url
            assert "script-src 'self'" in response["Content-Security-Policy"], url
            page = parse_page(response.content.decode())
            assert page.inline_scripts == 0 and page.event_attributes == [], url
            assert page.style_attributes == 0, url
            assert page.unlabelled() == [], (url, page.unlabelled())


def test_list_costs_the_same_queries_whatever_the_rows(mrao_client, world, rao_smime, alice, claire, personal):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mrao_client.get("/certificates/client/")  # sessions, caches: warm
    with CaptureQueriesContext(connection) as few:
        assert len(ids(mrao_client.get("/certificates/client/"))) == 3
    for person in (alice, claire, alice):
        _request(rao_smime, person, personal)
    with CaptureQueriesContext(connection) as more:
        assert len(ids(mrao_client.get("/certificates/client/"))) == 6
    assert len(more) == len(few), [q["sql"] for q in more.captured_queries]
