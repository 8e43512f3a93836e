"""An SSL certificate in a real browser: a DRAO requests it with a pasted CSR (a bad CSR first,
refused next to its field), the RAO approves it in place (a double click approves once),
downloads it and revokes it through the confirmation dialog."""
from __future__ import annotations

import re

import pytest
from cryptography import x509
from playwright.sync_api import expect

from certdesk.certificates.models import Certificate, CertificateEvent
from certdesk.certificates.states import Status
from tests.certificates.conftest import (  # noqa: F401 - CAs, profiles, validated domains on loopback DNS
    _certificate_settings,
    csr,
    domains,
    keys,
    make_domain,
    profiles,
    validate,
)

from .a11y import audit

pytestmark = [pytest.mark.slow]


@pytest.fixture
def ready(authorities, profiles, domains, drao_physics, rao_univ, physics):  # noqa: F811
    return {"ov": profiles["OV SSL"], "physics": physics}


def test_request_approve_download_and_revoke(portal, ready, csr):  # noqa: F811
    page = portal.page
    portal.login("drao_physics")
    portal.menu("Certificates")
    expect(page.get_by_role("heading", level=1)).to_contain_text("SSL Certificates")
    page.get_by_role("link", name=re.compile("Request")).first.click()
    expect(page).to_have_url(re.compile(r"/certificates/new/$"))
    page.get_by_label("Organization or department", exact=True).select_option(str(ready["physics"].pk))
    page.get_by_label("Profile", exact=True).select_option(str(ready["ov"].pk))
    term = page.get_by_label("Term (days)", exact=True)
    expect(term.locator("option")).not_to_have_count(1)  # the terms of the profile came in (HTMX)
    term.select_option(index=1)
    # bad input first: not a CSR, refused next to the CSR field, nothing stored
    page.get_by_label("CSR", exact=True).fill("-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n")
    page.get_by_role("button", name="Request certificate").click()
    csr_field = page.get_by_label("CSR", exact=True)
    expect(csr_field).to_have_attribute("aria-invalid", "true")
    expect(csr_field.locator("xpath=ancestor::div[contains(@class,'field')][1]").locator(".errorlist")).to_be_visible()
    assert not Certificate.objects.exists()
    assert audit(page) == []

    page.get_by_label("CSR", exact=True).fill(csr("lab.physics.example.org", key="p256"))
    page.get_by_role("button", name="Request certificate").click()
    expect(page).to_have_url(re.compile(r"/certificates/\d+/$"))  # the POST is done before the database is read
    cert = Certificate.objects.get(common_name="lab.physics.example.org")
    expect(page).to_have_url(re.compile(rf"/certificates/{cert.pk}/$"))
    expect(page.get_by_role("main")).to_contain_text("This request awaits the approval of an administrator.")
    assert cert.status == Status.REQUESTED

    portal.logout()
    portal.login("rao_univ")
    portal.goto("/certificates/?awaiting=me")
    expect(page.get_by_role("main")).to_contain_text("lab.physics.example.org")
    portal.shot("certificates")
    page.get_by_role("link", name="lab.physics.example.org").first.click()
    approve = page.get_by_role("button", name="Approve")
    approve.dblclick()  # an impatient double click: approved (and issued) once
    panel = page.locator("#certificate-panel")
    expect(panel.locator("h1 .badge")).to_have_text(re.compile("Issued", re.I), timeout=30_000)
    cert.refresh_from_db()
    assert cert.status == Status.ISSUED
    assert CertificateEvent.objects.filter(certificate=cert, action="issued").count() == 1
    portal.shot("certificate-detail")

    with page.expect_download() as download:
        page.get_by_role("link", name="Certificate only, PEM encoded", exact=True).click()
    saved = download.value.path()
    assert download.value.suggested_filename.startswith("lab.physics.example.org")
    (leaf,) = x509.load_pem_x509_certificates(open(saved, "rb").read())
    assert leaf == cert.certificate()
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "lab.physics.example.org" in names.get_values_for_type(x509.DNSName)

    page.get_by_role("link", name="Revoke…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text("Revoke certificate")
    assert audit(page) == []
    dialog.get_by_label("Reason (RFC 5280)").select_option("1")
    dialog.get_by_label("Comment").fill("Laptop stolen")
    dialog.get_by_role("button", name="Revoke certificate").click()
    expect(panel.locator("h1 .badge")).to_have_text(re.compile("Revoked", re.I))
    cert.refresh_from_db()
    assert (cert.status, cert.revocation_reason, cert.revocation_comment) == (Status.REVOKED, 1, "Laptop stolen")
