"""SCM reports beside ssl-certificates (spec §7.13): `activity` (the audit log in scope) and
`domains` (the domains in scope with their DCV), as `{statusCode: 0, reports: [...]}`."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from certdesk.domains import services as domain_services
from certdesk.domains.models import Domain
from certdesk.domains.states import DcvStatus
from certdesk.tenancy import services as tenancy
from tests.api.conftest import error_of


def _report(api, name, body=None) -> list[dict]:
    response = api.post(f"report/v1/{name}?output_type=buffered", {} if body is None else body)
    assert response.status_code == 200, response.content
    assert response.json()["statusCode"] == 0
    return response.json()["reports"]


def test_activity_report_lists_the_audit_log_in_scope(mrao_api, drao_api, mrao, mrao_actor, univ, physics,
                                                      chemistry, drao_physics):
    tenancy.update_organization(mrao_actor, chemistry, address1="1 rue de la Chimie")
    tenancy.update_organization(mrao_actor, physics, address1="2 rue de la Physique")
    everything = _report(mrao_api, "activity")
    assert [r["id"] for r in everything] == sorted((r["id"] for r in everything), reverse=True)  # newest first
    newest = everything[0]
    assert newest["action"]["actionName"] == "department.updated" and isinstance(newest["action"]["id"], int)
    assert newest["admin"] == {"login": "mrao", "fullName": f"{mrao.forename} {mrao.surname}".strip(),
                               "email": mrao.email}
    assert newest["accessMethod"] == "Web UI" and newest["date"].endswith("Z") and len(newest["guid"]) == 64
    assert "Physics" in newest["description"]
    # The DRAO of Physics sees Physics' change, not Chemistry's.
    mine = " | ".join(r["description"] for r in _report(drao_api, "activity"))
    assert "Physics" in mine and "Chimie" not in mine and "Chemistry" not in mine
    today = timezone.now().date()
    assert len(_report(mrao_api, "activity", {"from": str(today), "to": str(today)})) == len(everything)
    assert _report(mrao_api, "activity", {"to": str(today - timedelta(days=1))}) == []
    assert error_of(mrao_api.post("report/v1/activity", {"from": "yesterday"}))[0] == 400
    assert error_of(mrao_api.post("report/v1/activity", {"from": str(today), "to": str(today - timedelta(days=2))}
                                  ))[0] == 400


def test_domains_report_shows_each_domain_s_dcv(mrao_api, drao_api, mrao_actor, univ, physics, chemistry):
    lyon = domain_services.create_domain(mrao_actor, "univ-lyon.test", delegations=[(univ, ["SSL"])])
    phys = domain_services.create_domain(mrao_actor, "physics.univ-lyon.test", delegations=[(physics, ["SSL"])])
    chem = domain_services.create_domain(mrao_actor, "chemistry.test", delegations=[(chemistry, ["SSL"])])
    soon = timezone.now() + timedelta(days=30)
    Domain.objects.filter(pk=lyon.pk).update(dcv_status=DcvStatus.VALIDATED, dcv_method="TXT", dcv_expires=soon)
    Domain.objects.filter(pk=chem.pk).update(dcv_status=DcvStatus.VALIDATED, dcv_method="TXT",
                                             dcv_expires=timezone.now() - timedelta(days=1))
    rows = {r["name"]: r for r in _report(mrao_api, "domains")}
    assert set(rows) == {"univ-lyon.test", "physics.univ-lyon.test", "chemistry.test"}
    assert rows["univ-lyon.test"]["dcvStatus"] == "VALIDATED" and rows["univ-lyon.test"]["status"] == "Active"
    assert rows["univ-lyon.test"]["stickyUntil"].startswith(soon.date().isoformat())
    assert rows["chemistry.test"]["dcvStatus"] == "EXPIRED"  # past its expiry, before the sweep
    assert rows["physics.univ-lyon.test"] == {"id": phys.pk, "name": "physics.univ-lyon.test", "status": "Active",
                                              "requested": rows["physics.univ-lyon.test"]["requested"],
                                              "dcvStatus": "NOT_VALIDATED"}
    assert {r["name"] for r in _report(drao_api, "domains")} == {"physics.univ-lyon.test"}
