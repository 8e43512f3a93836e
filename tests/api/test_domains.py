"""/api/domain/v1: list, count, details, create with delegations, delete, activate/suspend, delegations
(add, remove, bulk, approve, reject); scope (department, customer) and bad input."""
from __future__ import annotations

import re

import pytest

from certdesk.domains import services
from certdesk.domains.models import Domain
from tests.api.conftest import error_of
from tests.domains.conftest import (  # noqa: F401 - fixtures: loopback DNS, domain settings, people
    _dns_server,
    _domain_settings,
    dns,
    drao_domains,
    make_domain,
    validate,
)

DOMAINS = "domain/v1"


def _id_from(response) -> int:
    assert response.status_code == 201, response.content
    assert response.content == b""
    match = re.fullmatch(r"https://certdesk\.test/api/domain/v1/([0-9]+)", response["Location"])
    assert match, response["Location"]
    return int(match.group(1))


def delete_with_body(api, path, body):
    """DELETE with a JSON body, as cert_manager's remove_delegation sends it."""
    return api._send("delete", path, body, None, "application/json", None)


def _create(api, name, *orgs, cert_types=("SSL",), **extra):
    body = {"name": name, "delegations": [{"orgId": o.pk, "certTypes": list(cert_types)} for o in orgs], **extra}
    return api.post(DOMAINS, body)


@pytest.fixture
def drao_dom_api(scm, drao_domains):
    return scm(drao_domains.admin)


# ---------------------------------------------------------------------------
# Create and read


def test_mrao_creates_a_domain_and_reads_it_back(mrao_api, univ):
    response = _create(mrao_api, "Univ-Lyon.TEST.", univ, cert_types=["SSL", "SMIME"],
                       description="Main domain", ctLogMonitoring={"enabled": True})
    domain_id = _id_from(response)
    assert Domain.objects.get(pk=domain_id).name == "univ-lyon.test"
    detail = mrao_api.get(f"{DOMAINS}/{domain_id}")
    assert detail.status_code == 200
    assert detail.json() == {
        "id": domain_id, "name": "univ-lyon.test", "description": "Main domain", "delegationStatus": "ACTIVE",
        "state": "ACTIVE", "validationStatus": "NOT_VALIDATED",
        "ctLogMonitoring": {"enabled": False, "includeSubdomains": False},
        "delegations": [{"orgId": univ.pk, "certTypes": ["SMIME", "SSL"], "domainCertificateRequestPrivileges":
                         ["DOMAIN"], "status": "ACTIVE"}],
    }


def test_create_inactive_wildcard_and_idn(mrao_api, univ, physics):
    wild = _id_from(_create(mrao_api, "*.univ-lyon.test", univ, physics, active=False))
    detail = mrao_api.get(f"{DOMAINS}/{wild}").json()
    assert detail["state"] == "SUSPENDED"
    assert [d["orgId"] for d in detail["delegations"]] == sorted([univ.pk, physics.pk])
    assert detail["delegations"][0]["domainCertificateRequestPrivileges"] == [
        "SUBDOMAIN", "WILDCARD_1ST_LEVEL", "WILDCARD_2ND_LEVEL"]
    idn = _id_from(_create(mrao_api, "école-lyon.test", univ))
    assert Domain.objects.get(pk=idn).name == "xn--cole-lyon-93a.test"  # stored as the A-label
    assert mrao_api.get(f"{DOMAINS}/{idn}").json()["name"] == "école-lyon.test"
    assert mrao_api.get(DOMAINS, {"name": "école"}).json() == [{"id": idn, "name": "école-lyon.test"}]


def test_list_filters_paging_head_and_count(mrao_api, make_domain, univ, physics, chemistry, drao_domains):
    a = make_domain("a.univ-lyon.test", univ)
    b = make_domain("b.univ-lyon.test", physics)
    c = make_domain("c.univ-lyon.test", chemistry)
    services.set_domain_state(services.system_actor(univ.customer), c, active=False)
    requested = services.create_domain(drao_domains, "d.univ-lyon.test", delegations=[(physics, ["SSL"])])
    response = mrao_api.get(DOMAINS)
    assert response["X-Total-Count"] == "4"
    assert [d["name"] for d in response.json()] == ["a.univ-lyon.test", "b.univ-lyon.test", "c.univ-lyon.test",
                                                    "d.univ-lyon.test"]
    assert response.json()[0] == {"id": a.pk, "name": "a.univ-lyon.test"}
    page = mrao_api.get(DOMAINS, {"size": 2, "position": 1})
    assert [d["id"] for d in page.json()] == [b.pk, c.pk] and page["X-Total-Count"] == "4"
    head = mrao_api.head(DOMAINS, {"orgId": physics.pk})
    assert head.status_code == 200 and head["X-Total-Count"] == "2" and head.content == b""
    assert [d["id"] for d in mrao_api.get(DOMAINS, {"state": "inactive"}).json()] == [c.pk]
    assert len(mrao_api.get(DOMAINS, {"state": "ACTIVE"}).json()) == 3
    assert [d["id"] for d in mrao_api.get(DOMAINS, {"status": "requested"}).json()] == [requested.pk]
    assert len(mrao_api.get(DOMAINS, {"status": "approved"}).json()) == 3
    assert [d["id"] for d in mrao_api.get(DOMAINS, {"name": "B.UNIV"}).json()] == [b.pk]
    assert mrao_api.get(f"{DOMAINS}/count").json() == {"count": 4}
    assert mrao_api.get(f"{DOMAINS}/count", {"orgId": physics.pk}).json() == {"count": 2}
    for params in ({"state": "gone"}, {"status": "maybe"}, {"orgId": "x"}, {"size": 201}, {"position": -1}):
        assert error_of(mrao_api.get(DOMAINS, params))[:2] == (400, -1601), params


def test_subdomain_of_a_validated_domain_shows_validated(mrao_api, make_domain, validate, univ):
    base = make_domain("univ-lyon.test", univ)
    validate(base)
    sub = make_domain("www.univ-lyon.test", univ)
    detail = mrao_api.get(f"{DOMAINS}/{sub.pk}").json()
    assert detail["validationStatus"] == "VALIDATED"
    assert detail["validationMethod"] == "DNSTXT_RANDOM_VALUE"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", detail["dcvExpiration"])
    assert detail["dcvValidation"] == base.dcv_validated_at.date().isoformat()


# ---------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("name", [
    "", "a..univ-lyon.test", ("x" * 64) + ".univ-lyon.test", ".".join(["abcdefghi"] * 30) + ".test",
    "foo.*.univ-lyon.test", "*univ-lyon.test", "192.0.2.1", "[2001:db8::1]", "com", "ac.uk", "gouv.fr",
    "*.ac.uk", "https://univ-lyon.test/", "univ lyon.test", "-bad-.test",
])
def test_invalid_names_are_refused_with_nothing_written(mrao_api, univ, name):
    status, code, description = error_of(_create(mrao_api, name, univ))
    assert (status, code) == (400, -732), description
    assert not Domain.objects.exists()


@pytest.mark.parametrize("body, code", [
    ({"delegations": []}, -7),
    ({"name": "univ-lyon.test"}, -7),
    ({"name": 12, "delegations": []}, -1601),
    ({"name": "univ-lyon.test", "delegations": "SSL"}, -1601),
    ({"name": "univ-lyon.test", "delegations": []}, -7),
    ({"name": "univ-lyon.test", "delegations": [{"certTypes": ["SSL"]}]}, -7),
    ({"name": "univ-lyon.test", "delegations": [{"orgId": "abc", "certTypes": ["SSL"]}]}, -1601),
    ({"name": "univ-lyon.test", "active": "yes", "delegations": []}, -1601),
])
def test_malformed_create_bodies(mrao_api, univ, body, code):
    assert error_of(mrao_api.post(DOMAINS, body))[:2] == (400, code)
    assert not Domain.objects.exists()


def test_create_refuses_bad_delegations(mrao_api, univ, other_customer_org):
    assert error_of(_create(mrao_api, "univ-lyon.test", univ, cert_types=["Device"]))[:2] == (400, -1601)
    assert error_of(_create(mrao_api, "univ-lyon.test", univ, cert_types=[]))[:2] == (400, -7)
    assert error_of(_create(mrao_api, "univ-lyon.test", other_customer_org))[:2] == (400, -1023)
    body = {"name": "univ-lyon.test", "delegations": [{"orgId": univ.pk, "certTypes": ["SSL"],
                                                       "domainCertificateRequestPrivileges": ["EVERYTHING"]}]}
    assert error_of(mrao_api.post(DOMAINS, body))[:2] == (400, -1601)
    body["delegations"] = [{"orgId": univ.pk, "certTypes": ["SSL"]}] * 2
    assert error_of(mrao_api.post(DOMAINS, body))[:2] == (400, -1601)
    assert error_of(mrao_api.post(DOMAINS, raw="[1]"))[:2] == (400, -1601)
    assert not Domain.objects.exists()


def test_existing_domain_and_one_delegated_elsewhere(mrao_api, drao_dom_api, make_domain, univ, physics):
    make_domain("univ-lyon.test", univ)
    status, code, description = error_of(_create(mrao_api, "UNIV-LYON.test", univ))
    assert (status, code) == (400, -700) and "already exists" in description
    status, code, description = error_of(_create(drao_dom_api, "univ-lyon.test", physics))
    assert (status, code) == (400, -700) and "delegated elsewhere" in description
    assert Domain.objects.count() == 1


# ---------------------------------------------------------------------------
# Delegation requests and approval


def test_drao_request_waits_for_the_rao(drao_dom_api, rao_api, physics):
    domain_id = _id_from(_create(drao_dom_api, "physics.univ-lyon.test", physics))
    detail = drao_dom_api.get(f"{DOMAINS}/{domain_id}").json()
    assert detail["delegationStatus"] == "REQUESTED"
    assert detail["delegations"][0]["status"] == "REQUESTED"
    assert [d["id"] for d in rao_api.get(DOMAINS, {"status": "requested"}).json()] == [domain_id]
    # the DRAO cannot approve its own request
    assert error_of(drao_dom_api.post(f"{DOMAINS}/{domain_id}/delegation/approve", {"orgId": physics.pk}))[:2] == (
        403, -3)
    response = rao_api.post(f"{DOMAINS}/{domain_id}/delegation/approve", {"orgId": physics.pk})
    assert response.status_code == 200
    detail = rao_api.get(f"{DOMAINS}/{domain_id}").json()
    assert detail["delegationStatus"] == "ACTIVE" and detail["delegations"][0]["status"] == "ACTIVE"
    # approving twice is a state error, not a silent success
    assert error_of(rao_api.post(f"{DOMAINS}/{domain_id}/delegation/approve", {"orgId": physics.pk}))[:2] == (
        400, -706)
    assert rao_api.get(DOMAINS, {"status": "requested"}).json() == []


def test_rejecting_the_only_request_removes_the_domain(drao_dom_api, rao_api, physics):
    domain_id = _id_from(_create(drao_dom_api, "physics.univ-lyon.test", physics))
    assert error_of(rao_api.post(f"{DOMAINS}/{domain_id}/delegation/reject", {}))[:2] == (400, -7)
    assert rao_api.post(f"{DOMAINS}/{domain_id}/delegation/reject", {"orgId": physics.pk}).status_code == 200
    assert error_of(rao_api.get(f"{DOMAINS}/{domain_id}"))[:2] == (404, -701)


def test_delegation_add_change_remove(mrao_api, make_domain, univ, physics, chemistry):
    domain = make_domain("univ-lyon.test", univ)
    url = f"{DOMAINS}/{domain.pk}/delegation"
    assert mrao_api.post(url, {"orgId": physics.pk, "certTypes": ["SSL", "CodeSign"]}).status_code == 200
    assert mrao_api.post(url, {"orgId": chemistry.pk, "certTypes": "SMIME"}).status_code == 200
    delegations = {d["orgId"]: d for d in mrao_api.get(f"{DOMAINS}/{domain.pk}").json()["delegations"]}
    assert delegations[physics.pk]["certTypes"] == ["CodeSign", "SSL"]
    assert delegations[chemistry.pk]["certTypes"] == ["SMIME"]
    # removing one type keeps the delegation; removing the last one (or without types) removes it
    assert delete_with_body(mrao_api, url, {"orgId": physics.pk, "certTypes": ["CodeSign"]}).status_code == 200
    delegations = {d["orgId"]: d for d in mrao_api.get(f"{DOMAINS}/{domain.pk}").json()["delegations"]}
    assert delegations[physics.pk]["certTypes"] == ["SSL"]
    assert delete_with_body(mrao_api, url, {"orgId": physics.pk, "certTypes": ["SSL"]}).status_code == 200
    assert delete_with_body(mrao_api, url, {"orgId": chemistry.pk}).status_code == 200
    assert [d["orgId"] for d in mrao_api.get(f"{DOMAINS}/{domain.pk}").json()["delegations"]] == [univ.pk]
    assert error_of(delete_with_body(mrao_api, url, {"orgId": physics.pk}))[:2] == (404, -705)
    status, code, description = error_of(delete_with_body(mrao_api, url, {"orgId": univ.pk}))
    assert (status, code) == (400, -702) and "at least one delegation" in description
    assert error_of(mrao_api.post(url, {"orgId": physics.pk, "certTypes": ["Nope"]}))[:2] == (400, -1601)
    assert error_of(mrao_api.post(url, {"orgId": 987654, "certTypes": ["SSL"]}))[:2] == (400, -1023)


def test_bulk_delegation_is_all_or_nothing(mrao_api, make_domain, univ, physics):
    a = make_domain("a.univ-lyon.test", univ)
    b = make_domain("b.univ-lyon.test", univ)
    body = {"domainIds": [a.pk, b.pk, 987654], "orgId": physics.pk, "certTypes": ["SSL"]}
    assert error_of(mrao_api.post(f"{DOMAINS}/delegation", body))[:2] == (404, -701)
    assert not physics.domain_delegations.exists()
    body["domainIds"] = [a.pk, b.pk, a.pk]
    assert mrao_api.post(f"{DOMAINS}/delegation", body).status_code == 200
    assert sorted(physics.domain_delegations.values_list("domain_id", flat=True)) == [a.pk, b.pk]
    assert error_of(mrao_api.post(f"{DOMAINS}/delegation", {"orgId": physics.pk, "certTypes": ["SSL"]}))[:2] == (
        400, -7)


def test_suspend_activate_and_delete_are_for_mraos(mrao_api, rao_api, make_domain, univ):
    domain = make_domain("univ-lyon.test", univ)
    assert error_of(rao_api.put(f"{DOMAINS}/{domain.pk}/suspend"))[:2] == (403, -3)
    response = mrao_api.put(f"{DOMAINS}/{domain.pk}/suspend", raw='""')
    assert response.status_code == 200
    assert mrao_api.get(f"{DOMAINS}/{domain.pk}").json()["state"] == "SUSPENDED"
    assert mrao_api.put(f"{DOMAINS}/{domain.pk}/activate").status_code == 200
    assert mrao_api.get(f"{DOMAINS}/{domain.pk}").json()["state"] == "ACTIVE"
    assert error_of(mrao_api.post(f"{DOMAINS}/{domain.pk}/activate"))[:2] == (405, -1601)
    assert error_of(rao_api.delete(f"{DOMAINS}/{domain.pk}"))[:2] == (403, -3)
    response = mrao_api.delete(f"{DOMAINS}/{domain.pk}/")
    assert response.status_code == 204 and response.content == b""
    assert error_of(mrao_api.get(f"{DOMAINS}/{domain.pk}"))[:2] == (404, -701)


# ---------------------------------------------------------------------------
# Scope: another department's or another customer's domains answer like missing


def test_drao_cannot_see_or_touch_another_departments_domain(drao_dom_api, make_domain, chemistry, physics):
    other = make_domain("chemistry.univ-lyon.test", chemistry)
    own = make_domain("physics.univ-lyon.test", physics)
    assert [d["id"] for d in drao_dom_api.get(DOMAINS).json()] == [own.pk]
    missing = error_of(drao_dom_api.get(f"{DOMAINS}/987654"))
    assert missing[:2] == (404, -701)
    assert error_of(drao_dom_api.get(f"{DOMAINS}/{other.pk}")) == missing
    for call in (
        lambda: drao_dom_api.delete(f"{DOMAINS}/{other.pk}"),
        lambda: drao_dom_api.put(f"{DOMAINS}/{other.pk}/suspend"),
        lambda: drao_dom_api.post(f"{DOMAINS}/{other.pk}/delegation", {"orgId": physics.pk, "certTypes": ["SSL"]}),
        lambda: drao_dom_api.post(f"{DOMAINS}/{other.pk}/delegation/approve", {"orgId": chemistry.pk}),
        lambda: drao_dom_api.post(f"{DOMAINS}/delegation", {"domainIds": [other.pk], "orgId": physics.pk,
                                                             "certTypes": ["SSL"]}),
    ):
        assert error_of(call())[:2] == (404, -701)
    # delegating its own domain to a department it does not cover: that organization is unknown to it
    assert error_of(drao_dom_api.post(f"{DOMAINS}/{own.pk}/delegation", {"orgId": chemistry.pk,
                                                                          "certTypes": ["SSL"]}))[:2] == (400, -1023)
    assert other.delegations.count() == 1 and own.delegations.count() == 1


def test_another_customers_domain_ids_answer_like_missing(jisc_api, mrao_api, make_domain, univ,
                                                          other_customer_org):
    domain = make_domain("univ-lyon.test", univ)
    missing = error_of(jisc_api.get(f"{DOMAINS}/987654"))
    assert error_of(jisc_api.get(f"{DOMAINS}/{domain.pk}")) == missing
    assert error_of(jisc_api.delete(f"{DOMAINS}/{domain.pk}"))[:2] == (404, -701)
    assert jisc_api.get(DOMAINS).json() == []
    # the same name is free in another customer
    assert _create(jisc_api, "univ-lyon.test", other_customer_org).status_code == 201


def test_rao_without_domain_privileges_cannot_add(scm, rao_other, other_org):
    status, code, _ = error_of(_create(scm(rao_other), "univ-nantes.test", other_org))
    assert (status, code) == (403, -3)


def test_unauthenticated_calls_are_refused(client, db):
    response = client.get("/api/domain/v1")
    assert response.status_code == 401 and response.json()["code"] == -16
