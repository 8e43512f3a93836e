"""SCM `/api/dcv/{v1,v2}/validation`: domain control validation by domain name (spec §7.5, issue 3).

Submit and sync run DNS/HTTP checks between two short transactions inside the services, so
these views never open a transaction around them (certdesk-decisions "Domains and DCV").
Closed orders (validated, reset) read as `NOT_INITIATED`, the words SCM clients know.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from certdesk.core.errors import InvalidInput, RequiredField
from certdesk.domains import queries, services
from certdesk.domains.dcv import Instructions, instructions
from certdesk.domains.dcv.email import LOCAL_PARTS
from certdesk.domains.models import Delegation, Domain
from certdesk.domains.queries import DcvState
from certdesk.domains.states import CHECKED_METHODS, OPEN_ORDER_STATUSES, DcvMethod, DcvStatus, OrderStatus
from certdesk.tenancy.queries import visible_organizations

from .base import ScmView, TextField, iso, parse_int, query_text
from .domains import scm_date, scm_dcv_method
from .organizations import TOTAL_COUNT
from .paging import list_response, page_of

TAG = "dcv"
MAX_BULK = 200
# spec §7.5 order modes (the persistent TXT value is certdesk's own).
ORDER_MODES = {m.value: m.value for m in DcvMethod}
PATH_METHODS = {"http": DcvMethod.HTTP, "https": DcvMethod.HTTPS, "cname": DcvMethod.CNAME, "txt": DcvMethod.TXT,
                "email": DcvMethod.EMAIL}


def scm_order_status(value: str) -> str:
    return value if value in OPEN_ORDER_STATUSES else OrderStatus.NOT_INITIATED.value


# ---------------------------------------------------------------------------
# Input


class DomainRequestSerializer(serializers.Serializer):
    domain = TextField(required=True, allow_null=False, allow_blank=False, min_length=3, max_length=255,
                       help_text="The domain name (3 to 255 characters)")


class EmailSubmitSerializer(DomainRequestSerializer):
    email = TextField(help_text="One of the addresses /start/domain/email offered")


class DomainsRequestSerializer(serializers.Serializer):
    domain = TextField(min_length=3, max_length=255)
    domains = serializers.ListField(child=TextField(allow_null=False, min_length=3, max_length=255),
                                    required=False, allow_null=True, max_length=MAX_BULK)


class BulkEmailSubmitSerializer(serializers.Serializer):
    domains = serializers.ListField(child=TextField(allow_null=False, min_length=3, max_length=255),
                                    required=True, allow_empty=False, max_length=MAX_BULK)
    email = TextField()


def _chunks(domains, size: int = queries.STATES_BATCH):
    chunk = []
    for domain in domains.iterator(chunk_size=size):
        chunk.append(domain)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _domain(request, name: str) -> Domain:
    return queries.get_domain_by_name(ScmView.actor(request), name)


def _domains(request, data: dict) -> list[Domain]:
    wanted = list(data.get("domains") or [])
    if data.get("domain"):
        wanted.insert(0, data["domain"])
    if not wanted:
        raise RequiredField("Give domain or domains.", code=-951, field="domain")
    seen: dict[int, Domain] = {}
    for name in wanted:
        domain = _domain(request, name)
        seen.setdefault(domain.pk, domain)
    return list(seen.values())


# ---------------------------------------------------------------------------
# Output


def _instruction_keys(given: Instructions) -> dict[str, Any]:
    if given.method in (DcvMethod.HTTP, DcvMethod.HTTPS):
        return {"url": given.url, "firstLine": given.first_line, "secondLine": given.second_line}
    if given.method == DcvMethod.EMAIL:
        return {}
    return {"host": given.host, "point": given.point}


def _drop_unset(data: dict[str, Any]) -> dict[str, Any]:
    # SCM omits unset values; a null date would break clients that parse `YYYY-MM-DD`.
    return {k: v for k, v in data.items() if v is not None and v != ""}


def status_body(domain: Domain, state: DcvState | None = None) -> dict[str, Any]:
    """`/status` and `/sync`: the domain's DCV and its open order, relevant keys only."""
    state = state or queries.dcv_status_for(domain)
    data: dict[str, Any] = {
        "status": state.status,
        "validationDate": scm_date(state.validated_at),
        "expirationDate": scm_date(state.expires),
        "orderStatus": scm_order_status(state.order_status),
    }
    order = queries.current_order(domain)
    if order is not None:
        data.update({
            "orderMode": ORDER_MODES.get(order.method, order.method),
            "orderBackendId": str(order.pk),
            "submittedDate": scm_date(order.submitted_at),
            "lastCheck": iso(order.last_check),
            "nextCheck": iso(order.next_check),
            "message": order.last_error,
        })
        data.update(_instruction_keys(instructions(order)))
        if order.method == DcvMethod.EMAIL and order.email:
            data["validationEmail"] = order.email
            data["emailValidationReferenceNumber"] = str(order.pk)
    return _drop_unset(data)


def list_row(item) -> dict[str, Any]:
    domain, state = item if isinstance(item, tuple) else (item, queries.dcv_status_for(item))
    return _drop_unset({
        "domain": domain.unicode_name,
        "dcvStatus": state.status,
        "dcvMethod": scm_dcv_method(state.method),
        "dcvOrderStatus": scm_order_status(state.order_status),
        "dcvOrderMethod": ORDER_MODES.get(state.order_method) if state.order_method else None,
        "expirationDate": scm_date(state.expires),
    })


def email_lists(domain: Domain, emails) -> dict[str, Any]:
    """One `dcvEmails` item: the constructed addresses (admin@…) and the contacts an MRAO recorded."""
    constructed = {e for e in emails if e.split("@", 1)[0] in LOCAL_PARTS}
    return {
        "domainName": domain.unicode_name,
        "adminEmails": [e for e in emails if e in constructed],
        "whoisEmails": [e for e in emails if e not in constructed],
        "dnsTxtEmails": [],
    }


# Documentation-only shapes.


class DcvListItemSerializer(serializers.Serializer):
    domain = serializers.CharField()
    dcvStatus = serializers.CharField(help_text="NOT_VALIDATED, VALIDATED or EXPIRED")
    dcvMethod = serializers.CharField(required=False)
    dcvOrderStatus = serializers.CharField(help_text="NOT_INITIATED, AWAITING_SUBMISSION or SUBMITTED")
    dcvOrderMethod = serializers.CharField(required=False, help_text=", ".join(ORDER_MODES))
    expirationDate = serializers.DateField(required=False)


class DcvStatusSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="NOT_VALIDATED, VALIDATED or EXPIRED")
    validationDate = serializers.DateField(required=False)
    expirationDate = serializers.DateField(required=False)
    orderStatus = serializers.CharField(help_text="NOT_INITIATED, AWAITING_SUBMISSION or SUBMITTED")
    orderMode = serializers.CharField(required=False, help_text=", ".join(ORDER_MODES))
    orderBackendId = serializers.CharField(required=False)
    submittedDate = serializers.DateField(required=False)
    lastCheck = serializers.DateTimeField(required=False)
    nextCheck = serializers.DateTimeField(required=False)
    message = serializers.CharField(required=False, help_text="Why the last check failed")
    url = serializers.CharField(required=False)
    firstLine = serializers.CharField(required=False)
    secondLine = serializers.CharField(required=False)
    host = serializers.CharField(required=False)
    point = serializers.CharField(required=False)
    validationEmail = serializers.CharField(required=False)
    emailValidationReferenceNumber = serializers.CharField(required=False)


class DcvClearSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="NOT_VALIDATED, VALIDATED or EXPIRED")
    orderStatus = serializers.CharField()
    message = serializers.CharField()


class DcvStartSerializer(serializers.Serializer):
    url = serializers.CharField(required=False, help_text="http, https: /.well-known/pki-validation/<X>.txt")
    firstLine = serializers.CharField(required=False)
    secondLine = serializers.CharField(required=False)
    host = serializers.CharField(required=False, help_text="cname, txt")
    point = serializers.CharField(required=False)
    emails = serializers.ListField(child=serializers.EmailField(), required=False, help_text="email")
    dcvEmails = serializers.ListField(child=serializers.DictField(), required=False)


class DcvSubmitSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="NOT_VALIDATED, VALIDATED or EXPIRED")
    orderStatus = serializers.CharField()
    message = serializers.CharField()
    orderBackendId = serializers.CharField()
    host = serializers.CharField(required=False, help_text="txt: the record to publish")
    point = serializers.CharField(required=False)
    emailValidationReferenceNumber = serializers.CharField(required=False)


LIST_PARAMS = [
    OpenApiParameter("position", OpenApiTypes.INT, description="0-based offset"),
    OpenApiParameter("size", OpenApiTypes.INT, description="Page size, at most 200 (default 200)"),
    OpenApiParameter("domain", OpenApiTypes.STR, description="Part of the domain name"),
    OpenApiParameter("org", OpenApiTypes.INT, description="Organization id (its departments included)"),
    OpenApiParameter("department", OpenApiTypes.INT, description="Department id"),
    OpenApiParameter("dcvStatus", OpenApiTypes.STR, enum=DcvStatus.values),
    OpenApiParameter("orderStatus", OpenApiTypes.STR, enum=["NOT_INITIATED", "AWAITING_SUBMISSION", "SUBMITTED"]),
    OpenApiParameter("expiresIn", OpenApiTypes.INT, description="Validated, expiring within this many days"),
    TOTAL_COUNT,
]
METHOD_PARAM = OpenApiParameter("method", OpenApiTypes.STR, OpenApiParameter.PATH)
FORCE_PARAM = OpenApiParameter("force", OpenApiTypes.BOOL, description="true: check the submitted order now")
VERSION_PARAM = OpenApiParameter("version", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["1", "2"])


# ---------------------------------------------------------------------------
# Views


class DcvListView(ScmView):
    @extend_schema(tags=[TAG], summary="DCV status of the domains in the caller's scope",
                   parameters=[VERSION_PARAM, *LIST_PARAMS], responses={200: DcvListItemSerializer(many=True)})
    def get(self, request, version: str):
        actor = self.actor(request)
        name = query_text(request, "domain", max_length=255)
        org_id, dept_id = query_text(request, "org"), query_text(request, "department")
        dcv_status = query_text(request, "dcvStatus").upper()
        order_status = query_text(request, "orderStatus").upper()
        expires_in = query_text(request, "expiresIn")
        if dcv_status and dcv_status not in DcvStatus.values:
            raise InvalidInput(f"dcvStatus must be one of {', '.join(DcvStatus.values)}.", field="dcvStatus")
        order_values = ("NOT_INITIATED", "AWAITING_SUBMISSION", "SUBMITTED")
        if order_status and order_status not in order_values:
            raise InvalidInput(f"orderStatus must be one of {', '.join(order_values)}.", field="orderStatus")
        days = parse_int(expires_in, name="expiresIn", maximum=100_000) if expires_in else None
        domains = queries.visible_domains(
            actor, name=name, organization_id=parse_int(dept_id, name="department") if dept_id else None)
        if org_id:
            org_pk = parse_int(org_id, name="org")
            ids = [org_pk, *visible_organizations(actor).filter(parent_id=org_pk).values_list("id", flat=True)]
            domains = domains.filter(pk__in=Delegation.objects.filter(organization_id__in=ids).values("domain_id"))
        if not (dcv_status or order_status or days is not None):
            # The page's DCV states are read together (a fixed number of queries, whatever the page size).
            shown = list(page_of(request).slice(domains)) if request.method != "HEAD" else []
            states = queries.dcv_states_for(shown)

            def row(domain):
                return list_row((domain, states[domain.pk]) if domain.pk in states else domain)

            return list_response(request, domains, row)
        horizon = timezone.now() + timedelta(days=days or 0)
        rows = []
        for chunk in _chunks(domains):
            states = queries.dcv_states_for(chunk)
            for domain in chunk:
                state = states[domain.pk]
                if dcv_status and state.status != dcv_status:
                    continue
                if order_status and scm_order_status(state.order_status) != order_status:
                    continue
                if days is not None and not (state.status == DcvStatus.VALIDATED and state.expires is not None
                                             and state.expires <= horizon):
                    continue
                rows.append((domain, state))
        return list_response(request, rows, list_row)


class DcvStatusView(ScmView):
    @extend_schema(tags=[TAG], summary="DCV status of one domain, with its open order and instructions",
                   parameters=[VERSION_PARAM], request=DomainRequestSerializer,
                   responses={200: DcvStatusSerializer})
    def post(self, request, version: str):
        data = self.parse(DomainRequestSerializer, self.body(request, strict=False))
        return Response(status_body(_domain(request, data["domain"])))


class DcvSyncView(ScmView):
    @extend_schema(tags=[TAG], summary="Check a submitted DNS/HTTP order now (force=true) or when due, then "
                                       "answer like /status", parameters=[VERSION_PARAM, FORCE_PARAM],
                   request=DomainRequestSerializer, responses={200: DcvStatusSerializer})
    def post(self, request, version: str):
        actor = self.actor(request)
        data = self.parse(DomainRequestSerializer, self.body(request, strict=False))
        force = query_text(request, "force").lower()
        if force and force not in ("true", "false"):
            raise InvalidInput("force must be true or false.", field="force")
        domain = _domain(request, data["domain"])
        order = queries.current_order(domain)
        due = order is not None and (order.next_check is None or order.next_check <= timezone.now())
        if (order is not None and order.status == OrderStatus.SUBMITTED and order.method in CHECKED_METHODS
                and (force == "true" or due)):
            services.recheck_dcv(actor, domain)
            domain.refresh_from_db()
        return Response(status_body(domain))


class DcvClearView(ScmView):
    @extend_schema(tags=[TAG], summary="Reset: cancel the open DCV order (the validation, if any, stays)",
                   parameters=[VERSION_PARAM], request=DomainRequestSerializer, responses={200: DcvClearSerializer})
    def post(self, request, version: str):
        data = self.parse(DomainRequestSerializer, self.body(request, strict=False))
        domain = _domain(request, data["domain"])
        cleared = services.reset_dcv(self.actor(request), domain)
        state = queries.dcv_status_for(domain)
        message = "The DCV order was reset." if cleared else "No DCV order was open."
        return Response({"status": state.status, "orderStatus": scm_order_status(state.order_status),
                         "message": message})


class DcvDeleteView(ScmView):
    @extend_schema(tags=[TAG], summary="Delete the DCV of a domain: cancels its open order and withdraws its "
                                       "validation (NOT_VALIDATED; a validated parent domain may still cover it)",
                   parameters=[VERSION_PARAM], request=DomainRequestSerializer,
                   responses={200: OpenApiResponse(description="Done: empty body")})
    def post(self, request, version: str):
        data = self.parse(DomainRequestSerializer, self.body(request, strict=False))
        services.delete_dcv(self.actor(request), _domain(request, data["domain"]))
        return Response()


class DcvStartView(ScmView):
    @extend_schema(tags=[TAG], summary="Validate: start (or show again) a DCV order and get what to publish",
                   parameters=[VERSION_PARAM, OpenApiParameter("method", OpenApiTypes.STR, OpenApiParameter.PATH,
                                                               enum=["http", "https", "cname", "txt", "email"])],
                   request=DomainsRequestSerializer, responses={200: DcvStartSerializer})
    def post(self, request, version: str, method: str):
        actor = self.actor(request)
        dcv_method = PATH_METHODS[method]
        if dcv_method is DcvMethod.EMAIL:
            data = self.parse(DomainsRequestSerializer, self.body(request, strict=False))
            domains = _domains(request, data)
            with transaction.atomic():  # every domain or none (no network I/O here)
                started = [(d, services.start_dcv(actor, d, dcv_method)) for d in domains]
            lists = [email_lists(d, list(i.emails)) for d, i in started]
            common = [e for e in started[0][1].emails
                      if all(e in i.emails for _, i in started[1:])]
            return Response({"emails": common, "dcvEmails": lists})
        data = self.parse(DomainRequestSerializer, self.body(request, strict=False))
        started = services.start_dcv(actor, _domain(request, data["domain"]), dcv_method)
        return Response(_instruction_keys(started))


def _submit_body(result, *, with_record: bool = False, email: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": result.status,
        "orderStatus": scm_order_status(result.order_status),
        "message": result.message,
        "orderBackendId": str(result.order_id) if result.order_id is not None else None,
    }
    if with_record and result.instructions is not None:
        body.update(host=result.instructions.host, point=result.instructions.point)
    if email and result.order_id is not None:
        body["emailValidationReferenceNumber"] = str(result.order_id)
    return _drop_unset(body)


class DcvSubmitView(ScmView):
    @extend_schema(tags=[TAG], summary="Submit: DNS and HTTP(S) orders are checked at once; TXT needs no start "
                                       "(the answer says what to publish); email needs `email`",
                   parameters=[VERSION_PARAM, OpenApiParameter("method", OpenApiTypes.STR, OpenApiParameter.PATH,
                                                               enum=["http", "https", "cname", "txt", "email"])],
                   request=EmailSubmitSerializer, responses={200: DcvSubmitSerializer})
    def post(self, request, version: str, method: str):
        actor = self.actor(request)
        dcv_method = PATH_METHODS[method]
        data = self.parse(EmailSubmitSerializer, self.body(request, strict=False))
        domain = _domain(request, data["domain"])
        if dcv_method is DcvMethod.EMAIL:
            # Sends the validation email (one-time link and code) to the chosen address; no start needed.
            result = services.submit_dcv(actor, domain, method=DcvMethod.EMAIL, email=data.get("email") or "")
            return Response(_submit_body(result, email=True))
        result = services.submit_dcv(actor, domain, method=dcv_method)
        return Response(_submit_body(result, with_record=dcv_method is DcvMethod.TXT))


class DcvBulkEmailSubmitView(ScmView):
    @extend_schema(tags=[TAG], summary="Submit email DCV of several domains to one address: ONE validation email "
                                       "whose link and code validate them all (all checked first)",
                   parameters=[VERSION_PARAM], request=BulkEmailSubmitSerializer,
                   responses={200: DcvSubmitSerializer})
    def post(self, request, version: str):
        actor = self.actor(request)
        data = self.parse(BulkEmailSubmitSerializer, self.body(request, strict=True))
        domains = _domains(request, {"domains": data["domains"]})
        results = services.submit_email_dcv(actor, domains, data.get("email") or "")
        statuses = {scm_order_status(r.order_status) for r in results}
        chosen = (data.get("email") or "").strip().lower()
        return Response(_drop_unset({
            "orderStatus": statuses.pop() if len(statuses) == 1 else OrderStatus.SUBMITTED.value,
            "message": f"Submitted: one validation email was sent to {chosen} for {len(results)} domain(s); "
                       "they are validated once its link is followed and its code entered.",
            "orderBackendId": ",".join(str(r.order_id) for r in results if r.order_id is not None),
        }))
