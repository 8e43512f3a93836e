"""The CA verbs: `init_authorities` creates the built-in hierarchy once."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TextIO

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from django.db import IntegrityError, transaction

from certdesk.core import audit
from certdesk.core.actor import Actor, Interface

from . import hierarchy, keystore, queries
from .errors import HierarchyConflict
from .hierarchy import AuthoritySpec
from .models import CertificateAuthority, SignerBackend
from .signers import Signer, default_hash_algorithm, get_signer
from .signers.soft import SoftSigner

KeyFactory = Callable[[AuthoritySpec], object]


def init_actor() -> Actor:
    return Actor.system(None, interface=Interface.CLI, label="certdesk init")


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


@dataclass
class _Planned:
    spec: AuthoritySpec
    private_key: object
    certificate: x509.Certificate
    key_ref: str


def _describe(ca: CertificateAuthority, state: str) -> str:
    return (f"{state:8} {ca.slug:14} {ca.name}  ({ca.key_algorithm} {ca.key_size_or_curve}, "
            f"until {ca.not_after:%Y-%m-%d})  SHA-256 {ca.fingerprint_sha256}\n")


def init_authorities(
    actor: Actor | None = None,
    *,
    stdout: TextIO | None = None,
    key_factory: KeyFactory | None = None,
) -> list[CertificateAuthority]:
    """Create the two roots and their eight issuing CAs, once; return all of them.

    Idempotent: authorities that exist (by slug) are reported and left alone, so a
    second run changes nothing. Keys come from `key_factory(spec)` (tests hand in
    pre-generated keys) or are generated here, and are written encrypted before the
    rows are inserted in one transaction; if anything fails, the new key files are
    removed and no row remains.
    """
    actor = actor or init_actor()
    wanted = hierarchy.specs()
    existing = {ca.slug: ca for ca in CertificateAuthority.objects.filter(slug__in=[s.slug for s in wanted])}
    missing = [spec for spec in wanted if spec.slug not in existing]
    if missing:
        planned = _plan(missing, existing, key_factory or hierarchy.generate_key)
        created = _store(actor, planned, existing)
        if stdout is not None:
            stdout.write(f"CA keys: {keystore.keys_dir()} (encrypted; passphrase from {keystore.passphrase_source()})\n")
    else:
        created = set()
    authorities = list(queries.public_authorities())
    if stdout is not None:
        for ca in authorities:
            stdout.write(_describe(ca, "created" if ca.slug in created else "exists"))
        stdout.write(f"{len(authorities)} certificate authorities: {len(created)} created, "
                     f"{len(authorities) - len(created)} already there\n")
    return authorities


def _plan(missing: list[AuthoritySpec], existing: dict, key_factory: KeyFactory) -> list[_Planned]:
    """Keys and signed certificates, in memory only: nothing is written yet."""
    planned: dict[str, _Planned] = {}
    for spec in missing:
        key = key_factory(spec)
        hierarchy.check_key(spec, key)
        if spec.is_root:
            issuer, signer = None, SoftSigner.from_private_key(key)
        elif spec.parent_slug in planned:
            parent = planned[spec.parent_slug]
            issuer, signer = parent.certificate, SoftSigner.from_private_key(parent.private_key)
        else:
            parent_ca = existing[spec.parent_slug]
            issuer, signer = parent_ca.certificate(), get_signer(parent_ca)
        certificate = _sign(signer, hierarchy.certificate_builder(spec, key.public_key(), issuer=issuer))
        serial = f"{certificate.serial_number:040x}"
        planned[spec.slug] = _Planned(spec, key, certificate, f"{spec.slug}-{serial[:16]}.key.pem")
    return list(planned.values())


def _sign(signer: Signer, builder: x509.CertificateBuilder) -> x509.Certificate:
    return signer.sign_certificate(builder, default_hash_algorithm())


def _store(actor: Actor, planned: list[_Planned], existing: dict) -> set[str]:
    written: list[str] = []
    try:
        for item in planned:
            keystore.write_key(item.private_key, item.key_ref)
            written.append(item.key_ref)
        with transaction.atomic():
            rows = dict(existing)
            for item in planned:
                ca = _create_row(item, rows.get(item.spec.parent_slug))
                rows[ca.slug] = ca
                audit.record(
                    actor, "ca.created", ca, slug=ca.slug, purpose=ca.purpose, subject=ca.subject,
                    serial=ca.serial_hex, fingerprint_sha256=ca.fingerprint_sha256,
                    key_algorithm=ca.key_algorithm, key_size_or_curve=ca.key_size_or_curve,
                    parent=ca.parent.slug if ca.parent else None, not_before=ca.not_before, not_after=ca.not_after,
                )
    except IntegrityError:
        _remove(written)
        raise HierarchyConflict(
            "Another `certdesk init` created the certificate authorities at the same time; run it again to see them."
        ) from None
    except BaseException:
        _remove(written)
        raise
    return {item.spec.slug for item in planned}


def _create_row(item: _Planned, parent: CertificateAuthority | None) -> CertificateAuthority:
    certificate, spec = item.certificate, item.spec
    return CertificateAuthority.objects.create(
        name=spec.name,
        slug=spec.slug,
        purpose=spec.purpose,
        key_algorithm=spec.key_algorithm,
        key_size_or_curve=spec.key_size_or_curve,
        parent=parent,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        serial_hex=f"{certificate.serial_number:040x}",
        subject=certificate.subject.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        fingerprint_sha256=fingerprint(certificate),
        signer_backend=SignerBackend.SOFT,
        key_ref=item.key_ref,
    )


def _remove(key_refs: list[str]) -> None:
    for key_ref in key_refs:
        keystore.remove_key(key_ref)
