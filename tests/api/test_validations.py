"""/api/organization/v2/{id}/validations: submit, second-MRAO approve, reject (certdesk-decisions)."""
from __future__ import annotations

import pytest
from django.conf import settings

from tests.api.conftest import error_of

ORGS = "organization/v1"


def _validations(org_id: int) -> str:
    return f"organization/v2/{org_id}/validations"


@pytest.fixture
def submitted(mrao_api, mrao2, other_org):
    response = mrao_api.post(f"{_validations(other_org.pk)}/submit", {
        "validationLevel": "OV_SSL", "organizationDetails": {"generalDetails": {"dunsNumber": "123"}}})
    assert response.status_code == 201, response.content
    location = response["Location"]
    assert location.startswith(f"{settings.BASE_URL}/api/organization/v2/{other_org.pk}/validations/")
    return int(location.rsplit("/", 1)[1])


def test_submit_makes_the_organization_pending(mrao_api, other_org, submitted):
    assert mrao_api.get(f"{ORGS}/{other_org.pk}").json()["validationStatus"] == "PENDING"
    detail = mrao_api.get(f"{_validations(other_org.pk)}/{submitted}").json()
    assert detail["status"] == "PENDING" and detail["validationLevel"] == "OV_SSL"
    assert detail["submittedBy"] == "mrao"
    assert detail["organizationDetails"] == {"generalDetails": {"dunsNumber": "123"}}


def test_submitter_cannot_approve(mrao_api, other_org, submitted):
    status, code, description = error_of(mrao_api.post(f"{_validations(other_org.pk)}/{submitted}/approve"))
    assert (status, code) == (403, -3)
    assert "another MRAO" in description
    assert mrao_api.get(f"{ORGS}/{other_org.pk}").json()["validationStatus"] == "PENDING"


def test_another_mrao_approves(mrao_api, mrao2_api, other_org, submitted):
    # An action POST may carry the JSON string "" as its body (spec §3).
    response = mrao2_api.post(f"{_validations(other_org.pk)}/{submitted}/approve/", raw='""')
    assert response.status_code == 204
    assert mrao_api.get(f"{ORGS}/{other_org.pk}").json()["validationStatus"] == "VALIDATED"
    detail = mrao_api.get(f"{_validations(other_org.pk)}/{submitted}").json()
    assert (detail["status"], detail["decidedBy"]) == ("VALIDATED", "mrao2")
    assert "expires" in detail
    # Decided once only.
    assert error_of(mrao2_api.post(f"{_validations(other_org.pk)}/{submitted}/approve"))[0] == 400


def test_reject_needs_a_reason(mrao2_api, mrao_api, other_org, submitted):
    status, code, _ = error_of(mrao2_api.post(f"{_validations(other_org.pk)}/{submitted}/reject", {}))
    assert (status, code) == (400, -7)
    response = mrao2_api.post(f"{_validations(other_org.pk)}/{submitted}/reject", {"reason": "Unknown DUNS"})
    assert response.status_code == 204
    assert mrao_api.get(f"{ORGS}/{other_org.pk}").json()["validationStatus"] == "NOT_VALIDATED"
    listed = mrao_api.get(_validations(other_org.pk))
    assert listed["X-Total-Count"] == "1"
    assert [(v["id"], v["status"], v["reason"]) for v in listed.json()] == [(submitted, "REJECTED", "Unknown DUNS")]


def test_submit_defaults_to_ov_and_accepts_an_empty_body(mrao_api, other_org):
    response = mrao_api.post(f"{_validations(other_org.pk)}/submit", raw="")
    assert response.status_code == 201
    assert mrao_api.get(_validations(other_org.pk)).json()[0]["validationLevel"] == "OV_SSL"


def test_submit_refusals(mrao_api, rao_api, univ, physics, other_org, other_customer_org):
    assert error_of(mrao_api.post(f"{_validations(other_org.pk)}/submit", {"validationLevel": "DV"}))[0] == 400
    assert error_of(mrao_api.post(f"{_validations(other_org.pk)}/submit",
                                  {"organizationDetails": ["x"]}))[0] == 400
    assert error_of(mrao_api.post(f"{_validations(physics.pk)}/submit", {}))[:2] == (400, -1021)
    assert error_of(rao_api.post(f"{_validations(univ.pk)}/submit", {}))[:2] == (403, -3)
    assert error_of(mrao_api.post(f"{_validations(other_customer_org.pk)}/submit", {}))[0] == 404
    # A pending validation cannot be submitted again.
    assert mrao_api.post(f"{_validations(other_org.pk)}/submit", {}).status_code == 201
    assert error_of(mrao_api.post(f"{_validations(other_org.pk)}/submit", {}))[:2] == (400, -1021)


def test_validation_ids_are_scoped_to_their_organization(mrao_api, mrao2_api, univ, other_org, submitted):
    assert error_of(mrao_api.get(f"{_validations(univ.pk)}/{submitted}"))[0] == 404
    assert error_of(mrao2_api.post(f"{_validations(univ.pk)}/{submitted}/approve"))[0] == 404
    assert error_of(mrao_api.get(f"{_validations(other_org.pk)}/99999"))[0] == 404


def test_other_tenant_cannot_see_validations(jisc_api, other_org, submitted):
    assert error_of(jisc_api.get(_validations(other_org.pk)))[0] == 404
    assert error_of(jisc_api.post(f"{_validations(other_org.pk)}/{submitted}/approve"))[0] == 404
