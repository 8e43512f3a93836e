"""SCM `/api/notification/v1` (spec §7.12): custom and built-in notifications; and the
notification log as a report, `/api/report/v1/notification-log` (certdesk's own report name,
in the shape of SCM's reports: `{statusCode: 0, reports: [...]}`).

A notification's scope: `orgData.selectedOrgType` ANY (every organization, the built-in "ALL
ORG" ones; MRAO only) or SELECTED with one id in `orgDelegations` (an organization, which also
covers its departments, or a department). ANYDEPT is read as SELECTED. Recipients: roles in
`recipientData.notifyRoles` (REQUESTER, DRAO, RAO, MRAO) and EMAIL addresses in
`recipientData.recipients`; expiry types take `additionalData.days` (a number or a list).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from certdesk.core.errors import InvalidInput
from certdesk.notifications import queries, services, types
from certdesk.notifications.models import NotificationRule, OutboxMessage, Status

from .base import FlagField, ScmView, TextField, api_url, iso, parse_int, query_text
from .paging import list_response

TAG = "notification"
ORG_TYPES = ("ANY", "ANYDEPT", "SELECTED")


# ---------------------------------------------------------------------------
# Input


class RecipientSerializer(serializers.Serializer):
    type = TextField(help_text="EMAIL")
    value = TextField(help_text="An email address")


class RecipientDataSerializer(serializers.Serializer):
    notifyRoles = serializers.ListField(child=TextField(allow_null=False), required=False, allow_null=True,
                                        help_text="REQUESTER, DRAO, RAO, MRAO")
    recipients = RecipientSerializer(many=True, required=False, allow_null=True)


class OrgDataSerializer(serializers.Serializer):
    selectedOrgType = TextField(help_text="ANY (all organizations) or SELECTED")
    orgDelegations = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                           allow_null=True, help_text="One organization or department id")


class AdditionalDataSerializer(serializers.Serializer):
    days = serializers.JSONField(required=False, allow_null=True,
                                 help_text="Days before expiry: a number or a list (expiry types only)")
    freq = TextField(help_text="Accepted and ignored (ONCE)")


class NotificationInputSerializer(serializers.Serializer):
    description = TextField()
    type = TextField(help_text="A type of GET /api/notification/v1/types")
    active = FlagField()
    orgData = OrgDataSerializer(required=False, allow_null=True)
    recipientData = RecipientDataSerializer(required=False, allow_null=True)
    additionalData = AdditionalDataSerializer(required=False, allow_null=True)


def _organization(request, view, data: dict[str, Any]):
    org_data = data.get("orgData")
    if not isinstance(org_data, dict):
        return None, False
    kind = (org_data.get("selectedOrgType") or "").upper()
    ids = org_data.get("orgDelegations") or []
    if kind and kind not in ORG_TYPES:
        raise InvalidInput(f"selectedOrgType must be one of {', '.join(ORG_TYPES)}.", field="selectedOrgType")
    if kind == "ANY" or (not kind and not ids):
        return None, True
    if len(ids) != 1:
        raise InvalidInput("Give exactly one organization or department id in orgDelegations "
                           "(create one notification per organization).", field="orgDelegations")
    return services.organization_in_scope(view.actor(request), ids[0]), True


def _recipients(data: dict[str, Any]) -> tuple[list[str] | None, list[str] | None]:
    recipient_data = data.get("recipientData")
    if not isinstance(recipient_data, dict):
        return None, None
    roles = recipient_data.get("notifyRoles")
    addresses = None
    if recipient_data.get("recipients") is not None:
        addresses = []
        for item in recipient_data["recipients"]:
            kind = (item.get("type") or "EMAIL").upper()
            if kind != "EMAIL":
                raise InvalidInput(f"Recipients of type {kind} are not supported: use EMAIL (webhooks are set per "
                                   "organization in Settings → Email Notifications).", field="recipients")
            addresses.append(item.get("value") or "")
    return roles, addresses


def _days(data: dict[str, Any]):
    extra = data.get("additionalData")
    if not isinstance(extra, dict) or extra.get("days") in (None, ""):
        return None
    days = extra["days"]
    return days if isinstance(days, list) else [days]


# ---------------------------------------------------------------------------
# Output


def notification_item(rule: NotificationRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "description": rule.description,
        "type": rule.type,
        "active": rule.enabled,
        "builtIn": rule.builtin,
        "created": iso(rule.created),
        "modified": iso(rule.modified),
        "orgData": {"selectedOrgType": "SELECTED" if rule.organization_id else "ANY",
                    "orgDelegations": [rule.organization_id] if rule.organization_id else []},
        "recipientData": {"notifyRoles": list(rule.notify_roles or []),
                          "recipients": [{"type": "EMAIL", "value": a} for a in rule.extra_recipients or []]},
        "additionalData": {"days": (rule.days_before or [None])[0], "daysBefore": list(rule.days_before or []),
                           "freq": "ONCE"},
    }


class NotificationItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    type = serializers.CharField()
    active = serializers.BooleanField()
    builtIn = serializers.BooleanField()
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()
    orgData = OrgDataSerializer()
    recipientData = RecipientDataSerializer()
    additionalData = serializers.DictField()


LIST_PARAMS = [
    OpenApiParameter("position", OpenApiTypes.INT), OpenApiParameter("size", OpenApiTypes.INT),
    OpenApiParameter("id", OpenApiTypes.INT), OpenApiParameter("description", OpenApiTypes.STR),
    OpenApiParameter("orgId", OpenApiTypes.INT), OpenApiParameter("selectedOrgType", OpenApiTypes.STR,
                                                                  enum=list(ORG_TYPES)),
    OpenApiParameter("type", OpenApiTypes.STR),
]
CREATED = {201: OpenApiResponse(description="Created: empty body, the new id ends the Location header")}


# ---------------------------------------------------------------------------
# Views


class NotificationListView(ScmView):
    @extend_schema(tags=[TAG], summary="Notifications in the caller's scope", parameters=LIST_PARAMS,
                   responses={200: NotificationItemSerializer(many=True)})
    def get(self, request):
        rules = queries.visible_rules(self.actor(request))
        if query_text(request, "id"):
            rules = rules.filter(pk=parse_int(query_text(request, "id"), name="id"))
        if query_text(request, "description"):
            rules = rules.filter(description__icontains=query_text(request, "description"))
        if query_text(request, "orgId"):
            rules = rules.filter(organization_id=parse_int(query_text(request, "orgId"), name="orgId"))
        kind = query_text(request, "selectedOrgType").upper()
        if kind == "ANY":
            rules = rules.filter(organization__isnull=True)
        elif kind in ("SELECTED", "ANYDEPT"):
            rules = rules.filter(organization__isnull=False)
        elif kind:
            raise InvalidInput(f"selectedOrgType must be one of {', '.join(ORG_TYPES)}.", field="selectedOrgType")
        if query_text(request, "type"):
            rules = rules.filter(type=types.parse(query_text(request, "type")).code)
        return list_response(request, rules.order_by("id"), notification_item)

    @extend_schema(tags=[TAG], summary="Create a notification", request=NotificationInputSerializer,
                   responses=CREATED)
    def post(self, request):
        actor = self.actor(request)
        data = self.parse(NotificationInputSerializer, self.body(request, strict=True))
        organization, _ = _organization(request, self, data)
        roles, addresses = _recipients(data)
        rule = services.create_rule(
            actor, type=data.get("type") or "", organization=organization, description=data.get("description") or "",
            notify_roles=roles or [], extra_recipients=addresses or [], days_before=_days(data) or [],
            enabled=data.get("active", True) if data.get("active") is not None else True,
        )
        return Response(status=status.HTTP_201_CREATED,
                        headers={"Location": api_url(request, f"notification/v1/{rule.pk}")})


class NotificationTypesView(ScmView):
    @extend_schema(tags=[TAG], summary="Notification types",
                   responses={200: {"type": "array", "items": {"type": "string"}}})
    def get(self, request):
        return Response([t.code for t in types.TYPES])


class NotificationDetailView(ScmView):
    @extend_schema(tags=[TAG], summary="A notification", responses={200: NotificationItemSerializer})
    def get(self, request, notification_id: int):
        return Response(notification_item(queries.get_rule(self.actor(request), notification_id)))

    @extend_schema(tags=[TAG], summary="Update a notification (only the fields sent)",
                   request=NotificationInputSerializer, responses={200: NotificationItemSerializer})
    def put(self, request, notification_id: int):
        actor = self.actor(request)
        rule = queries.get_rule(actor, notification_id)
        data = self.parse(NotificationInputSerializer, self.body(request, strict=True), partial=True)
        changes: dict[str, Any] = {}
        organization, given = _organization(request, self, data)
        if given:
            changes["organization"] = organization
        roles, addresses = _recipients(data)
        days = _days(data)
        for key, value in (("type", data.get("type")), ("description", data.get("description")),
                           ("enabled", data.get("active")), ("notify_roles", roles),
                           ("extra_recipients", addresses), ("days_before", days)):
            if value is not None:
                changes[key] = value
        rule = services.update_rule(actor, rule, **changes)
        return Response(notification_item(queries.get_rule(actor, rule.pk)))

    @extend_schema(tags=[TAG], summary="Delete a notification (built-in ones are disabled instead)",
                   responses={200: OpenApiResponse(description="Deleted")})
    def delete(self, request, notification_id: int):
        actor = self.actor(request)
        services.delete_rule(actor, queries.get_rule(actor, notification_id))
        return Response(status=status.HTTP_200_OK)


# ---------------------------------------------------------------------------
# The notification log (Reports → Notifications)


class NotificationLogFilterSerializer(serializers.Serializer):
    status = TextField(help_text="PENDING, SENDING, SENT or FAILED")
    type = TextField(help_text="A notification type")
    recipient = TextField(help_text="Part of the address or URL")
    organizationIds = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                            allow_null=True)
    to = TextField(help_text="To: a date (included) or a date-time (excluded), UTC")


# "from" is a Python keyword: declared by name (SCM's report filter spelling).
NotificationLogFilterSerializer._declared_fields["from"] = TextField(
    help_text="From: a date (YYYY-MM-DD) or a date-time, UTC (included)")


def _moment(value: str | None, *, end: bool = False):
    """A date (a whole day: `to` includes it) or a date-time, UTC when it names no zone."""
    if not value:
        return None
    try:
        day = parse_date(value) if len(value) == 10 else None
        moment = None if day is not None else parse_datetime(value)
    except ValueError:
        day = moment = None
    if day is not None:
        moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    elif moment is None:
        raise InvalidInput(f"'{value}' is not a date (YYYY-MM-DD) or a date-time.", field="to" if end else "from")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt_timezone.utc)
    return moment


def log_item(message: OutboxMessage) -> dict[str, Any]:
    org = message.event.organization
    return {
        "id": message.pk,
        "eventId": message.event_id,
        "type": message.event.type,
        "organization": {"id": org.pk, "name": str(org)} if org is not None else None,
        "channel": message.channel,
        "recipient": message.recipient,
        "subject": message.subject,
        "status": message.status,
        "attempts": message.attempts,
        "created": iso(message.created),
        "sent": iso(message.sent_at),
        "error": message.last_error,
        "reply": message.reply,
    }


MAX_REPORT_ROWS = 5000


class NotificationLogView(ScmView):
    """Who was told what, when, and whether it went out."""

    def _report(self, request, data: dict[str, Any]) -> Response:
        status_name = (data.get("status") or "").upper()
        if status_name and status_name not in Status.values:
            raise InvalidInput(f"status must be one of {', '.join(Status.values)}.", field="status")
        messages = queries.notification_log(
            self.actor(request), status=status_name, type=data.get("type") or "",
            recipient=data.get("recipient") or "", since=_moment(data.get("from")),
            until=_moment(data.get("to"), end=True), organization_ids=data.get("organizationIds") or None)
        return Response({"statusCode": 0, "reports": [log_item(m) for m in messages[:MAX_REPORT_ROWS]]})

    @extend_schema(tags=["report"], summary="Notification log (newest first, at most 5000 rows)",
                   request=NotificationLogFilterSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        return self._report(request, self.parse(NotificationLogFilterSerializer, self.body(request, strict=False)))

    @extend_schema(tags=["report"], summary="Notification log, filters as query parameters",
                   parameters=[OpenApiParameter(n, OpenApiTypes.STR) for n in ("status", "type", "recipient",
                                                                              "from", "to")],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        data = {name: query_text(request, name) for name in ("status", "type", "recipient", "from", "to")}
        return self._report(request, self.parse(NotificationLogFilterSerializer, data))
