"""SCM `/api/smime/v1` and `/v2` (client certificates of persons; spec §7.2, §6): types, custom
fields, lists (also by person id and email), details and their update, enroll (with a CSR, or a key
certdesk generates and keeps in escrow), collect in every format, the PKCS #12 keystore of an
escrowed key, approve/decline (certdesk: as SSL's), renew, replace and revoke (by order, serial,
or every certificate of a person by email). Every operation is served on v1 and v2 alike.

Views only parse, call one service of `certdesk.certificates.smime` (or the shared verbs of
`certdesk.certificates.services`) and render. Every operation on a certificate or an
organization checks, through the API, that its Web API is enabled for client certificates
(`clientCertsApiEnabled`). `orderNumber` and `backendCertId` are the certificate id.
"""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone as djtz
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from certdesk.accounts import policy
from certdesk.certificates import formats, queries, services, smime
from certdesk.certificates.errors import CertificateNotFound
from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status
from certdesk.core.errors import InvalidInput, RequiredField
from certdesk.core.i18n import msg
from certdesk.persons import queries as person_queries
from certdesk.persons import services as person_services
from certdesk.persons.models import Person
from certdesk.tenancy.models import CertType

from .base import EmailListField, IdField, ScmView, TextField, parse_int, query_text
from .domains import organization_of
from .organizations import NO_CONTENT, TOTAL_COUNT
from .paging import list_response
from .ssl import (
    DATE_PARAM,
    IgnoreFormatNegotiation,
    MessageSerializer,
    RevokeSerializer,
    approve_response,
    decline_response,
    revoke_response,
    date_format,
    fmt_date,
    serial_key,
    serial_text,
    type_item,
    _usages,
)

TAG = "smime"
SMIME = CertType.SMIME

# SCM `state` of client certificates (spec §7.2), lower case.
STATE = {
    Status.REQUESTED: "requested", Status.APPLIED: "requested", Status.ISSUED: "issued",
    Status.REVOKED: "revoked", Status.REPLACED: "revoked", Status.EXPIRED: "expired",
    Status.DECLINED: "rejected", Status.INVALID: "rejected",
}
STATE_FILTER = {
    "requested": [Status.REQUESTED, Status.APPLIED], "issued": [Status.ISSUED],
    "revoked": [Status.REVOKED, Status.REPLACED], "expired": [Status.EXPIRED],
    "rejected": [Status.DECLINED, Status.INVALID],
    # SCM states certdesk never reaches: valid filters, empty answers
    "blank": [], "created": [], "downloaded": [], "pre_revoked": [],
}


# ---------------------------------------------------------------------------
# Output


def _certificate_details(cert: Certificate, x509_cert) -> dict[str, Any]:
    from cryptography import x509

    try:
        san = x509_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        san_text = ", ".join(f"rfc822Name={n}" for n in san.get_values_for_type(x509.RFC822Name))
    except x509.ExtensionNotFound:
        san_text = ""
    return {
        "issuer": x509_cert.issuer.rfc4514_string(),
        "subject": x509_cert.subject.rfc4514_string(),
        "subjectAltNames": san_text,
        "md5Hash": cert.md5_hash.upper(),
        "sha1Hash": cert.sha1_hash.upper(),
    }


def list_item(cert: Certificate, *, version: str = "2", pattern: str = "%m/%d/%Y") -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": cert.pk,
        "state": STATE[cert.status],
        "serialNumber": serial_text(cert),
        "orderNumber": cert.pk,
        "backendCertId": str(cert.pk),
        "personId": cert.person_id,
    }
    if version != "1":
        x509_cert = cert.certificate()
        if x509_cert is not None:
            data["certificateDetails"] = _certificate_details(cert, x509_cert)
        data["expires"] = fmt_date(cert.not_after, pattern)
        data["comments"] = cert.comments
    return {k: v for k, v in data.items() if v is not None and v != ""}


def detail(cert: Certificate, pattern: str) -> dict[str, Any]:
    x509_cert = cert.certificate()
    revoked = cert.status in (Status.REVOKED, Status.REPLACED)
    person = cert.person
    data: dict[str, Any] = {
        "id": cert.pk,
        "orderNumber": cert.pk,
        "backendCertId": str(cert.pk),
        "orgId": cert.organization_id,
        "status": STATE[cert.status],
        "state": STATE[cert.status],
        "personId": cert.person_id,
        "email": cert.names[0] if cert.names else None,
        "secondaryEmails": cert.names[1:],
        "commonName": cert.common_name,
        "firstName": person.first_name if person else None,
        "lastName": person.last_name if person else None,
        "certType": type_item(cert.profile),
        "term": cert.term,
        "requester": cert.requester_label,
        "requesterId": cert.requester_id,
        "requestedVia": cert.requested_via,
        "comments": cert.comments,
        "requested": fmt_date(cert.created, pattern),
        "approved": fmt_date(cert.approved_at, pattern),
        "issued": fmt_date(cert.issued_at, pattern),
        "declined": fmt_date(cert.declined_at, pattern),
        "expires": fmt_date(cert.not_after, pattern),
        "revoked": fmt_date(cert.revoked_at, pattern) if revoked else None,
        "reasonCode": cert.revocation_reason if revoked else None,
        "serialNumber": serial_text(cert),
        "signatureAlg": cert.profile.signature_algorithm if x509_cert is not None else None,
        "keyAlgorithm": cert.key_algorithm,
        "keySize": cert.key_size,
        "keyType": cert.key_type_label,
        "keyEscrowed": smime.is_escrowed(cert),
        "customFields": [],
    }
    if x509_cert is not None:
        key_usages, ekus = _usages(x509_cert)
        data["keyUsages"] = key_usages
        data["extendedKeyUsages"] = ["emailProtection" if e == "1.3.6.1.5.5.7.3.4" else e for e in ekus]
        data["certificateDetails"] = _certificate_details(cert, x509_cert)
    return {k: v for k, v in data.items() if v is not None and v != ""}


def order_answer(cert: Certificate) -> dict[str, Any]:
    return {"orderNumber": cert.pk, "backendCertId": str(cert.pk)}


# ---------------------------------------------------------------------------
# Input


class EnrollSerializer(serializers.Serializer):
    """SCM's enroll; unknown keys (customFields, phone…) are ignored. Without `csr`, certdesk generates
    the key (`algorithm` RSA/EC, `keySize` 2048/3072/4096 or `keyParam` P-256/P-384) and keeps it in
    escrow: download it with POST /keystore/{id}."""

    orgId = IdField(required=True, allow_null=False, help_text="Organization or department of the person")
    certType = IdField(required=True, allow_null=False, help_text="Client certificate type (profile) id, see /types")
    term = IdField(required=True, allow_null=False, help_text="Days, one of the type's terms")
    email = TextField(required=True, allow_null=False, allow_blank=False,
                      help_text="The person's email: an existing person is matched by it, else one is added")
    csr = TextField(help_text="PKCS#10 request, PEM or base64; absent: the key is generated and escrowed")
    firstName = TextField(help_text="Required when the person does not exist yet")
    middleName = TextField()
    lastName = TextField(help_text="Required when the person does not exist yet")
    commonName = TextField(help_text="Subject CN; default: the person's common name")
    phone = TextField(numbers=True)
    secondaryEmails = EmailListField(required=False, allow_null=True)
    eppn = TextField()
    upn = TextField()
    comments = TextField()
    algorithm = TextField(help_text="RSA (default) or EC, for a generated key")
    keySize = TextField(numbers=True, help_text="RSA bits: 2048 (default), 3072, 4096")
    keyParam = TextField(help_text="EC curve: P-256 (default), P-384")


class UpdateSerializer(serializers.Serializer):
    comments = TextField()


class KeystoreSerializer(serializers.Serializer):
    passphrase = TextField(required=True, allow_null=False, allow_blank=False,
                           help_text="Encrypts the PKCS#12 file, 8-128 characters")
    encryptionType = TextField(help_text="AES256-SHA256 (default) or TripleDES-SHA1 (old clients)")


class CsrSerializer(serializers.Serializer):
    csr = TextField(help_text="Optional new CSR; without it a new escrowed key (server-generated) or the same key")


class ReplaceSerializer(serializers.Serializer):
    csr = TextField(help_text="New CSR; without it a new key is generated and escrowed")
    reason = TextField()
    revoke = serializers.JSONField(required=False, allow_null=True,
                                   help_text="Ignored: the old certificate is always revoked (superseded) once "
                                             "the new one is issued")


class RevokePersonSerializer(serializers.Serializer):
    email = TextField(required=True, allow_null=False, allow_blank=False)
    reason = TextField(help_text="1-512 characters")
    reasonCode = serializers.JSONField(required=False, allow_null=True)


# ---------------------------------------------------------------------------
# Reads


def _certificates(request):
    actor = ScmView.actor(request)
    qs = queries.visible_certificates(actor, kind=SMIME)
    return policy.scope_api_enabled(actor, qs, SMIME)


def filtered_certificates(request, qs=None):
    qs = _certificates(request) if qs is None else qs
    if text := query_text(request, "personId"):
        qs = qs.filter(person_id=parse_int(text, name="personId"))
    if text := query_text(request, "email", max_length=254):
        qs = qs.filter(names_index__icontains=f",{text.lower()},")
    if text := query_text(request, "state"):
        wanted = STATE_FILTER.get(text.lower())
        if wanted is None:
            raise InvalidInput(msg("Unknown state '%(state)s': use requested, issued, revoked, expired or "
                                   "rejected.", state=text), field="state")
        qs = qs.filter(status__in=wanted)
    if text := query_text(request, "certTypeId"):
        qs = qs.filter(profile_id=parse_int(text, name="certTypeId"))
    if text := query_text(request, "orgId"):
        qs = qs.filter(organization_id=parse_int(text, name="orgId"))
    if text := query_text(request, "serialNumber", max_length=128):
        qs = qs.filter(serial_hex=serial_key(text))
    if text := query_text(request, "backendCertId", max_length=32):
        qs = qs.filter(pk=parse_int(text, name="backendCertId"))
    if text := query_text(request, "keyAlgorithm", max_length=16):
        qs = qs.filter(key_algorithm__iexact=text)
    if text := query_text(request, "commonName", max_length=64):
        qs = qs.filter(common_name__icontains=text)
    return qs


def _certificate(request, cert_id) -> Certificate:
    actor = ScmView.actor(request)
    cert = queries.get_certificate(actor, cert_id, kind=SMIME)
    policy.require_api_enabled(actor, cert.organization, SMIME)
    return cert


def _by_serial(request, serial) -> Certificate:
    key = serial_key(serial)
    cert = _certificates(request).filter(serial_hex=key).order_by("-id").first()
    if cert is None:
        raise CertificateNotFound("No client certificate with this serial number.")
    return _certificate(request, cert.pk)


def _reload(cert: Certificate) -> Certificate:
    return Certificate.objects.select_related("organization", "profile", "person").get(pk=cert.pk)


class SmimeView(ScmView):
    api_cert_type = SMIME


LIST_PARAMS = [
    OpenApiParameter("position", OpenApiTypes.INT, description="0-based offset"),
    OpenApiParameter("size", OpenApiTypes.INT, description="Page size, at most 200 (default 200)"),
    OpenApiParameter("personId", OpenApiTypes.INT),
    OpenApiParameter("email", OpenApiTypes.STR, description="Certificates naming this email (any case)"),
    OpenApiParameter("state", OpenApiTypes.STR, description="requested, issued, revoked, expired, rejected"),
    OpenApiParameter("certTypeId", OpenApiTypes.INT), OpenApiParameter("orgId", OpenApiTypes.INT),
    OpenApiParameter("serialNumber", OpenApiTypes.STR), OpenApiParameter("backendCertId", OpenApiTypes.STR),
    OpenApiParameter("keyAlgorithm", OpenApiTypes.STR), OpenApiParameter("commonName", OpenApiTypes.STR),
    OpenApiParameter("dateFormat", OpenApiTypes.STR, description="Format of `expires` (default US)"),
    TOTAL_COUNT,
]
ARRAY_OF_OBJECTS = OpenApiResponse({"type": "array", "items": {"type": "object"}})
DETAIL = OpenApiResponse(OpenApiTypes.OBJECT, description="Certificate details; unset values are omitted")
ORDER = OpenApiResponse({"type": "object", "properties": {"orderNumber": {"type": "integer"},
                                                          "backendCertId": {"type": "string"}}})
BINARY = {(200, "application/octet-stream"): OpenApiTypes.BINARY}


def _list(request, qs, version):
    pattern = date_format(request)
    qs = qs.select_related(None)
    return list_response(request, qs, lambda cert: list_item(cert, version=version, pattern=pattern))


class SmimeTypesView(SmimeView):
    @extend_schema(tags=[TAG], summary="Client certificate types (profiles) that may be requested",
                   parameters=[OpenApiParameter("organizationId", OpenApiTypes.INT)],
                   responses={200: ARRAY_OF_OBJECTS})
    def get(self, request, version=None):
        actor = self.actor(request)
        org_id = query_text(request, "organizationId")
        if org_id:
            organization_of(actor, parse_int(org_id, name="organizationId"), field="organizationId")
        now = djtz.now()
        items = []
        for profile in queries.profiles_for(actor.customer, kind=SMIME):
            item = type_item(profile, now)
            item["useSecondaryOrgName"] = profile.use_secondary_org_name
            items.append(item)
        return Response(items)


class SmimeCustomFieldsView(SmimeView):
    @extend_schema(tags=[TAG], summary="Custom fields of client certificates (none in certdesk)",
                   responses={200: ARRAY_OF_OBJECTS})
    def get(self, request, version=None):
        return Response([])


class SmimeListView(SmimeView):
    @extend_schema(tags=[TAG], summary="List the client certificates in the caller's scope", parameters=LIST_PARAMS,
                   responses={200: ARRAY_OF_OBJECTS})
    def get(self, request, version=None):
        return _list(request, filtered_certificates(request), version)

    def head(self, request, version=None):
        return list_response(request, filtered_certificates(request), list_item)


class SmimeByPersonIdView(SmimeView):
    @extend_schema(tags=[TAG], summary="The client certificates of a person", parameters=LIST_PARAMS[:2] + [TOTAL_COUNT],
                   responses={200: ARRAY_OF_OBJECTS})
    def get(self, request, person_id, version=None):
        person = person_queries.get_person(self.actor(request), person_id)
        return _list(request, _certificates(request).filter(person=person), version)


class SmimeByPersonEmailView(SmimeView):
    @extend_schema(tags=[TAG], summary="The client certificates of the person with this email",
                   parameters=LIST_PARAMS[:2] + [TOTAL_COUNT], responses={200: ARRAY_OF_OBJECTS})
    def get(self, request, email, version=None):
        person = person_queries.get_person_by_email(self.actor(request), email)
        return _list(request, _certificates(request).filter(person=person), version)


class SmimeDetailView(SmimeView):
    @extend_schema(tags=[TAG], summary="Client certificate details", parameters=[DATE_PARAM], responses={200: DETAIL})
    def get(self, request, cert_id, version=None):
        pattern = date_format(request)
        return Response(detail(_reload(_certificate(request, cert_id)), pattern))

    @extend_schema(tags=[TAG], summary="Change a client certificate's comments", request=UpdateSerializer,
                   parameters=[DATE_PARAM], responses={200: DETAIL})
    def put(self, request, cert_id, version=None):
        data = self.parse(UpdateSerializer, self.body(request, strict=True))
        pattern = date_format(request)
        cert = services.update_certificate(self.actor(request), _certificate(request, cert_id),
                                           comments=data.get("comments"))
        return Response(detail(_reload(cert), pattern))


def _person_for_enroll(actor, organization, data) -> Person:
    """The person with this email (it must belong to `organization`), else a new one there."""
    existing = Person.objects.filter(customer=actor.customer, email__iexact=str(data["email"]).strip()).first()
    if existing is not None:
        person = person_queries.get_person(actor, existing.pk)  # out of scope reads as not found (-105)
        if person.organization_id != organization.pk:
            raise InvalidInput(msg("The person %(email)s belongs to %(organization)s: enroll with its orgId "
                                   "(%(org_id)s).", email=person.email, organization=str(person.organization),
                                   org_id=person.organization_id), field="orgId")
        return person
    for key, label in (("firstName", "firstName"), ("lastName", "lastName")):
        if not (data.get(key) or "").strip():
            raise RequiredField(msg("%(field)s is required to add the person %(email)s.", field=label,
                                    email=data["email"]), field=key)
    values = {"email": data["email"], "first_name": data["firstName"], "last_name": data["lastName"],
              "middle_name": data.get("middleName") or "", "common_name": data.get("commonName") or "",
              "eppn": data.get("eppn") or "", "upn": data.get("upn") or ""}
    if data.get("phone") not in (None, ""):
        values["phone"] = str(data["phone"])
    if data.get("secondaryEmails") is not None:
        values["secondary_emails"] = data["secondaryEmails"]
    return person_services.create_person(actor, organization, **values)


class SmimeEnrollView(SmimeView):
    @extend_schema(tags=[TAG], summary="Request a client certificate for a person (added when unknown)",
                   request=EnrollSerializer, responses={200: ORDER})
    def post(self, request, version=None):
        actor = self.actor(request)
        data = self.parse(EnrollSerializer, self.body(request, strict=True))
        org = organization_of(actor, data["orgId"])
        policy.require(actor, policy.Perm.REQUEST_SMIME, org)
        policy.require_api_enabled(actor, org, SMIME)
        profile = queries.get_profile(actor.customer, data["certType"], kind=SMIME)
        algorithm = data.get("algorithm") or None
        size = data.get("keyParam") if (algorithm or "").upper() in ("EC", "ECC", "ECDSA") else data.get("keySize")
        with transaction.atomic():  # a refused request adds no person
            person = _person_for_enroll(actor, org, data)
            cert = smime.request_smime(
                actor, person, profile, data["term"], csr_pem=data.get("csr") or None, key_algorithm=algorithm,
                key_size=size if size not in (None, "") else None,
                common_name=data.get("commonName") or None, comments=data.get("comments") or "")
        return Response(order_answer(cert))


def _download(request, cert_id, fmt) -> HttpResponse:
    fmt = formats.parse_format(fmt)
    cert = _certificate(request, cert_id)
    download = formats.collect(ScmView.actor(request), cert, fmt)
    response = HttpResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return response


class SmimeCollectView(SmimeView):
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(tags=[TAG], summary="Download an issued client certificate (code 0 while being processed)",
                   parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=list(formats.FORMATS))],
                   responses=BINARY)
    def get(self, request, cert_id, version=None):
        return _download(request, cert_id, request.query_params.get("format"))


class SmimeCollectFormatView(SmimeView):
    @extend_schema(tags=[TAG], summary="Download an issued client certificate, the format in the path",
                   responses=BINARY)
    def get(self, request, cert_id, fmt, version=None):
        return _download(request, cert_id, fmt)


class SmimeKeystoreView(SmimeView):
    @extend_schema(tags=[TAG], summary="The escrowed key with its certificate and chain as PKCS#12 (400 when "
                                       "the key was not generated by certdesk)",
                   request=KeystoreSerializer, responses={(200, "application/x-pkcs12"): OpenApiTypes.BINARY})
    def post(self, request, cert_id, version=None):
        data = self.parse(KeystoreSerializer, self.body(request, strict=True))
        cert = _certificate(request, cert_id)
        content = smime.keystore(self.actor(request), cert, passphrase=data.get("passphrase"),
                                 encryption_type=data.get("encryptionType"))
        response = HttpResponse(content, content_type="application/x-pkcs12")
        response["Content-Disposition"] = f'attachment; filename="certificate_{cert.pk}.p12"'
        return response


class SmimeApproveView(SmimeView):
    @extend_schema(tags=[TAG], summary="Approve a requested client certificate (it is then issued)",
                   request=MessageSerializer, responses=NO_CONTENT)
    def post(self, request, cert_id, version=None):
        return approve_response(request, _certificate(request, cert_id))


class SmimeDeclineView(SmimeView):
    @extend_schema(tags=[TAG], summary="Decline a requested client certificate", request=MessageSerializer,
                   responses=NO_CONTENT)
    def post(self, request, cert_id, version=None):
        return decline_response(request, _certificate(request, cert_id))


class SmimeRevokeOrderView(SmimeView):
    @extend_schema(tags=[TAG], summary="Revoke an issued client certificate", request=RevokeSerializer,
                   responses=NO_CONTENT)
    def post(self, request, cert_id, version=None):
        return revoke_response(request, _certificate(request, cert_id))


class SmimeRevokeSerialView(SmimeView):
    @extend_schema(tags=[TAG], summary="Revoke an issued client certificate by its serial number (hex)",
                   request=RevokeSerializer, responses=NO_CONTENT)
    def post(self, request, serial, version=None):
        return revoke_response(request, _by_serial(request, serial))


class SmimeRevokePersonView(SmimeView):
    @extend_schema(tags=[TAG], summary="Revoke every issued client certificate of the person with this email",
                   request=RevokePersonSerializer, responses=NO_CONTENT)
    def post(self, request, version=None):
        actor = self.actor(request)
        data = self.parse(RevokePersonSerializer, self.body(request, strict=True))
        person = person_queries.get_person_by_email(actor, data["email"])
        policy.require_api_enabled(actor, person.organization, SMIME)
        smime.revoke_person(actor, person, data.get("reasonCode"), reason=data.get("reason") or "")
        return Response(status=status.HTTP_204_NO_CONTENT)


class SmimeRenewOrderView(SmimeView):
    @extend_schema(tags=[TAG], summary="Renew: a new request for the same person and type (a new escrowed key "
                                       "when certdesk generated the key)", request=CsrSerializer,
                   responses={200: ORDER})
    def post(self, request, cert_id, version=None):
        data = self.parse(CsrSerializer, self.body(request, strict=False))
        new = smime.renew_smime(self.actor(request), _certificate(request, cert_id), csr_pem=data.get("csr") or None)
        return Response(order_answer(new))


class SmimeRenewSerialView(SmimeView):
    @extend_schema(tags=[TAG], summary="Renew by serial number (hex)", request=CsrSerializer,
                   responses={200: ORDER})
    def post(self, request, serial, version=None):
        data = self.parse(CsrSerializer, self.body(request, strict=False))
        new = smime.renew_smime(self.actor(request), _by_serial(request, serial), csr_pem=data.get("csr") or None)
        return Response(order_answer(new))


class SmimeReplaceView(SmimeView):
    @extend_schema(tags=[TAG], summary="Replace an issued client certificate (new key; the old one is revoked "
                                       "as superseded once the new one is issued)",
                   request=ReplaceSerializer, responses={200: ORDER})
    def post(self, request, cert_id, version=None):
        data = self.parse(ReplaceSerializer, self.body(request, strict=False))
        new = smime.replace_smime(self.actor(request), _certificate(request, cert_id),
                                  csr_pem=data.get("csr") or None, reason=data.get("reason") or "")
        return Response(order_answer(new))


# ---------------------------------------------------------------------------
# Persons: `POST /api/person/v2/{id}/import-key` (spec §7.9), served here because it acts on client
# certificates: the key of a certificate certdesk issued to the person goes into escrow.


class ImportKeySerializer(serializers.Serializer):
    p12 = TextField(required=True, allow_null=False, allow_blank=False, help_text="PKCS#12 file, base64")
    password = TextField(help_text="Password of the PKCS#12 file")


class PersonImportKeyView(ScmView):
    api_cert_type = SMIME

    @extend_schema(tags=["person"], summary="Put into escrow the private key of a client certificate of the "
                                            "person (PKCS#12)", request=ImportKeySerializer,
                   responses={200: OpenApiResponse({"type": "object", "properties": {"entries": {
                       "type": "array", "items": {"type": "object"}}}})})
    def post(self, request, person_id, version=None):
        import base64
        import binascii

        actor = self.actor(request)
        data = self.parse(ImportKeySerializer, self.body(request, strict=True))
        person = person_queries.get_person(actor, person_id)
        policy.require_api_enabled(actor, person.organization, SMIME)
        try:
            raw = base64.b64decode("".join(str(data["p12"]).split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("p12 must be the PKCS#12 file in base64.", field="p12") from None
        entries = smime.import_key(actor, person, p12=raw, password=data.get("password") or None)
        return Response({"entries": [
            {k: v for k, v in {"alias": e["alias"], "clientCertId": e["cert"].pk if e["cert"] else None,
                               "md5": e["md5"], "sha1": e["sha1"], "message": e["message"]}.items()
             if v is not None and v != ""} for e in entries]})
