"""SCM `/api/person/v1|v2` (spec §7.9): list with filters and paging, by email, detail, create with
Location, update, delete; every refusal an SCM error (-105 person not found, -7, -1601, -704)."""
from __future__ import annotations

import pytest

from certdesk.persons.models import Person
from tests.persons.conftest import (  # noqa: F401 - fixtures
    alice,
    bob,
    claire,
    drao_smime_physics,
    nina,
    person_domains,
    rao_smime,
)

from .conftest import error_of

pytestmark = pytest.mark.django_db

NEW = {"firstName": "Jean", "lastName": "Dupont", "email": "jean@univ-lyon.test", "validationType": "STANDARD"}
KEYS = {"id", "organizationId", "email", "firstName", "middleName", "lastName", "validationType", "phone",
        "commonName", "secondaryEmails", "eppn", "upn", "created", "createdBy", "modified", "modifiedBy"}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_create_then_read_back(mrao_api, physics, person_domains, version):
    body = {**NEW, "organizationId": physics.pk, "middleName": "Paul", "phone": 33472000000,
            "secondaryEmails": ["jd@univ-lyon.test"], "eppn": "jdupont@univ-lyon.test", "legacyKey": "ignored"}
    response = mrao_api.post(f"person/{version}", body)
    assert response.status_code == 201, response.content
    assert response.content == b""
    location = response["Location"]
    person = Person.objects.get()
    assert location.endswith(f"/api/person/{version}/{person.pk}") and location.startswith("http")
    item = mrao_api.get(f"person/{version}/{person.pk}").json()
    assert set(item) == KEYS
    assert item["organizationId"] == physics.pk and item["commonName"] == "Jean Dupont"
    assert item["phone"] == "33472000000" and item["secondaryEmails"] == ["jd@univ-lyon.test"]
    assert item["createdBy"] == "mrao" and item["created"].endswith("Z")


def test_list_filters_paging_and_total(mrao_api, alice, bob, claire, nina, physics):
    response = mrao_api.get("person/v1")
    assert response.status_code == 200 and response["X-Total-Count"] == "4"
    assert [p["id"] for p in response.json()] == sorted(p.pk for p in (alice, bob, claire, nina))
    page = mrao_api.get("person/v2", {"size": 2, "position": 1})
    assert page["X-Total-Count"] == "4" and len(page.json()) == 2
    assert page.json()[0]["id"] == sorted(p.pk for p in (alice, bob, claire, nina))[1]
    assert mrao_api.head("person/v1")["X-Total-Count"] == "4"

    def ids(**params):
        return [p["id"] for p in mrao_api.get("person/v1", params).json()]

    assert ids(name="alice") == [alice.pk]
    assert ids(organizationId=physics.pk) == [alice.pk]
    assert ids(email="BOB@univ-lyon.test") == [bob.pk]
    assert ids(commonName="petit") == [claire.pk]
    assert ids(secondaryEmail="nobody@univ-lyon.test") == []


@pytest.mark.parametrize("params", [{"size": 201}, {"size": -1}, {"position": "x"}, {"organizationId": "abc"},
                                    {"name": "x" * 300}, {"email": "a\x01b"}])
def test_list_bad_query_is_an_scm_error(mrao_api, params):
    status, code, _ = error_of(mrao_api.get("person/v1", params))
    assert (status, code) == (400, -1601)


def test_by_email(mrao_api, alice):
    for email in ("alice@univ-lyon.test", "ALICE%40univ-lyon.test"):
        response = mrao_api.get(f"person/v1/id/byEmail/{email}")
        assert response.status_code == 200 and response.json() == {"personId": alice.pk}
    assert error_of(mrao_api.get("person/v2/id/byEmail/nobody@univ-lyon.test"))[:2] == (404, -105)
    assert error_of(mrao_api.get("person/v2/id/byEmail/not-an-email"))[:2] == (404, -105)


def test_unknown_or_out_of_scope_person_is_minus_105(scm, mrao_api, drao_smime_physics, alice, claire, rao_univ):
    assert error_of(mrao_api.get("person/v1/999999"))[:2] == (404, -105)
    drao = scm(drao_smime_physics)
    assert drao.get(f"person/v1/{alice.pk}").status_code == 200
    for call in (lambda: drao.get(f"person/v1/{claire.pk}"), lambda: drao.put(f"person/v1/{claire.pk}", {"phone": "1"}),
                 lambda: drao.delete(f"person/v1/{claire.pk}"),
                 lambda: drao.get("person/v1/id/byEmail/claire@chem.univ-lyon.test")):
        assert error_of(call())[:2] == (404, -105)
    ssl_rao = scm(rao_univ)
    assert ssl_rao.get("person/v1").json() == []
    assert error_of(ssl_rao.get(f"person/v1/{alice.pk}"))[:2] == (404, -105)


def test_create_refusals(scm, mrao_api, rao_univ, physics, other_customer_org, person_domains):
    cases = [
        ({**NEW}, 400, -7),  # no organizationId
        ({**NEW, "organizationId": physics.pk, "email": ""}, 400, -7),
        ({**NEW, "organizationId": physics.pk, "firstName": None, "lastName": "X"}, 400, -7),
        ({**NEW, "organizationId": physics.pk, "email": "not-an-email"}, 400, -1601),
        ({**NEW, "organizationId": physics.pk, "email": "jean@elsewhere.example"}, 400, -704),
        ({**NEW, "organizationId": physics.pk, "validationType": "EV"}, 400, -1601),
        ({**NEW, "organizationId": physics.pk, "firstName": "x" * 65}, 400, -1601),
        ({**NEW, "organizationId": physics.pk, "secondaryEmails": [1, 2]}, 400, -1601),
        ({**NEW, "organizationId": physics.pk, "firstName": {"a": 1}}, 400, -1601),
        ({**NEW, "organizationId": "x"}, 400, -1601),
        ({**NEW, "organizationId": other_customer_org.pk}, 400, -1023),
        ({**NEW, "organizationId": 999999}, 400, -1023),
    ]
    for body, status, code in cases:
        got = error_of(mrao_api.post("person/v1", body))
        assert got[:2] == (status, code), (body, got)
    assert error_of(mrao_api.post("person/v1", raw="[1]"))[:2] == (400, -1601)
    assert error_of(mrao_api.post("person/v1", raw="{bad json"))[:2] == (400, -1601)
    # an SSL admin covering the department has no client certificate role there
    assert error_of(scm(rao_univ).post("person/v1", {**NEW, "organizationId": physics.pk}))[:2] == (403, -3)
    assert not Person.objects.exists()


def test_duplicate_email_is_refused(mrao_api, alice, physics):
    status, code, text = error_of(mrao_api.post("person/v1", {**NEW, "organizationId": physics.pk,
                                                              "email": "Alice@UNIV-LYON.test"}))
    assert (status, code) == (400, -1601) and "already exists" in text
    assert Person.objects.count() == 1


def test_update_echoes_the_person_and_delete_answers_200(mrao_api, alice, univ):
    response = mrao_api.put(f"person/v2/{alice.pk}", {"phone": "+33 1 02 03", "organizationId": univ.pk,
                                                      "middleName": None})
    assert response.status_code == 200
    item = response.json()
    assert item["phone"] == "+33 1 02 03" and item["organizationId"] == univ.pk and item["modifiedBy"] == "mrao"
    assert error_of(mrao_api.put(f"person/v2/{alice.pk}", {"email": "bad"}))[:2] == (400, -1601)
    assert error_of(mrao_api.put(f"person/v2/{alice.pk}", {"lastName": ""}))[:2] == (400, -7)
    response = mrao_api.delete(f"person/v1/{alice.pk}")
    assert response.status_code == 200 and response.content == b""
    assert error_of(mrao_api.get(f"person/v1/{alice.pk}"))[:2] == (404, -105)


def test_invitation_of_an_unknown_person_is_scm_404(mrao_api, alice):
    # invitation/send itself: tests/smime/test_invitations.py; import-key: tests/smime/test_api.py
    assert error_of(mrao_api.post("person/v2/999999/invitation/send", {}))[:2] == (404, -105)


def test_schema_documents_persons(client, db):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = schema["paths"]
    for path in ("/api/person/v{version}", "/api/person/v{version}/{person_id}",
                 "/api/person/v{version}/id/byEmail/{email}"):
        assert path in paths, sorted(p for p in paths if "person" in p)
    assert paths["/api/person/v{version}"]["post"]["tags"] == ["person"]
    assert "Location" in paths["/api/person/v{version}"]["post"]["responses"]["201"]["headers"]
    assert {"firstName", "organizationId", "secondaryEmails"} <= set(schema["components"]["schemas"]["PersonInput"]
                                                                         ["properties"])


def test_date_format(mrao_api, alice):
    item = mrao_api.get(f"person/v1/{alice.pk}").json()
    assert item["created"].endswith("Z") and "T" in item["created"]
    day = alice.created.strftime("%m/%d/%Y")
    assert mrao_api.get(f"person/v1/{alice.pk}", {"dateFormat": "US"}).json()["created"] == day
    assert mrao_api.get("person/v1", {"dateFormat": "yyyy-MM-dd"}).json()[0]["modified"] == \
        alice.modified.strftime("%Y-%m-%d")
    assert error_of(mrao_api.get("person/v1", {"dateFormat": "%s"}))[:2] == (400, -1601)
