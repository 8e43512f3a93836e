"""What `certdesk init` creates: the ten CAs and the X.509 profile of their certificates.

Profiles follow RFC 5280 and the CA/Browser Forum Baseline Requirements §7.1.2.1 (roots)
and §7.1.2.10 (subordinate CAs), with the S/MIME and Code Signing BRs' policy OIDs.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

from certdesk.core import validators
from certdesk.core.errors import DomainError
from certdesk.core.i18n import msg

from .errors import CAError, InvalidAuthorityName
from .models import KeyAlgorithm, Purpose

ROOT_YEARS = 25
ISSUING_YEARS = 10

CURVES = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1, "P-521": ec.SECP521R1}

# (slug prefix, name word, key algorithm, size or curve)
FAMILIES = (
    ("rsa", "RSA", KeyAlgorithm.RSA, "4096"),
    ("ecc", "ECC", KeyAlgorithm.EC, "P-384"),
)
# (purpose, slug suffix, name suffix)
ISSUING = (
    (Purpose.SSL_OV, "ssl-ov", "OV SSL CA"),
    (Purpose.SSL_EV, "ssl-ev", "EV SSL CA"),
    (Purpose.CLIENT, "client", "Client CA"),
    (Purpose.CODESIGN, "codesign", "Code Signing CA"),
)

# RFC 5280 §4.2.1.12. SSL CAs may also issue clientAuth (BR §7.1.2.10.6).
EXTENDED_KEY_USAGES = {
    Purpose.SSL_OV: (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH),
    Purpose.SSL_EV: (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH),
    Purpose.CLIENT: (ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH),
    Purpose.CODESIGN: (ExtendedKeyUsageOID.CODE_SIGNING,),
}
# CA/B Forum reserved policy identifiers (RFC 5280 §4.2.1.4): BR §7.1.6.1 (OV, EV),
# S/MIME BR §7.1.6.1 (mailbox-, organization- and sponsor-validated, multipurpose),
# Code Signing BR §7.1.6.1 (non-EV code signing).
POLICIES = {
    Purpose.SSL_OV: ("2.23.140.1.2.2",),
    Purpose.SSL_EV: ("2.23.140.1.1",),
    Purpose.CLIENT: ("2.23.140.1.5.1.2", "2.23.140.1.5.2.2", "2.23.140.1.5.3.2"),
    Purpose.CODESIGN: ("2.23.140.1.4.1",),
}


@dataclass(frozen=True)
class AuthoritySpec:
    slug: str
    name: str
    purpose: str
    key_algorithm: str
    key_size_or_curve: str
    parent_slug: str | None = None

    @property
    def is_root(self) -> bool:
        return self.parent_slug is None


def name_prefix() -> str:
    """settings.CA_NAME_PREFIX, checked for use in O and CN (ub-common-name is 64, RFC 5280 App. A)."""
    longest = max(len(f" {word} {suffix}") for _, word, _, _ in FAMILIES for _, _, suffix in ISSUING)
    try:
        return validators.subject_text(
            settings.CA_NAME_PREFIX, field="CERTDESK_CA_NAME", label="CERTDESK_CA_NAME", required=True,
            max_length=64 - longest,
        )
    except DomainError as exc:
        raise InvalidAuthorityName(exc.message, field=exc.field) from None


def specs() -> list[AuthoritySpec]:
    """The ten authorities, each parent before its children."""
    prefix = name_prefix()
    result = []
    for family, word, algorithm, size in FAMILIES:
        root = AuthoritySpec(f"{family}-root", f"{prefix} {word} Root CA", Purpose.ROOT, algorithm, size)
        result.append(root)
        for purpose, suffix, title in ISSUING:
            result.append(
                AuthoritySpec(f"{family}-{suffix}", f"{prefix} {word} {title}", purpose, algorithm, size, root.slug)
            )
    return result


def generate_key(spec: AuthoritySpec) -> CertificateIssuerPrivateKeyTypes:
    if spec.key_algorithm == KeyAlgorithm.RSA:
        return rsa.generate_private_key(public_exponent=65537, key_size=int(spec.key_size_or_curve))
    return ec.generate_private_key(CURVES[spec.key_size_or_curve]())


def check_key(spec: AuthoritySpec, key) -> None:
    """A key handed in by a key factory must be the kind the spec asks for."""
    if spec.key_algorithm == KeyAlgorithm.RSA:
        ok = isinstance(key, rsa.RSAPrivateKey) and str(key.key_size) == spec.key_size_or_curve
    else:
        ok = isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, CURVES[spec.key_size_or_curve])
    if not ok:
        raise CAError(msg("The key given for %(slug)s is not %(key_algorithm)s %(key_size_or_curve)s.",
                          slug=spec.slug, key_algorithm=spec.key_algorithm, key_size_or_curve=spec.key_size_or_curve))


def random_serial() -> int:
    """20 octets, positive (RFC 5280 §4.1.2.2), 158 bits from the CSPRNG (BR §7.1: at least 64)."""
    octets = bytearray(secrets.token_bytes(20))
    # Top bit clear keeps it positive; the next bit set keeps the encoding exactly 20 octets.
    octets[0] = (octets[0] & 0x7F) | 0x40
    return int.from_bytes(octets, "big")


def pki_base_url() -> str:
    """The base of the CRL and AIA URLs in CA certificates: the same helper as the leaves'
    (CERTDESK_PKI_BASE_URL, else CERTDESK_BASE_URL with the http scheme; BR §7.1.2.10.3/.5: http://)."""
    # Imported here: certificates.issuance imports this module.
    from certdesk.certificates.issuance import pki_base_url as base

    return base()


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def subject_name(spec: AuthoritySpec) -> x509.Name:
    """C (when CERTDESK_CA_COUNTRY is set, as the Baseline Requirements want for CA subjects), O, CN."""
    country = getattr(settings, "CA_COUNTRY", "")
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, country)] if country else []
    return x509.Name(attributes + [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name_prefix()),
        x509.NameAttribute(NameOID.COMMON_NAME, spec.name),
    ])


def _key_usage(*, digital_signature: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False,
    )


def certificate_builder(
    spec: AuthoritySpec,
    public_key,
    *,
    issuer: x509.Certificate | None = None,
    now: datetime | None = None,
) -> x509.CertificateBuilder:
    """The TBS certificate of a root (issuer None: self-signed) or of an issuing CA under `issuer`."""
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    subject = subject_name(spec)
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .public_key(public_key)
        .serial_number(random_serial())
        .not_valid_before(now)
    )
    if issuer is None:
        # Self-signed root, RFC 5280 §4.2.1.9 / §4.2.1.3; BR §7.1.2.1.
        return (
            builder.issuer_name(subject)
            .not_valid_after(add_years(now, ROOT_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=False), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        )
    not_after = min(add_years(now, ISSUING_YEARS), issuer.not_valid_after_utc)
    issuer_ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    parent = spec.parent_slug
    base = pki_base_url()
    return (
        builder.issuer_name(issuer.subject)
        .not_valid_after(not_after)
        # pathLen 0: issues end-entity certificates only (RFC 5280 §4.2.1.9).
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        # digitalSignature lets the CA sign OCSP responses itself (BR §7.1.2.10.7).
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage(list(EXTENDED_KEY_USAGES[spec.purpose])), critical=False)
        .add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(oid), None)
                                      for oid in POLICIES[spec.purpose]]),
            critical=False,
        )
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), critical=False)
        # The CRL and certificate of the issuer (RFC 5280 §4.2.1.13, §4.2.2.1).
        .add_extension(
            x509.CRLDistributionPoints([x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(f"{base}/ca/{parent}.crl")],
                relative_name=None, reasons=None, crl_issuer=None,
            )]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess([
                x509.AccessDescription(x509.AuthorityInformationAccessOID.OCSP,
                                       x509.UniformResourceIdentifier(f"{base}/ocsp")),
                x509.AccessDescription(x509.AuthorityInformationAccessOID.CA_ISSUERS,
                                       x509.UniformResourceIdentifier(f"{base}/ca/{parent}.crt")),
            ]),
            critical=False,
        )
    )
