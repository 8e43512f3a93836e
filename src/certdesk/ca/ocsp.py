"""The OCSP responder (RFC 6960, with the RFC 5019 lightweight profile's habits).

- Each CA answers through a delegated OCSP signing certificate (RFC 6960 §4.2.2.2): issued by
  the CA on demand, EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck (§4.2.2.2.1), valid
  OCSP_RESPONDER_DAYS and replaced when fewer than OCSP_RESPONDER_ROTATE_DAYS remain. Its key
  is an encrypted PKCS#8 file in CA_DIR/keys like the CA keys (ca.keystore).
- Responses are pre-signed per (CA, serial, CertID hash) and kept in ca.OcspResponse: made when a
  certificate is issued, re-made at once when it is revoked (the receiver drops the cached one in
  the revoking transaction, so the very next request signs the revoked status), and re-signed by a
  periodic job before they age past OCSP_REFRESH_HOURS. Serving a cached response is a request
  parse and one indexed query.
- A request with a nonce (RFC 8954) is answered live with the nonce echoed and never cached.
- Status: good, revoked (time and reason), or unknown for a serial this CA never issued; an
  issuer we are not is `unauthorized`, a request we cannot parse `malformedRequest` (§2.3).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone as djtz
from django.utils.dateparse import parse_datetime

from . import keystore
from .crl import REASONS
from .models import CertificateAuthority, KeyAlgorithm, OcspResponder, OcspResponse
from .signers import get_signer

logger = logging.getLogger("certdesk.ca.ocsp")

MAX_REQUEST_BYTES = 16 * 1024
CERT_ID_HASHES = (hashes.SHA1, hashes.SHA256, hashes.SHA384, hashes.SHA512)
# A cached response is served while it has at least this long to live; otherwise it is re-signed.
SERVE_MARGIN = timedelta(hours=1)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


MALFORMED = _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
UNAUTHORIZED = _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
INTERNAL_ERROR = _unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)


@dataclass(frozen=True)
class Answer:
    der: bytes
    cacheable: bool = False
    next_update: datetime | None = None
    status: str = ""  # good | revoked | unknown, or "" for an unsuccessful response


# ---------------------------------------------------------------------------
# Which CA a CertID names


def _key_bits(public_key) -> bytes:
    """The subjectPublicKey BIT STRING contents (what issuerKeyHash hashes, RFC 6960 §4.1.1)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def issuer_hashes(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    name_hash = hashlib.new(algorithm.name, cert.subject.public_bytes()).digest()
    key_hash = hashlib.new(algorithm.name, _key_bits(cert.public_key())).digest()
    return name_hash, key_hash


class _IssuerIndex:
    """(hash name, issuerNameHash, issuerKeyHash) -> CA id, per process, reloaded every few minutes
    or when a CertID is not found (at most every few seconds)."""

    TTL = 300.0
    MISS_RELOAD = 5.0

    def __init__(self):
        self._lock = threading.Lock()
        self._map: dict[tuple[str, bytes, bytes], int] = {}
        self._loaded = 0.0

    def _load(self) -> None:
        mapping = {}
        for ca in CertificateAuthority.objects.only("id", "certificate_pem"):
            cert = ca.certificate()
            for algorithm in CERT_ID_HASHES:
                name_hash, key_hash = issuer_hashes(cert, algorithm())
                mapping[(algorithm.name, name_hash, key_hash)] = ca.pk
        self._map = mapping
        self._loaded = time.monotonic()

    def lookup(self, algorithm: str, name_hash: bytes, key_hash: bytes) -> int | None:
        key = (algorithm, name_hash, key_hash)
        age = time.monotonic() - self._loaded
        if age > self.TTL:
            with self._lock:
                self._load()
        found = self._map.get(key)
        if found is None and age > self.MISS_RELOAD:
            with self._lock:
                self._load()
            found = self._map.get(key)
        return found

    def clear(self) -> None:
        self._map, self._loaded = {}, 0.0


issuer_index = _IssuerIndex()


# ---------------------------------------------------------------------------
# Delegated responder certificates


def _responder_key(ca: CertificateAuthority):
    if ca.key_algorithm == KeyAlgorithm.RSA:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _responder_subject(ca: CertificateAuthority) -> x509.Name:
    issuer = ca.certificate().subject
    attrs = [a for a in issuer if a.oid == NameOID.ORGANIZATION_NAME]
    cn = next((a.value for a in issuer if a.oid == NameOID.COMMON_NAME), ca.slug)
    suffix = " OCSP"
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, f"{cn[:64 - len(suffix)]}{suffix}"))
    return x509.Name(attrs)


def create_responder(ca: CertificateAuthority, *, now: datetime | None = None) -> OcspResponder:
    """Issue a new delegated OCSP signing certificate for `ca` and store its key encrypted."""
    from .hierarchy import random_serial

    now = (now or djtz.now()).astimezone(UTC).replace(microsecond=0)
    issuer = ca.certificate()
    key = _responder_key(ca)
    serial = random_serial()
    not_before = now - timedelta(minutes=5)  # clock skew of relying parties
    not_after = min(now + timedelta(days=settings.OCSP_RESPONDER_DAYS), issuer.not_valid_after_utc)
    issuer_ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .issuer_name(issuer.subject)
        .subject_name(_responder_subject(ca))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    certificate = get_signer(ca).sign_certificate(builder)
    serial_hex = f"{serial:040x}"
    key_ref = f"ocsp-{ca.slug}-{serial_hex[:16]}.pem"
    keystore.write_key(key, key_ref)
    try:
        responder = OcspResponder.objects.create(
            ca=ca, certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            serial_hex=serial_hex, key_ref=key_ref, not_before=not_before, not_after=not_after)
    except BaseException:
        keystore.remove_key(key_ref)
        raise
    logger.info("new OCSP responder %s for %s, valid until %s", serial_hex, ca.slug, not_after)
    return responder


# Per process, keyed by the CA's identity and key directory (a restored or re-created CA is not mistaken).
_responders: dict[tuple[int, str, str], OcspResponder] = {}
_responders_lock = threading.Lock()


def _rotate_margin() -> timedelta:
    return timedelta(days=settings.OCSP_RESPONDER_ROTATE_DAYS)


def current_responder(ca: CertificateAuthority, *, now: datetime | None = None) -> OcspResponder:
    """The delegated responder of `ca`, made (or replaced) when none has enough life left."""
    now = now or djtz.now()
    limit = now + _rotate_margin()
    cache_key = (ca.pk, ca.fingerprint_sha256, str(settings.CA_DIR))
    cached = _responders.get(cache_key)
    if cached is not None and cached.not_after > limit:
        return cached
    with _responders_lock:
        responder = (OcspResponder.objects.filter(ca=ca, not_after__gt=limit, not_before__lte=now)
                     .order_by("-not_after").first())
        if responder is None:
            responder = create_responder(ca, now=now)
        _responders[cache_key] = responder
        return responder


def rotate_responders() -> int:
    """Periodic: give every CA a responder with enough life left; remove the keys of expired ones."""
    made = 0
    now = djtz.now()
    for ca in CertificateAuthority.objects.all():
        before = OcspResponder.objects.filter(ca=ca).count()
        current_responder(ca, now=now)
        made += OcspResponder.objects.filter(ca=ca).count() - before
    for old in OcspResponder.objects.filter(not_after__lt=now - timedelta(days=1)):
        keystore.remove_key(old.key_ref)
        old.delete()
    return made


# ---------------------------------------------------------------------------
# Status and signing


@dataclass(frozen=True)
class Status:
    status: str
    revoked_at: datetime | None = None
    reason_code: int | None = None


def status_of(ca: CertificateAuthority, serial: int) -> Status:
    if ca.is_root:
        # A root's certificates are its issuing CAs (not revocable yet) and its responder.
        exists = CertificateAuthority.objects.filter(parent=ca, serial_hex__in=[f"{serial:040x}", f"{serial:x}"])
        return Status("good" if exists.exists() else "unknown")
    from certdesk.certificates import queries

    found = queries.status_by_serial(ca, serial)
    return Status(found.status, found.revoked_at, found.reason_code)


_CERT_STATUS = {"good": ocsp.OCSPCertStatus.GOOD, "revoked": ocsp.OCSPCertStatus.REVOKED,
                "unknown": ocsp.OCSPCertStatus.UNKNOWN}


def sign_response(ca: CertificateAuthority, *, serial: int, algorithm: hashes.HashAlgorithm, status: Status,
                  name_hash: bytes | None = None, key_hash: bytes | None = None, nonce: bytes | None = None,
                  now: datetime | None = None) -> tuple[bytes, datetime, datetime]:
    """Sign one response for `serial` with the CA's delegated responder; (DER, thisUpdate, nextUpdate)."""
    now = (now or djtz.now()).astimezone(UTC).replace(microsecond=0)
    responder = current_responder(ca, now=now)
    responder_cert = responder.certificate()
    if name_hash is None or key_hash is None:
        name_hash, key_hash = issuer_hashes(ca.certificate(), algorithm)
    this_update = now
    next_update = min(now + timedelta(hours=settings.OCSP_VALIDITY_HOURS), responder.not_after)
    revoked_at = reason = None
    if status.status == "revoked":
        revoked_at = status.revoked_at.astimezone(UTC).replace(microsecond=0)
        reason = REASONS.get(status.reason_code)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(name_hash, key_hash, serial, algorithm, _CERT_STATUS[status.status],
                              this_update, next_update, revoked_at, reason)
        .responder_id(ocsp.OCSPResponderEncoding.HASH, responder_cert)
        .certificates([responder_cert])
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    key = keystore.load_key(responder.key_ref)
    response = builder.sign(key, hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER), this_update, next_update


def presign(ca: CertificateAuthority, serial_hex: str, *, algorithm: hashes.HashAlgorithm | None = None,
            now: datetime | None = None) -> OcspResponse | None:
    """Sign and store the response for one serial (None for a serial the CA never issued)."""
    algorithm = algorithm or hashes.SHA1()
    serial = int(serial_hex, 16)
    status = status_of(ca, serial)
    if status.status == "unknown":
        return None
    der, this_update, next_update = sign_response(ca, serial=serial, algorithm=algorithm, status=status, now=now)
    values = {"status": status.status, "this_update": this_update, "next_update": next_update, "der": der}
    key = {"ca": ca, "serial_hex": f"{serial:040x}", "hash_algorithm": algorithm.name}
    try:
        with transaction.atomic():
            row, _ = OcspResponse.objects.update_or_create(**key, defaults=values)
    except IntegrityError:  # created concurrently: ours is as fresh
        row = OcspResponse.objects.filter(**key).first()
        OcspResponse.objects.filter(**key).update(**values)
    return row


def drop_cached(ca_id: int, serial_hex: str) -> int:
    """In the revoking transaction: no stale "good" may be served once it commits."""
    return OcspResponse.objects.filter(ca_id=ca_id, serial_hex=serial_hex).delete()[0]


def refresh_due(*, batch: int = 500, now: datetime | None = None) -> int:
    """Periodic: re-sign the cached responses older than OCSP_REFRESH_HOURS (idempotent)."""
    from certdesk.core import queue

    now = now or djtz.now()
    cutoff = now - timedelta(hours=settings.OCSP_REFRESH_HOURS)
    done = 0
    authorities = {ca.pk: ca for ca in CertificateAuthority.objects.all()}
    while True:
        rows = list(OcspResponse.objects.filter(this_update__lt=cutoff)
                    .values_list("ca_id", "serial_hex", "hash_algorithm")[:batch])
        if not rows:
            return done
        for ca_id, serial_hex, algorithm_name in rows:
            algorithm = next(h() for h in CERT_ID_HASHES if h.name == algorithm_name)
            if presign(authorities[ca_id], serial_hex, algorithm=algorithm, now=now) is None:
                OcspResponse.objects.filter(ca_id=ca_id, serial_hex=serial_hex).delete()
            done += 1
        if not queue.keep_alive():
            return done


# ---------------------------------------------------------------------------
# Answering a request


def decode_get(encoded: str) -> bytes | None:
    """The DER request of a GET URL (RFC 6960 Appendix A.1: base64, then URL-encoded; the URL path
    is already percent-decoded by Django). base64url is accepted too."""
    text = encoded.strip().strip("/").replace("-", "+").replace("_", "/").replace(" ", "+")
    if not text:
        return None
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def answer(der_request: bytes | None) -> Answer:
    if not der_request or len(der_request) > MAX_REQUEST_BYTES:
        return Answer(MALFORMED)
    try:
        request = ocsp.load_der_ocsp_request(der_request)
        algorithm = request.hash_algorithm
        name_hash, key_hash, serial = request.issuer_name_hash, request.issuer_key_hash, request.serial_number
        nonce = None
        try:
            nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            pass
    except (ValueError, TypeError, NotImplementedError, UnsupportedAlgorithm):
        return Answer(MALFORMED)
    if not any(isinstance(algorithm, h) for h in CERT_ID_HASHES) or serial < 0:
        return Answer(MALFORMED)
    ca_id = issuer_index.lookup(algorithm.name, name_hash, key_hash)
    if ca_id is None:
        return Answer(UNAUTHORIZED)
    try:
        return _answer_for(ca_id, serial, algorithm, name_hash, key_hash, nonce)
    except Exception:
        logger.exception("OCSP responder failed for CA %s serial %x", ca_id, serial)
        return Answer(INTERNAL_ERROR)


def _cached_row(ca_id: int, serial_hex: str, algorithm: str):
    # The hot path: one indexed look-up (unique ca, serial, hash), without building a queryset.
    table = OcspResponse._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT der, next_update, status FROM {table} "
                       "WHERE ca_id = %s AND serial_hex = %s AND hash_algorithm = %s", [ca_id, serial_hex, algorithm])
        row = cursor.fetchone()
    if row is None:
        return None
    der, next_update, status = row
    if isinstance(next_update, str):  # SQLite
        next_update = parse_datetime(next_update)
    if not isinstance(next_update, datetime):
        return None
    if next_update.tzinfo is None:  # stored in UTC (USE_TZ)
        next_update = next_update.replace(tzinfo=UTC)
    return bytes(der), next_update, status


def _answer_for(ca_id, serial, algorithm, name_hash, key_hash, nonce) -> Answer:
    now = djtz.now()
    serial_hex = f"{serial:040x}"
    cacheable = nonce is None and serial.bit_length() <= 160
    if cacheable:
        row = _cached_row(ca_id, serial_hex, algorithm.name)
        if row is not None and row[1] > now + SERVE_MARGIN:
            return Answer(row[0], cacheable=True, next_update=row[1], status=row[2])
    ca = CertificateAuthority.objects.select_related("parent").get(pk=ca_id)
    if cacheable:
        stored = presign(ca, serial_hex, algorithm=algorithm, now=now)
        if stored is not None:
            return Answer(bytes(stored.der), cacheable=True, next_update=stored.next_update, status=stored.status)
    status = status_of(ca, serial)
    der, _, next_update = sign_response(ca, serial=serial, algorithm=algorithm, status=status, name_hash=name_hash,
                                        key_hash=key_hash, nonce=nonce, now=now)
    return Answer(der, cacheable=False, next_update=next_update, status=status.status)


def clear_caches() -> None:
    """Forget the per-process issuer index and responders (tests, a restored CA directory)."""
    issuer_index.clear()
    _responders.clear()
