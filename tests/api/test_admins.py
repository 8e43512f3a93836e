"""/api/admin/v1: scope-filtered lists, details, create/update/delete within the actor's grants."""
from __future__ import annotations

import pytest

from certdesk.accounts.models import Admin, AdminType
from certdesk.accounts.roles import PRIVILEGES_BY_ROLE, Role
from certdesk.core.models import AuditEvent
from tests.api.conftest import error_of

ADMINS = "admin/v1"
NEW = "Initial-Passw0rd-For-New"


def _id_from(response) -> int:
    assert response.status_code == 201, response.content
    assert response.content == b""
    return int(response["Location"].rsplit("/", 1)[1])


def _new_admin(**extra):
    return {"login": "newadmin", "email": "new@univ-lyon.example", "forename": "New", "surname": "Admin",
            "password": NEW, **extra}


@pytest.fixture
def people(mrao, mrao2, rao_univ, drao_physics, drao_chemistry, rao_other, other_mrao):
    return locals()


def _logins(response):
    assert response.status_code == 200, response.content
    return sorted(a["login"] for a in response.json())


def test_mrao_lists_all_admins_of_its_customer(mrao_api, people):
    assert _logins(mrao_api.get(ADMINS)) == ["drao_chemistry", "drao_physics", "mrao", "mrao2", "rao_nantes",
                                             "rao_univ"]


def test_list_items_have_the_scm_keys(mrao_api, rao_univ):
    item = next(a for a in mrao_api.get(ADMINS).json() if a["login"] == "rao_univ")
    assert item == {"id": rao_univ.pk, "type": "STANDARD", "login": "rao_univ", "email": "rao@univ-lyon.example",
                    "forename": "Rachel", "surname": "Orga"}


def test_rao_sees_admins_of_its_organization_only(rao_api, people):
    assert _logins(rao_api.get(ADMINS)) == ["drao_chemistry", "drao_physics", "rao_univ"]


def test_drao_sees_admins_of_its_department_only(drao_api, people):
    assert _logins(drao_api.get(ADMINS)) == ["drao_physics"]


def test_list_filters(mrao_api, people, univ, physics, api_robot):
    assert _logins(mrao_api.get(ADMINS, {"login": "RAO_UNIV"})) == ["rao_univ"]
    assert _logins(mrao_api.get(ADMINS, {"email": "drao@physics.univ-lyon.example"})) == ["drao_physics"]
    assert _logins(mrao_api.get(ADMINS, {"type": "API"})) == ["robot"]
    assert _logins(mrao_api.get(ADMINS, {"type": "IDP"})) == []
    assert _logins(mrao_api.get(ADMINS, {"orgId": physics.pk})) == ["drao_physics"]
    assert _logins(mrao_api.get(ADMINS, {"orgId": univ.pk, "role": "RAO_SSL"})) == ["rao_univ", "robot"]
    assert _logins(mrao_api.get(ADMINS, {"role": "MRAO"})) == ["mrao", "mrao2"]
    assert _logins(mrao_api.get(ADMINS, {"activeState": "SUSPENDED"})) == []
    assert error_of(mrao_api.get(ADMINS, {"type": "ROBOT"}))[0] == 400
    assert error_of(mrao_api.get(ADMINS, {"role": "KING"}))[0] == 400
    assert error_of(mrao_api.get(ADMINS, {"activeState": "MAYBE"}))[0] == 400
    assert error_of(mrao_api.get(ADMINS, {"orgId": "x"}))[0] == 400


def test_admin_details(mrao_api, mrao, rao_univ, univ):
    detail = mrao_api.get(f"{ADMINS}/{rao_univ.pk}").json()
    assert {k: detail[k] for k in ("id", "type", "login", "forename", "surname", "email", "passwordState",
                                   "activeStatus", "credentials", "failedAttempts")} == {
        "id": rao_univ.pk, "type": "STANDARD", "login": "rao_univ", "forename": "Rachel", "surname": "Orga",
        "email": "rao@univ-lyon.example", "passwordState": "ALIVE", "activeStatus": "ACTIVE",
        "credentials": [{"role": "RAO_SSL", "orgId": univ.pk}], "failedAttempts": 0,
    }
    assert "addDepartments" in detail["privileges"]
    for key in ("created", "modified", "lastPasswordChange"):
        assert detail[key].endswith("Z")
    assert mrao_api.get(f"{ADMINS}/{mrao.pk}").json()["credentials"] == [{"role": "MRAO"}]


def test_failed_attempts_are_counted(scm, mrao_api, rao_univ):
    scm(rao_univ, password="wrong-password-1").get(ADMINS)
    assert mrao_api.get(f"{ADMINS}/{rao_univ.pk}").json()["failedAttempts"] == 1


def test_out_of_scope_and_other_tenant_admins_answer_like_missing(mrao_api, rao_api, drao_api, people):
    missing = error_of(mrao_api.get(f"{ADMINS}/987654"))
    assert missing[:2] == (404, -14)
    assert error_of(mrao_api.get(f"{ADMINS}/{people['other_mrao'].pk}")) == missing
    assert error_of(rao_api.get(f"{ADMINS}/{people['rao_other'].pk}")) == missing
    assert error_of(rao_api.get(f"{ADMINS}/{people['mrao'].pk}")) == missing
    assert error_of(drao_api.get(f"{ADMINS}/{people['drao_chemistry'].pk}")) == missing
    assert error_of(rao_api.put(f"{ADMINS}/{people['rao_other'].pk}", {"forename": "X"})) == missing
    assert error_of(rao_api.delete(f"{ADMINS}/{people['rao_other'].pk}")) == missing
    assert error_of(mrao_api.delete(f"{ADMINS}/{people['other_mrao'].pk}")) == missing


def test_create_admin(mrao_api, univ):
    admin_id = _id_from(mrao_api.post(ADMINS, _new_admin(
        credentials=[{"role": "RAO_SSL", "orgId": univ.pk}], privileges=["allowDCV", "allowSslAutoApprove"],
        telephone="+33 4 00 00 00 00", street="ignored", certificateSerialNumber="0A1B2C3D")))
    detail = mrao_api.get(f"{ADMINS}/{admin_id}").json()
    assert detail["login"] == "newadmin" and detail["type"] == "STANDARD"
    assert detail["passwordState"] == "EXPIRED"  # created over the API: must change its password
    assert detail["credentials"] == [{"role": "RAO_SSL", "orgId": univ.pk}]
    assert sorted(detail["privileges"]) == ["allowDCV", "autoApproveCertificates"]
    assert detail["telephone"] == "+33 4 00 00 00 00"
    assert Admin.objects.get(pk=admin_id).created_by.login == "mrao"


def test_create_mrao_without_org_id(mrao_api, customer):
    admin_id = _id_from(mrao_api.post(ADMINS, _new_admin(credentials=[{"role": "MRAO"}])))
    assert mrao_api.get(f"{ADMINS}/{admin_id}").json()["credentials"] == [{"role": "MRAO"}]


def test_ws_api_use_only_privilege_means_type_api(mrao_api, univ):
    admin_id = _id_from(mrao_api.post(ADMINS, _new_admin(
        credentials=[{"role": "RAO_SSL", "orgId": univ.pk}], privileges=["wsApiUseOnly", "allowDCV"])))
    detail = mrao_api.get(f"{ADMINS}/{admin_id}").json()
    assert (detail["type"], detail["privileges"]) == ("API", ["allowDCV"])


def test_create_suspended_admin(mrao_api, univ):
    admin_id = _id_from(mrao_api.post(ADMINS, _new_admin(
        type="api", activeStatus="SUSPENDED", credentials=[{"role": "RAO_SSL", "orgId": univ.pk}])))
    admin = Admin.objects.get(pk=admin_id)
    assert (admin.type, admin.is_active) == (AdminType.API, False)


@pytest.mark.parametrize("body,status,code", [
    (_new_admin(), 400, -219),                                                        # no credentials
    (_new_admin(credentials=[]), 400, -219),
    (_new_admin(credentials=[{"role": "KING"}]), 400, -219),
    (_new_admin(credentials=[{"role": "RAO_SSL"}]), 400, -219),                       # no orgId
    (_new_admin(credentials=[{"role": "RAO_SSL", "orgId": 987654}]), 400, -219),
    (_new_admin(credentials=[{"role": "RAO_SSL", "orgId": "x"}]), 400, -1601),
    (_new_admin(credentials=[{"role": "MRAO", "orgId": 5}]), 400, -219),
    (_new_admin(credentials="MRAO"), 400, -1601),
    (_new_admin(credentials=[{"role": "MRAO"}], privileges=["fly"]), 400, -220),
    (_new_admin(credentials=[{"role": "MRAO"}], privileges="allowDCV"), 400, -1601),
    (_new_admin(credentials=[{"role": "MRAO"}], login="x"), 400, -1601),
    (_new_admin(credentials=[{"role": "MRAO"}], login="mrao"), 400, -218),
    (_new_admin(credentials=[{"role": "MRAO"}], email="nope"), 400, -1601),
    (_new_admin(credentials=[{"role": "MRAO"}], password="short"), 400, -7306),
    (_new_admin(credentials=[{"role": "MRAO"}], password=None), 400, -7306),
    (_new_admin(credentials=[{"role": "MRAO"}], type="IDP"), 400, -1601),
    (_new_admin(credentials=[{"role": "MRAO"}], activeStatus="ON"), 400, -1601),
    (_new_admin(credentials=[{"role": "MRAO"}], forename=""), 400, -7),
    (_new_admin(credentials=[{"role": "MRAO"}], forename=42), 400, -1601),
])
def test_create_refusals_write_nothing(mrao_api, univ, body, status, code):
    before = (Admin.objects.count(), AuditEvent.objects.count())
    assert error_of(mrao_api.post(ADMINS, body))[:2] == (status, code)
    assert (Admin.objects.count(), AuditEvent.objects.count()) == before


def test_role_given_on_the_wrong_level(mrao_api, univ, physics):
    assert error_of(mrao_api.post(ADMINS, _new_admin(credentials=[{"role": "DRAO_SSL", "orgId": univ.pk}])))[0] \
        == 400
    assert error_of(mrao_api.post(ADMINS, _new_admin(credentials=[{"role": "RAO_SSL", "orgId": physics.pk}])))[0] \
        == 400


def test_drao_cannot_create_a_rao(scm, drao_creator, univ, physics):
    api = scm(drao_creator)
    status, code, description = error_of(api.post(ADMINS, _new_admin(
        credentials=[{"role": "RAO_SSL", "orgId": univ.pk}])))
    assert (status, code) == (400, -219)  # the organization is not even visible to a DRAO
    status, code, description = error_of(api.post(ADMINS, _new_admin(credentials=[{"role": "MRAO"}])))
    assert status == 403 and "MRAO" in description
    # A peer DRAO of its own department is fine.
    assert api.post(ADMINS, _new_admin(credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}])).status_code == 201


def test_drao_without_allow_create_cannot_create_admins(drao_api, physics):
    status, code, _ = error_of(drao_api.post(ADMINS, _new_admin(credentials=[{"role": "DRAO_SSL",
                                                                               "orgId": physics.pk}])))
    assert (status, code) == (403, -219)


def test_rao_cannot_create_a_rao_unless_the_customer_allows_it(rao_api, customer, univ):
    body = _new_admin(credentials=[{"role": "RAO_SSL", "orgId": univ.pk}])
    assert error_of(rao_api.post(ADMINS, body))[:2] == (403, -219)
    customer.rao_can_create_rao = True
    customer.save()
    assert rao_api.post(ADMINS, body).status_code == 201


def test_granting_a_privilege_the_actor_lacks_is_refused(rao_api, physics):
    status, code, description = error_of(rao_api.post(ADMINS, _new_admin(
        credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}], privileges=["sslManage"])))
    assert (status, code) == (403, -220)
    assert "sslManage" in description


def test_granting_a_role_of_another_type_is_refused(rao_api, physics):
    status, code, _ = error_of(rao_api.post(ADMINS, _new_admin(credentials=[{"role": "DRAO_SMIME",
                                                                              "orgId": physics.pk}])))
    assert (status, code) == (403, -219)


def test_update_admin(mrao_api, rao_univ, univ, physics):
    response = mrao_api.put(f"{ADMINS}/{rao_univ.pk}/", {"email": "rachel@univ-lyon.example", "phone": 33400000})
    assert response.status_code == 200
    body = response.json()
    assert (body["email"], body["telephone"], body["login"]) == ("rachel@univ-lyon.example", "33400000", "rao_univ")
    response = mrao_api.put(f"{ADMINS}/{rao_univ.pk}", {"credentials": [{"role": "DRAO_SSL", "orgId": physics.pk}],
                                                        "privileges": ["allowDCV"]})
    assert response.status_code == 200
    assert response.json()["credentials"] == [{"role": "DRAO_SSL", "orgId": physics.pk}]
    response = mrao_api.put(f"{ADMINS}/{rao_univ.pk}", {"activeStatus": "SUSPENDED", "type": "API"})
    assert (response.json()["activeStatus"], response.json()["type"]) == ("SUSPENDED", "API")


def test_update_refusals(mrao_api, rao_api, drao_api, mrao, rao_univ, drao_physics, physics):
    assert error_of(mrao_api.put(f"{ADMINS}/{rao_univ.pk}", {"email": "bad"}))[0] == 400
    assert error_of(mrao_api.put(f"{ADMINS}/{rao_univ.pk}", {"credentials": []}))[0] == 400
    # Nobody changes its own roles, status or password this way.
    assert error_of(mrao_api.put(f"{ADMINS}/{mrao.pk}", {"forename": "Me"}))[:2] == (403, -220)
    # A RAO may not give a privilege it lacks.
    assert error_of(rao_api.put(f"{ADMINS}/{drao_physics.pk}", {"privileges": ["allowEdit", "allowDCV",
                                                                               "sslManage"]}))[:2] == (403, -220)
    # drao_physics holds allowEdit, but not over itself.
    assert error_of(drao_api.put(f"{ADMINS}/{drao_physics.pk}", {"forename": "D"}))[:2] == (403, -220)
    assert Admin.objects.get(pk=rao_univ.pk).email == "rao@univ-lyon.example"


def test_delete_admin(mrao_api, rao_api, drao_physics, rao_univ):
    assert error_of(rao_api.delete(f"{ADMINS}/{rao_univ.pk}"))[0] == 403  # not itself
    assert mrao_api.delete(f"{ADMINS}/{drao_physics.pk}?replacingRequesterId={rao_univ.pk}").status_code == 204
    assert not Admin.objects.filter(pk=drao_physics.pk).exists()
    assert error_of(mrao_api.get(f"{ADMINS}/{drao_physics.pk}"))[0] == 404


def test_roles(mrao_api, rao_api, drao_api, scm, drao_creator, customer):
    assert mrao_api.get(f"{ADMINS}/roles").json() == [r.value for r in Role]
    assert rao_api.get(f"{ADMINS}/roles").json() == ["DRAO_SSL"]
    assert drao_api.get(f"{ADMINS}/roles").json() == ["DRAO_SSL"]
    customer.rao_can_create_rao = True
    customer.save()
    assert rao_api.get(f"{ADMINS}/roles").json() == ["RAO_SSL", "DRAO_SSL"]


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_privileges_of_a_role(mrao_api, role):
    response = mrao_api.get(f"{ADMINS}/privileges", {"role": role})
    assert response.status_code == 200
    names = [p["name"] for p in response.json()]
    assert set(names) == {p.value for p in PRIVILEGES_BY_ROLE[Role(role)]}
    assert all(p["description"] for p in response.json())


def test_privileges_role_is_case_insensitive_and_unknown_is_400(mrao_api):
    assert mrao_api.get(f"{ADMINS}/privileges", {"role": "drao_ssl"}).status_code == 200
    assert error_of(mrao_api.get(f"{ADMINS}/privileges", {"role": "KING"}))[:2] == (400, -1601)
    assert len(mrao_api.get(f"{ADMINS}/privileges").json()) == len(PRIVILEGES_BY_ROLE[Role.MRAO])


def test_password_state_and_idp(mrao_api, drao_api):
    assert mrao_api.get(f"{ADMINS}/password").json() == {"state": "ALIVE"}
    assert drao_api.get(f"{ADMINS}/idp").json() == []


def test_changepassword_policy_failure(mrao2_api):
    assert error_of(mrao2_api.post(f"{ADMINS}/changepassword", {"newPassword": "password"}))[:2] == (400, -7306)
    assert error_of(mrao2_api.post(f"{ADMINS}/changepassword", {"newPassword": "mrao2"}))[:2] == (400, -7306)


def test_filter_values_no_database_could_store_are_refused(mrao_api, mrao):
    assert error_of(mrao_api.get(ADMINS, {"login": "mr\x00ao"}))[:2] == (400, -1601)
    assert error_of(mrao_api.get(ADMINS, {"email": "x" * 300}))[:2] == (400, -1601)
    assert error_of(mrao_api.get(f"{ADMINS}/privileges", {"role": "\x00"}))[:2] == (400, -1601)
