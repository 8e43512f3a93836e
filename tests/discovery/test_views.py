"""The Discovery menu of the portal: tasks (list, add with form errors, detail, edit, run now,
delete with its confirmation) and discovered certificates (filters, detail, import)."""
from __future__ import annotations

import pytest

from certdesk.certificates.models import Certificate
from certdesk.discovery import services
from certdesk.discovery.models import DiscoveredCertificate, DiscoveryRun, DiscoveryTask, RunStatus

from .conftest import ports_of

pytestmark = pytest.mark.django_db


def test_discovery_menu_is_no_longer_a_placeholder(mrao_client, physics):
    html = mrao_client.get("/discovery/").content.decode()
    assert "Not yet available" not in html
    assert "No discovery task yet." in html and "Add discovery task" in html
    french = mrao_client.get("/discovery/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Découverte" in french
    about = mrao_client.get("/about/").content.decode()
    assert "Discovery" not in about.split("Not yet available in this version:", 1)[1].split("</p>", 1)[0]


def test_add_task_shows_form_errors_and_writes_nothing(mrao_client, physics):
    response = mrao_client.post("/discovery/new/", {"organization": physics.pk, "name": "LAN",
                                                    "targets": "127.0.0.1\n192.0.2.0/24", "ports": "443",
                                                    "schedule": "NONE", "timeout": 5})
    assert response.status_code == 400
    assert "192.0.2.0/24 is outside the networks discovery may scan" in response.content.decode()
    response = mrao_client.post("/discovery/new/", {"organization": physics.pk, "name": "LAN", "targets": "127.0.0.1",
                                                    "ports": "443, 70000", "schedule": "NONE", "timeout": 5})
    assert response.status_code == 400 and "Port 70000 is out of range" in response.content.decode()
    assert not DiscoveryTask.objects.exists()


def test_add_edit_run_and_delete_a_task(mrao_client, physics, monkeypatch, django_capture_on_commit_callbacks):
    from certdesk.discovery import tasks

    queued = []
    monkeypatch.setattr(tasks, "run_discovery", lambda run_id: queued.append(run_id))
    response = mrao_client.post("/discovery/new/", {"organization": physics.pk, "name": "Physics LAN",
                                                    "targets": "127.0.0.0/30", "ports": "443,8443",
                                                    "schedule": "DAILY", "timeout": 3})
    task = DiscoveryTask.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/discovery/{task.pk}/"
    page = mrao_client.get(f"/discovery/{task.pk}/").content.decode()
    assert "Physics LAN" in page and "8 addresses × ports" in page and "Daily" in page

    response = mrao_client.post(f"/discovery/{task.pk}/edit/", {"organization": physics.pk, "name": "Physics LAN",
                                                                "targets": "127.0.0.1", "ports": "443",
                                                                "schedule": "WEEKLY", "timeout": 3})
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.targets, task.schedule, task.probe_count) == ("127.0.0.1", "WEEKLY", 1)

    with django_capture_on_commit_callbacks(execute=True):
        response = mrao_client.post(f"/discovery/{task.pk}/run/", follow=True)
    run = DiscoveryRun.objects.get()
    assert queued == [run.pk] and run.status == RunStatus.QUEUED
    assert "is queued" in response.content.decode()
    again = mrao_client.post(f"/discovery/{task.pk}/run/", follow=True).content.decode()
    assert "already queued or in progress" in again
    assert DiscoveryRun.objects.count() == 1
    assert mrao_client.get(f"/discovery/{task.pk}/run/").status_code == 405  # never on GET

    asked = mrao_client.post(f"/discovery/{task.pk}/delete/")
    assert asked.status_code == 200 and "Delete this discovery task?" in asked.content.decode()
    assert DiscoveryTask.objects.exists()
    done = mrao_client.post(f"/discovery/{task.pk}/delete/", {"confirmed": "1"})
    assert done.status_code == 302 and not DiscoveryTask.objects.exists()


def test_drao_sees_its_department_tasks_only(client, login_as, mrao_actor, physics, chemistry, drao_physics):
    mine = services.create_task(mrao_actor, physics, name="physics-lan", targets="127.0.0.1")
    other = services.create_task(mrao_actor, chemistry, name="chemistry-lan", targets="127.0.0.2")
    login_as(drao_physics)
    html = client.get("/discovery/").content.decode()
    assert "physics-lan" in html and "chemistry-lan" not in html
    assert client.get(f"/discovery/{mine.pk}/").status_code == 200
    for url in (f"/discovery/{other.pk}/", f"/discovery/{other.pk}/edit/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/discovery/{other.pk}/run/").status_code == 404
    assert client.post(f"/discovery/{other.pk}/delete/", {"confirmed": "1"}).status_code == 404
    response = client.post("/discovery/new/", {"organization": chemistry.pk, "name": "x", "targets": "127.0.0.1",
                                               "ports": "443", "schedule": "NONE", "timeout": 5})
    assert response.status_code == 400  # Chemistry is not among its choices
    assert DiscoveryTask.objects.count() == 2


def test_certificate_list_filters_and_import(mrao_client, mrao_actor, physics, lan, django_assert_max_num_queries):
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1", ports=ports_of(lan))
    services.execute_run(services.start_run(mrao_actor, task).pk)
    with django_assert_max_num_queries(25):
        html = mrao_client.get("/discovery/certificates/").content.decode()
    assert "intranet.example.org" in html and "www.physics.example.org" in html and "2 certificates" in html
    html = mrao_client.get("/discovery/certificates/?managed=unmanaged").content.decode()
    assert "intranet.example.org" in html and "www.physics.example.org" not in html
    html = mrao_client.get("/discovery/certificates/?managed=managed", HTTP_HX_REQUEST="true",
                           HTTP_HX_TARGET="discovery-certificate-table").content.decode()
    assert html.startswith('<div id="discovery-certificate-table"') and "www.physics.example.org" in html
    html = mrao_client.get(f"/discovery/certificates/?task={task.pk}&expiring=30").content.decode()
    assert "No discovered certificate matches these filters." in html
    bad = mrao_client.get("/discovery/certificates/?task=abc").content.decode()
    assert "Some filters are not valid" in bad

    found = DiscoveredCertificate.objects.get(common_name="intranet.example.org")
    page = mrao_client.get(f"/discovery/certificates/{found.pk}/").content.decode()
    assert "Not managed" in page and "Import into the SSL inventory" in page
    assert f"{lan['unmanaged'].port}" in page and f"{lan['unmanaged2'].port}" in page
    response = mrao_client.post(f"/discovery/certificates/{found.pk}/import/", {"organization": physics.pk,
                                                                                "comments": "web server"})
    cert = Certificate.objects.get(requested_via="Discovery")
    assert response.status_code == 302 and response["Location"] == f"/certificates/{cert.pk}/"
    page = mrao_client.get(f"/discovery/certificates/{found.pk}/").content.decode()
    assert "Managed" in page and "Import into the SSL inventory" not in page
    listing = mrao_client.get("/certificates/").content.decode()
    assert "intranet.example.org" in listing


def test_import_refusal_is_a_form_error(mrao_client, mrao_actor, physics, lan):
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1",
                                ports=str(lan["unmanaged"].port))
    services.execute_run(services.start_run(mrao_actor, task).pk)
    found = DiscoveredCertificate.objects.get()
    response = mrao_client.post(f"/discovery/certificates/{found.pk}/import/", {"organization": "999999"})
    assert response.status_code == 400
    assert not Certificate.objects.filter(requested_via="Discovery").exists()


def test_htmx_refreshes_the_table_and_asks_in_a_dialog(mrao_client, mrao_actor, physics, chemistry):
    task = services.create_task(mrao_actor, physics, name="physics-lan", targets="127.0.0.1")
    services.create_task(mrao_actor, chemistry, name="chemistry-lan", targets="127.0.0.2")
    html = mrao_client.get(f"/discovery/?org={physics.pk}", HTTP_HX_REQUEST="true",
                           HTTP_HX_TARGET="discovery-task-table").content.decode()
    assert html.startswith('<div id="discovery-task-table"') and "<html" not in html
    assert "physics-lan" in html and "chemistry-lan" not in html and "1 task" in html
    dialog = mrao_client.post(f"/discovery/{task.pk}/delete/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in dialog and 'name="confirmed" value="1"' in dialog
    assert "Delete this discovery task?" in dialog


def test_task_page_shows_the_last_runs_and_their_failures(mrao_client, mrao_actor, physics, lan):
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1", ports=ports_of(lan))
    services.execute_run(services.start_run(mrao_actor, task).pk)
    html = mrao_client.get(f"/discovery/{task.pk}/").content.decode()
    assert "2 certificates" in html and "3 endpoints" in html and "2 failures" in html
    assert "connection refused" in html and "Failures of the last run" in html
    assert f"/discovery/certificates/?task={task.pk}" in html


def test_runs_panel_polls_only_while_a_run_is_pending(mrao_client, mrao_actor, physics):
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1", ports="9")
    assert 'hx-trigger="every 5s"' not in mrao_client.get(f"/discovery/{task.pk}/").content.decode()
    run = services.start_run(mrao_actor, task)
    page = mrao_client.get(f"/discovery/{task.pk}/").content.decode()
    assert 'hx-trigger="every 5s"' in page and "Queued" in page
    services.execute_run(run.pk)
    panel = mrao_client.get(f"/discovery/{task.pk}/", HTTP_HX_REQUEST="true",
                            HTTP_HX_TARGET="discovery-runs").content.decode()
    assert panel.startswith('<section class="card" id="discovery-runs"') and "<html" not in panel
    assert 'hx-trigger="every 5s"' not in panel and "Done" in panel
