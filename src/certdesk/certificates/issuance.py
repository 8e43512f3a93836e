"""Building and signing subscriber certificates (X.509 v3, RFC 5280) per the CA/B Forum TLS
Baseline Requirements §7.1.2.7, with lint-before-signing.

Lint before signing (as Let's Encrypt's Boulder does): the complete TBS certificate is first
signed with a throwaway key of the CA key's type, that "lint certificate" goes through
pkilint's CA/B serverauth linter, and only when it has no ERROR or FATAL finding is the same
TBS signed with the CA key. The throwaway key is made once per process and key type: it
signs nothing anyone will see.
"""
from __future__ import annotations

import functools
import hashlib
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

from certdesk.ca.crl import shard_of as crl_shard_of
from certdesk.ca.hierarchy import random_serial
from certdesk.ca.models import CertificateAuthority, KeyAlgorithm, Purpose
from certdesk.ca.signers import get_signer
from certdesk.core.i18n import msg
from certdesk.tenancy.models import CertType, Organization

from . import lint, profiles
from .errors import CertificateError, OrganizationNotValidated
from .models import Profile
from .profiles import POLICY_OIDS, ValidationLevel

# EV Guidelines §9.2 subject attributes (OIDs from the EV Guidelines §9.2.4 / Microsoft arc).
OID_JURISDICTION_LOCALITY = x509.ObjectIdentifier("1.3.6.1.4.1.311.60.2.1.1")
OID_JURISDICTION_STATE = x509.ObjectIdentifier("1.3.6.1.4.1.311.60.2.1.2")
OID_JURISDICTION_COUNTRY = x509.ObjectIdentifier("1.3.6.1.4.1.311.60.2.1.3")


class LintFailed(CertificateError):
    """The lint certificate has ERROR/FATAL findings: nothing is signed with the CA key."""

    code = -1

    def __init__(self, findings: list[lint.Finding]):
        shown = "; ".join(str(f) for f in findings[:5])
        super().__init__(msg("The certificate would break the CA/Browser Forum requirements (pkilint): %(shown)s",
                             shown=shown))
        self.findings = findings


class NoIssuingCA(CertificateError):
    status = 500


@dataclass(frozen=True)
class Signed:
    certificate: x509.Certificate
    der: bytes
    ca: CertificateAuthority
    serial: int
    findings: tuple[lint.Finding, ...] = ()


# ---------------------------------------------------------------------------
# Which CA, which subject


def issuing_ca(profile: Profile) -> CertificateAuthority:
    """The issuing CA for the profile: OV/DV → the SSL OV CA, EV → the SSL EV CA, of the
    key family of the profile's signature algorithm (RSA for SHA384withRSA)."""
    family, _ = profiles.SIGNATURE_ALGORITHMS[profile.signature_algorithm]
    purpose = Purpose.SSL_EV if profile.validation_level == ValidationLevel.EV else Purpose.SSL_OV
    if profile.kind == CertType.SMIME:
        purpose = Purpose.CLIENT  # client certificates: the Client CA (emailProtection, clientAuth)
    algorithm = KeyAlgorithm.RSA if family == "RSA" else KeyAlgorithm.EC
    ca = (CertificateAuthority.objects.filter(purpose=purpose, key_algorithm=algorithm)
          .select_related("parent").order_by("-not_after", "-id").first())
    if ca is None:
        raise NoIssuingCA(msg("No %(purpose)s CA with an %(algorithm)s key exists: run `certdesk init` first.",
                              purpose=purpose, algorithm=algorithm))
    return ca


def hash_for(profile: Profile):
    return profiles.SIGNATURE_ALGORITHMS[profile.signature_algorithm][1]()


def _text(value: str) -> str:
    return " ".join((value or "").split())


def subject_attributes(org: Organization, profile: Profile) -> list[tuple[x509.ObjectIdentifier, str]]:
    """The subject's attributes (except CN), from the organization — never from the CSR.

    A department gives its name as OU only where the profile allows OU; the validated
    identity (O and address) is always the top-level organization's.
    """
    if profile.validation_level == ValidationLevel.DV:
        return []
    top = org.organization
    attrs: list[tuple[x509.ObjectIdentifier, str]] = []
    if profile.validation_level == ValidationLevel.EV:
        attrs.append((NameOID.BUSINESS_CATEGORY, _text(top.ev_business_category)))
        attrs.append((OID_JURISDICTION_COUNTRY, top.ev_jurisdiction_country))
        if top.ev_jurisdiction_state:
            attrs.append((OID_JURISDICTION_STATE, _text(top.ev_jurisdiction_state)))
        if top.ev_jurisdiction_locality:
            attrs.append((OID_JURISDICTION_LOCALITY, _text(top.ev_jurisdiction_locality)))
        attrs.append((NameOID.SERIAL_NUMBER, _text(top.ev_registration_number)))
    # BR §7.1.4.2 order: C, ST, L, (postalCode, street), O, OU, CN. postalCode and streetAddress
    # are NOT RECOMMENDED (BR §7.1.2.7.4), so left out.
    attrs.append((NameOID.COUNTRY_NAME, top.country))
    if top.state_province:
        attrs.append((NameOID.STATE_OR_PROVINCE_NAME, _text(top.state_province)))
    if top.city:
        attrs.append((NameOID.LOCALITY_NAME, _text(top.city)))
    attrs.append((NameOID.ORGANIZATION_NAME, _text(top.name)))
    if profile.ou_allowed and org.is_department:
        attrs.append((NameOID.ORGANIZATIONAL_UNIT_NAME, _text(org.name)))
    return attrs


def missing_subject_fields(org: Organization, profile: Profile) -> list[str]:
    """What the organization lacks for this profile's subject (BR §7.1.2.7.4, EVG §9.2)."""
    if profile.validation_level == ValidationLevel.DV:
        return []
    top = org.organization
    missing = []
    if not top.country:
        missing.append("country")
    if not (top.city or top.state_province):
        missing.append("locality or state/province")
    if profile.validation_level == ValidationLevel.EV:
        if not top.city:
            missing.append("locality")
        for field_name, label in (("ev_business_category", "EV business category"),
                                  ("ev_jurisdiction_country", "EV jurisdiction country"),
                                  ("ev_registration_number", "EV registration number")):
            if not getattr(top, field_name):
                missing.append(label)
    return missing


def subject_name(org: Organization, profile: Profile, common_name: str) -> x509.Name:
    attrs = subject_attributes(org, profile) + [(NameOID.COMMON_NAME, common_name)]
    return x509.Name([x509.RelativeDistinguishedName([x509.NameAttribute(oid, value)]) for oid, value in attrs])


# ---------------------------------------------------------------------------
# The TBS certificate


def validity(profile: Profile, term: int, now: datetime, ca: CertificateAuthority) -> tuple[datetime, datetime]:
    """notBefore now (whole seconds), notAfter = notBefore + min(term, issued_validity_days) days − 1 s
    (BR §1.6.4 counts both ends), never past the issuing CA's own notAfter."""
    not_before = now.replace(microsecond=0)
    days = min(int(term), profile.max_days(not_before))
    not_after = not_before + timedelta(days=days) - timedelta(seconds=1)
    return not_before, min(not_after, ca.not_after)


def key_usage(public_key) -> x509.KeyUsage:
    """BR §7.1.2.7.11: digitalSignature; keyEncipherment as well for RSA (TLS 1.2 RSA key exchange)."""
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=isinstance(public_key, rsa.RSAPublicKey),
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )


def pki_base_url() -> str:
    """Where relying parties fetch CRLs, OCSP and issuer certificates: settings.PKI_BASE_URL, or
    CERTDESK_BASE_URL with the http scheme (BR §7.1.2.7.7: AIA and CRL URLs MUST be http://)."""
    if settings.PKI_BASE_URL:
        return settings.PKI_BASE_URL
    return "http://" + settings.BASE_URL.split("://", 1)[-1].rstrip("/")


_ORG_ID_RE = re.compile(r"^(NTR|VAT|PSD|LEI|GOV|INT)[A-Z]{2}(\+[A-Z0-9]{1,3})?(-.+)?$")


def organization_identifier(org: Organization) -> str:
    """S/MIME BR §7.1.4.2.2 (d) organizationIdentifier of the organization: its registration number
    (EV details) as given when already in scheme form ("VATFR-…", "LEIXG-…"), else as a national trade
    register reference "NTR<country>-<number>"; a government entity without one is "GOV<country>".
    '' when none can be given (`smime_subject_problem` then refuses the request)."""
    top = org.organization
    number = _text(top.ev_registration_number)
    country = (top.ev_jurisdiction_country or top.country or "").upper()
    if number:
        if _ORG_ID_RE.match(number):
            return number
        return f"NTR{country}-{number}" if country else ""
    if country and top.ev_business_category == "Government Entity":
        return f"GOV{country}"
    return ""


def smime_subject_problem(org: Organization) -> OrganizationNotValidated | None:
    """What a sponsor-validated client certificate's subject lacks from the organization."""
    top = org.organization
    missing = []
    if not top.country:
        missing.append("country")
    if not organization_identifier(org):
        missing.append("registration number (EV details: organizationIdentifier, S/MIME BR §7.1.4.2.2)")
    if missing:
        return OrganizationNotValidated(
            msg("The organization %(organization)s lacks what a client certificate's subject needs: %(missing)s. "
                "An MRAO must complete it.", organization=str(top), missing=", ".join(missing)), field="orgId")
    return None


def smime_subject_name(org: Organization, profile: Profile, common_name: str, *, given_name: str = "",
                       surname: str = "") -> x509.Name:
    """A client certificate's subject (S/MIME BR §7.1.4.2.3, sponsor-validated): C, ST, L and O of the
    organization as for OV SSL (O = its secondary name when the profile says so and it has one: IGTF
    subjects keep their grid name), then the person's givenName, surname and common name."""
    top = org.organization
    attrs: list[tuple[x509.ObjectIdentifier, str]] = []
    if top.country:
        attrs.append((NameOID.COUNTRY_NAME, top.country))
    if top.state_province:
        attrs.append((NameOID.STATE_OR_PROVINCE_NAME, _text(top.state_province)))
    if top.city:
        attrs.append((NameOID.LOCALITY_NAME, _text(top.city)))
    name = _text(top.secondary_name) if profile.use_secondary_org_name and top.secondary_name else _text(top.name)
    attrs.append((NameOID.ORGANIZATION_NAME, name))
    if org_id := organization_identifier(org):
        attrs.append((NameOID.ORGANIZATION_IDENTIFIER, org_id))
    if given_name:
        attrs.append((NameOID.GIVEN_NAME, _text(given_name)))
    if surname:
        attrs.append((NameOID.SURNAME, _text(surname)))
    attrs.append((NameOID.COMMON_NAME, _text(common_name)))
    return x509.Name([x509.RelativeDistinguishedName([x509.NameAttribute(oid, value)]) for oid, value in attrs])


def smime_key_usage(public_key) -> x509.KeyUsage:
    """S/MIME BR §7.1.2.3 (e), multipurpose: RSA signs and encrypts (digitalSignature, keyEncipherment);
    EC signs and agrees keys (digitalSignature, keyAgreement)."""
    is_rsa = isinstance(public_key, rsa.RSAPublicKey)
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=is_rsa, data_encipherment=False,
        key_agreement=not is_rsa, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
    )


def builder_for(*, ca: CertificateAuthority, profile: Profile, organization: Organization, names: list[str],
                public_key, not_before: datetime, not_after: datetime, serial: int,
                subject: x509.Name | None = None) -> x509.CertificateBuilder:
    """The TBS certificate. Client certificates (profile kind SMIME) pass their `subject`
    (smime_subject_name) and email addresses as `names`."""
    if profile.kind == CertType.SMIME:
        return _smime_builder(ca=ca, profile=profile, names=names, public_key=public_key, not_before=not_before,
                              not_after=not_after, serial=serial, subject=subject)
    base = pki_base_url()
    issuer = ca.certificate()
    issuer_ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    policies = [x509.PolicyInformation(x509.ObjectIdentifier(POLICY_OIDS[profile.validation_level]), None)]
    policies += [x509.PolicyInformation(x509.ObjectIdentifier(oid), None) for oid in profile.extra_policy_oids or []]
    return (
        x509.CertificateBuilder()
        .issuer_name(issuer.subject)
        .subject_name(subject_name(organization, profile, names[0]))
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        # BR §7.1.2.7.6 extensions, in the order the BRs list them.
        .add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(x509.AuthorityInformationAccessOID.OCSP,
                                   x509.UniformResourceIdentifier(f"{base}/ocsp")),
            x509.AccessDescription(x509.AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier(f"{base}/ca/{ca.slug}.crt")),
        ]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), critical=False)
        .add_extension(x509.CertificatePolicies(policies), critical=False)
        # serverAuth only: the Chrome Root Program requires dedicated serverAuth hierarchies from
        # 2026-06-15 (Policy v1.6), and BR 2.x keeps clientAuth optional.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        # RFC 5280 §4.2.1.6: critical only when the subject is empty (DV without CN is not produced).
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(public_key), critical=True)
        # The CRL shard of this serial (certdesk.ca.crl; the shard CRL's IDP names the same URL).
        .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(f"{base}/ca/{ca.slug}/{crl_shard_of(serial)}.crl")],
            relative_name=None, reasons=None, crl_issuer=None,
        )]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _smime_builder(*, ca, profile, names, public_key, not_before, not_after, serial,
                   subject) -> x509.CertificateBuilder:
    """S/MIME BR §7.1.2.3 subscriber certificate, sponsor-validated multipurpose generation."""
    base = pki_base_url()
    issuer = ca.certificate()
    issuer_ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    policies = [x509.PolicyInformation(x509.ObjectIdentifier(profiles.SMIME_SPONSOR_MULTIPURPOSE_OID), None)]
    policies += [x509.PolicyInformation(x509.ObjectIdentifier(oid), None) for oid in profile.extra_policy_oids or []]
    return (
        x509.CertificateBuilder()
        .issuer_name(issuer.subject)
        .subject_name(subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(x509.AuthorityInformationAccessOID.OCSP,
                                   x509.UniformResourceIdentifier(f"{base}/ocsp")),
            x509.AccessDescription(x509.AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier(f"{base}/ca/{ca.slug}.crt")),
        ]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), critical=False)
        .add_extension(x509.CertificatePolicies(policies), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(smime_key_usage(public_key), critical=True)
        .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(f"{base}/ca/{ca.slug}/{crl_shard_of(serial)}.crl")],
            relative_name=None, reasons=None, crl_issuer=None,
        )]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


# ---------------------------------------------------------------------------
# Lint key and signing

_lint_key_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _lint_key(algorithm: str, size_or_curve: str):
    if algorithm == KeyAlgorithm.RSA:
        return rsa.generate_private_key(public_exponent=65537, key_size=int(size_or_curve))
    from certdesk.ca.hierarchy import CURVES

    return ec.generate_private_key(CURVES[size_or_curve]())


# The lint certificate's TBS names the signature algorithm (sha384WithRSAEncryption…), never the
# key size: an RSA-2048 throwaway key yields the very TBS an RSA-4096 CA key then signs (`sign`
# compares them) for a sixth of the private-key operation, and is generated in 0.1 s, not seconds.
LINT_RSA_BITS = "2048"


def lint_key(ca: CertificateAuthority):
    """A throwaway private key of the CA key's type (RSA: LINT_RSA_BITS; EC: the CA's curve, which
    its signature algorithm does not name either, kept as is), made once per process."""
    size_or_curve = LINT_RSA_BITS if ca.key_algorithm == KeyAlgorithm.RSA else ca.key_size_or_curve
    with _lint_key_lock:
        return _lint_key(ca.key_algorithm, size_or_curve)


@dataclass(frozen=True)
class Linted:
    """A builder that passed the linter: the TBS that was linted and the findings."""

    tbs: bytes
    findings: tuple[lint.Finding, ...]


def lint_builder(*, ca: CertificateAuthority, profile: Profile, builder: x509.CertificateBuilder) -> Linted:
    """Sign the builder with the throwaway key and lint that certificate; LintFailed on any error.
    Touches no database row: issuance runs it before locking the certificate."""
    lint_cert = builder.sign(lint_key(ca), hash_for(profile))
    der = lint_cert.public_bytes(serialization.Encoding.DER)
    findings = lint.lint_smime(der) if profile.kind == CertType.SMIME else lint.lint_level(der, profile.validation_level)
    failures = lint.errors(findings)
    if failures:
        raise LintFailed(failures)
    return Linted(tbs=lint_cert.tbs_certificate_bytes, findings=tuple(findings))


def sign(*, ca: CertificateAuthority, profile: Profile, builder: x509.CertificateBuilder, serial: int,
         lint_first: bool, linted: Linted | None = None) -> Signed:
    """Lint (when asked, unless `linted` says this builder already passed) then sign with the CA key;
    raise LintFailed without signing on any error."""
    digest = hash_for(profile)
    if lint_first and linted is None:
        linted = lint_builder(ca=ca, profile=profile, builder=builder)
    findings = list(linted.findings) if linted is not None else []
    lint_tbs = linted.tbs if linted is not None else None
    certificate = get_signer(ca).sign_certificate(builder, digest)
    if lint_tbs is not None and certificate.tbs_certificate_bytes != lint_tbs:
        # The builder is deterministic; a difference means the linted TBS is not what was signed.
        raise CertificateError("The signed certificate differs from the linted one; refusing it.", status=500)
    der = certificate.public_bytes(serialization.Encoding.DER)
    return Signed(certificate=certificate, der=der, ca=ca, serial=serial, findings=tuple(findings))


def new_serial() -> int:
    return random_serial()


def fingerprints(der: bytes) -> tuple[str, str]:
    return hashlib.sha1(der).hexdigest(), hashlib.md5(der, usedforsecurity=False).hexdigest()


def subject_problem(org: Organization, profile: Profile) -> OrganizationNotValidated | None:
    missing = missing_subject_fields(org, profile)
    if missing:
        return OrganizationNotValidated(
            f"The organization {org.organization} lacks what the certificate subject needs for {profile}: "
            f"{', '.join(missing)}. An MRAO must complete it.", field="orgId")
    return None
