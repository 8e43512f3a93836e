"""A trial install (`make run` on http://127.0.0.1:8000) writes loopback CRL/OCSP/caIssuers URLs
into its certificates: the S/MIME linter's internal-name check does not refuse those, and still
refuses anything else internal."""
from __future__ import annotations

import pytest

from certdesk.certificates import lint, smime
from certdesk.certificates.states import Status

from .conftest import actor_for

pytestmark = pytest.mark.django_db


def test_client_certificates_issue_on_a_loopback_base_url(pki, alice, personal, rao_smime, settings):
    settings.BASE_URL, settings.PKI_BASE_URL = "http://127.0.0.1:8000", ""
    cert = smime.request_smime(actor_for(rao_smime), alice, personal, 365)
    assert cert.status == Status.ISSUED, cert.reason
    assert b"127.0.0.1" in bytes(cert.der)
    assert not lint.errors(lint.lint_smime(bytes(cert.der)))


def test_other_internal_names_are_still_refused(pki, alice, personal, rao_smime, settings):
    settings.BASE_URL, settings.PKI_BASE_URL = "http://127.0.0.1:8000", "http://pki.internal"
    cert = smime.request_smime(actor_for(rao_smime), alice, personal, 365)
    assert cert.status == Status.INVALID and "internal" in cert.reason.lower()
