"""Bad input ends as an SCM `{code, description}` 4xx, never a 500, and writes nothing."""
from __future__ import annotations

import json

import pytest

from certdesk.core.models import AuditEvent
from certdesk.tenancy.models import Organization
from tests.api.conftest import error_of

ORGS = "organization/v1"
VALID_ORG = {"name": "Sorbonne Universite", "address1": "21 rue de l'Ecole de Medecine", "city": "Paris",
             "country": "FR"}


@pytest.fixture
def nothing_written(db):
    """Asserts, after the test, that no organization and no audit event was added."""
    before = (Organization.objects.count(), AuditEvent.objects.count())
    yield
    assert (Organization.objects.count(), AuditEvent.objects.count()) == before


@pytest.fixture
def baseline(mrao_api, univ):
    return mrao_api


def test_malformed_json(baseline, nothing_written):
    status, code, description = error_of(baseline.post(ORGS, raw='{"name": "x",'))
    assert (status, code) == (400, -1601)
    assert description.startswith("Malformed JSON")


@pytest.mark.parametrize("raw", [
    "[" * 100_000 + "]" * 100_000,          # nesting deep enough to exhaust the recursion limit
    '{"name": NaN}',                         # not JSON
    b'{"name": "\xff\xfe"}',                 # not UTF-8
    '{"name": "x"} trailing',
])
def test_unparseable_bodies(baseline, nothing_written, raw):
    assert error_of(baseline.post(ORGS, raw=raw))[:2] == (400, -1601)


@pytest.mark.parametrize("body,field", [
    ({**VALID_ORG, "name": 123}, "name"),
    ({**VALID_ORG, "name": ["a"]}, "name"),
    ({**VALID_ORG, "city": {"x": 1}}, "city"),
    ({**VALID_ORG, "sslCertsApiEnabled": "maybe"}, "sslCertsApiEnabled"),
    ({**VALID_ORG, "sslCertsApiEnabled": 1}, "sslCertsApiEnabled"),
    ({**VALID_ORG, "certTypes": [{}]}, "certTypes"),
    ({**VALID_ORG, "certTypes": "SSL"}, "certTypes"),
    ({**VALID_ORG, "contactEmails": 5}, "contactEmails"),
    ({**VALID_ORG, "evDetails": {"incorporationDate": "last tuesday"}}, "incorporationDate"),
    ({**VALID_ORG, "evDetails": "EV"}, "evDetails"),
    ({**VALID_ORG, "parentOrgId": "abc"}, "parentOrgId"),
    ({**VALID_ORG, "parentOrgId": 10**30}, "parentOrgId"),
    ({**VALID_ORG, "name": "bad\x00name"}, "name"),
])
def test_wrong_types_name_the_field(baseline, nothing_written, body, field):
    status, code, description = error_of(baseline.post(ORGS, body))
    assert status == 400
    assert field in description


@pytest.mark.parametrize("body,words", [
    ({**VALID_ORG, "country": "XX"}, "country"),
    ({**VALID_ORG, "country": "France"}, "country"),
    ({**VALID_ORG, "name": ""}, "Name"),
    ({**VALID_ORG, "name": "   "}, "Name"),
    ({k: v for k, v in VALID_ORG.items() if k != "name"}, "Name"),
    ({**VALID_ORG, "name": "Université Paris Cité"}, "Universite"),
    ({**VALID_ORG, "name": "x" * 100_000}, "too long"),
    ({**VALID_ORG, "contactEmails": ["not-an-email"]}, "email"),
    ({**VALID_ORG, "certTypes": ["SSL", "Nope"]}, "types"),
    ({**VALID_ORG, "name": "{{ 7*7 }}"}, "certificate subject"),
    ({**VALID_ORG, "name": "x'; DROP TABLE tenancy_organization; --"}, "certificate subject"),
])
def test_refused_values_are_described(baseline, nothing_written, body, words):
    status, code, description = error_of(baseline.post(ORGS, body))
    assert status == 400 and code in (-7, -1601)
    assert words.lower() in description.lower()


def test_duplicate_name(baseline, nothing_written):
    status, code, description = error_of(baseline.post(ORGS, {**VALID_ORG, "name": "Universite de Lyon"}))
    assert (status, code) == (400, -1021)
    assert "already exists" in description


def test_unknown_keys_are_ignored(baseline):
    response = baseline.post(ORGS, {**VALID_ORG, "numberServers": 3, "serverType": -1, "whatever": {"a": [1]},
                                    "contactWebhook": "https://example.org/hook"})
    assert response.status_code == 201


def test_injection_strings_are_stored_verbatim(baseline):
    alias = "x'; DROP TABLE accounts_admin; --"
    code = "{{ 7*7 }} {% debug %} <script>alert(1)</script> ${jndi:ldap://x}"
    response = baseline.post(ORGS, {**VALID_ORG, "alias": alias, "academicCode": code})
    assert response.status_code == 201
    detail = baseline.get(response["Location"].split("/api/", 1)[1]).json()
    assert (detail["alias"], detail["academicCode"]) == (alias, code)
    assert baseline.get("admin/v1").status_code == 200  # the table is still there


def test_non_object_bodies_refused_for_create_and_update(baseline, univ, nothing_written):
    for raw in ('""', "[]", "null", "42", '"text"'):
        assert error_of(baseline.post(ORGS, raw=raw))[0] == 400
        assert error_of(baseline.put(f"{ORGS}/{univ.pk}", raw=raw))[0] == 400
        assert error_of(baseline.post("admin/v1", raw=raw))[0] == 400


def test_empty_body_for_create_is_a_missing_field(baseline, nothing_written):
    status, code, _ = error_of(baseline.post(ORGS, raw=""))
    assert (status, code) == (400, -7)


def test_body_too_large(baseline, nothing_written):
    raw = json.dumps({**VALID_ORG, "alias": "a" * (3 * 1024 * 1024)})
    assert error_of(baseline.post(ORGS, raw=raw))[0] == 413


def test_json_sent_without_json_content_type_is_read(baseline):
    response = baseline.post(ORGS, raw=json.dumps(VALID_ORG), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201
    response = baseline.post(ORGS, raw=json.dumps({**VALID_ORG, "name": "Other One"}), content_type="text/plain")
    assert response.status_code == 201


@pytest.mark.parametrize("method,path", [
    ("get", "/api/nothing/here"),
    ("post", "/api/nothing/here"),
    ("delete", "/api/ssl/v99/1"),
    ("get", "/api/organization/v1/abc"),
    ("get", "/api/organization/v1/99999999999999999999999999"),
    ("get", "/api/admin/v1/-1"),
    ("put", "/api/organization/v1/1/2/3"),
])
def test_unknown_routes_answer_json_404(baseline, method, path):
    response = getattr(baseline.client, method)(path, headers=baseline.headers())
    assert error_of(response)[0] == 404


def test_unknown_route_needs_no_csrf_token(client):
    client.handler.enforce_csrf_checks = True
    assert error_of(client.post("/api/nothing", "{}", content_type="application/json"))[0] == 404


def test_missing_id_is_404_with_scm_code(baseline):
    status, code, _ = error_of(baseline.get(f"{ORGS}/999999"))
    assert (status, code) == (404, -1023)
    assert error_of(baseline.get("admin/v1/999999"))[:2] == (404, -14)


def test_method_not_allowed_is_json_405(baseline, univ):
    response = baseline.patch(f"{ORGS}/{univ.pk}", {"name": "x"})
    status, _, description = error_of(response)
    assert status == 405 and "PATCH" in description
    assert "PUT" in response["Allow"]


def test_api_posts_need_no_csrf_token(client, mrao, univ):
    client.handler.enforce_csrf_checks = True
    client.force_login(mrao)  # even with a portal session cookie present
    response = client.post("/api/organization/v1", json.dumps(VALID_ORG), content_type="application/json",
                           headers={"login": "mrao", "password": "Correct-Horse-Battery-9", "customerUri": "renater"})
    assert response.status_code == 201


@pytest.mark.parametrize("query", [{"size": "abc"}, {"size": "201"}, {"size": "-1"}, {"position": "-5"},
                                   {"position": "x"}, {"position": "9" * 40}])
def test_bad_paging_parameters(baseline, query):
    status, code, description = error_of(baseline.get("admin/v1", query))
    assert status == 400 and code == -1601
    assert next(iter(query)) in description
