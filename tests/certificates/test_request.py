"""The one request pipeline: every rule checked before anything is stored or issued (issue 4 "Bad input")."""
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import NameOID
from django.utils import timezone

from certdesk.certificates import services, signals
from certdesk.certificates.errors import (
    CaaForbidden,
    CsrInvalid,
    CsrNotBase64,
    CsrUndecodable,
    EvAnchorMissing,
    KeyAlgorithmRefused,
    KeySizeRefused,
    NameNotAuthorized,
    NamesRefused,
    OrganizationNotValidated,
    ProfileNotFound,
    TermNotAllowed,
    WeakKey,
)
from certdesk.certificates.models import Certificate, Profile
from certdesk.certificates.states import Status
from certdesk.core.errors import DomainError, NotFound, PermissionDenied
from certdesk.core.models import AuditEvent
from certdesk.domains.models import Domain

from ..conftest import actor_for
from .conftest import DATA, make_csr
from .weak import close_primes_key, roca_key


def _request(actor, org, profile, csr_pem, **kwargs):
    kwargs.setdefault("term", 365)
    return services.request_ssl(actor, organization=org, profile=profile, csr_pem=csr_pem, **kwargs)


@pytest.fixture
def refused(ssl):
    """Assert a request is refused with `error` and leaves nothing behind (no row, no audit, no signature)."""

    def check(error, call, *, code=None, contains=None):
        before_audit, before_certs = AuditEvent.objects.count(), Certificate.objects.count()
        with pytest.raises(error) as info:
            call()
        assert isinstance(info.value, DomainError)
        if code is not None:
            assert info.value.code == code
        if contains is not None:
            assert contains in info.value.message
        assert Certificate.objects.count() == before_certs
        assert AuditEvent.objects.count() == before_audit
        return info.value

    return check


# ---------------------------------------------------------------------------
# Statuses


def test_admin_without_auto_approve_gets_requested(ssl, univ, rao2, csr):
    seen = []
    signals.awaiting_approval.connect(lambda **kw: seen.append(kw), weak=False, dispatch_uid="t-await")
    try:
        cert = _request(rao2, univ, ssl["profiles"]["OV Multi-Domain"], csr("a.example.org"),
                        subject_alt_names="b.example.org, c.example.org", comments="for the lab",
                        external_requester="alice@example.org,bob@example.org")
    finally:
        signals.awaiting_approval.disconnect(dispatch_uid="t-await")
    assert cert.status == Status.REQUESTED and cert.der is None and not cert.serial_hex
    assert cert.names == ["a.example.org", "b.example.org", "c.example.org"]
    assert cert.external_requester == "alice@example.org,bob@example.org"
    assert cert.requested_via == "Client Admin" and cert.requester.login == "rao_univ2"
    assert cert.key_type_label == "RSA - 2048"
    assert [e.action for e in cert.events.all()] == ["requested"]
    assert AuditEvent.objects.filter(action="certificate.requested", object_id=str(cert.pk)).exists()
    # sent inside the request's transaction, so its notifications commit with it
    assert len(seen) == 1 and seen[0]["certificate_id"] == cert.pk and seen[0]["status"] == Status.REQUESTED


def test_auto_approve_issues_at_once(ssl, univ, rao, csr):
    cert = _request(rao, univ, ssl["profiles"]["OV Multi-Domain"], csr("a.example.org"), subject_alt_names=[])
    assert cert.status == Status.ISSUED and cert.der and cert.approver.login == "rao_univ"
    assert [e.action for e in cert.events.all()] == ["requested", "auto-approved", "issued"]


def test_auto_approve_never_for_ev(ssl, ev_univ, rao, csr):
    anchor = _request(rao, ev_univ, ssl["profiles"]["EV Anchor"], csr("example.org"))
    assert anchor.status == Status.REQUESTED
    assert _request(rao, ev_univ, ssl["profiles"]["EV Anchor"], csr("example.org"), auto_approve=True).status \
        == Status.REQUESTED


def test_auto_approve_asked_without_the_privilege_is_refused(ssl, univ, rao2, csr, refused):
    refused(PermissionDenied, lambda: _request(rao2, univ, ssl["profiles"]["OV SSL"], csr("example.org"),
                                               auto_approve=True))


def test_requested_via_follows_the_interface(ssl, univ, rao_univ, csr):
    from certdesk.core.actor import Interface

    api = actor_for(rao_univ, Interface.API)
    assert _request(api, univ, ssl["profiles"]["OV SSL"], csr("example.org")).requested_via == "Web API"
    form = _request(api, univ, ssl["profiles"]["OV SSL"], csr("example.org"), requested_via="Enrollment Form")
    assert form.requested_via == "Enrollment Form"


# ---------------------------------------------------------------------------
# CSR and key


def test_garbage_pem_is_refused(ssl, univ, rao, refused):
    profile = ssl["profiles"]["OV SSL"]
    refused(CsrNotBase64, lambda: _request(rao, univ, profile, "hello world!"), code=-9)
    refused(CsrNotBase64, lambda: _request(rao, univ, profile, ""), code=-9)
    refused(CsrNotBase64, lambda: _request(rao, univ, profile, "-----BEGIN CERTIFICATE REQUEST-----\n@@@\n"
                                                                "-----END CERTIFICATE REQUEST-----"), code=-9)
    refused(CsrUndecodable, lambda: _request(rao, univ, profile, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
                                                                  "-----END CERTIFICATE REQUEST-----"), code=-10)
    cert_pem = ssl["authorities"]["rsa-root"].certificate_pem.replace("CERTIFICATE", "CERTIFICATE REQUEST")
    refused(CsrUndecodable, lambda: _request(rao, univ, profile, cert_pem), code=-10)


def test_raw_base64_without_armor_is_accepted(ssl, univ, rao, csr):
    pem = csr("example.org")
    body = "".join(pem.strip().splitlines()[1:-1])
    assert _request(rao, univ, ssl["profiles"]["OV SSL"], body).status == Status.ISSUED


def test_csr_whose_signature_does_not_verify_is_refused(ssl, univ, rao, keys, refused):
    pem = make_csr(keys["rsa2048"], "example.org")
    request = x509.load_pem_x509_csr(pem.encode())
    der = bytearray(request.public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0xFF  # flip bits inside the signature
    import base64

    tampered = "-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(der)).decode() + \
               "-----END CERTIFICATE REQUEST-----\n"
    refused(CsrInvalid, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"], tampered), code=-138)


def test_weak_and_refused_key_types(ssl, univ, rao, keys, refused):
    profile = ssl["profiles"]["OV SSL"]
    refused(KeySizeRefused, lambda: _request(rao, univ, profile, make_csr(keys["rsa1024"], "example.org")),
            code=-13, contains="2048")
    refused(KeySizeRefused, lambda: _request(rao, univ, profile, make_csr(keys["p521"], "example.org")), code=-13)
    refused(KeyAlgorithmRefused, lambda: _request(rao, univ, profile,
                                                  make_csr(ed25519.Ed25519PrivateKey.generate(), "example.org")),
            code=-11)


def test_profile_key_types_are_enforced(ssl, univ, rao, keys, refused):
    profile = ssl["profiles"]["OV SSL"]
    profile.key_types = {"RSA": ["3072", "4096"]}
    profile.save()
    refused(KeyAlgorithmRefused, lambda: _request(rao, univ, profile, make_csr(keys["p256"], "example.org")), code=-11)
    refused(KeySizeRefused, lambda: _request(rao, univ, profile, make_csr(keys["rsa2048"], "example.org")), code=-13)
    assert _request(rao, univ, profile, make_csr(keys["rsa3072"], "example.org")).status == Status.ISSUED


@pytest.fixture(scope="session")
def roca_private_key():
    return roca_key(2048)


def test_roca_vulnerable_modulus_is_refused(ssl, univ, rao, roca_private_key, refused):
    refused(WeakKey, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"], make_csr(roca_private_key, "example.org")),
            code=-141, contains="ROCA")


def test_fermat_factorable_modulus_is_refused(ssl, univ, rao, refused):
    refused(WeakKey, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"],
                                      make_csr(close_primes_key(2048), "example.org")), code=-141, contains="Fermat")


def test_small_public_exponent_is_refused(ssl, univ, rao, refused):
    key = rsa.generate_private_key(3, 2048)
    refused(WeakKey, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"], make_csr(key, "example.org")),
            code=-141, contains="exponent")


def test_blocklisted_key_is_refused(ssl, univ, rao, refused):
    """The bundled list holds certdesk's own published test key (Debian openssl-blacklist format)."""
    key = serialization.load_pem_private_key((DATA / "compromised_rsa2048.pem").read_bytes(), None)
    refused(WeakKey, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"], make_csr(key, "example.org")),
            code=-141, contains="known weak key")


def test_operator_lists_are_read(ssl, univ, rao, keys, tmp_path, settings, refused):
    from certdesk.certificates import weakkeys

    key = keys["rsa2048b"]
    n = key.public_key().public_numbers().n
    listing = tmp_path / "blacklist.RSA-2048"
    listing.write_text("# openssl-blacklist style\n" + weakkeys.debian_fingerprint(n) + "\n")
    ec_list = tmp_path / "spki.txt"
    csr_p256 = make_csr(keys["p256"], "example.org")
    from certdesk.certificates import csr as csr_module

    ec_list.write_text(f"spki-sha256:{csr_module.parse(csr_p256).spki_sha256}\n")
    settings.WEAK_KEY_LISTS = [str(listing), str(ec_list)]
    refused(WeakKey, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"], make_csr(key, "example.org")), code=-141)
    refused(WeakKey, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"], csr_p256), code=-141)


# ---------------------------------------------------------------------------
# Profile, term, names


def test_unknown_or_foreign_profile_and_term(ssl, univ, rao, csr, other_customer, refused):
    foreign = Profile.objects.create(customer=other_customer, name="Jisc OV", terms=[365],
                                     key_types={"RSA": ["2048"]})
    refused(ProfileNotFound, lambda: _request(rao, univ, foreign, csr("example.org")), code=-39)
    inactive = ssl["profiles"]["OV Multi-Domain"]
    inactive.active = False
    inactive.save()
    refused(ProfileNotFound, lambda: _request(rao, univ, inactive, csr("example.org")), code=-39)
    refused(TermNotAllowed, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org"), term=730),
            code=-36)
    refused(TermNotAllowed, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org"), term="x"),
            code=-36)


def test_term_is_capped_by_the_cab_schedule(ssl, univ, rao, csr):
    cert = _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org"), term=398)
    validity = cert.not_after - cert.not_before + timedelta(seconds=1)
    from certdesk.certificates.profiles import issued_validity_days

    assert validity == timedelta(days=issued_validity_days(cert.not_before))
    assert validity <= timedelta(days=200)  # Ballot SC-081, in force since 2026-03-15
    short = _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org"), term=47)
    assert short.not_after - short.not_before + timedelta(seconds=1) == timedelta(days=47)


def test_common_name_from_csr_and_automatic_www(ssl, univ, rao, csr):
    ov = ssl["profiles"]["OV SSL"]
    assert _request(rao, univ, ov, csr("Example.ORG")).names == ["example.org", "www.example.org"]
    assert _request(rao, univ, ov, csr("www.example.org")).names == ["www.example.org", "example.org"]
    # the www name given explicitly does not count as an extra SAN
    assert _request(rao, univ, ov, csr("example.org"), subject_alt_names=["www.example.org"]).names == [
        "example.org", "www.example.org"]


def test_automatic_name_left_out_when_not_authorized(ssl, univ, rao, csr, make_domain, validate):
    base = make_domain("example.com", univ)
    validate(base)
    cert = _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.com"))
    assert cert.names == ["example.com"]
    assert "www.example.com was left out" in cert.events.first().message


def test_acme_style_csr_gives_its_san_names(ssl, univ, rao, keys):
    pem = make_csr(keys["p256"], None, ["a.example.org", "b.example.org"])
    cert = _request(rao, univ, ssl["profiles"]["OV Multi-Domain"], pem)
    assert cert.common_name == "a.example.org" and cert.names == ["a.example.org", "b.example.org"]


def test_wildcard_profile_and_names(ssl, univ, rao, csr, refused):
    p = ssl["profiles"]
    refused(NamesRefused, lambda: _request(rao, univ, p["OV Multi-Domain"], csr("*.example.org")),
            contains="Wildcard SSL")
    refused(NamesRefused, lambda: _request(rao, univ, p["Wildcard SSL"], csr("www.example.org")),
            contains="wildcard name")
    refused(NamesRefused, lambda: _request(rao, univ, p["Wildcard SSL"], csr("*.example.org"),
                                           subject_alt_names=["*.physics.example.org"]), contains="Too many")
    refused(NamesRefused, lambda: _request(rao, univ, p["OV SSL"], csr("www.*.example.org")))
    cert = _request(rao, univ, p["Wildcard SSL"], csr("*.example.org"))
    assert cert.names == ["*.example.org"] and cert.status == Status.ISSUED


def test_san_count_is_limited(ssl, univ, rao, csr, refused):
    refused(NamesRefused, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org"),
                                           subject_alt_names=["a.example.org"]), contains="none allowed")
    profile = ssl["profiles"]["Unified Communications"]
    profile.max_sans = 2
    profile.save()
    refused(NamesRefused, lambda: _request(rao, univ, profile, csr("a.example.org"),
                                           subject_alt_names="b.example.org,c.example.org,d.example.org"),
            contains="at most 2")


def test_names_must_be_ascii_or_idna_and_never_mojibake(ssl, univ, rao, csr, refused):
    refused(NamesRefused, lambda: _request(rao, univ, ssl["profiles"]["OV Multi-Domain"], csr("a.example.org"),
                                           subject_alt_names=["universitÃ©.example.org"]), contains="mojibake")


def test_undelegated_name_is_refused_and_named(ssl, univ, rao, csr, refused):
    error = refused(NameNotAuthorized, lambda: _request(rao, univ, ssl["profiles"]["OV Multi-Domain"],
                                                        csr("a.example.org"),
                                                        subject_alt_names=["www.not-ours.example.net"]),
                    code=-107)
    assert error.message.startswith("You cannot order certificates for the following or additional domains: "
                                    "www.not-ours.example.net")


def test_name_of_another_department_is_refused(ssl, physics, drao, csr, refused):
    refused(NameNotAuthorized, lambda: _request(drao, physics, ssl["profiles"]["OV SSL"], csr("lab.chemistry.example.org")),
            contains="lab.chemistry.example.org")
    # and the organization's names are not the department's either
    refused(NameNotAuthorized, lambda: _request(drao, physics, ssl["profiles"]["OV SSL"], csr("www.example.org")))


def test_department_request_in_its_own_domain(ssl, physics, drao, csr):
    cert = _request(drao, physics, ssl["profiles"]["OV Multi-Domain"], csr("lab.physics.example.org"))
    assert cert.status == Status.REQUESTED and cert.organization == physics


def test_expired_dcv_is_refused(ssl, univ, rao, csr, refused):
    Domain.objects.filter(name="example.org").update(dcv_expires=timezone.now() - timedelta(minutes=1))
    refused(NameNotAuthorized, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org")),
            code=-737, contains="expired")


def test_caa_forbidding_us_is_refused(ssl, univ, rao, csr, dns, refused):
    dns.add('example.org. 60 IN CAA 0 issue "sectigo.com"')
    error = refused(CaaForbidden, lambda: _request(rao, univ, ssl["profiles"]["OV Multi-Domain"], csr("a.example.org")))
    assert "CAA" in error.message and "a.example.org" in error.message


def test_caa_issuewild_governs_wildcards(ssl, univ, rao, csr, dns, refused):
    dns.add('example.org. 60 IN CAA 0 issue "certdesk.test"', 'example.org. 60 IN CAA 0 issuewild ";"')
    assert _request(rao, univ, ssl["profiles"]["OV Multi-Domain"], csr("a.example.org")).status == Status.ISSUED
    Certificate.objects.all().delete()
    refused(CaaForbidden, lambda: _request(rao, univ, ssl["profiles"]["Wildcard SSL"], csr("*.example.org")),
            contains="CAA")


def test_caa_lookup_failure_refuses(ssl, univ, rao, csr, dns, refused):
    dns.servfail.add("a.example.org")
    refused(CaaForbidden, lambda: _request(rao, univ, ssl["profiles"]["OV Multi-Domain"], csr("a.example.org")),
            contains="CAA")


def test_unvalidated_organization_is_refused(ssl, mrao_actor, other_org, make_domain, validate, csr, refused):
    base = make_domain("example.net", other_org)
    validate(base)
    refused(OrganizationNotValidated, lambda: _request(mrao_actor, other_org, ssl["profiles"]["OV SSL"],
                                                       csr("example.net")), code=-843, contains="not validated")


def test_expired_organization_validation_is_refused(ssl, univ, rao, csr, refused):
    type(univ).objects.filter(pk=univ.pk).update(validation_expires=timezone.now() - timedelta(days=1))
    univ.refresh_from_db()
    refused(OrganizationNotValidated, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org")),
            code=-843)


def test_mojibake_in_the_organization_is_refused(ssl, univ, rao, csr, refused):
    type(univ).objects.filter(pk=univ.pk).update(name="UniversitÃ© de Lyon")
    univ.refresh_from_db()
    refused(OrganizationNotValidated, lambda: _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org")),
            contains="mojibake")


def test_subject_comes_from_the_organization_never_the_csr(ssl, univ, rao, keys):
    pem = make_csr(keys["rsa2048"], "example.org", subject_extra=[
        (NameOID.ORGANIZATION_NAME, "Evil Corp"), (NameOID.COUNTRY_NAME, "US"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "Hackers"), (NameOID.EMAIL_ADDRESS, "x@example.org")])
    cert = _request(rao, univ, ssl["profiles"]["OV SSL"], pem).certificate()
    subject = {a.oid: a.value for a in cert.subject}
    assert subject[NameOID.ORGANIZATION_NAME] == "Universite de Lyon"
    assert subject[NameOID.COUNTRY_NAME] == "FR" and subject[NameOID.LOCALITY_NAME] == "Lyon"
    assert NameOID.ORGANIZATIONAL_UNIT_NAME not in subject and NameOID.EMAIL_ADDRESS not in subject
    assert subject[NameOID.COMMON_NAME] == "example.org"


def test_ev_needs_an_issued_anchor_covering_the_names(ssl, ev_univ, rao, rao2, csr, refused):
    ev = ssl["profiles"]["EV Multi-Domain"]
    refused(EvAnchorMissing, lambda: _request(rao2, ev_univ, ev, csr("secure.example.org")),
            contains="No issued EV anchor")
    anchor = _request(rao, ev_univ, ssl["profiles"]["EV Anchor"], csr("secure.example.org"))
    refused(EvAnchorMissing, lambda: _request(rao2, ev_univ, ev, csr("secure.example.org")))  # not yet approved
    Certificate.objects.filter(pk=anchor.pk).delete()
    anchor = services.approve(rao2, _request(rao, ev_univ, ssl["profiles"]["EV Anchor"], csr("secure.example.org")))
    assert anchor.status == Status.ISSUED and anchor.der is None
    cert = _request(rao2, ev_univ, ev, csr("shop.secure.example.org"))
    assert cert.status == Status.REQUESTED
    with pytest.raises(EvAnchorMissing):
        _request(rao2, ev_univ, ev, csr("www.example.org"))


def test_ev_needs_the_organization_ev_details(ssl, univ, rao, csr, refused):
    refused(OrganizationNotValidated, lambda: _request(rao, univ, ssl["profiles"]["EV Anchor"], csr("example.org")),
            contains="EV business category")


# ---------------------------------------------------------------------------
# Scope


def test_out_of_scope_organization_answers_not_found(ssl, univ, other_org, rao_other, drao, csr, refused):
    refused(NotFound, lambda: _request(actor_for(rao_other), univ, ssl["profiles"]["OV SSL"], csr("example.org")))
    refused(NotFound, lambda: _request(drao, univ, ssl["profiles"]["OV SSL"], csr("example.org")))


def test_other_customer_cannot_request(ssl, univ, other_mrao, csr, refused):
    refused(NotFound, lambda: _request(actor_for(other_mrao), univ, ssl["profiles"]["OV SSL"], csr("example.org")))


def test_client_certificate_role_cannot_request_ssl(ssl, mrao_actor, univ, csr, refused):
    from certdesk.accounts import services as accounts

    from ..conftest import PASSWORD

    admin = accounts.create_admin(mrao_actor, login="rao_smime", email="s@example.org", forename="S", surname="M",
                                  password=PASSWORD, credentials=[{"role": "RAO_SMIME", "orgId": univ.pk}],
                                  privileges=[], must_change_password=False)
    refused(PermissionDenied, lambda: _request(actor_for(admin), univ, ssl["profiles"]["OV SSL"], csr("example.org")))


def test_options_are_checked(ssl, univ, rao, csr, refused):
    profile = ssl["profiles"]["OV SSL"]
    refused(DomainError, lambda: _request(rao, univ, profile, csr("example.org"), external_requester="not-an-email"))
    refused(DomainError, lambda: _request(rao, univ, profile, csr("example.org"), days_before=0))
    refused(DomainError, lambda: _request(rao, univ, profile, csr("example.org"), comments="bad\x00"))
