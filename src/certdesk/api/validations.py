"""SCM `/api/organization/v2/{id}/validations`: the OV/EV anchor, submitted by an MRAO and decided by
another MRAO (certdesk-decisions "Tenancy and admins over the API")."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from certdesk.tenancy import queries, services
from certdesk.tenancy.models import OrganizationValidation

from .base import ScmView, TextField, api_url, compact, iso, reject_nul
from .organizations import CREATED, LOCATION, NO_CONTENT, PAGING, TAG, TOTAL_COUNT
from .paging import list_response


class ValidationSubmitSerializer(serializers.Serializer):
    validationLevel = serializers.ChoiceField(choices=["OV_SSL", "EV_SSL"], required=False, default="OV_SSL")
    organizationDetails = serializers.DictField(required=False, allow_null=True,
                                                help_text='Free-form, e.g. {"generalDetails": {...}}')


class ValidationRejectSerializer(serializers.Serializer):
    reason = TextField(help_text="1 to 512 characters")


class ValidationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organizationId = serializers.IntegerField()
    validationLevel = serializers.ChoiceField(choices=["OV_SSL", "EV_SSL"])
    status = serializers.ChoiceField(choices=["PENDING", "VALIDATED", "REJECTED"])
    submittedBy = serializers.CharField(required=False)
    submitted = serializers.DateTimeField()
    decidedBy = serializers.CharField(required=False)
    decided = serializers.DateTimeField(required=False)
    expires = serializers.DateTimeField(required=False)
    reason = serializers.CharField(required=False)
    organizationDetails = serializers.DictField(required=False)


def validation_item(validation: OrganizationValidation, *, details: bool = False) -> dict[str, Any]:
    data = compact({
        "id": validation.pk,
        "organizationId": validation.organization_id,
        "validationLevel": validation.level,
        "status": validation.status,
        "submittedBy": validation.submitted_by.login if validation.submitted_by else None,
        "submitted": iso(validation.submitted_at),
        "decidedBy": validation.decided_by.login if validation.decided_by else None,
        "decided": iso(validation.decided_at),
        "expires": iso(validation.expires),
        "reason": validation.reason,
    })
    if details:
        data["organizationDetails"] = validation.details or {}
    return data


class ValidationListView(ScmView):
    @extend_schema(tags=[TAG], summary="Validations of an organization, newest first",
                   parameters=PAGING[:2] + [TOTAL_COUNT], responses={200: ValidationSerializer(many=True)})
    def get(self, request, org_id: int):
        org = queries.get_organization(self.actor(request), org_id)
        validations = org.validations.select_related("submitted_by", "decided_by").order_by("-submitted_at", "-id")
        return list_response(request, validations, validation_item)


class ValidationSubmitView(ScmView):
    @extend_schema(tags=[TAG], summary="Submit the organization for OV/EV validation (it becomes PENDING)",
                   request=ValidationSubmitSerializer, responses=CREATED, parameters=[LOCATION])
    def post(self, request, org_id: int):
        actor = self.actor(request)
        org = queries.get_organization(actor, org_id)
        data = self.parse(ValidationSubmitSerializer, self.body(request, strict=False))
        details = data.get("organizationDetails")
        if details is not None:
            reject_nul(details, field="organizationDetails")
        validation = services.submit_validation(actor, org, level=data["validationLevel"], details=details)
        return Response(status=status.HTTP_201_CREATED, headers={
            "Location": api_url(request, f"organization/v2/{org.pk}/validations/{validation.pk}")})


def _validation(actor, org_id, validation_id) -> OrganizationValidation:
    org = queries.get_organization(actor, org_id)
    return queries.get_validation(actor, org, validation_id)


class ValidationDetailView(ScmView):
    @extend_schema(tags=[TAG], summary="One validation", responses={200: ValidationSerializer})
    def get(self, request, org_id: int, validation_id: int):
        return Response(validation_item(_validation(self.actor(request), org_id, validation_id), details=True))


class ValidationApproveView(ScmView):
    @extend_schema(tags=[TAG], summary="Approve a pending validation (an MRAO other than the submitter)",
                   request=None, responses=NO_CONTENT)
    def post(self, request, org_id: int, validation_id: int):
        actor = self.actor(request)
        services.approve_validation(actor, _validation(actor, org_id, validation_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ValidationRejectView(ScmView):
    @extend_schema(tags=[TAG], summary="Reject a pending validation with a reason",
                   request=ValidationRejectSerializer, responses=NO_CONTENT)
    def post(self, request, org_id: int, validation_id: int):
        actor = self.actor(request)
        validation = _validation(actor, org_id, validation_id)
        data = self.parse(ValidationRejectSerializer, self.body(request, strict=False))
        services.reject_validation(actor, validation, reason=data.get("reason"))
        return Response(status=status.HTTP_204_NO_CONTENT)

