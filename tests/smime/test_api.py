"""SCM `/api/smime/v1|v2` (spec §7.2): enroll with a CSR and with a key certdesk generates, PKCS #12
keystore, collect, lists, scope, refusals, approval, renew/replace/revoke, OCSP and CRL."""
from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp as pyocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certdesk.ca import ocsp
from certdesk.certificates import smime
from certdesk.certificates.models import Certificate, EscrowedKey, Profile
from certdesk.certificates.states import Status
from certdesk.core import queue
from certdesk.domains.models import Delegation
from certdesk.domains.states import DelegationStatus
from certdesk.persons.models import Person
from tests.api.conftest import error_of, scm  # noqa: F401 - the SCM client fixture
from tests.ca.test_crl import crl_of
from tests.ca.test_ocsp import post as ocsp_post
from tests.ca.test_ocsp import request_for

from .conftest import actor_for

pytestmark = pytest.mark.django_db
PASSPHRASE = "Correct-Passphrase-42"


@pytest.fixture(autouse=True)
def _api(settings):
    settings.API_RATE_LIMIT = "off"
    settings.API_RATE_LIMIT_IP = "off"


@pytest.fixture
def rao_api(scm, rao_smime):
    return scm(rao_smime)


def enroll(api, physics, personal, **extra):
    body = {"orgId": physics.pk, "certType": personal.pk, "term": 365, "email": "bruno@people.example.org",
            "firstName": "Bruno", "lastName": "Lefèvre", **extra}
    return api.post("smime/v1/enroll", body)


def test_enroll_with_a_csr_issues_a_client_certificate(pki, physics, personal, rao_api, csr):
    response = enroll(rao_api, physics, personal, csr=csr(key="rsa2048"), secondaryEmails=["b.l@people.example.org"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body == {"orderNumber": body["orderNumber"], "backendCertId": str(body["orderNumber"])}
    person = Person.objects.get(email="bruno@people.example.org")
    assert (person.organization_id, person.common_name) == (physics.pk, "Bruno Lefèvre")
    detail = rao_api.get(f"smime/v1/{body['orderNumber']}").json()
    assert detail["status"] == "issued" and detail["personId"] == person.pk
    assert detail["extendedKeyUsages"] == ["emailProtection", "clientAuth"]
    assert detail["keyUsages"] == ["digitalSignature", "keyEncipherment"]
    assert detail["keyEscrowed"] is False
    pem = rao_api.get(f"smime/v1/collect/{body['backendCertId']}/x509CO")
    assert pem.status_code == 200 and pem["Content-Type"] == "application/octet-stream"
    leaf = x509.load_pem_x509_certificate(pem.content)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["bruno@people.example.org", "b.l@people.example.org"]
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Bruno Lefèvre"
    assert leaf.subject.get_attributes_for_oid(NameOID.GIVEN_NAME)[0].value == "Bruno"
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == "NTRFR-19691774100013"
    assert list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]
    policies = [p.policy_identifier.dotted_string
                for p in leaf.extensions.get_extension_for_class(x509.CertificatePolicies).value]
    assert policies == ["2.23.140.1.5.3.2"]
    # Every collect format of §6 (PKCS #7 in PEM and DER included).
    for fmt in ("base64", "bin", "x509", "x509R", "x509IO", "x509IOR", "pem", "pemco", "pemia"):
        assert rao_api.get(f"smime/v2/collect/{body['backendCertId']}", {"format": fmt}).status_code == 200, fmt
    # A certificate requested with a CSR has no escrowed key.
    refused = rao_api.post(f"smime/v1/keystore/{body['orderNumber']}", {"passphrase": PASSPHRASE})
    status, code, text = error_of(refused)
    assert (status, code) == (400, -1113) and "requested with a CSR" in text


def test_server_generated_key_in_escrow_and_pkcs12(pki, physics, personal, rao_api):
    response = enroll(rao_api, physics, personal, algorithm="RSA", keySize=3072)
    assert response.status_code == 200, response.content
    cert_id = response.json()["orderNumber"]
    cert = Certificate.objects.get(pk=cert_id)
    assert (cert.status, cert.key_algorithm, cert.key_param) == (Status.ISSUED, "RSA", "3072")
    row = EscrowedKey.objects.get(certificate=cert)
    p12 = rao_api.post(f"smime/v1/keystore/{cert_id}", {"passphrase": PASSPHRASE})
    assert p12.status_code == 200 and p12["Content-Type"] == "application/x-pkcs12"
    key, leaf, chain = pkcs12.load_key_and_certificates(p12.content, PASSPHRASE.encode())
    assert isinstance(key, rsa.RSAPrivateKey) and leaf == cert.certificate() and len(chain) == 2
    assert key.public_key().public_numbers() == leaf.public_key().public_numbers()
    # At rest the key is not the plain PKCS #8 (nor its modulus).
    plain = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    stored = bytes(row.ciphertext)
    assert plain not in stored and plain[-64:] not in stored
    assert key.private_numbers().p.to_bytes(192, "big") not in stored
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(p12.content, b"wrong passphrase")
    legacy = rao_api.post(f"smime/v2/keystore/{cert_id}", {"passphrase": PASSPHRASE,
                                                          "encryptionType": "TripleDES-SHA1"})
    assert legacy.status_code == 200
    assert pkcs12.load_key_and_certificates(legacy.content, PASSPHRASE.encode())[1] == leaf
    assert EscrowedKey.objects.get(certificate=cert).recovered_count == 2
    # Bad keystore requests: clear SCM errors, no file.
    assert error_of(rao_api.post(f"smime/v1/keystore/{cert_id}", {"passphrase": PASSPHRASE,
                                                                  "encryptionType": "RC2"}))[:2] == (400, -1601)
    assert error_of(rao_api.post(f"smime/v1/keystore/{cert_id}", {"passphrase": "short"}))[:2] == (400, -1601)
    assert error_of(rao_api.post(f"smime/v1/keystore/{cert_id}", {}))[0] == 400


def test_ec_key_generation_and_key_usage(pki, physics, personal, rao_api):
    response = enroll(rao_api, physics, personal, algorithm="EC", keyParam="P-384")
    cert = Certificate.objects.get(pk=response.json()["orderNumber"])
    assert (cert.key_algorithm, cert.key_param, cert.status) == ("EC", "P-384", Status.ISSUED)
    detail = rao_api.get(f"smime/v1/{cert.pk}").json()
    assert detail["keyUsages"] == ["digitalSignature", "keyAgreement"] and detail["keyType"] == "EC - P-384"
    refused = enroll(rao_api, physics, personal, email="x@people.example.org", algorithm="EC", keyParam="P-521")
    assert error_of(refused)[:2] == (400, -13)
    assert not Person.objects.filter(email="x@people.example.org").exists()  # nothing half-written


def test_refusals_name_the_problem(pki, physics, personal, rao_api, csr, alice, mrao_actor):
    weak = enroll(rao_api, physics, personal, csr=csr(key="rsa1024"))
    status, code, text = error_of(weak)
    assert (status, code) == (400, -13) and "2048" in text
    assert not Person.objects.filter(email="bruno@people.example.org").exists()
    # A secondary email whose domain is delegated for SSL only.
    from certdesk.persons import services as persons

    persons.update_person(mrao_actor, alice, secondary_emails=["alice@staff.example.org"])
    refused = enroll(rao_api, physics, personal, email="alice@people.example.org")
    status, code, text = error_of(refused)
    assert (status, code) == (400, -737) and "staff.example.org" in text and "people.example.org" not in text
    # The delegation of the primary email's domain no longer active.
    persons.update_person(mrao_actor, alice, secondary_emails=[])
    Delegation.objects.filter(domain__name="people.example.org").update(status=DelegationStatus.REQUESTED)
    status, code, text = error_of(enroll(rao_api, physics, personal, email="alice@people.example.org"))
    assert (status, code) == (400, -737) and "people.example.org" in text
    assert not Certificate.objects.filter(kind="SMIME").exists()
    # A term the profile does not offer, an SSL profile, an unknown algorithm.
    Delegation.objects.filter(domain__name="people.example.org").update(status=DelegationStatus.ACTIVE)
    status, code, text = error_of(enroll(rao_api, physics, personal, term=398))
    assert (status, code) == (400, -36) and "365, 730" in text
    ssl_profile = Profile.objects.filter(kind="SSL").first()
    if ssl_profile is not None:
        assert error_of(enroll(rao_api, physics, ssl_profile))[:2] == (400, -39)
    assert error_of(enroll(rao_api, physics, personal, algorithm="DSA"))[:2] == (400, -11)
    assert not Person.objects.filter(email="bruno@people.example.org").exists()


def test_out_of_scope_admins_are_refused(pki, physics, personal, rao_api, scm, rao_univ, drao_smime_chemistry,
                                         chemistry):
    cert_id = enroll(rao_api, physics, personal).json()["orderNumber"]
    ssl_only = scm(rao_univ)  # RAO SSL of the university: no client-certificate role
    assert error_of(ssl_only.get(f"smime/v1/{cert_id}"))[0] == 403
    assert error_of(enroll(ssl_only, physics, personal, email="z@people.example.org"))[0] == 403
    other = scm(drao_smime_chemistry)  # DRAO of client certificates of another department
    assert error_of(other.get(f"smime/v1/{cert_id}"))[:2] == (404, -124)
    assert error_of(other.post(f"smime/v1/revoke/order/{cert_id}", {"reason": "no"}))[:2] == (404, -124)
    assert error_of(other.post(f"smime/v1/keystore/{cert_id}", {"passphrase": PASSPHRASE}))[:2] == (404, -124)
    assert error_of(enroll(other, physics, personal, email="z@people.example.org"))[0] == 400
    assert other.get("smime/v2", {"personId": Certificate.objects.get(pk=cert_id).person_id}).json() == []
    # The Web API switch of the organization (clientCertsApiEnabled).
    type(physics).objects.filter(pk=physics.pk).update(client_certs_api_enabled=False)
    status, _code, text = error_of(rao_api.get(f"smime/v1/{cert_id}"))
    assert status == 403 and "clientCertsApiEnabled" in text


def test_admin_without_key_recovery_cannot_download_someone_elses_key(pki, physics, personal, rao_api, scm,
                                                                      drao_smime, recoverer):
    cert_id = enroll(rao_api, physics, personal).json()["orderNumber"]
    status, code, text = error_of(scm(drao_smime).post(f"smime/v1/keystore/{cert_id}", {"passphrase": PASSPHRASE}))
    assert status == 403 and "clientCertKeyRecovery" in text
    assert scm(recoverer).post(f"smime/v1/keystore/{cert_id}", {"passphrase": PASSPHRASE}).status_code == 200


def test_pending_request_collects_code_0_then_another_admin_approves(pki, alice, personal, rao_smime, scm,
                                                                     drao_smime):
    cert = smime.request_smime(actor_for(rao_smime), alice, personal, 730, auto_approve=False)
    assert cert.status == Status.REQUESTED
    api = scm(drao_smime)
    assert error_of(api.get(f"smime/v1/collect/{cert.pk}"))[:3] == (400, 0, "Being processed by Sectigo")
    assert error_of(scm(rao_smime).post(f"smime/v1/keystore/{cert.pk}", {"passphrase": PASSPHRASE}))[:2] == (400, 0)
    assert api.get(f"smime/v1/{cert.pk}").json()["status"] == "requested"
    assert api.post(f"smime/v1/approve/{cert.pk}", {"message": "ok"}).status_code == 204
    cert.refresh_from_db()
    assert cert.status == Status.ISSUED and cert.approver.login == "drao_smime"
    assert (cert.not_after - cert.not_before).days == 729  # 730 days, notAfter one second short


def test_lists_filters_and_paging(pki, physics, personal, smime_profiles, rao_api, alice, claire, mrao):
    ids = [enroll(rao_api, physics, personal, email="alice@people.example.org").json()["orderNumber"]
           for _ in range(3)]
    mics = smime_profiles["GÉANT IGTF-MICS-Personal"]
    chem = rao_api.post("smime/v1/enroll", {"orgId": claire.organization_id, "certType": mics.pk, "term": 365,
                                            "email": claire.email}).json()["orderNumber"]
    rao_api.post(f"smime/v1/revoke/order/{ids[0]}", {"reason": "lost", "reasonCode": 1})
    page = rao_api.get("smime/v2", {"size": 2, "position": 0})
    assert page.status_code == 200 and page["X-Total-Count"] == "4" and len(page.json()) == 2
    assert [item["id"] for item in page.json()] == [chem, ids[2]]
    assert rao_api.head("smime/v2")["X-Total-Count"] == "4"
    issued = rao_api.get("smime/v1", {"state": "issued", "personId": alice.pk}).json()
    assert [i["id"] for i in issued] == [ids[2], ids[1]] and set(issued[0]) == {
        "id", "state", "serialNumber", "orderNumber", "backendCertId", "personId"}
    assert [i["id"] for i in rao_api.get("smime/v2", {"state": "revoked"}).json()] == [ids[0]]
    assert [i["id"] for i in rao_api.get("smime/v2", {"certTypeId": mics.pk}).json()] == [chem]
    by_email = rao_api.get("smime/v2/byPersonEmail/alice%40people.example.org")
    assert by_email["X-Total-Count"] == "3" and by_email.json()[0]["certificateDetails"]["subjectAltNames"] == (
        "rfc822Name=alice@people.example.org, rfc822Name=a.martin@people.example.org")
    assert len(rao_api.get(f"smime/v2/byPersonId/{claire.pk}").json()) == 1
    serial = rao_api.get(f"smime/v1/{ids[1]}").json()["serialNumber"]
    assert [i["id"] for i in rao_api.get("smime/v2", {"serialNumber": serial}).json()] == [ids[1]]
    assert error_of(rao_api.get("smime/v2", {"state": "bogus"}))[:2] == (400, -1601)
    assert error_of(rao_api.get("smime/v2/byPersonEmail/nobody@people.example.org"))[:2] == (404, -105)
    # The IGTF profile names the organization by its secondary name when it has one.
    types = {t["name"]: t for t in rao_api.get("smime/v1/types").json()}
    assert types["GÉANT IGTF-MICS-Personal"]["useSecondaryOrgName"] is True
    assert types["GÉANT Personal Certificate"]["terms"] == [365, 730]


def test_igtf_subject_uses_the_secondary_name(pki, univ, claire, smime_profiles, rao_api):
    type(univ).objects.filter(pk=univ.pk).update(secondary_name="Universite de Lyon Grid")
    mics = smime_profiles["GÉANT IGTF-MICS-Personal"]
    cert_id = rao_api.post("smime/v1/enroll", {"orgId": claire.organization_id, "certType": mics.pk, "term": 365,
                                               "email": claire.email}).json()["orderNumber"]
    leaf = Certificate.objects.get(pk=cert_id).certificate()
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Universite de Lyon Grid"
    policies = [p.policy_identifier.dotted_string
                for p in leaf.extensions.get_extension_for_class(x509.CertificatePolicies).value]
    assert policies == ["2.23.140.1.5.3.2", "1.2.840.113612.5.2.2.5"]


@pytest.fixture
def _immediate_queue():
    previous = queue.huey.immediate
    queue.huey.immediate = True
    ocsp.clear_caches()
    yield
    ocsp.clear_caches()
    queue.huey.immediate = previous


def test_revocation_shows_in_ocsp_and_crl(pki, physics, personal, rao_api, client, _immediate_queue,
                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cert_id = enroll(rao_api, physics, personal).json()["orderNumber"]
    cert = Certificate.objects.get(pk=cert_id)
    ca = cert.ca
    _, response = ocsp_post(client, request_for(cert.certificate(), ca.certificate()))
    assert response.response_status == pyocsp.OCSPResponseStatus.SUCCESSFUL, response.response_status
    assert response.certificate_status == pyocsp.OCSPCertStatus.GOOD
    with django_capture_on_commit_callbacks(execute=True):
        assert rao_api.post(f"smime/v1/revoke/serial/{rao_api.get(f'smime/v1/{cert_id}').json()['serialNumber']}",
                            {"reason": "key lost", "reasonCode": 1}).status_code == 204
    _, response = ocsp_post(client, request_for(cert.certificate(), ca.certificate()))
    assert response.certificate_status == pyocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason == x509.ReasonFlags.key_compromise
    crl = crl_of(client, f"/ca/{ca.slug}/{cert.crl_shard}.crl")
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    assert rao_api.get(f"smime/v1/{cert_id}").json()["status"] == "revoked"
    assert error_of(rao_api.post(f"smime/v1/revoke/order/{cert_id}", {"reason": "again"}))[:2] == (400, -159)


def test_revoke_every_certificate_of_a_person_by_email(pki, physics, personal, rao_api, alice):
    ids = [enroll(rao_api, physics, personal, email=alice.email).json()["orderNumber"] for _ in range(2)]
    assert rao_api.post("smime/v1/revoke", {"email": alice.email, "reason": "left", "reasonCode": 3}).status_code == 204
    assert set(Certificate.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.REVOKED}
    assert error_of(rao_api.post("smime/v1/revoke", {"email": "nobody@people.example.org"}))[:2] == (404, -105)


def test_renew_makes_a_new_escrowed_key_and_replace_supersedes(pki, physics, personal, rao_api, csr):
    first = enroll(rao_api, physics, personal).json()["orderNumber"]
    renewed = rao_api.post(f"smime/v2/renew/order/{first}")
    assert renewed.status_code == 200
    new = Certificate.objects.get(pk=renewed.json()["orderNumber"])
    old = Certificate.objects.get(pk=first)
    assert new.status == Status.ISSUED and new.renewal_of_id == first and new.spki_sha256 != old.spki_sha256
    assert EscrowedKey.objects.filter(certificate=new).exists()
    replaced = rao_api.post(f"smime/v2/replace/order/{first}", {"csr": csr(key="p256"), "reason": "rekey"})
    assert replaced.status_code == 200
    old.refresh_from_db()
    assert old.status == Status.REPLACED and old.revocation_reason == 4
    successor = Certificate.objects.get(pk=replaced.json()["orderNumber"])
    assert not EscrowedKey.objects.filter(certificate=successor).exists()
    by_serial = rao_api.post(f"smime/v2/renew/serial/{rao_api.get(f'smime/v1/{successor.pk}').json()['serialNumber']}")
    assert by_serial.status_code == 200
    assert Certificate.objects.get(pk=by_serial.json()["orderNumber"]).spki_sha256 == successor.spki_sha256


def test_comments_update_and_person_deletion_guard(pki, physics, personal, rao_api, alice):
    cert_id = enroll(rao_api, physics, personal, email=alice.email).json()["orderNumber"]
    updated = rao_api.put(f"smime/v1/{cert_id}", {"comments": "laptop"})
    assert updated.status_code == 200 and updated.json()["comments"] == "laptop"
    status, _code, text = error_of(rao_api.delete(f"person/v1/{alice.pk}"))
    assert status == 400 and "client certificate" in text
    assert Person.objects.filter(pk=alice.pk).exists()


def test_changed_escrow_key_is_reported_not_mistaken(pki, physics, personal, rao_api, settings):
    cert_id = enroll(rao_api, physics, personal).json()["orderNumber"]
    settings.KEY_ESCROW_KEY = "another escrow secret"
    status, code, text = error_of(rao_api.post(f"smime/v1/keystore/{cert_id}", {"passphrase": PASSPHRASE}))
    assert status == 503 and "CERTDESK_KEY_ESCROW_KEY" in text


def test_import_key_puts_a_csr_key_into_escrow(pki, physics, personal, rao_api, alice, keys, csr):
    import base64

    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption

    cert_id = enroll(rao_api, physics, personal, email=alice.email, csr=csr(key="p384")).json()["orderNumber"]
    cert = Certificate.objects.get(pk=cert_id)
    p12 = pkcs12.serialize_key_and_certificates(b"alice", keys["p384"], cert.certificate(), None,
                                                BestAvailableEncryption(b"import-pass"))
    body = {"p12": base64.b64encode(p12).decode(), "password": "import-pass"}
    response = rao_api.post(f"person/v2/{alice.pk}/import-key", body)
    assert response.status_code == 200, response.content
    [entry] = response.json()["entries"]
    assert entry["clientCertId"] == cert_id and entry["message"] == "Imported." and entry["alias"] == "alice"
    assert entry["sha1"] == cert.sha1_hash.upper()
    again = rao_api.post(f"person/v2/{alice.pk}/import-key", body).json()["entries"][0]
    assert "already held" in again["message"]
    downloaded = rao_api.post(f"smime/v1/keystore/{cert_id}", {"passphrase": PASSPHRASE})
    key = pkcs12.load_key_and_certificates(downloaded.content, PASSPHRASE.encode())[0]
    assert key.private_numbers() == keys["p384"].private_numbers()
    # A wrong password, not base64, another person's certificate.
    assert error_of(rao_api.post(f"person/v2/{alice.pk}/import-key", {**body, "password": "wrong"}))[:2] == (
        400, -1601)
    assert error_of(rao_api.post(f"person/v2/{alice.pk}/import-key", {"p12": "%%%"}))[:2] == (400, -1601)


def test_client_certificates_report(pki, physics, personal, rao_api, alice):
    """POST /api/report/v1/client-certificates (spec §7.13): the client certificates in scope."""
    cert_id = enroll(rao_api, physics, personal, email=alice.email).json()["orderNumber"]
    response = rao_api.post("report/v1/client-certificates?output_type=buffered", {})
    assert response.status_code == 200, response.content
    row = {r["id"]: r for r in response.json()["reports"]}[cert_id]
    assert row["email"] == alice.email and row["person"]["email"] == alice.email
    assert row["status"] == "Issued" and row["enrolled"].endswith("Z") and row["expire"].endswith("Z")
    assert row["organization"]["name"].endswith("Physics") and row["subject"].startswith("CN=")
    assert row["enrollType"] == "REST Enroll API" and row["type"] == personal.name
    assert rao_api.post("report/v1/client-certificates", {"certificateStatus": 3}).json()["reports"] == []
    assert error_of(rao_api.post("report/v1/client-certificates", {"certificateStatus": 7}))[0] == 400
    assert rao_api.post("report/v1/client-certificates", {"from": "2000-01-01", "to": "2000-01-02"}).json()[
        "reports"] == []
