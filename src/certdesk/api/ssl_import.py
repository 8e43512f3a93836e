"""SCM SSL inventory endpoints for certificates certdesk did not sign (spec §7.1): `POST /api/ssl/v2/import`
(existing certificates, requested via "Imported") and `POST /api/ssl/v1/revoke/manual` (a revocation
mark for them; a real revocation for certificates certdesk signed). `DELETE /api/ssl/v1/{id}` is on
the details view (`ssl.SslDetailView`).
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, time

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from certdesk.accounts import policy
from certdesk.certificates import imports, queries
from certdesk.certificates.errors import CertificateNotFound
from certdesk.core.errors import DomainError, InvalidInput, RequiredField

from .base import IdField, TextField
from .domains import organization_of
from .errors import ScmErrorSerializer
from .organizations import NO_CONTENT
from .ssl import SSL, TAG, SslView, _certificate, serial_key, serial_text

MAX_IMPORT = 128  # spec §7.1: at most 128 certificates a call


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ScmErrorSerializer, description=description)


class ImportItemSerializer(serializers.Serializer):
    """One certificate to import. `backendCertId`, `owner` and `cf` are accepted and ignored."""

    orgID = IdField(help_text="Organization or department id")
    orgId = IdField(help_text="The same (either spelling)")
    cert = TextField(required=True, allow_null=False, allow_blank=False,
                     help_text="The certificate, PEM or base64 DER")
    csr = TextField(help_text="Optional: its CSR (must be for the certificate's key)")
    externalRequester = TextField(help_text="Comma-separated emails")
    comments = TextField(help_text="Up to 1024 characters")
    backendCertId = TextField(numbers=True, help_text="Ignored")
    owner = TextField(help_text="Ignored")


class ImportedCertSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The sslId of the imported certificate")
    subject = serializers.CharField()
    serialNumber = serializers.CharField(help_text="Uppercase hex")


class ImportResultSerializer(serializers.Serializer):
    cert = ImportedCertSerializer(required=False, help_text="Set when the certificate was imported")
    created = serializers.BooleanField(required=False)
    errorMessage = serializers.CharField(required=False, help_text="Why this certificate was not imported")


class SslImportView(SslView):
    @extend_schema(
        tags=[TAG], summary="Import existing certificates (signed elsewhere) into the inventory",
        description=(
            "At most 128 certificates, each filed under its organization or department with status Issued "
            "(Expired when past its end) and requestedVia Imported. The answer has one entry per certificate, in "
            "order: `{cert, created}` or `{errorMessage}`. A body that is not an array of objects, or in which no "
            "certificate could be imported, is refused as a whole with the (first) SCM error, nothing written. "
            "Refused: CA certificates, certificates without DNS names or not for TLS servers, certificates "
            "certdesk issued, certificates already in the inventory (-1601), organizations outside the "
            "caller's scope (-1023) or without their Web API enabled for SSL (-3)."),
        request=ImportItemSerializer(many=True),
        responses={200: ImportResultSerializer(many=True),
                   400: _error("Not an array of certificates, more than 128, a missing field (-7), or no "
                               "certificate importable (the first refusal: -1601, -1023, -9/-10 for a bad CSR)"),
                   403: _error("No SSL role on the organization, or its Web API is not enabled for SSL (-3)")})
    def post(self, request, version=None):
        actor = self.actor(request)
        items = request.data
        if not isinstance(items, list):
            raise InvalidInput("The request body must be a JSON array of certificates to import.")
        if not items:
            raise RequiredField("Give at least one certificate to import.")
        if len(items) > MAX_IMPORT:
            raise InvalidInput(f"At most {MAX_IMPORT} certificates can be imported at once.")
        parsed = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise InvalidInput(f"[{index}] must be an object with orgID and cert.")
            try:
                data = self.parse(ImportItemSerializer, item)
            except ValidationError as exc:
                raise ValidationError({f"[{index}]": exc.detail}) from None
            data["orgID"] = data.get("orgID") if data.get("orgID") is not None else data.get("orgId")
            if data["orgID"] is None:
                raise RequiredField(f"[{index}].orgID: This field is required.", field="orgID")
            parsed.append(data)
        results, first_error = [], None
        for data in parsed:
            try:
                org = organization_of(actor, data["orgID"], field="orgID")
                policy.require_api_enabled(actor, org, SSL)
                cert = imports.import_certificate(
                    actor, organization=org, certificate_text=data["cert"], csr_text=data.get("csr") or None,
                    external_requester=data.get("externalRequester") or None, comments=data.get("comments") or "")
            except DomainError as exc:
                first_error = first_error or exc
                results.append({"errorMessage": exc.message})
                continue
            results.append({"cert": {"id": cert.pk, "subject": cert.certificate().subject.rfc4514_string(),
                                     "serialNumber": serial_text(cert)}, "created": True})
        if first_error is not None and not any("cert" in r for r in results):
            raise first_error
        return Response(results)


class RevokeManualSerializer(serializers.Serializer):
    certId = IdField(help_text="The sslId; or serialNumber (and issuer)")
    serialNumber = TextField(help_text="Hex serial number, when certId is not given")
    issuer = TextField(help_text="Issuer DN (CN=…,O=…,C=…), to tell apart equal serials of different CAs")
    revokeDate = TextField(numbers=True, help_text="When it was revoked (imported certificates): ISO date or "
                                                   "date-time, MM/dd/yyyy, or epoch milliseconds; default now")
    reasonCode = serializers.JSONField(required=False, allow_null=True,
                                       help_text="0 unspecified, 1 keyCompromise, 3 affiliationChanged, "
                                                 "4 superseded, 5 cessationOfOperation")
    reason = TextField(help_text="1-512 characters")


_DN_PART = re.compile(r"(?:^|[,/+])\s*([A-Za-z0-9.]+)\s*=\s*((?:\\.|[^,/+])*)")


def _dn_parts(text: str) -> frozenset[tuple[str, str]]:
    """An RFC 4514 or OpenSSL-style (/C=FR/O=…) DN as a set of (attribute, value), any order and case."""
    aliases = {"emailaddress": "email", "e": "email", "street": "street", "s": "st"}
    parts = set()
    for key, value in _DN_PART.findall(text or ""):
        key = key.lower()
        parts.add((aliases.get(key, key), value.replace("\\", "").strip().lower()))
    return frozenset(parts)


def _parse_revoke_date(value) -> datetime | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if text.isdigit() and len(text) <= 15:
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            if day is None and re.fullmatch(r"\d{2}/\d{2}/\d{4}", text):
                day = datetime.strptime(text, "%m/%d/%Y").date()
            moment = datetime.combine(day, time(), tzinfo=UTC) if day else None
    except (ValueError, OverflowError, OSError):
        moment = None
    if moment is None:
        raise InvalidInput("revokeDate must be an ISO 8601 date or date-time, MM/dd/yyyy, or epoch milliseconds.",
                           field="revokeDate")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SslRevokeManualView(SslView):
    @extend_schema(
        tags=[TAG], summary="Record a revocation (imported certificates); revoke (certificates certdesk issued)",
        description=(
            "An imported certificate is marked Revoked at revokeDate (default now): certdesk is not its CA and "
            "tells nobody. A certificate certdesk issued is revoked for real, now (CRL and OCSP); revokeDate is "
            "ignored for it. Find the certificate by certId, or by serialNumber (and issuer when several CAs "
            "used the same serial)."),
        request=RevokeManualSerializer,
        responses={**NO_CONTENT,
                   400: _error("Neither certId nor serialNumber (-951), a bad revokeDate or reasonCode (-1601), "
                               "not issued (-102) or already revoked (-159)"),
                   404: _error("No such certificate in the caller's scope (-124)")})
    def post(self, request, version=None):
        actor = self.actor(request)
        data = self.parse(RevokeManualSerializer, self.body(request, strict=True))
        revoked_at = _parse_revoke_date(data.get("revokeDate"))
        if data.get("certId") is not None:
            cert = _certificate(request, data["certId"])
        elif data.get("serialNumber"):
            key = serial_key(data["serialNumber"])
            found = list(policy.scope_api_enabled(actor, queries.visible_certificates(actor), SSL)
                         .filter(serial_hex=key).order_by("-id")[:20])
            if data.get("issuer"):
                wanted = _dn_parts(data["issuer"])
                found = [c for c in found if c.certificate() is not None
                         and _dn_parts(c.certificate().issuer.rfc4514_string()) == wanted]
            if not found:
                raise CertificateNotFound("No certificate with this serial number (and issuer).")
            if len(found) > 1:
                raise InvalidInput("Several certificates have this serial number: give the issuer or the certId.",
                                   field="issuer")
            cert = _certificate(request, found[0].pk)
        else:
            raise RequiredField("Give certId, or serialNumber (and issuer).", code=-951, field="certId")
        imports.revoke_manually(actor, cert, reason_code=data.get("reasonCode"), revoked_at=revoked_at,
                                reason=data.get("reason") or "")
        return Response(status=status.HTTP_204_NO_CONTENT)
