"""Runs over loopback servers the tests start: what a scan records, dedupes and matches, and the
worker path (the Huey task and the periodic job called directly)."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from django.utils import timezone

from certdesk.core import audit, queue
from certdesk.core.models import AuditEvent
from certdesk.discovery import scanner, services, tasks
from certdesk.discovery.models import DiscoveredCertificate, DiscoveredLocation, DiscoveryRun, RunStatus, Schedule

from ..conftest import actor_for
from .conftest import HAS_IPV6, ports_of
from .servers import TlsServer, make_certificate

pytestmark = pytest.mark.django_db


def _sha256(cert) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _run(task, actor) -> DiscoveryRun:
    run = services.start_run(actor, task)
    assert services.execute_run(run.pk) == "done"
    run.refresh_from_db()
    return run


def test_scan_finds_managed_and_unmanaged_certificates_and_records_failures(mrao_actor, physics, lan, managed_pair,
                                                                          unmanaged_pair, managed_record):
    task = services.create_task(mrao_actor, physics, name="Physics LAN", targets="127.0.0.1", ports=ports_of(lan))
    run = _run(task, mrao_actor)

    assert (run.status, run.probes, run.endpoints, run.certificates, run.new_certificates, run.failures) == (
        RunStatus.DONE, 5, 3, 2, 2, 2)
    errors = {f["port"]: f["error"] for f in run.failure_samples}
    assert errors[lan["closed"].port] == "connection refused"
    assert errors[lan["plain"].port].startswith("TLS handshake failed")

    managed = DiscoveredCertificate.objects.get(sha256=_sha256(managed_pair[0]))
    assert managed.certificate_id == managed_record.pk and managed.is_managed
    assert managed.chain_verified
    assert managed.common_name == "www.physics.example.org" and managed.key_algorithm == "EC"
    assert managed.key_size == 256

    unmanaged = DiscoveredCertificate.objects.get(sha256=_sha256(unmanaged_pair[0]))
    assert unmanaged.certificate_id is None and not unmanaged.chain_verified
    assert unmanaged.subject_alt_names == ["intranet.example.org", "wiki.example.org"]
    assert sorted(loc.port for loc in unmanaged.locations.all()) == sorted([lan["unmanaged"].port,
                                                                          lan["unmanaged2"].port])
    location = unmanaged.locations.first()
    assert location.ip == "127.0.0.1" and location.host == "" and location.tls_version.startswith("TLSv1")
    assert location.cipher

    task.refresh_from_db()
    assert (task.last_status, task.last_endpoints, task.last_certificates, task.last_failures) == ("DONE", 3, 2, 2)
    assert AuditEvent.objects.filter(action="discovery.run_finished", object_id=str(task.pk)).exists()
    assert audit.verify().ok


def test_a_second_run_dedupes_and_moves_last_seen(mrao_actor, physics, lan, unmanaged_pair):
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1", ports=ports_of(lan))
    _run(task, mrao_actor)
    first = DiscoveredCertificate.objects.get(sha256=_sha256(unmanaged_pair[0]))
    DiscoveredCertificate.objects.filter(pk=first.pk).update(last_seen=first.last_seen - dt.timedelta(days=1))
    again = _run(task, mrao_actor)
    assert (again.certificates, again.new_certificates) == (2, 0)
    assert DiscoveredCertificate.objects.count() == 2
    assert DiscoveredLocation.objects.count() == 3
    seen = DiscoveredCertificate.objects.get(pk=first.pk)
    assert seen.first_seen == first.first_seen and seen.last_seen > first.last_seen


def test_two_tasks_share_one_discovered_certificate_per_customer(mrao_actor, physics, chemistry, lan, unmanaged_pair):
    port = str(lan["unmanaged"].port)
    one = services.create_task(mrao_actor, physics, name="A", targets="127.0.0.1", ports=port)
    two = services.create_task(mrao_actor, chemistry, name="B", targets="127.0.0.0/30", ports=port)
    _run(one, mrao_actor)
    run = _run(two, mrao_actor)
    assert run.probes == 4 and run.new_certificates == 0
    found = DiscoveredCertificate.objects.get(sha256=_sha256(unmanaged_pair[0]))
    assert sorted(found.locations.values_list("task__name", flat=True)) == ["A", "B"]


@pytest.mark.skipif(not HAS_IPV6, reason="no IPv6 loopback on this machine")
def test_host_name_targets_send_sni_and_ipv6_loopback_is_scanned(mrao_actor, physics, monkeypatch):
    default = make_certificate("default.example.org")
    named = make_certificate("portal.example.org")
    server = TlsServer(*default, host="::1", by_sni={"portal.example.org": named}).start()
    try:
        # The name resolves to the IPv6 loopback the test bound, without asking any resolver.
        monkeypatch.setattr(scanner, "resolve", lambda host: ["::1"])
        task = services.create_task(mrao_actor, physics, name="v6", targets="portal.example.org\n::1",
                                    ports=str(server.port))
        run = _run(task, mrao_actor)
    finally:
        server.stop()
    assert run.endpoints == 2 and run.certificates == 2
    assert "portal.example.org" in server.sni
    by_host = {loc.host: loc.discovered.common_name for loc in DiscoveredLocation.objects.select_related("discovered")}
    assert by_host == {"portal.example.org": "portal.example.org", "": "default.example.org"}
    assert DiscoveredLocation.objects.filter(ip="::1").count() == 2


def test_host_name_resolving_outside_the_allowed_networks_is_not_contacted(mrao_actor, physics, monkeypatch):
    monkeypatch.setattr(scanner, "resolve", lambda host: ["192.0.2.7"])
    contacted = []
    monkeypatch.setattr(scanner, "probe", lambda *a, **k: contacted.append(a))
    task = services.create_task(mrao_actor, physics, name="dns", targets="www.example.org", ports="443")
    run = _run(task, mrao_actor)
    assert contacted == []
    assert run.failures == 1 and run.failure_samples[0]["error"] == "outside the networks discovery may scan"


def test_an_unresolvable_host_name_is_a_failure_not_a_crash(mrao_actor, physics, monkeypatch):
    def fail(host):
        raise OSError(-2, "Name or service not known")

    monkeypatch.setattr(scanner, "resolve", fail)
    task = services.create_task(mrao_actor, physics, name="dns", targets="nowhere.example.org", ports="443")
    run = _run(task, mrao_actor)
    assert run.status == RunStatus.DONE and run.failures == 1
    assert run.failure_samples[0]["error"].startswith("host name not resolved")


def test_a_certificate_imported_elsewhere_later_is_matched_at_the_next_run(mrao_actor, physics, lan, unmanaged_pair):
    from certdesk.certificates import imports

    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1",
                                ports=str(lan["unmanaged"].port))
    _run(task, mrao_actor)
    found = DiscoveredCertificate.objects.get()
    assert found.certificate_id is None
    cert = imports.import_certificate(mrao_actor, organization=physics, certificate_text=unmanaged_pair[0].public_bytes(
        serialization.Encoding.PEM).decode())
    _run(task, mrao_actor)
    found.refresh_from_db()
    assert found.certificate_id == cert.pk


# ---------------------------------------------------------------------------
# Runs: queueing and the worker


def test_run_now_is_refused_while_a_run_is_pending(mrao_actor, physics):
    from certdesk.core.errors import Conflict

    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1", ports="9")
    services.start_run(mrao_actor, task)
    with pytest.raises(Conflict) as err:
        services.start_run(mrao_actor, task)
    assert "already queued or in progress" in err.value.message


def test_run_now_enqueues_after_commit(mrao_actor, physics, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(tasks, "run_discovery", lambda run_id: queued.append(run_id))
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1", ports="9")
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_run(mrao_actor, task)
        assert queued == []  # nothing leaves before the commit
    assert queued == [run.pk]


def test_worker_task_runs_a_queued_run_once(mrao_actor, physics, lan):
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1", ports=ports_of(lan))
    run = services.start_run(mrao_actor, task)
    assert tasks.run_discovery.call_local(run.pk) == "done"
    assert tasks.run_discovery.call_local(run.pk) == "skipped"  # a second delivery does nothing
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.certificates == 2
    assert lan["managed"].connections == 1


def test_periodic_job_queues_due_scheduled_tasks_once(mrao_actor, physics, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks, "run_discovery", lambda run_id: queued.append(run_id))
    daily = services.create_task(mrao_actor, physics, name="daily", targets="127.0.0.1", ports="9",
                                 schedule=Schedule.DAILY)
    services.create_task(mrao_actor, physics, name="manual", targets="127.0.0.1", ports="9")
    weekly = services.create_task(mrao_actor, physics, name="weekly", targets="127.0.0.1", ports="9",
                                  schedule="weekly")
    weekly.last_run_at = timezone.now() - dt.timedelta(days=2)
    weekly.save()
    now = timezone.now()
    assert queue.run_periodic("discovery.schedule", now=now) == "done"
    runs = list(DiscoveryRun.objects.all())
    assert [(r.task_id, r.scheduled, r.status) for r in runs] == [(daily.pk, True, RunStatus.QUEUED)]
    # The next offers: just queued (its period starts now) → not queued again.
    assert services.start_due_runs(now + dt.timedelta(minutes=20)) == 0
    # Due again by its period but its run still waits for the worker → not queued twice.
    daily.refresh_from_db()
    type(daily).objects.filter(pk=daily.pk).update(last_run_at=now - dt.timedelta(days=2))
    assert services.start_due_runs(now + dt.timedelta(hours=1)) == 0
    type(daily).objects.filter(pk=daily.pk).update(last_run_at=now)
    DiscoveryRun.objects.update(status=RunStatus.DONE)
    assert services.start_due_runs(now + dt.timedelta(days=1, minutes=1)) == 1
    assert services.start_due_runs(now + dt.timedelta(days=5, minutes=1)) == 2  # daily again, and weekly


def test_a_run_failing_inside_is_recorded_failed(mrao_actor, physics, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("scanner exploded")

    monkeypatch.setattr(scanner, "scan", boom)
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1", ports="9")
    run = services.start_run(mrao_actor, task)
    assert services.execute_run(run.pk) == "failed"
    run.refresh_from_db()
    task.refresh_from_db()
    assert run.status == RunStatus.FAILED and "scanner exploded" in run.error
    assert task.last_status == RunStatus.FAILED


def test_drao_runs_only_tasks_of_its_department(physics, chemistry, mrao_actor, drao_physics):
    from certdesk.core.errors import NotFound

    chem = services.create_task(mrao_actor, chemistry, name="chem", targets="127.0.0.1", ports="9")
    mine = services.create_task(actor_for(drao_physics), physics, name="phys", targets="127.0.0.1", ports="9")
    assert services.start_run(actor_for(drao_physics), mine).status == RunStatus.QUEUED
    with pytest.raises(NotFound):
        services.start_run(actor_for(drao_physics), chem)


def test_a_run_that_cannot_be_recorded_fails_without_partial_writes(mrao_actor, physics, lan, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_record_locations", broken)
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1", ports=ports_of(lan))
    run = services.start_run(mrao_actor, task)
    assert services.execute_run(run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "disk full" in run.error
    assert not DiscoveredCertificate.objects.exists() and not DiscoveredLocation.objects.exists()


def test_a_lost_run_stops_blocking_run_now_after_the_longest_the_task_can_take(mrao_actor, physics, settings):
    settings.DISCOVERY_CONCURRENCY = 2
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.0/30", ports="443", timeout=10)
    assert services.longest_run(task) == dt.timedelta(seconds=2 * 10 * 2)
    lost = services.start_run(mrao_actor, task)
    DiscoveryRun.objects.filter(pk=lost.pk).update(status=RunStatus.RUNNING, queued_at=timezone.now() - (
        services.PENDING_STALE + services.longest_run(task) + dt.timedelta(minutes=1)))
    assert services.start_run(mrao_actor, task).pk != lost.pk
