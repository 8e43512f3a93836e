"""A new admin takes its account into use over the API: change the password first, then work."""
from __future__ import annotations

import pytest

from certdesk.accounts import services as accounts
from tests.api.conftest import error_of
from tests.conftest import PASSWORD

NEW = "Robot-Initial-Passw0rd"
CHOSEN = "Robot-Chosen-Passw0rd-2"


@pytest.fixture
def new_robot(mrao_api, univ):
    response = mrao_api.post("admin/v1", {
        "login": "robot001", "email": "robot001@univ-lyon.example", "forename": "Robot", "surname": "Zero",
        "password": NEW, "type": "API", "credentials": [{"role": "RAO_SSL", "orgId": univ.pk}],
    })
    assert response.status_code == 201, response.content
    return int(response["Location"].rsplit("/", 1)[1])


@pytest.mark.parametrize("method,path", [
    ("get", "organization/v1"), ("get", "admin/v1"), ("get", "admin/v1/password"), ("get", "admin/v1/roles"),
    ("post", "organization/v1"), ("get", "admin/v1/idp"),
])
def test_every_call_but_changepassword_is_refused_first(scm, new_robot, method, path):
    status, code, description = error_of(getattr(scm("robot001", password=NEW), method)(path))
    assert (status, code) == (401, -213)
    assert "changepassword" in description


def test_changepassword_takes_the_account_into_use(scm, mrao_api, new_robot):
    robot = scm("robot001", password=NEW)
    assert mrao_api.get(f"admin/v1/{new_robot}").json()["passwordState"] == "EXPIRED"
    weak = robot.post("admin/v1/changepassword", {"newPassword": "short"})
    assert error_of(weak)[:2] == (400, -7306)
    same = robot.post("admin/v1/changepassword", {"newPassword": NEW})
    assert error_of(same)[0] == 400
    assert robot.post("admin/v1/changepassword", {"newPassword": CHOSEN}).status_code == 204
    # The old password is gone at once (even though it was just verified and cached).
    assert error_of(robot.get("organization/v1"))[:2] == (401, -16)
    chosen = scm("robot001", password=CHOSEN)
    assert chosen.get("organization/v1").status_code == 200
    assert chosen.get("admin/v1/password").json() == {"state": "ALIVE"}
    assert mrao_api.get(f"admin/v1/{new_robot}").json()["passwordState"] == "ALIVE"


def test_changepassword_needs_a_new_password(scm, new_robot):
    robot = scm("robot001", password=NEW)
    for body in ({}, {"newPassword": ""}, None):
        status, code, _ = error_of(robot.post("admin/v1/changepassword", body))
        assert status == 400 and code in (-7, -7306)
    assert error_of(robot.post("admin/v1/changepassword", {"newPassword": 12345678901}))[0] == 400
    # A JSON string body counts as an empty object (spec §3).
    assert error_of(robot.post("admin/v1/changepassword", raw='""'))[0] == 400


def test_changepassword_with_wrong_password_is_unknown_user(scm, new_robot):
    response = scm("robot001", password="not-the-password").post("admin/v1/changepassword",
                                                                 {"newPassword": CHOSEN})
    assert error_of(response)[:2] == (401, -16)


def test_reset_by_another_admin_forces_a_change_again(scm, mrao_api, rao_univ):
    response = mrao_api.put(f"admin/v1/{rao_univ.pk}", {"password": "Reset-By-Mrao-99"})
    assert response.status_code == 200
    assert response.json()["passwordState"] == "EXPIRED"
    assert error_of(scm(rao_univ).get("organization/v1"))[:2] == (401, -16)
    assert error_of(scm(rao_univ, password="Reset-By-Mrao-99").get("organization/v1"))[:2] == (401, -213)


def test_existing_admin_with_forced_change(scm, mrao_actor, univ):
    accounts.create_admin(
        mrao_actor, login="forced", email="forced@univ-lyon.example", forename="F", surname="Orced",
        password=PASSWORD, credentials=[{"role": "RAO_SSL", "orgId": univ.pk}],
    )
    api = scm("forced")
    assert error_of(api.get("organization/v1"))[:2] == (401, -213)
    assert api.post("admin/v1/changepassword/", {"newPassword": CHOSEN}).status_code == 204
    assert scm("forced", password=CHOSEN).get("organization/v1").status_code == 200
