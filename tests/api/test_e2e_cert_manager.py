"""End to end: the unmodified python-cert_manager SCM client against a live certdesk."""
from __future__ import annotations

import gc
import threading
import time

import pytest
import requests
from cert_manager import Admin, Client, Organization
from requests.exceptions import HTTPError

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def connect(django_db_setup, live_server):
    """connect(login, password) -> cert_manager.Client talking to the live server.

    `django_db_setup` comes first so the session-wide live server shares the in-memory test
    database. After the test every keep-alive connection is closed and its server thread
    awaited: none may touch that shared connection once the server has stopped.
    """
    sessions = []

    def make(login, password=PASSWORD, customer="renater"):
        session = requests.Session()
        sessions.append(session)
        return Client(base_url=live_server.url + "/api", login_uri=customer, username=login, password=password,
                      session=session)

    yield make
    for session in sessions:
        session.close()
    gc.collect()  # connections urllib3 dropped without closing them
    deadline = time.monotonic() + 30  # a poll: a busy machine may take a while to finish a request
    while time.monotonic() < deadline and any(
        "process_request_thread" in thread.name for thread in threading.enumerate()
    ):
        time.sleep(0.01)


def test_cert_manager_organizations(connect, mrao, univ, physics, chemistry, other_org):
    orgs = Organization(connect("mrao"))
    assert [o["name"] for o in orgs.all()] == ["Universite de Lyon", "Universite de Nantes"]
    assert orgs.find(org_name="Universite de Lyon")[0]["id"] == univ.pk
    assert orgs.find(dept_name="Physics") == [{"id": physics.pk, "name": "Physics",
                                               "parentName": "Universite de Lyon"}]
    assert [d["id"] for d in orgs.find(org_name="Universite de Lyon", dept_name="Chemistry")] == [chemistry.pk]


def test_cert_manager_admins(connect, mrao, univ, rao_univ):
    admins = Admin(connect("mrao"))
    assert sorted(a["login"] for a in admins.all()) == ["mrao", "mrao2", "rao_univ"]
    assert admins.get(rao_univ.pk)["credentials"] == [{"role": "RAO_SSL", "orgId": univ.pk}]
    created = admins.create("e2e_robot", "robot@univ-lyon.example", "E2E", "Robot", "Robot-Initial-Passw0rd",
                            [{"role": "RAO_SSL", "orgId": univ.pk}], privileges=["wsApiUseOnly"])
    detail = admins.get(created["id"])
    assert (detail["login"], detail["type"], detail["passwordState"]) == ("e2e_robot", "API", "EXPIRED")
    assert admins.update(created["id"], forename="Updated") is True
    assert admins.get(created["id"])["forename"] == "Updated"
    assert admins.get_idps() == []
    # cert_manager turns 400s into ValueError(description).
    with pytest.raises(ValueError, match="at least one role"):
        admins.create("e2e_bad", "bad@univ-lyon.example", "B", "Ad", "Robot-Initial-Passw0rd", [])
    assert admins.delete(created["id"]) is True


def test_cert_manager_new_robot_changes_its_password(connect, live_server, mrao, univ):
    admins = Admin(connect("mrao"))
    admins.create("robot001", "robot001@univ-lyon.example", "Robot", "One", "Robot-Initial-Passw0rd",
                  [{"role": "RAO_SSL", "orgId": univ.pk}], type="API")
    robot = connect("robot001", "Robot-Initial-Passw0rd")
    with pytest.raises(HTTPError) as refused:
        Organization(robot)
    assert refused.value.response.status_code == 401
    assert refused.value.response.json()["code"] == -213
    robot.post(live_server.url + "/api/admin/v1/changepassword", data={"newPassword": "Robot-Chosen-Passw0rd"})
    orgs = Organization(connect("robot001", "Robot-Chosen-Passw0rd"))
    assert [o["id"] for o in orgs.all()] == [univ.pk]


def test_cert_manager_bad_credentials(connect, mrao):
    with pytest.raises(HTTPError) as refused:
        Organization(connect("mrao", "wrong-password-1"))
    assert refused.value.response.status_code == 401
    assert refused.value.response.json()["code"] == -16
