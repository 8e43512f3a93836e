"""Certificate profiles as data: the CA/B Forum maximum validity schedule, key types,
signature algorithms and the seeded SSL profiles (seed 003 §7.1, certdesk-decisions "SSL").
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from cryptography.hazmat.primitives import hashes

# CA/Browser Forum TLS Baseline Requirements §6.3.2 as amended by Ballot SC-081v3 (adopted
# April 2025): the maximum validity of a subscriber certificate, by the date it is issued
# (notBefore). Each row: (first day in force, UTC; days). The validity period counts both
# ends (BR §1.6.4 "Validity Period"), so notAfter = notBefore + days − 1 second at most.
MAX_VALIDITY_SCHEDULE: tuple[tuple[date, int], ...] = (
    (date.min, 398),
    (date(2026, 3, 15), 200),
    (date(2027, 3, 15), 100),
    (date(2029, 3, 15), 47),
)


def issued_validity_days(on: date | datetime) -> int:
    """What certdesk issues at most: one day under the maximum, because SC-081 adds "SHOULD NOT
    exceed 397 / 199 / 99 / 46 days" to each "MUST NOT exceed 398 / 200 / 100 / 47"."""
    return max_validity_days(on) - 1


def max_validity_days(on: date | datetime) -> int:
    """The longest subscriber certificate (days) the BRs allow for one issued on `on`."""
    if isinstance(on, datetime):
        on = on.astimezone(timezone.utc).date() if on.tzinfo else on.date()
    days = MAX_VALIDITY_SCHEDULE[0][1]
    for start, period in MAX_VALIDITY_SCHEDULE:
        if on >= start:
            days = period
    return days


class ValidationLevel:
    DV = "DV"
    OV = "OV"
    EV = "EV"
    CHOICES = [(DV, "DV"), (OV, "OV"), (EV, "EV")]


# BR §7.1.6.1 reserved certificate policy identifiers.
POLICY_OIDS = {
    ValidationLevel.DV: "2.23.140.1.2.1",
    ValidationLevel.OV: "2.23.140.1.2.2",
    ValidationLevel.EV: "2.23.140.1.1",
}
# IGTF "Classic" authentication profile (IGTF policy OID registry, 1.2.840.113612.5.2.2.1).
IGTF_CLASSIC_OID = "1.2.840.113612.5.2.2.1"


class Wildcard:
    FORBIDDEN = "FORBIDDEN"
    ALLOWED = "ALLOWED"
    REQUIRED = "REQUIRED"
    CHOICES = [(FORBIDDEN, "Forbidden"), (ALLOWED, "Allowed"), (REQUIRED, "Required")]


# Signature algorithm → (issuing CA key family, digest). SHA-384 with RSA is the default
# (seed 000: "l'algorithme de signature ... est SHA384WITHRSA").
SIGNATURE_ALGORITHMS = {
    "SHA384withRSA": ("RSA", hashes.SHA384),
    "SHA256withRSA": ("RSA", hashes.SHA256),
    "SHA384withECDSA": ("EC", hashes.SHA384),
}
DEFAULT_SIGNATURE_ALGORITHM = "SHA384withRSA"

# BR §6.1.5: RSA moduli of at least 2048 bits, divisible by 8; ECDSA on P-256 or P-384
# (P-521 is refused by Mozilla's root store policy §5.1, so not offered).
RSA_SIZES = ("2048", "3072", "4096")
EC_CURVES = ("P-256", "P-384")
DEFAULT_KEY_TYPES = {"RSA": list(RSA_SIZES), "EC": list(EC_CURVES)}

# Terms (days) a request may name. SCM clients still send 365; the certificate gets
# min(term, issued_validity_days(issue date)) — the terms are capped by the schedule above.
DEFAULT_TERMS = [47, 100, 200, 365, 398]

# The seeded set (seed 003 §7.1), named as users know them (certdesk-decisions "SSL").
SEEDED_PROFILES: tuple[dict, ...] = (
    {
        "name": "OV SSL", "validation_level": "OV", "max_sans": 0, "auto_www_san": True,
        "description": "A certificate for a single hostname, with www.{hostname} added automatically as a SAN "
                       "(or the bare name when the hostname starts with www.).",
    },
    {
        "name": "OV Multi-Domain", "validation_level": "OV", "max_sans": 250,
        "description": "A certificate for the specified hostname and a set of optional SANs.",
    },
    {
        "name": "Unified Communications", "validation_level": "OV", "max_sans": 100,
        "description": "Multi-name certificate usually needed for specific purposes such as Exchange servers.",
    },
    {
        "name": "Wildcard SSL", "validation_level": "OV", "max_sans": 0, "wildcard": Wildcard.REQUIRED,
        "description": "A certificate for one wildcard name such as *.example.org.",
    },
    {
        "name": "EV SSL", "validation_level": "EV", "max_sans": 0, "auto_www_san": True,
        "description": "Extended validation for a single hostname, with www.{hostname} added automatically. "
                       "Needs an issued EV anchor covering the names and a second admin's approval.",
    },
    {
        "name": "EV Multi-Domain", "validation_level": "EV", "max_sans": 250,
        "description": "Extended validation for the specified hostname and optional SANs. Needs an issued EV "
                       "anchor covering the names and a second admin's approval.",
    },
    {
        "name": "IGTF Multi-Domain", "validation_level": "OV", "max_sans": 100, "terms": [200, 365, 395],
        "extra_policy_oids": [IGTF_CLASSIC_OID],
        "description": "OV certificate for the hostname and optional SANs, for interoperation with IGTF "
                       "(grid) services only.",
    },
    {
        "name": "EV Anchor", "validation_level": "EV", "max_sans": 250, "validation_only": True, "terms": [365],
        "description": "Validation only (no certificate is signed): lists the domains under which EV "
                       "certificates may be issued. Keep one active per organization; a second admin approves.",
    },
)


def profile_defaults(spec: dict) -> dict:
    """A seeded profile's field values with the defaults filled in (used by the data migration)."""
    values = {
        "kind": "SSL", "validation_level": "OV", "terms": list(DEFAULT_TERMS), "key_types": DEFAULT_KEY_TYPES,
        "max_sans": 0, "wildcard": Wildcard.FORBIDDEN, "auto_www_san": False,
        "signature_algorithm": DEFAULT_SIGNATURE_ALGORITHM, "ou_allowed": False, "extra_policy_oids": [],
        "validation_only": False, "description": "",
    }
    values.update(spec)
    return values


# ---------------------------------------------------------------------------
# Client (S/MIME) certificates (seed 003 §8.1, GÉANT TCS names)

# S/MIME BR §7.1.6.1: sponsor-validated, multipurpose generation (a person named with the
# organization's identity; emailProtection with clientAuth allowed beside it).
SMIME_SPONSOR_MULTIPURPOSE_OID = "2.23.140.1.5.3.2"
# IGTF authentication profiles (IGTF policy OID registry): MICS 1.2.840.113612.5.2.2.5; Classic above.
IGTF_MICS_OID = "1.2.840.113612.5.2.2.5"
SMIME_TERMS = [365, 730]
# S/MIME BR §7.1.2.3 multipurpose: at most 825 days.
SMIME_MAX_DAYS = 825
SMIME_KEY_TYPES = {"RSA": list(RSA_SIZES), "EC": list(EC_CURVES)}
# Keys certdesk generates itself when no CSR is given (server-side key generation with escrow).
SMIME_DEFAULT_RSA_SIZE = "2048"
SMIME_DEFAULT_CURVE = "P-256"

SEEDED_SMIME_PROFILES: tuple[dict, ...] = (
    {
        "name": "GÉANT Personal Certificate",
        "description": "The standard client certificate, e.g. for S/MIME email signing and encryption (RSA or "
                       "ECC).",
    },
    {
        "name": "GÉANT IGTF-MICS-Personal", "extra_policy_oids": [IGTF_MICS_OID], "use_secondary_org_name": True,
        "description": "IGTF (grid) personal certificate: only to interoperate with IGTF services or users.",
    },
    {
        "name": "GÉANT IGTF-MICS-Robot Personal", "extra_policy_oids": [IGTF_MICS_OID],
        "use_secondary_org_name": True,
        "description": "IGTF (grid) robot certificate held by a person: only to interoperate with IGTF services.",
    },
    {
        "name": "GÉANT IGTF-Classic-Robot Email", "extra_policy_oids": [IGTF_CLASSIC_OID],
        "use_secondary_org_name": True,
        "description": "IGTF Classic robot certificate with an email address: only to interoperate with IGTF "
                       "services.",
    },
)


def smime_profile_defaults(spec: dict) -> dict:
    """A seeded client-certificate profile's field values with the defaults filled in."""
    values = profile_defaults({
        "kind": "SMIME", "terms": list(SMIME_TERMS), "key_types": SMIME_KEY_TYPES, "max_sans": 20,
    })
    values.update(spec)
    return values
