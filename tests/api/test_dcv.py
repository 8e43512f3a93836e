"""/api/dcv/{v1,v2}/validation end to end against the loopback DNS and web servers: CNAME, TXT (submit
first), HTTP(S), email; wrong records leave a clear failed state; scope; and the unmodified
python-cert_manager client against a live certdesk."""
from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from cert_manager import Client, DomainControlValidation
from cert_manager import Domain as CmDomain
from requests.exceptions import HTTPError

from certdesk.domains import services
from certdesk.domains.models import DcvOrder
from certdesk.domains.states import DcvStatus, OrderStatus
from tests.api.conftest import error_of
from tests.api.test_e2e_cert_manager import connect  # noqa: F401 - fixture: cert_manager clients
from tests.domains.conftest import (  # noqa: F401 - fixtures: loopback DNS and web servers, domain settings
    _dns_server,
    _domain_settings,
    _web_servers,
    dns,
    drao_domains,
    make_domain,
    validate,
    web,
)

DCV = "dcv/v1/validation"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture
def domain(make_domain, univ):
    return make_domain("univ-lyon.test", univ)


def _post(api, path, body=None, version="v1", **params):
    url = f"dcv/{version}/validation/{path}"
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return api.post(url, body)


def _ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


# ---------------------------------------------------------------------------
# CNAME, TXT, HTTP(S): real checks


def test_cname_end_to_end(mrao_api, domain, dns):
    start = _ok(_post(mrao_api, "start/domain/cname", {"domain": "univ-lyon.test"}))
    assert set(start) == {"host", "point"}
    assert start["host"].startswith("_") and start["host"].endswith(".univ-lyon.test.")
    assert start["point"].endswith(".dcv.certdesk.test.")
    status = _ok(_post(mrao_api, "status", {"domain": "univ-lyon.test"}))
    assert status["status"] == "NOT_VALIDATED" and status["orderStatus"] == "AWAITING_SUBMISSION"
    assert status["orderMode"] == "CNAME" and status["host"] == start["host"] and status["point"] == start["point"]
    assert "validationDate" not in status and "expirationDate" not in status
    dns.add(f"{start['host']} 60 IN CNAME {start['point']}")
    submitted = _ok(_post(mrao_api, "submit/domain/cname", {"domain": "univ-lyon.test", "dnsAgentUUID": "x"}))
    assert submitted["status"] == "VALIDATED" and submitted["orderStatus"] == "NOT_INITIATED"
    assert "validated" in submitted["message"] and submitted["orderBackendId"].isdigit()
    status = _ok(_post(mrao_api, "status", {"domain": "UNIV-LYON.test."}))
    assert status["status"] == "VALIDATED" and status["orderStatus"] == "NOT_INITIATED"
    assert DATE.fullmatch(status["validationDate"]) and DATE.fullmatch(status["expirationDate"])
    listed = _ok(mrao_api.get(DCV))
    assert listed == [{"domain": "univ-lyon.test", "dcvStatus": "VALIDATED", "dcvMethod": "CNAME_CSR_HASH",
                       "dcvOrderStatus": "NOT_INITIATED", "expirationDate": status["expirationDate"]}]


def test_cname_with_a_wrong_target_stays_submitted_with_the_reason_then_clear(mrao_api, domain, dns):
    start = _ok(_post(mrao_api, "start/domain/cname", {"domain": "univ-lyon.test"}))
    dns.add(f"{start['host']} 60 IN CNAME wrong.dcv.certdesk.test.")
    submitted = _ok(_post(mrao_api, "submit/domain/cname", {"domain": "univ-lyon.test"}))
    assert submitted["status"] == "NOT_VALIDATED" and submitted["orderStatus"] == "SUBMITTED"
    assert "wrong.dcv.certdesk.test" in submitted["message"]
    status = _ok(_post(mrao_api, "status", {"domain": "univ-lyon.test"}))
    assert status["orderStatus"] == "SUBMITTED" and "points to" in status["message"]
    assert DATE.fullmatch(status["submittedDate"]) and status["lastCheck"] and status["nextCheck"]
    # sync without force: not due yet, nothing re-checked; a fixed record passes on force=true
    checks = DcvOrder.objects.get(domain=domain).check_count
    _ok(_post(mrao_api, "sync", {"domain": "univ-lyon.test"}))
    assert DcvOrder.objects.get(domain=domain).check_count == checks
    cleared = _ok(_post(mrao_api, "clear", {"domain": "univ-lyon.test"}))
    assert cleared == {"status": "NOT_VALIDATED", "orderStatus": "NOT_INITIATED", "message": "The DCV order was reset."}
    again = _ok(_post(mrao_api, "clear", {"domain": "univ-lyon.test"}))
    assert again["message"] == "No DCV order was open."
    domain.refresh_from_db()
    assert domain.dcv_status == DcvStatus.NOT_VALIDATED


def test_txt_is_submit_first_and_sync_force_checks_at_once(mrao_api, domain, dns):
    submitted = _ok(_post(mrao_api, "submit/domain/txt", {"domain": "univ-lyon.test"}, version="v2"))
    assert submitted["host"] == "_pki-validation.univ-lyon.test."
    assert submitted["status"] == "NOT_VALIDATED" and submitted["orderStatus"] == "SUBMITTED"
    assert "No TXT record" in submitted["message"]
    dns.add(f'{submitted["host"]} 60 IN TXT "{submitted["point"]}"')
    synced = _ok(_post(mrao_api, "sync", {"domain": "univ-lyon.test"}, version="v2", force="true"))
    assert synced["status"] == "VALIDATED" and synced["orderStatus"] == "NOT_INITIATED"
    assert "host" not in synced


def test_txt_with_a_wrong_value_and_a_dns_timeout_fail_clearly(mrao_api, domain, dns, settings):
    start = _ok(_post(mrao_api, "start/domain/txt", {"domain": "univ-lyon.test"}))
    dns.add(f'{start["host"]} 60 IN TXT "not-the-value"')
    submitted = _ok(_post(mrao_api, "submit/domain/txt", {"domain": "univ-lyon.test"}))
    assert submitted["status"] == "NOT_VALIDATED" and "do not contain the expected value" in submitted["message"]
    settings.DNS_TIMEOUT = 0.4
    dns.silent.add(start["host"].rstrip("."))
    synced = _ok(_post(mrao_api, "sync", {"domain": "univ-lyon.test"}, force="true"))
    assert synced["status"] == "NOT_VALIDATED" and synced["orderStatus"] == "SUBMITTED"
    assert "timed out" in synced["message"]
    domain.refresh_from_db()
    assert domain.dcv_status == DcvStatus.NOT_VALIDATED and domain.dcv_validated_at is None


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_file_dcv_end_to_end(mrao_api, domain, dns, web, scheme):
    dns.add("univ-lyon.test. 60 IN A 127.0.0.1")
    start = _ok(_post(mrao_api, f"start/domain/{scheme}", {"domain": "univ-lyon.test"}))
    assert set(start) == {"url", "firstLine", "secondLine"}
    assert re.fullmatch(rf"{scheme}://univ-lyon\.test/\.well-known/pki-validation/[0-9A-F]+\.txt", start["url"])
    assert start["secondLine"] == "certdesk.test"
    path = start["url"].split("univ-lyon.test", 1)[1]
    web.serve("univ-lyon.test", path, "wrong\r\n")
    failed = _ok(_post(mrao_api, f"submit/domain/{scheme}", {"domain": "univ-lyon.test"}))
    assert failed["status"] == "NOT_VALIDATED" and failed["orderStatus"] == "SUBMITTED"
    web.serve("univ-lyon.test", path, f"{start['firstLine']}\r\n{start['secondLine']}\r\n")
    synced = _ok(_post(mrao_api, "sync", {"domain": "univ-lyon.test"}, force="true"))
    assert synced["status"] == "VALIDATED"
    assert (scheme, "univ-lyon.test", path) in web.state.requests


def test_file_dcv_is_refused_for_a_wildcard_and_submit_needs_a_start(mrao_api, make_domain, univ):
    make_domain("*.univ-lyon.test", univ)
    status, code, description = error_of(_post(mrao_api, "start/domain/http", {"domain": "*.univ-lyon.test"}))
    assert (status, code) == (400, -721) and "wildcard" in description
    assert not DcvOrder.objects.exists()
    status, code, _ = error_of(_post(mrao_api, "submit/domain/cname", {"domain": "*.univ-lyon.test"}))
    assert (status, code) == (400, -720)
    # an open CNAME order cannot be submitted as HTTPS or TXT
    _ok(_post(mrao_api, "start/domain/cname", {"domain": "*.univ-lyon.test"}))
    status, code, description = error_of(_post(mrao_api, "submit/domain/https", {"domain": "*.univ-lyon.test"}))
    assert (status, code) == (400, -720) and "uses CNAME" in description
    assert error_of(_post(mrao_api, "submit/domain/txt", {"domain": "*.univ-lyon.test"}))[:2] == (400, -720)


def test_disabled_method_and_suspended_domain(mrao_api, mrao_actor, domain):
    services.set_dcv_methods(mrao_actor, ["CNAME", "TXT"])
    assert error_of(_post(mrao_api, "start/domain/http", {"domain": "univ-lyon.test"}))[:2] == (400, -1608)
    assert error_of(_post(mrao_api, "start/domain/email", {"domain": "univ-lyon.test"}))[:2] == (400, -1608)
    services.set_domain_state(mrao_actor, domain, active=False)
    assert error_of(_post(mrao_api, "start/domain/cname", {"domain": "univ-lyon.test"}))[:2] == (400, -715)


# ---------------------------------------------------------------------------
# Email (addresses listed, order recorded; the email and its page: tests/domains/test_email_dcv.py)


def test_email_start_and_submit(mrao_api, mrao_actor, domain, make_domain, univ):
    services.set_domain_contacts(mrao_actor, domain, ["Dns@Univ-Lyon.example"])
    make_domain("www.univ-lyon.test", univ)
    start = _ok(_post(mrao_api, "start/domain/email", {"domain": "univ-lyon.test"}))
    assert start["emails"][:5] == ["admin@univ-lyon.test", "administrator@univ-lyon.test",
                                   "hostmaster@univ-lyon.test", "postmaster@univ-lyon.test",
                                   "webmaster@univ-lyon.test"]
    assert start["dcvEmails"] == [{"domainName": "univ-lyon.test", "adminEmails": start["emails"][:5],
                                   "whoisEmails": ["dns@univ-lyon.example"], "dnsTxtEmails": []}]
    status, code, _ = error_of(_post(mrao_api, "submit/domain/email", {"domain": "univ-lyon.test",
                                                                       "email": "someone@else.example"}))
    assert (status, code) == (400, -1601)
    assert error_of(_post(mrao_api, "submit/domain/email", {"domain": "univ-lyon.test"}))[:2] == (400, -7)
    submitted = _ok(_post(mrao_api, "submit/domain/email", {"domain": "univ-lyon.test",
                                                            "email": "Hostmaster@univ-lyon.test"}))
    assert submitted["status"] == "NOT_VALIDATED" and submitted["orderStatus"] == "SUBMITTED"
    assert submitted["emailValidationReferenceNumber"] == submitted["orderBackendId"]
    status = _ok(_post(mrao_api, "status", {"domain": "univ-lyon.test"}))
    assert status["orderMode"] == "EMAIL" and status["validationEmail"] == "hostmaster@univ-lyon.test"
    # two domains at once: the addresses common to both, then one bulk submit
    both = _ok(_post(mrao_api, "start/domain/email", {"domains": ["www.univ-lyon.test", "univ-lyon.test"]}))
    assert "admin@univ-lyon.test" in both["emails"] and "admin@www.univ-lyon.test" not in both["emails"]
    assert [d["domainName"] for d in both["dcvEmails"]] == ["www.univ-lyon.test", "univ-lyon.test"]


def test_email_submit_without_start_and_bulk(mrao_api, make_domain, univ):
    a = make_domain("a.univ-lyon.test", univ)
    b = make_domain("b.univ-lyon.test", univ)
    one = _ok(_post(mrao_api, "submit/domain/email", {"domain": "a.univ-lyon.test",
                                                      "email": "admin@a.univ-lyon.test"}))
    assert one["orderStatus"] == "SUBMITTED"
    # every domain is checked before anything is submitted
    refused = mrao_api.post(f"{DCV}/submit-bulk/domain/email",
                            {"domains": ["a.univ-lyon.test", "b.univ-lyon.test"], "email": "admin@a.univ-lyon.test"})
    assert error_of(refused)[:2] == (400, -1601)
    assert not DcvOrder.objects.filter(domain=b).exists()
    make_domain("univ-lyon.test", univ)
    bulk = _ok(mrao_api.post(f"{DCV}/submit-bulk/domain/email",
                             {"domains": ["b.univ-lyon.test", "univ-lyon.test"], "email": "admin@univ-lyon.test"}))
    assert bulk["orderStatus"] == "SUBMITTED" and "2 domain(s)" in bulk["message"]
    ids = [int(i) for i in bulk["orderBackendId"].split(",")]
    assert DcvOrder.objects.filter(pk__in=ids, status=OrderStatus.SUBMITTED, email="admin@univ-lyon.test").count() == 2
    assert DcvOrder.objects.get(domain=a).status == OrderStatus.SUBMITTED
    assert error_of(mrao_api.post(f"{DCV}/submit-bulk/domain/email", {"domains": [], "email": "x@y.test"}))[:2] == (
        400, -1601)


# ---------------------------------------------------------------------------
# List, delete, bad input, scope


def test_list_filters(mrao_api, make_domain, validate, univ, physics, chemistry, dns):
    a = make_domain("a.univ-lyon.test", univ)
    validate(a)
    b = make_domain("b.univ-lyon.test", physics)
    services.submit_dcv(services.system_actor(univ.customer), b, method="TXT")
    make_domain("c.univ-lyon.test", chemistry)
    response = mrao_api.get(DCV)
    assert response["X-Total-Count"] == "3"
    rows = {r["domain"]: r for r in response.json()}
    assert rows["b.univ-lyon.test"] == {"domain": "b.univ-lyon.test", "dcvStatus": "NOT_VALIDATED",
                                        "dcvOrderStatus": "SUBMITTED", "dcvOrderMethod": "TXT"}

    def names(params):
        return [r["domain"] for r in mrao_api.get(DCV, params).json()]

    assert names({"dcvStatus": "validated"}) == ["a.univ-lyon.test"]
    assert names({"orderStatus": "SUBMITTED"}) == ["b.univ-lyon.test"]
    assert names({"orderStatus": "NOT_INITIATED", "size": 1, "position": 1}) == ["c.univ-lyon.test"]
    assert names({"expiresIn": 400}) == ["a.univ-lyon.test"] and names({"expiresIn": 10}) == []
    assert names({"org": univ.pk}) == ["a.univ-lyon.test", "b.univ-lyon.test", "c.univ-lyon.test"]
    assert names({"department": physics.pk}) == ["b.univ-lyon.test"]
    assert names({"domain": "C.UNIV"}) == ["c.univ-lyon.test"]
    head = mrao_api.head("dcv/v2/validation", {"dcvStatus": "NOT_VALIDATED"})
    assert head["X-Total-Count"] == "2" and head.content == b""
    for params in ({"dcvStatus": "GREEN"}, {"orderStatus": "DONE"}, {"expiresIn": "soon"}, {"org": "x"}):
        assert error_of(mrao_api.get(DCV, params))[:2] == (400, -1601), params


def test_delete_cancels_the_order_and_withdraws_the_validation(mrao_api, domain, validate, make_domain, univ):
    _ok(_post(mrao_api, "start/domain/cname", {"domain": "univ-lyon.test"}))
    response = _post(mrao_api, "delete", {"domain": "univ-lyon.test"})
    assert response.status_code == 200 and response.content == b""
    assert _ok(_post(mrao_api, "status", {"domain": "univ-lyon.test"}))["orderStatus"] == "NOT_INITIATED"
    validate(domain)
    _ok(_post(mrao_api, "start/domain/cname", {"domain": "univ-lyon.test"}))  # a revalidation under way
    response = _post(mrao_api, "delete", {"domain": "univ-lyon.test"})
    assert response.status_code == 200 and response.content == b""
    domain.refresh_from_db()
    assert (domain.dcv_status, domain.dcv_method, domain.dcv_validated_at, domain.dcv_expires) == (
        DcvStatus.NOT_VALIDATED, "", None, None)
    assert not DcvOrder.objects.filter(domain=domain, status__in=["AWAITING_SUBMISSION", "SUBMITTED"]).exists()
    status = _ok(_post(mrao_api, "status", {"domain": "univ-lyon.test"}))
    assert status == {"status": "NOT_VALIDATED", "orderStatus": "NOT_INITIATED"}
    detail = mrao_api.get(f"domain/v1/{domain.pk}").json()
    assert detail["validationStatus"] == "NOT_VALIDATED" and "dcvExpiration" not in detail
    # nothing left to delete: still 200
    assert _post(mrao_api, "delete", {"domain": "univ-lyon.test"}).status_code == 200


def test_list_query_count_does_not_grow_with_rows(mrao_api, make_domain, validate, univ, physics, mrao_actor,
                                                   settings):
    settings.API_AUTH_CACHE_SECONDS = 3600  # the warmed credential stays cached however slow the machine
    validate(make_domain("univ-lyon.test", univ))
    for i in range(25):
        domain = make_domain(f"h{i:02d}.univ-lyon.test", physics if i % 2 else univ)
        if i % 4 == 0:
            services.start_dcv(mrao_actor, domain, "TXT")
    mrao_api.get(DCV)  # warm the credential cache

    def count(params) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            rows = _ok_list(mrao_api.get(DCV, params))
        return len(rows), len(ctx.captured_queries)

    assert count({"size": 5})[1] == count({"size": 25})[1]
    assert count({"size": 5, "dcvStatus": "VALIDATED"})[1] == count({"size": 25, "dcvStatus": "VALIDATED"})[1]
    assert count({"domain": "h2"})[0] == 5 and count({"domain": "h2"})[1] == count({"domain": "h"})[1]
    rows = {r["domain"]: r for r in mrao_api.get(DCV, {"domain": "h0"}).json()}
    assert rows["h01.univ-lyon.test"]["dcvStatus"] == "VALIDATED"  # covered by univ-lyon.test
    assert rows["h04.univ-lyon.test"]["dcvOrderStatus"] == "AWAITING_SUBMISSION"


def _ok_list(response) -> list:
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("body, status, code", [
    (None, 400, -7),
    ({}, 400, -7),
    ({"domain": ""}, 400, -7),
    ({"domain": "ab"}, 400, -1601),
    ({"domain": "a" * 256}, 400, -1601),
    ({"domain": ["univ-lyon.test"]}, 400, -1601),
    ({"domain": "unknown.test"}, 404, -701),
    ({"domain": "not a name"}, 404, -701),
])
def test_bad_bodies(mrao_api, domain, body, status, code):
    for path in ("status", "start/domain/cname", "submit/domain/txt", "clear"):
        assert error_of(_post(mrao_api, path, body))[:2] == (status, code), path
    assert not DcvOrder.objects.exists()


def test_start_email_needs_domain_or_domains(mrao_api, domain):
    assert error_of(_post(mrao_api, "start/domain/email", {}))[:2] == (400, -951)
    assert error_of(_post(mrao_api, "start/domain/email", {"domains": ["univ-lyon.test", "nope.test"]}))[:2] == (
        404, -701)
    assert not DcvOrder.objects.exists()
    assert error_of(_post(mrao_api, "sync", {"domain": "univ-lyon.test"}, force="maybe"))[:2] == (400, -1601)
    assert error_of(mrao_api.post("dcv/v3/validation/status", {"domain": "univ-lyon.test"}))[:2] == (404, -14)
    assert error_of(mrao_api.post(f"{DCV}/start/domain/ftp", {"domain": "univ-lyon.test"}))[:2] == (404, -14)


def test_scope_and_dcv_privilege(scm, make_domain, physics, chemistry, drao_chemistry, jisc_api, drao_domains,
                                 other_customer_org):
    drao = scm(drao_domains.admin)
    make_domain("chemistry.univ-lyon.test", chemistry)
    make_domain("physics.univ-lyon.test", physics)
    for path in ("status", "start/domain/cname", "submit/domain/txt", "clear", "delete", "sync"):
        # another department's domain reads exactly like one that does not exist
        assert error_of(_post(drao, path, {"domain": "chemistry.univ-lyon.test"})) == (
            404, -701, "Domain 'chemistry.univ-lyon.test' not found."), path
        assert error_of(_post(jisc_api, path, {"domain": "physics.univ-lyon.test"}))[:2] == (404, -701), path
    assert [r["domain"] for r in drao.get(DCV).json()] == ["physics.univ-lyon.test"]
    assert _ok(_post(drao, "start/domain/cname", {"domain": "physics.univ-lyon.test"}))["host"]
    # a DRAO without the DCV privilege (allowDCV) sees the status but cannot validate
    chem = scm(drao_chemistry)
    assert _ok(_post(chem, "status", {"domain": "chemistry.univ-lyon.test"}))["status"] == "NOT_VALIDATED"
    for path in ("start/domain/cname", "submit/domain/txt", "clear", "delete"):
        assert error_of(_post(chem, path, {"domain": "chemistry.univ-lyon.test"}))[:2] == (403, -3), path
    assert error_of(_post(chem, "submit/domain/email", {"domain": "chemistry.univ-lyon.test",
                                                        "email": "admin@chemistry.univ-lyon.test"}))[:2] == (403, -3)


# ---------------------------------------------------------------------------
# The real SCM client library against a live certdesk


@pytest.mark.slow
@pytest.mark.usefixtures("transactional_db")
def test_cert_manager_domains_and_cname_dcv(connect, mrao, univ, physics, dns):
    client: Client = connect("mrao")
    domains = CmDomain(client)
    created = domains.create("univ-lyon.test", univ.pk, ["SSL"], description="e2e")
    assert domains.get(created["id"])["delegations"][0]["orgId"] == univ.pk
    assert domains.all() == [{"id": created["id"], "name": "univ-lyon.test"}]
    assert domains.find(name="lyon") == [{"id": created["id"], "name": "univ-lyon.test"}]
    assert domains.count() == {"count": 1}
    assert domains.delegate(created["id"], physics.pk, ["SSL"]) is True
    assert domains.remove_delegation(created["id"], physics.pk, ["SSL"]) is True
    with pytest.raises(ValueError, match="public suffix"):
        domains.create("ac.uk", univ.pk, ["SSL"])

    dcv = DomainControlValidation(client)
    start = dcv.start_validation_cname("univ-lyon.test")
    assert dcv.get_validation_status("univ-lyon.test")["orderStatus"] == "AWAITING_SUBMISSION"
    dns.add(f"{start['host']} 60 IN CNAME {start['point']}")
    result = dcv.submit_validation_cname("univ-lyon.test")
    assert result["status"] == "VALIDATED", result
    assert dcv.search(dcvStatus="VALIDATED")[0]["domain"] == "univ-lyon.test"
    assert domains.get(created["id"])["validationStatus"] == "VALIDATED"
    with pytest.raises(HTTPError) as missing:
        dcv.get_validation_status("nowhere.test")
    assert missing.value.response.status_code == 404
    assert domains.delete(created["id"]) is True
