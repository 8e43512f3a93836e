"""Portal Certificates → SSL Certificates (issue 4): the list and its filter contract, scope, the
certificate page and its actions (approve once, stale forms, decline, revoke, renew, replace,
edit), the request wizard's refusals next to their fields, and the downloads."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from certdesk.acme import services as acme_services
from certdesk.acme.models import AcmeClient, AcmeOrder
from certdesk.certificates import services
from certdesk.certificates.models import Certificate, CertificateEvent
from certdesk.certificates.states import Status
from certdesk.web.views import certificates as views

from ..certificates.conftest import (  # noqa: F401  (fixtures of the certificate tests)
    _certificate_settings,
    _dns_server,
    _domain_settings,
    csr,
    dns,
    domains,
    keys,
    make_domain,
    profiles,
    ssl,
    validate,
)
from ..conftest import actor_for
from .conftest import parse_page

HTMX = {"HTTP_HX_REQUEST": "true"}


def request(admin, org, profile, pem, **kwargs):
    kwargs.setdefault("term", 200)
    return services.request_ssl(actor_for(admin), organization=org, profile=profile, csr_pem=pem, **kwargs)


@pytest.fixture
def world(ssl, univ, physics, chemistry, rao_univ, drao_physics, csr):
    """An issued multi-domain certificate of the university, a request waiting in Physics, an
    issued one in Chemistry."""
    multi, ov = ssl["profiles"]["OV Multi-Domain"], ssl["profiles"]["OV SSL"]
    issued = request(rao_univ, univ, multi, csr("web.example.org"),
                     subject_alt_names=["a.example.org", "b.example.org", "c.example.org"])
    waiting = request(drao_physics, physics, ov, csr("lab.physics.example.org", key="p256"))
    chem = request(rao_univ, chemistry, ov, csr("nmr.chemistry.example.org", key="rsa2048b"))
    assert (issued.status, waiting.status, chem.status) == (Status.ISSUED, Status.REQUESTED, Status.ISSUED)
    return {"issued": issued, "waiting": waiting, "chem": chem, "multi": multi, "ov": ov}


def ids(response) -> list[int]:
    return [row["cert"].pk for row in response.context["rows"]]


# ---------------------------------------------------------------------------
# List


def test_list_shows_scm_columns(mrao_client, world):
    response = mrao_client.get("/certificates/")
    assert response.status_code == 200
    html = response.content.decode()
    for header in ("ID", "Common name", "Subject alternative names", "Organization or department", "Profile",
                   "Status", "Expires", "Requester", "Requested via"):
        assert f">{header}<" in html
    assert ids(response) == [world["chem"].pk, world["waiting"].pk, world["issued"].pk]  # newest first
    assert "web.example.org" in html and "a.example.org, b.example.org and 1 more" in html
    assert "Universite de Lyon / Physics" in html and "OV Multi-Domain" in html
    assert ">Issued<" in html and ">Requested<" in html
    assert "rao_univ" in html and "Client Admin" in html
    assert "3 certificates" in html


def test_list_filters_by_status_profile_org_and_requested_via(mrao_client, world, physics, chemistry):
    assert ids(mrao_client.get("/certificates/?status=REQUESTED")) == [world["waiting"].pk]
    assert set(ids(mrao_client.get("/certificates/?status=REQUESTED&status=ISSUED"))) == {
        world["waiting"].pk, world["issued"].pk, world["chem"].pk}
    assert ids(mrao_client.get(f"/certificates/?profile={world['multi'].pk}")) == [world["issued"].pk]
    assert ids(mrao_client.get(f"/certificates/?org={chemistry.pk}")) == [world["chem"].pk]
    assert ids(mrao_client.get("/certificates/?requested_via=ACME")) == []
    assert len(ids(mrao_client.get("/certificates/?requested_via=Client+Admin"))) == 3


def test_list_filter_expires_in_counts_issued_only(mrao_client, world):
    Certificate.objects.filter(pk=world["chem"].pk).update(not_after=timezone.now() + timedelta(days=10))
    response = mrao_client.get("/certificates/?expires_in=30")
    assert ids(response) == [world["chem"].pk]
    assert response.context["sort"] == "expires"  # soonest first by default
    assert set(ids(mrao_client.get("/certificates/?expires_in=365"))) == {world["chem"].pk, world["issued"].pk}


def test_awaiting_me_lists_requests_the_admin_may_approve(client, login_as, mrao, drao_chemistry, world):
    login_as(mrao)
    assert ids(client.get("/certificates/?awaiting=me")) == [world["waiting"].pk]
    login_as(drao_chemistry)  # Physics is not in its scope
    assert ids(client.get("/certificates/?awaiting=me")) == []


def test_list_filter_by_acme_account(mrao_client, mrao, physics, world):
    account = acme_services.create_account(actor_for(mrao), organization=physics, endpoint_name="OV",
                                           name="physics-web", domains=["*.physics.example.org"])
    acme_client = AcmeClient.objects.create(account=account, jwk={"kty": "EC"}, thumbprint="web-test")
    AcmeOrder.objects.create(client=acme_client, identifiers=[{"type": "dns", "value": "lab.physics.example.org"}],
                             expires=timezone.now() + timedelta(days=1), certificate=world["waiting"])
    response = mrao_client.get(f"/certificates/?acme_account={account.pk}")
    assert ids(response) == [world["waiting"].pk]


def test_search_by_name_san_serial_and_id(mrao_client, world):
    issued = world["issued"]
    assert ids(mrao_client.get("/certificates/?q=web.example")) == [issued.pk]
    assert ids(mrao_client.get("/certificates/?q=B.EXAMPLE.ORG")) == [issued.pk]  # a SAN, any case
    serial = f"{int(issued.serial_hex, 16):X}"
    colons = ":".join(re.findall("..", serial.rjust(len(serial) + len(serial) % 2, "0")))
    assert ids(mrao_client.get(f"/certificates/?q={serial}")) == [issued.pk]
    assert ids(mrao_client.get(f"/certificates/?q={colons}")) == [issued.pk]
    assert ids(mrao_client.get(f"/certificates/?q={world['chem'].pk}")) == [world["chem"].pk]
    response = mrao_client.get("/certificates/?q=nothing-like-this")
    assert ids(response) == [] and "No certificate matches these filters." in response.content.decode()


def test_sort_on_indexed_columns_and_refuse_others(mrao_client, world):
    Certificate.objects.filter(pk=world["issued"].pk).update(not_after=timezone.now() + timedelta(days=5))
    assert ids(mrao_client.get("/certificates/?sort=id")) == sorted(ids(mrao_client.get("/certificates/")))
    by_expiry = ids(mrao_client.get("/certificates/?sort=expires"))
    assert by_expiry == [world["issued"].pk, world["chem"].pk, world["waiting"].pk]  # pending (no date) last
    assert ids(mrao_client.get("/certificates/?sort=not_after")) == by_expiry  # the column's own name
    assert ids(mrao_client.get("/certificates/?sort=-not_after"))[0] == world["chem"].pk
    # An unindexed column is not sorted on: the default order, and a notice, never an empty list.
    response = mrao_client.get("/certificates/?sort=common_name&status=ISSUED")
    assert response.status_code == 200 and ids(response) == [world["chem"].pk, world["issued"].pk]
    assert "Sorting by “common_name” is not offered" in response.content.decode()
    assert "sort=-expires" in response.content.decode() or "sort=expires" in response.content.decode()


def test_bad_filter_values_are_form_errors_not_500(mrao_client, world):
    for query in ("status=BOGUS", "profile=abc", "org=999999", "expires_in=-3", "size=7", "acme_account=x",
                  "page=zzz&status=ISSUED"):
        response = mrao_client.get(f"/certificates/?{query}")
        assert response.status_code == 200, query
    assert ids(mrao_client.get("/certificates/?page=zzz&status=ISSUED"))  # a bad page is page 1


@pytest.fixture
def many(univ, ssl, rao_univ):
    """60 stored requests (rows only: paging does not need them signed)."""
    profile = ssl["profiles"]["OV SSL"]
    Certificate.objects.bulk_create([
        Certificate(kind="SSL", customer=univ.customer, organization=univ, profile=profile,
                    status=Status.REQUESTED, common_name=f"h{i:02d}.example.org",
                    subject_alt_names=[f"h{i:02d}.example.org"], names_index=f",h{i:02d}.example.org,", term=200,
                    requester_label="rao_univ")
        for i in range(60)])
    return list(Certificate.objects.order_by("-id").values_list("pk", flat=True))


def test_paging_keeps_filters_and_sort(mrao_client, many):
    first = mrao_client.get("/certificates/?size=25&status=REQUESTED")
    assert ids(first) == many[:25]
    page = first.context["page"]
    assert page["pages"] == 3 and "status=REQUESTED" in page["next"] and "size=25" in page["next"]
    third = mrao_client.get(f"/certificates/?{page['next'].replace('page=2', 'page=3')}")
    assert ids(third) == many[50:]
    assert ids(mrao_client.get("/certificates/?size=25&page=99")) == many[50:]  # past the end: the last page
    ascending = mrao_client.get("/certificates/?size=25&sort=id&page=2")
    assert ids(ascending) == sorted(many)[25:50]


def test_count_is_capped(mrao_client, many, monkeypatch):
    monkeypatch.setattr(views, "COUNT_CAP", 40)
    response = mrao_client.get("/certificates/?size=25")
    assert response.context["capped"] and response.context["page"]["pages"] == 2
    assert "More than 40 certificates match" in response.content.decode()
    assert ids(mrao_client.get("/certificates/?size=25&page=3")) == many[25:40]  # never past the cap


def test_list_queries_do_not_grow_with_rows(mrao_client, many, django_assert_max_num_queries):
    mrao_client.get("/certificates/?size=25")  # warm the session and the caches
    with django_assert_max_num_queries(12):
        small = mrao_client.get("/certificates/?size=25")
    with django_assert_max_num_queries(12):
        big = mrao_client.get("/certificates/?size=200")
    assert len(small.context["rows"]) == 25 and len(big.context["rows"]) == 60


def test_htmx_asks_only_for_the_table(mrao_client, world):
    response = mrao_client.get("/certificates/?status=ISSUED", HTTP_HX_TARGET="certificate-table", **HTMX)
    html = response.content.decode()
    assert html.startswith('<div id="certificate-table"') and "<html" not in html
    assert "lab.physics.example.org" not in html and "web.example.org" in html


def test_list_headers_in_french(mrao_client, world):
    html = mrao_client.get("/certificates/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    for header in ("Certificats SSL", "Nom commun", "Noms alternatifs du sujet", "Organisation ou département",
                   "Profil", "Statut", "Expire le", "Demandeur", "Demandé via"):
        assert f">{header}<" in html, header
    assert ">Émis<" in html and ">Demandé<" in html


def test_pages_have_no_inline_script_and_labelled_inputs(mrao_client, world):
    cert = world["issued"]
    for url in ("/certificates/", "/certificates/new/", f"/certificates/{cert.pk}/",
                f"/certificates/{world['waiting'].pk}/", f"/certificates/{cert.pk}/revoke/",
                f"/certificates/{cert.pk}/replace/", f"/certificates/{cert.pk}/renew/",
                f"/certificates/{cert.pk}/edit/", f"/certificates/{world['waiting'].pk}/decline/"):
        response = mrao_client.get(url)
        assert response.status_code == 200, url
        page = parse_page(response.content.decode())
        assert page.inline_scripts == 0 and not page.event_attributes and page.style_attributes == 0, url
        assert page.unlabelled() == [], url


# ---------------------------------------------------------------------------
# Scope


def test_drao_sees_only_its_department(client, login_as, drao_physics, world):
    login_as(drao_physics)
    response = client.get("/certificates/")
    assert ids(response) == [world["waiting"].pk]
    assert [label for _, label in response.context["form"].fields["org"].choices][1:] == [
        "Universite de Lyon / Physics"]
    assert client.get(f"/certificates/{world['issued'].pk}/").status_code == 404
    assert client.get(f"/certificates/{world['chem'].pk}/download/x509CO/").status_code == 404
    assert client.post(f"/certificates/{world['chem'].pk}/revoke/", {"reason_code": 0}).status_code == 404
    assert client.get(f"/certificates/{world['waiting'].pk}/").status_code == 200


def test_other_customer_gets_404_everywhere(client, login_as, other_mrao, world):
    login_as(other_mrao)
    assert ids(client.get("/certificates/")) == []
    cert = world["issued"]
    for url in (f"/certificates/{cert.pk}/", f"/certificates/{cert.pk}/download/pem/",
                f"/certificates/{cert.pk}/revoke/", f"/certificates/{cert.pk}/edit/"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/certificates/{world['waiting'].pk}/approve/", {"modified": "x"})
    assert response.status_code == 404
    assert Certificate.objects.get(pk=world["waiting"].pk).status == Status.REQUESTED


# ---------------------------------------------------------------------------
# Detail


def test_detail_shows_every_field_history_and_downloads(mrao_client, world):
    cert = world["issued"]
    html = mrao_client.get(f"/certificates/{cert.pk}/").content.decode()
    for text in ("web.example.org", "a.example.org", "c.example.org", "OV Multi-Domain", "RSA - 2048",
                 f"{int(cert.serial_hex, 16):X}"[:12], "SHA-256 fingerprint", "Issuing CA", "rao_univ",
                 "Client Admin", "History", "Requested", "Auto-approved", "Issued"):
        assert text in html, text
    for fmt in ("x509CO", "pemia", "x509R", "x509", "bin", "base64", "x509IO", "x509IOR", "pemco", "pem"):
        assert f"/certificates/{cert.pk}/download/{fmt}/" in html
    assert "Revoke…" in html and "Renew…" in html and "Replace…" in html and "Edit…" in html
    assert ">Approve<" not in html and "Decline…" not in html


def test_detail_of_a_request_offers_approve_and_decline_only(mrao_client, world):
    html = mrao_client.get(f"/certificates/{world['waiting'].pk}/").content.decode()
    assert ">Approve<" in html and "Decline…" in html
    assert "Revoke…" not in html and "Renew…" not in html and "/download/" not in html
    assert 'name="modified"' in html


def test_buttons_follow_policy(client, login_as, drao_chemistry, world):
    """drao_chemistry holds no sslManage: no Edit button, and the edit page answers 403."""
    login_as(drao_chemistry)
    cert = world["chem"]
    html = client.get(f"/certificates/{cert.pk}/").content.decode()
    assert "Edit…" not in html
    assert client.get(f"/certificates/{cert.pk}/edit/").status_code == 403


# ---------------------------------------------------------------------------
# Actions


def _stamp(cert) -> str:
    return views.stamp(Certificate.objects.get(pk=cert.pk))


def test_approve_in_place_then_double_click_approves_once(mrao_client, world):
    waiting = world["waiting"]
    stamp = _stamp(waiting)
    first = mrao_client.post(f"/certificates/{waiting.pk}/approve/", {"modified": stamp},
                             HTTP_HX_TARGET="certificate-panel", **HTMX)
    assert first.status_code == 200
    html = first.content.decode()
    assert html.startswith('<div id="certificate-panel"') and f"Certificate {waiting.pk} issued." in html
    second = mrao_client.post(f"/certificates/{waiting.pk}/approve/", {"modified": stamp},
                              HTTP_HX_TARGET="certificate-panel", **HTMX)
    assert second.status_code == 200
    assert "This request has already been approved." in second.content.decode()
    assert CertificateEvent.objects.filter(certificate=waiting, action="issued").count() == 1
    assert Certificate.objects.get(pk=waiting.pk).status == Status.ISSUED
    # Without JavaScript: a redirect and the same message on the page.
    third = mrao_client.post(f"/certificates/{waiting.pk}/approve/", {"modified": stamp}, follow=True)
    assert "This request has already been approved." in third.content.decode()


def test_approve_needs_post(mrao_client, world):
    assert mrao_client.get(f"/certificates/{world['waiting'].pk}/approve/").status_code == 405


def test_stale_form_is_refused(mrao_client, mrao, world):
    cert = world["issued"]
    stamp = _stamp(cert)
    services.update_certificate(actor_for(mrao), cert, comments="changed by someone else")
    response = mrao_client.post(f"/certificates/{cert.pk}/edit/", {
        "modified": stamp, "comments": "mine", "external_requester": "", "days_before": 30})
    assert response.status_code == 400
    assert "was changed since this page was shown" in response.content.decode()
    assert Certificate.objects.get(pk=cert.pk).comments == "changed by someone else"
    missing = mrao_client.post(f"/certificates/{cert.pk}/revoke/", {"reason_code": 1})
    assert missing.status_code == 400 and Certificate.objects.get(pk=cert.pk).status == Status.ISSUED


def test_decline_needs_a_reason(mrao_client, world):
    waiting = world["waiting"]
    url = f"/certificates/{waiting.pk}/decline/"
    dialog = mrao_client.get(url, **HTMX)
    assert 'id="dialog-title"' in dialog.content.decode() and "<html" not in dialog.content.decode()
    response = mrao_client.post(url, {"modified": _stamp(waiting), "reason": ""}, **HTMX)
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    response = mrao_client.post(url, {"modified": _stamp(waiting), "reason": "Wrong department"}, **HTMX)
    assert response.status_code == 204 and response["HX-Redirect"] == f"/certificates/{waiting.pk}/"
    cert = Certificate.objects.get(pk=waiting.pk)
    assert cert.status == Status.DECLINED and cert.reason == "Wrong department"


def test_revoke_with_reason_code_and_twice(mrao_client, world):
    cert = world["issued"]
    url = f"/certificates/{cert.pk}/revoke/"
    bad = mrao_client.post(url, {"modified": _stamp(cert), "reason_code": 2})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
    stamp = _stamp(cert)
    done = mrao_client.post(url, {"modified": stamp, "reason_code": 1, "comment": "key leaked"}, follow=True)
    assert "revoked" in done.content.decode()
    stored = Certificate.objects.get(pk=cert.pk)
    assert (stored.status, stored.revocation_reason, stored.revocation_comment) == (Status.REVOKED, 1, "key leaked")
    again = mrao_client.post(url, {"modified": stamp, "reason_code": 1})
    assert again.status_code == 400 and "The certificate has already been revoked." in again.content.decode()


def test_renew_with_same_key_and_replace_with_new_csr(mrao_client, world, csr):
    cert = world["chem"]
    renewed = mrao_client.post(f"/certificates/{cert.pk}/renew/", {"modified": _stamp(cert), "csr": ""})
    new = Certificate.objects.get(renewal_of=cert)
    assert renewed.status_code == 302 and renewed["Location"] == f"/certificates/{new.pk}/"
    bad = mrao_client.post(f"/certificates/{cert.pk}/replace/", {"modified": _stamp(cert), "csr": "garbage"})
    assert bad.status_code == 400
    form = bad.context["form"]
    assert form.errors.get("csr") and not Certificate.objects.filter(replaces=cert).exists()
    upload = SimpleUploadedFile("new.csr", csr("nmr.chemistry.example.org", key="p384").encode())
    replaced = mrao_client.post(f"/certificates/{cert.pk}/replace/", {
        "modified": _stamp(cert), "csr_file": upload, "reason": "new key"})
    successor = Certificate.objects.get(replaces=cert)
    assert replaced.status_code == 302 and successor.status == Status.ISSUED and successor.key_param == "P-384"
    assert Certificate.objects.get(pk=cert.pk).status == Status.REPLACED


def test_edit_refusal_next_to_field_then_save(mrao_client, world):
    cert = world["issued"]
    url = f"/certificates/{cert.pk}/edit/"
    bad = mrao_client.post(url, {"modified": _stamp(cert), "external_requester": "not-an-email",
                                 "days_before": 30})
    assert bad.status_code == 400 and bad.context["form"].errors.get("external_requester")
    ok = mrao_client.post(url, {"modified": _stamp(cert), "external_requester": "ops@example.org, it@example.org",
                                "comments": "web farm", "auto_renew": "on", "days_before": 20})
    assert ok.status_code == 302
    stored = Certificate.objects.get(pk=cert.pk)
    assert (stored.external_requester, stored.comments, stored.auto_renew, stored.days_before) == (
        "ops@example.org,it@example.org", "web farm", True, 20)


# ---------------------------------------------------------------------------
# Request wizard


def _wizard(org, profile, pem="", **extra):
    term = max(profile.effective_terms(timezone.now()))
    data = {"organization": org.pk, "profile": profile.pk, "term": term, "csr": pem, "common_name": "",
            "sans": "", "external_requester": "", "comments": "", "days_before": 30}
    data.update(extra)
    return data


def test_wizard_offers_scope_and_keeps_ev_anchor_apart(client, login_as, drao_physics, ssl, world):
    login_as(drao_physics)
    response = client.get("/certificates/new/")
    form = response.context["form"]
    assert [label for _, label in form.fields["organization"].choices][1:] == ["Universite de Lyon / Physics"]
    regular = [label for value, label in form.fields["profile"].choices if not isinstance(label, list)]
    assert "OV SSL" in regular and "EV Anchor" not in regular
    assert "EV Anchor" in response.content.decode()  # offered in its own group


def test_wizard_term_choices_follow_the_profile(mrao_client, ssl, world):
    profile = ssl["profiles"]["OV SSL"]
    response = mrao_client.get(f"/certificates/new/?profile={profile.pk}", HTTP_HX_TARGET="term-field", **HTMX)
    terms = [value for value, _ in response.context["form"].fields["term"].choices][1:]
    assert terms == profile.effective_terms(timezone.now())
    assert 'id="term-field"' in response.content.decode()


def test_wizard_bad_csr_is_shown_next_to_the_csr(mrao_client, univ, ssl, world):
    before = Certificate.objects.count()
    response = mrao_client.post("/certificates/new/", _wizard(univ, ssl["profiles"]["OV SSL"], "not a csr"))
    assert response.status_code == 400
    assert response.context["form"].errors.get("csr")
    assert Certificate.objects.count() == before


def test_wizard_undelegated_name_is_shown_next_to_the_name(mrao_client, univ, ssl, csr, world):
    before = Certificate.objects.count()
    response = mrao_client.post("/certificates/new/", _wizard(univ, ssl["profiles"]["OV SSL"],
                                                              csr("www.not-ours.org")))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "You cannot order certificates for the following or additional domains" in errors["common_name"][0]
    response = mrao_client.post("/certificates/new/", _wizard(
        univ, ssl["profiles"]["OV Multi-Domain"], csr("web2.example.org"), sans="intranet.not-ours.org"))
    assert "not-ours.org" in response.context["form"].errors["sans"][0]
    assert Certificate.objects.count() == before


def test_wizard_refusals_of_other_fields(mrao_client, univ, ssl, csr, world):
    anchor = ssl["profiles"]["EV Anchor"]
    response = mrao_client.post("/certificates/new/", _wizard(univ, anchor, csr("example.org")))
    assert response.context["form"].errors.get("anchor_confirmed")
    response = mrao_client.post("/certificates/new/", _wizard(univ, ssl["profiles"]["OV SSL"], csr("x.example.org"),
                                                              external_requester="nope", term=9999))
    assert response.status_code == 400 and response.context["form"].errors.get("term")
    response = mrao_client.post("/certificates/new/", _wizard(univ, ssl["profiles"]["OV SSL"], csr("x.example.org"),
                                                              external_requester="nope"))
    assert response.context["form"].errors.get("external_requester")
    response = mrao_client.post("/certificates/new/", _wizard(univ, ssl["profiles"]["OV SSL"], csr("x.example.org"),
                                                              days_before=0))
    assert response.context["form"].errors.get("days_before")
    response = mrao_client.post("/certificates/new/", _wizard(univ, ssl["profiles"]["Wildcard SSL"],
                                                              csr("x.example.org")))
    assert response.status_code == 400 and response.context["form"].errors.get("common_name")
    assert not Certificate.objects.filter(common_name="x.example.org").exists()


def test_wizard_success_by_upload_redirects_to_the_certificate(mrao_client, univ, ssl, csr, world):
    upload = SimpleUploadedFile("site.csr", csr("portal.example.org", key="p256").encode())
    data = _wizard(univ, ssl["profiles"]["OV Multi-Domain"], sans="api.example.org\nstatic.example.org",
                   external_requester="web@example.org", comments="portal", auto_renew="on", days_before=15)
    data["csr_file"] = upload
    response = mrao_client.post("/certificates/new/", data, follow=True)
    cert = Certificate.objects.get(common_name="portal.example.org")
    assert response.redirect_chain[-1][0] == f"/certificates/{cert.pk}/"
    assert cert.status == Status.ISSUED and cert.names == ["portal.example.org", "api.example.org",
                                                           "static.example.org"]
    assert (cert.external_requester, cert.comments, cert.auto_renew, cert.days_before) == (
        "web@example.org", "portal", True, 15)
    assert f"Certificate {cert.pk} issued." in response.content.decode()


def test_wizard_request_waits_for_approval(client, login_as, drao_physics, physics, ssl, csr, world):
    login_as(drao_physics)
    response = client.post("/certificates/new/", _wizard(physics, ssl["profiles"]["OV SSL"],
                                                          csr("db.physics.example.org", key="p384")), follow=True)
    cert = Certificate.objects.get(common_name="db.physics.example.org")
    assert cert.status == Status.REQUESTED
    assert "awaits the approval of an administrator" in response.content.decode()


# ---------------------------------------------------------------------------
# Downloads


def test_every_download_format_parses(mrao_client, world):
    cert = world["issued"]
    leaf = cert.certificate()
    for fmt in ("x509CO", "pemco", "pemia", "x509R", "pem", "x509", "x509IO", "x509IOR", "base64", "bin"):
        response = mrao_client.get(f"/certificates/{cert.pk}/download/{fmt}/")
        assert response.status_code == 200, fmt
        assert response["Content-Disposition"].startswith('attachment; filename="web.example.org')
        body = response.content
        if fmt == "bin":
            assert response["Content-Type"] == "application/x-pkcs7-certificates"
            chain = pkcs7.load_der_pkcs7_certificates(body)
        elif fmt == "base64":
            assert body.startswith(b"-----BEGIN PKCS7-----")
            chain = pkcs7.load_pem_pkcs7_certificates(body)
        else:
            assert response["Content-Type"] == "application/x-pem-file"
            chain = x509.load_pem_x509_certificates(body)
        if fmt in ("x509IO", "x509IOR"):
            assert leaf not in chain and len(chain) >= 2
        elif fmt in ("x509CO", "pemco"):
            assert chain == [leaf]
        elif fmt == "x509":
            assert chain[-1] == leaf
        else:
            assert chain[0] == leaf or leaf in chain


def test_download_refusals(mrao_client, world):
    assert mrao_client.get(f"/certificates/{world['issued'].pk}/download/nope/").status_code == 404
    assert mrao_client.get("/certificates/999999/download/pem/").status_code == 404
    pending = mrao_client.get(f"/certificates/{world['waiting'].pk}/download/pem/", follow=True)
    assert "Being processed" in pending.content.decode()


def test_request_page_on_a_fresh_installation_says_what_is_missing(mrao_client):
    """No organization yet (what `make run` starts with): a 403 that tells the MRAO what to do."""
    response = mrao_client.get("/certificates/new/")
    assert response.status_code == 403
    assert "There is no organization or department you may request SSL certificates for" in response.content.decode()
