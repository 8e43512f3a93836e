"""/api/organization/v1: scope-filtered lists, details, create (organizations and departments), update, delete."""
from __future__ import annotations

import pytest
from django.conf import settings

from certdesk.tenancy import services as tenancy
from certdesk.tenancy.models import Organization
from tests.api.conftest import error_of

ORGS = "organization/v1"
DEFAULT_TYPES = ["SSL", "SMIME", "CodeSign"]  # the service's default order
NEW_ORG = {"name": "Sorbonne Universite", "alternativeName": "Sorbonne", "address1": "21 rue de l'Ecole",
           "city": "Paris", "stateProvince": "Ile-de-France", "postalCode": 75006, "country": "fr",
           "contactEmails": "pki@sorbonne.example; admin@sorbonne.example", "sslCertsApiEnabled": True,
           "clientCertificate": {"allowKeyRecoveryByMasterAdmins": True}}


@pytest.fixture
def tree(univ, physics, chemistry, other_org):
    return univ, physics, chemistry, other_org


def _id_from(location: str) -> int:
    return int(location.rstrip("/").rsplit("/", 1)[1])


def test_mrao_lists_every_organization_with_its_departments(mrao_api, tree, other_customer_org):
    univ, physics, chemistry, other_org = tree
    response = mrao_api.get(ORGS)
    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"
    assert response.json() == [
        {"id": univ.pk, "name": "Universite de Lyon", "certTypes": DEFAULT_TYPES, "departments": [
            {"id": chemistry.pk, "name": "Chemistry", "parentName": "Universite de Lyon"},
            {"id": physics.pk, "name": "Physics", "parentName": "Universite de Lyon"},
        ]},
        {"id": other_org.pk, "name": "Universite de Nantes", "certTypes": DEFAULT_TYPES,
         "departments": []},
    ]


def test_rao_sees_only_its_organization(rao_api, tree):
    univ, physics, chemistry, _ = tree
    listed = rao_api.get(ORGS).json()
    assert [(o["id"], [d["id"] for d in o["departments"]]) for o in listed] == [(univ.pk, [chemistry.pk,
                                                                                           physics.pk])]


def test_drao_sees_only_its_department_as_an_item(drao_api, tree):
    _, physics, _, _ = tree
    assert drao_api.get(ORGS).json() == [{"id": physics.pk, "name": "Physics", "certTypes": DEFAULT_TYPES,
                                          "departments": [], "parentName": "Universite de Lyon"}]


def test_out_of_scope_and_other_tenant_ids_answer_like_missing(rao_api, drao_api, mrao_api, tree,
                                                                other_customer_org):
    univ, physics, chemistry, other_org = tree
    missing = error_of(mrao_api.get(f"{ORGS}/987654"))
    assert error_of(mrao_api.get(f"{ORGS}/{other_customer_org.pk}")) == missing
    assert error_of(rao_api.get(f"{ORGS}/{other_org.pk}")) == missing
    assert error_of(drao_api.get(f"{ORGS}/{univ.pk}")) == missing
    assert error_of(drao_api.get(f"{ORGS}/{chemistry.pk}")) == missing
    assert error_of(mrao_api.put(f"{ORGS}/{other_customer_org.pk}", {"city": "Bath"})) == missing
    assert error_of(mrao_api.delete(f"{ORGS}/{other_customer_org.pk}")) == missing
    assert missing[:2] == (404, -1023)


def test_organization_details(mrao_api, tree):
    univ, physics, chemistry, _ = tree
    detail = mrao_api.get(f"{ORGS}/{univ.pk}").json()
    assert detail == {
        "id": univ.pk, "name": "Universite de Lyon", "academicCode": "univ-lyon.fr", "address1": "92 rue Pasteur",
        "city": "Lyon", "postalCode": "69007", "country": "FR", "contactEmails": [], "validationStatus": "VALIDATED",
        "sslCertsApiEnabled": False, "clientCertsApiEnabled": False, "certTypes": DEFAULT_TYPES,
        "ipAcl": [], "webApiSecretKeySet": False,
        "departments": [{"id": chemistry.pk, "name": "Chemistry", "parentName": "Universite de Lyon"},
                        {"id": physics.pk, "name": "Physics", "parentName": "Universite de Lyon"}],
    }


def test_department_details_follow_the_organization(drao_api, tree):
    univ, physics, _, _ = tree
    detail = drao_api.get(f"{ORGS}/{physics.pk}/").json()
    assert detail["parentId"] == univ.pk and detail["parentName"] == "Universite de Lyon"
    assert detail["validationStatus"] == "VALIDATED"
    assert detail["departments"] == []


def test_create_organization(mrao_api, customer):
    response = mrao_api.post(ORGS, NEW_ORG)
    assert response.status_code == 201
    assert response.content == b""
    location = response["Location"]
    assert location.startswith(settings.BASE_URL + "/api/organization/v1/")
    org = Organization.objects.get(pk=_id_from(location))
    assert (org.customer, org.parent) == (customer, None)
    detail = mrao_api.get(f"{ORGS}/{org.pk}").json()
    assert detail["secondaryName"] == "Sorbonne"
    assert detail["stateOrProvince"] == "Ile-de-France"
    assert detail["postalCode"] == "75006"
    assert detail["country"] == "FR"
    assert detail["contactEmails"] == ["pki@sorbonne.example", "admin@sorbonne.example"]
    assert detail["sslCertsApiEnabled"] is True
    assert detail["validationStatus"] == "NOT_VALIDATED"


def test_create_department_by_parent_name(mrao_api, univ):
    response = mrao_api.post(ORGS, {"name": "Biology", "parentOrgName": "Universite de Lyon",
                                    "sslCertsApiEnabled": True})
    assert response.status_code == 201
    dept = Organization.objects.get(pk=_id_from(response["Location"]))
    assert dept.parent == univ and dept.ssl_certs_api_enabled
    listed = mrao_api.get(ORGS).json()
    assert {"id": dept.pk, "name": "Biology", "parentName": "Universite de Lyon"} in listed[0]["departments"]


def test_create_department_by_parent_id(mrao_api, univ):
    response = mrao_api.post(ORGS, {"name": "Biology", "parentOrgId": univ.pk})
    assert response.status_code == 201
    assert Organization.objects.get(pk=_id_from(response["Location"])).parent == univ


def test_department_of_a_department_is_refused(mrao_api, physics):
    assert error_of(mrao_api.post(ORGS, {"name": "Optics", "parentOrgId": physics.pk}))[0] == 400


def test_unknown_parent_is_refused(mrao_api, rao_api, other_org, other_customer_org):
    assert error_of(mrao_api.post(ORGS, {"name": "X", "parentOrgName": "Nowhere"}))[:2] == (400, -1023)
    assert error_of(mrao_api.post(ORGS, {"name": "X", "parentOrgName": "University of Bristol"}))[:2] == (400,
                                                                                                          -1023)
    assert error_of(rao_api.post(ORGS, {"name": "X", "parentOrgName": "Universite de Nantes"}))[:2] == (400, -1023)
    assert error_of(rao_api.post(ORGS, {"name": "X", "parentOrgId": other_org.pk}))[:2] == (400, -1023)


def test_rao_with_add_departments_creates_a_department(rao_api, univ):
    assert rao_api.post(ORGS, {"name": "Geology", "parentOrgName": "Universite de Lyon"}).status_code == 201


def test_rao_cannot_create_an_organization(rao_api, univ):
    status, code, _ = error_of(rao_api.post(ORGS, {"name": "Mine", "city": "Lyon", "country": "FR"}))
    assert (status, code) == (403, -3)


def test_drao_cannot_create_a_department(drao_api, univ, physics):
    assert error_of(drao_api.post(ORGS, {"name": "X", "parentOrgId": univ.pk}))[0] == 400  # not visible


def test_update_organization(mrao_api, univ):
    response = mrao_api.put(f"{ORGS}/{univ.pk}", {"address2": "Batiment B", "stateOrProvince": "Rhone",
                                                  "clientCertsApiEnabled": True, "ignored": 1})
    assert response.status_code == 200
    body = response.json()
    assert (body["address2"], body["stateOrProvince"], body["clientCertsApiEnabled"]) == ("Batiment B", "Rhone",
                                                                                          True)
    assert body["name"] == "Universite de Lyon"  # untouched


def test_update_refuses_bad_values_and_writes_nothing(mrao_api, univ):
    before = Organization.objects.get(pk=univ.pk).modified
    assert error_of(mrao_api.put(f"{ORGS}/{univ.pk}", {"country": "ZZ"}))[0] == 400
    assert error_of(mrao_api.put(f"{ORGS}/{univ.pk}", {"name": ""}))[0] == 400
    assert error_of(mrao_api.put(f"{ORGS}/{univ.pk}", {"name": "Universite de Lyon 2", "city": "Léon"}))[0] == 400
    org = Organization.objects.get(pk=univ.pk)
    assert (org.name, org.city, org.modified) == ("Universite de Lyon", "Lyon", before)


def test_ev_details_are_shown_when_set(mrao_api, univ):
    response = mrao_api.put(f"{ORGS}/{univ.pk}", {"evDetails": {
        "jurisdictionCountry": "FR", "businessCategory": "Government Entity", "registrationNumber": "19691774400019",
        "incorporationDate": "1896-07-10"}})
    assert response.status_code == 200
    assert response.json()["evDetails"] == {"jurisdictionCountry": "FR", "businessCategory": "Government Entity",
                                            "registrationNumber": "19691774400019",
                                            "incorporationDate": "1896-07-10"}


def test_rao_cannot_edit_ev_details(rao_api, univ):
    assert error_of(rao_api.put(f"{ORGS}/{univ.pk}", {"evDetails": {"jurisdictionCountry": "FR"}}))[0] == 403


def test_rao_edits_its_department(rao_api, physics):
    response = rao_api.put(f"{ORGS}/{physics.pk}", {"address1": "4 rue Enrico Fermi"})
    assert response.status_code == 200 and response.json()["address1"] == "4 rue Enrico Fermi"


def test_drao_without_privilege_cannot_edit_its_department(drao_api, physics):
    assert error_of(drao_api.put(f"{ORGS}/{physics.pk}", {"address1": "x"}))[:2] == (403, -3)


def test_delete_department_then_organization(mrao_api, mrao_actor, univ):
    org = tenancy.create_organization(mrao_actor, name="Temp Org", city="Lyon", country="FR")
    dept = tenancy.create_department(mrao_actor, org, name="Temp Dept")
    status, code, _ = error_of(mrao_api.delete(f"{ORGS}/{org.pk}"))
    assert (status, code) == (400, -1021)
    assert mrao_api.delete(f"{ORGS}/{dept.pk}").status_code == 204
    assert mrao_api.delete(f"{ORGS}/{org.pk}/").status_code == 204
    assert not Organization.objects.filter(pk__in=[org.pk, dept.pk]).exists()
    assert error_of(mrao_api.get(f"{ORGS}/{org.pk}"))[0] == 404


def test_organization_with_admins_cannot_be_deleted(mrao_api, physics, drao_physics):
    assert error_of(mrao_api.delete(f"{ORGS}/{physics.pk}"))[:2] == (400, -1021)


def test_rao_cannot_delete_its_organization(rao_api, univ):
    assert error_of(rao_api.delete(f"{ORGS}/{univ.pk}"))[:2] == (403, -3)


@pytest.mark.parametrize("path", ["managedBy", "managed-by"])
def test_managed_by_role(path, rao_api, drao_api, mrao_api, tree):
    univ, physics, chemistry, other_org = tree
    names = lambda api, role: [o["name"] for o in api.get(f"{ORGS}/{path}/{role}").json()]  # noqa: E731
    assert names(rao_api, "RAO_SSL") == ["Universite de Lyon", "Chemistry", "Physics"]
    assert names(rao_api, "RAO_SMIME") == []
    assert names(rao_api, "MRAO") == []
    assert names(drao_api, "DRAO_SSL") == ["Physics"]
    assert names(drao_api, "RAO_SSL") == []
    assert names(mrao_api, "MRAO") == ["Universite de Lyon", "Universite de Nantes", "Chemistry", "Physics"]
    item = rao_api.get(f"{ORGS}/{path}/DRAO_SSL").json()[0]
    assert item == {"id": chemistry.pk, "name": "Chemistry", "parentName": "Universite de Lyon"}
    assert error_of(rao_api.get(f"{ORGS}/{path}/KING"))[0] == 400


def test_report_type(mrao_api, tree):
    assert [o["name"] for o in mrao_api.get(f"{ORGS}/report-type/SSL").json()] == ["Universite de Lyon",
                                                                                   "Universite de Nantes"]
    assert mrao_api.get(f"{ORGS}/report-type/Device").json() == []
    assert error_of(mrao_api.get(f"{ORGS}/report-type/Nope"))[0] == 400


def test_private_api_is_the_same_api(scm, mrao, univ):
    api = scm(mrao, prefix="/private/api")
    assert [o["id"] for o in api.get(ORGS).json()] == [univ.pk]
    response = api.post(ORGS, {"name": "Private Org", "city": "Lyon", "country": "FR"})
    assert response.status_code == 201
    assert response["Location"].startswith(settings.BASE_URL + "/private/api/organization/v1/")


def test_list_query_count_does_not_grow_with_organizations(mrao_api, mrao_actor, tree,
                                                           django_assert_max_num_queries, settings):
    settings.API_AUTH_CACHE_SECONDS = 3600  # the warmed credential stays cached however slow the machine
    mrao_api.get(ORGS)  # warm the credential cache
    for i in range(15):
        org = tenancy.create_organization(mrao_actor, name=f"Org {i}", city="Lyon", country="FR")
        tenancy.create_department(mrao_actor, org, name="Dept")
    with django_assert_max_num_queries(5):  # + the IP access-control lookup
        response = mrao_api.get(ORGS)
    assert len(response.json()) == 17


def test_location_is_built_on_the_configured_base_url(mrao_api, settings):
    settings.BASE_URL = "https://pki.example.org/certdesk"
    response = mrao_api.post(ORGS, {"name": "Base Org", "city": "Lyon", "country": "FR"})
    org_id = _id_from(response["Location"])
    assert response["Location"] == f"https://pki.example.org/certdesk/api/organization/v1/{org_id}"
