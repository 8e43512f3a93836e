"""End to end: the unmodified python-cert_manager `SSL` class against a live certdesk: types,
enroll, list/count/get, collect (pending, then issued), renew, revoke."""
from __future__ import annotations

import pytest
from cert_manager import SSL
from cert_manager._helpers import PendingError
from cryptography import x509

from certdesk.tenancy.models import Organization
from tests.api.test_e2e_cert_manager import connect  # noqa: F401 - fixture: live server + cert_manager client
from tests.certificates.conftest import (  # noqa: F401 - fixtures: CAs, profiles, DCV-validated domains, CSRs
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

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def api_on(univ, physics, chemistry):
    Organization.objects.filter(pk__in=[univ.pk, physics.pk, chemistry.pk]).update(ssl_certs_api_enabled=True)


def test_cert_manager_ssl_lifecycle(connect, api_on, ssl, univ, physics, rao_univ, drao_physics, csr):  # noqa: F811
    rao = SSL(connect("rao_univ"))
    types = rao.types
    assert "OV Multi-Domain" in types and "OV SSL" in types
    term = types["OV Multi-Domain"]["terms"][-1]
    assert rao.custom_fields == []

    enrolled = rao.enroll(cert_type_name="OV Multi-Domain", csr=csr("api.example.org"), term=term, org_id=univ.pk,
                          subject_alt_names=["mail.example.org", "ftp.example.org"],
                          external_requester="ops@example.org")
    ssl_id = enrolled["sslId"]
    assert enrolled["renewId"]
    pem = rao.collect(ssl_id, "x509CO")
    leaf = x509.load_pem_x509_certificate(pem.encode())
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {"api.example.org", "mail.example.org", "ftp.example.org"}
    assert len(x509.load_pem_x509_certificates(rao.collect(ssl_id, "x509").encode())) >= 2

    detail = rao.get(ssl_id)
    assert detail["status"] == "Issued" and detail["commonName"] == "api.example.org"
    assert int(detail["serialNumber"], 16) == leaf.serial_number
    assert [c["sslId"] for c in rao.list(commonName="api.example.org")] == [ssl_id]
    assert rao.count() == 1

    # A DRAO without auto-approve: pending until an RAO approves.
    drao = SSL(connect("drao_physics"))
    pending = drao.enroll(cert_type_name="OV SSL", csr=csr("www.physics.example.org"), term=term, org_id=physics.pk)
    with pytest.raises(PendingError):
        drao.collect(pending["sslId"], "x509CO")
    assert drao.count() == 1 and rao.count() == 2
    rao._client.post(rao._url(f"/approve/{pending['sslId']}"), data={"message": "ok"})
    assert "BEGIN CERTIFICATE" in drao.collect(pending["sslId"], "pemco")

    renewed = rao.renew(ssl_id)
    assert renewed["sslId"] != ssl_id
    assert rao.get(renewed["sslId"])["status"] == "Issued"

    assert rao.revoke(ssl_id, reason="decommissioned") == {}
    assert rao.get(ssl_id)["status"] == "Revoked"
    with pytest.raises(Exception):  # noqa: B017 - cert_manager raises requests' HTTPError (400 -159)
        rao.revoke(ssl_id, reason="again")

    # Bad input comes back as SCM errors (cert_manager raises HTTPError).
    with pytest.raises(Exception) as refused:
        rao.enroll(cert_type_name="OV Multi-Domain", csr="garbage", term=term, org_id=univ.pk)
    assert refused.value.response.status_code == 400
    assert refused.value.response.json()["code"] in (-9, -10)
