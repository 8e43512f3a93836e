"""pkilint's CA/Browser Forum TLS linter, in process (the lint-before-signing step of issuance).

The validator containers are built once per certificate type and process (building them
costs far more than a lint) and reused, as pkilint's own REST service does; they hold no
per-document state. The default finding filters of `lint_cabf_serverauth_cert` apply.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

from pkilint import loader, validation
from pkilint.cabf import serverauth
from pkilint.cabf.serverauth import serverauth_constants
from pkilint.finding_filter import filter_results
from pkilint.pkix import certificate

from .profiles import ValidationLevel

CertificateType = serverauth_constants.CertificateType
Severity = validation.ValidationFindingSeverity

FINAL_TYPES = {
    ValidationLevel.DV: CertificateType.DV_FINAL_CERTIFICATE,
    ValidationLevel.OV: CertificateType.OV_FINAL_CERTIFICATE,
    ValidationLevel.EV: CertificateType.EV_FINAL_CERTIFICATE,
}

_build_lock = threading.Lock()


@dataclass(frozen=True)
class Finding:
    severity: str  # FATAL, ERROR, WARNING, NOTICE, INFO
    code: str
    message: str
    node: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity in ("FATAL", "ERROR")

    def __str__(self) -> str:
        return f"{self.severity} {self.code}" + (f": {self.message}" if self.message else "")


@functools.lru_cache(maxsize=None)
def _linter(cert_type: CertificateType):
    validator = certificate.create_pkix_certificate_validator_container(
        serverauth.create_decoding_validators(), serverauth.create_validators(cert_type),
    )
    return validator, serverauth.create_serverauth_finding_filters(cert_type)


def linter(cert_type: CertificateType):
    with _build_lock:
        return _linter(cert_type)


def lint_der(der: bytes, cert_type: CertificateType) -> list[Finding]:
    """Every finding pkilint reports for the DER certificate, as the CLI shows them by default."""
    validator, filters = linter(cert_type)
    try:
        doc = loader.RFC5280CertificateDocumentLoader().load_der_document(der, "certificate")
    except ValueError as exc:  # pyasn1 decoding errors derive from it as well
        return [Finding("FATAL", "certdesk.lint.undecodable", str(exc))]
    results = validator.validate(doc.root)
    results, _ = filter_results(filters, results)
    findings = []
    for result in results:
        for description in result.finding_descriptions:
            findings.append(Finding(
                severity=description.finding.severity.name, code=description.finding.code,
                message=description.message or "", node=str(getattr(result.node, "path", "")),
            ))
    return findings


def lint_level(der: bytes, validation_level: str) -> list[Finding]:
    return lint_der(der, FINAL_TYPES[validation_level])


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]


# ---------------------------------------------------------------------------
# Client certificates: pkilint's CA/B S/MIME BR linter, sponsor-validated multipurpose (the policy
# certdesk's client profiles assert, issuance._smime_builder).


@functools.lru_cache(maxsize=None)
def _smime_linter():
    from pkilint.cabf import smime
    from pkilint.cabf.smime.smime_constants import Generation
    from pkilint.cabf.smime.smime_constants import ValidationLevel as SmimeLevel

    return certificate.create_pkix_certificate_validator_container(
        smime.create_decoding_validators(),
        smime.create_subscriber_validators(SmimeLevel.SPONSORED, Generation.MULTIPURPOSE),
    )


def lint_smime(der: bytes) -> list[Finding]:
    """Every finding of pkilint's S/MIME BR linter (sponsor-validated, multipurpose) for the DER certificate."""
    with _build_lock:
        validator = _smime_linter()
    try:
        doc = loader.RFC5280CertificateDocumentLoader().load_der_document(der, "certificate")
    except ValueError as exc:
        return [Finding("FATAL", "certdesk.lint.undecodable", str(exc))]
    findings = []
    own_host = _loopback_pki_host()
    for result in validator.validate(doc.root):
        for description in result.finding_descriptions:
            finding = Finding(
                severity=description.finding.severity.name, code=description.finding.code,
                message=description.message or "", node=str(getattr(result.node, "path", "")),
            )
            if own_host and finding.code == "cabf.internal_domain_name" and f'"{own_host}"' in finding.message:
                continue  # a trial install's own CRL/OCSP/caIssuers URLs (see _loopback_pki_host)
            findings.append(finding)
    return findings


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def _loopback_pki_host() -> str:
    """The host of the URLs certdesk writes into certificates when it is a loopback address (a trial
    install on http://127.0.0.1:8000, before CERTDESK_BASE_URL names the public host), else "".
    The S/MIME linter refuses internal names in those URLs; refusing every client certificate of a
    trial install over its own loopback URLs would only hide what else the linter says. A real
    deployment names a public host, and then the check applies in full."""
    from urllib.parse import urlsplit

    from .issuance import pki_base_url

    host = (urlsplit(pki_base_url()).hostname or "").lower()
    return host if host in LOOPBACK_HOSTS else ""
