"""REST: /api/notification/v1 (spec §7.12) and /api/report/v1/notification-log."""
from __future__ import annotations

import pytest
from django.utils import timezone

from certdesk.notifications import notify, types
from certdesk.notifications.models import NotificationRule

from ..api.conftest import ScmClient, error_of


@pytest.fixture
def scm(client):
    def make(who, customer="renater"):
        return ScmClient(client, who.login, customer=customer)

    return make


def test_types_are_the_scm_names(scm, mrao2):
    response = scm(mrao2).get("notification/v1/types")
    assert response.status_code == 200
    names = response.json()
    assert {"SSLExpiration", "SSLRevoked", "SSLAwaitingApproval", "ClientCertExpiration", "DomainAwaitingApproval",
            "AdminCreation"} <= set(names)
    assert len(names) == len(types.TYPES)


def test_list_shows_the_built_in_notifications(scm, mrao2):
    response = scm(mrao2).get("notification/v1", {"size": 200})
    assert response.status_code == 200 and int(response["X-Total-Count"]) == len(types.TYPES)
    item = next(i for i in response.json() if i["type"] == "DCVExpiration")
    assert item["description"] == "ALL ORG - DCV Expiration XX days" and item["active"] is True
    assert item["orgData"] == {"selectedOrgType": "ANY", "orgDelegations": []}
    assert item["recipientData"]["notifyRoles"] == ["DRAO", "RAO", "MRAO"]
    assert item["additionalData"]["daysBefore"] == [30, 15]


def test_rao_creates_updates_and_deletes_a_notification(scm, rao_univ, physics):
    api = scm(rao_univ)
    body = {"description": "Physics expiries", "type": "SSLExpiration",
            "orgData": {"selectedOrgType": "SELECTED", "orgDelegations": [physics.pk]},
            "recipientData": {"notifyRoles": ["RAO_SSL"], "recipients": [{"type": "EMAIL",
                                                                          "value": "pki@physics.univ-lyon.example"}]},
            "additionalData": {"days": 45, "freq": "ONCE"}}
    created = api.post("notification/v1", body)
    assert created.status_code == 201, created.content
    location = created["Location"]
    assert location.startswith("http") and "/api/notification/v1/" in location
    rule_id = int(location.rstrip("/").rsplit("/", 1)[1])
    item = api.get(f"notification/v1/{rule_id}").json()
    assert item["recipientData"] == {"notifyRoles": ["RAO"], "recipients": [
        {"type": "EMAIL", "value": "pki@physics.univ-lyon.example"}]}
    assert item["additionalData"]["days"] == 45 and item["orgData"]["orgDelegations"] == [physics.pk]
    updated = api.put(f"notification/v1/{rule_id}", {"active": False, "additionalData": {"days": [60, 7]}})
    assert updated.status_code == 200
    assert updated.json()["active"] is False and updated.json()["additionalData"]["daysBefore"] == [60, 7]
    assert [i["id"] for i in api.get("notification/v1", {"orgId": physics.pk}).json()] == [rule_id]
    assert api.delete(f"notification/v1/{rule_id}").status_code == 200
    assert api.get(f"notification/v1/{rule_id}").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"type": "NoSuchType", "recipientData": {"notifyRoles": ["RAO"]}}, "Unknown notification type"),
    ({"type": "SSLRevoked", "recipientData": {"notifyRoles": ["CEO"]}}, "Unknown recipient role"),
    ({"type": "SSLRevoked", "recipientData": {"recipients": [{"type": "EMAIL", "value": "not-an-address"}]}},
     "not a valid email address"),
    ({"type": "SSLRevoked", "recipientData": {"recipients": [{"type": "SLACK", "value": "#pki"}]}},
     "not supported"),
    ({"type": "SSLRevoked", "recipientData": {"notifyRoles": ["RAO"]}, "additionalData": {"days": 30}},
     "only apply to expiry"),
    ({"type": "SSLRevoked"}, "at least one recipient"),
])
def test_bad_notifications_are_refused_in_the_scm_shape(scm, mrao2, body, field):
    status, code, description = error_of(scm(mrao2).post("notification/v1", body))
    assert status == 400 and code < 0 and field in description


def test_scope_rules(scm, rao_univ, rao_other, univ, mrao2):
    rao = scm(rao_univ)
    status, _, _ = error_of(rao.post("notification/v1", {"type": "SSLRevoked", "orgData": {"selectedOrgType": "ANY"},
                                                         "recipientData": {"notifyRoles": ["RAO"]}}))
    assert status == 403  # ALL ORG is the MRAOs'
    created = rao.post("notification/v1", {"type": "SSLRevoked", "recipientData": {"notifyRoles": ["RAO"]},
                                           "orgData": {"selectedOrgType": "SELECTED", "orgDelegations": [univ.pk]}})
    rule_id = int(created["Location"].rstrip("/").rsplit("/", 1)[1])
    other = scm(rao_other)
    assert other.get(f"notification/v1/{rule_id}").status_code == 404  # out of scope reads as missing
    assert rule_id not in [i["id"] for i in other.get("notification/v1").json()]
    builtin = NotificationRule.objects.get(builtin=True, type="SSLRevoked")
    status, _, description = error_of(scm(mrao2).delete(f"notification/v1/{builtin.pk}"))
    assert status == 400 and "disable" in description
    assert scm(mrao2).put(f"notification/v1/{builtin.pk}", {"active": False}).json()["active"] is False


def test_notification_log_report(scm, mrao2, rao_univ, rao_other, physics, other_org):
    notify(types.SSL_REVOKED, organization=physics, context={"common_name": "a.example"})
    notify(types.SSL_REVOKED, organization=other_org, context={"common_name": "b.example"})
    response = scm(mrao2).post("report/v1/notification-log", {"type": "SSLRevoked"})
    assert response.status_code == 200 and response.json()["statusCode"] == 0
    rows = response.json()["reports"]
    assert {r["recipient"] for r in rows} >= {rao_univ.email, rao_other.email}
    row = next(r for r in rows if r["recipient"] == rao_univ.email)
    assert row["status"] == "PENDING" and row["type"] == "SSLRevoked" and row["organization"]["id"] == physics.pk
    assert row["subject"] == "SSL certificate revoked: a.example"
    mine = scm(rao_univ).get("report/v1/notification-log", {"status": "PENDING"}).json()["reports"]
    assert rao_other.email not in {r["recipient"] for r in mine} and rao_univ.email in {r["recipient"] for r in mine}
    status, _, _ = error_of(scm(mrao2).post("report/v1/notification-log", {"status": "LOST"}))
    assert status == 400
    for bad in ("yesterday", "2026-13-45", "2026-02-30T10:00:00"):
        status, _, description = error_of(scm(mrao2).post("report/v1/notification-log", {"from": bad}))
        assert status == 400 and "not a date" in description
    today = timezone.now().date().isoformat()
    assert scm(mrao2).post("report/v1/notification-log", {"from": today, "to": today}).json()["reports"]
    assert not scm(mrao2).get("report/v1/notification-log", {"to": "2000-01-01"}).json()["reports"]
    failed = scm(mrao2).post("report/v1/notification-log", {"status": "FAILED"}).json()["reports"]
    assert all(r["error"] for r in failed)
