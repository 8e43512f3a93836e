"""The job queue (certdesk.core.queue): periodic jobs once per period, taken over after a worker
dies, retried after a failure; task retries with backoff."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from certdesk.core import queue
from certdesk.notifications.models import PeriodicRun

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def job():
    calls = []

    def body():
        calls.append(queue.keep_alive())
        if len(calls) == 2 and body.fail_second:
            raise RuntimeError("resolver unreachable")
        return len(calls)

    body.fail_second = False
    queue.periodic("tests.counter", every=timedelta(hours=1), lease=timedelta(minutes=10))(body)
    yield body, calls
    queue.PERIODIC.pop("tests.counter", None)


def test_periodic_job_runs_once_per_period(db, job):
    _, calls = job
    results = [queue.run_periodic("tests.counter", now=NOON + timedelta(minutes=m)) for m in (0, 1, 30, 59)]
    assert results == ["done", "skipped", "skipped", "skipped"]
    assert queue.run_periodic("tests.counter", now=NOON + timedelta(hours=1)) == "done"
    assert calls == [True, True]
    assert list(PeriodicRun.objects.filter(job="tests.counter").values_list("status", "runs", "result")) == [
        ("DONE", 1, "2"), ("DONE", 1, "1")]


def test_a_run_held_by_a_dead_worker_is_taken_over_after_its_lease(db, job):
    _, calls = job
    period = queue.PERIODIC["tests.counter"].period_start(NOON)
    PeriodicRun.objects.create(job="tests.counter", period_start=period, status="RUNNING", token="dead",
                               lease_until=NOON + timedelta(minutes=10), runs=1, started_at=NOON)
    assert queue.run_periodic("tests.counter", now=NOON + timedelta(minutes=5)) == "skipped"
    assert queue.run_periodic("tests.counter", now=NOON + timedelta(minutes=11)) == "done"
    run = PeriodicRun.objects.get(job="tests.counter")
    assert (run.status, run.runs) == ("DONE", 2) and calls == [True]


def test_a_failed_run_is_tried_again_in_the_same_period(db, job):
    body, calls = job
    body.fail_second = True
    assert queue.run_periodic("tests.counter", now=NOON) == "done"
    assert queue.run_periodic("tests.counter", now=NOON + timedelta(hours=1)) == "failed"
    run = PeriodicRun.objects.get(job="tests.counter", status="FAILED")
    assert "resolver unreachable" in run.error
    assert queue.run_periodic("tests.counter", now=NOON + timedelta(hours=1, seconds=10)) == "skipped"  # backoff
    assert queue.run_periodic("tests.counter", now=NOON + timedelta(hours=1, minutes=2)) == "done"
    assert len(calls) == 3


def test_keep_alive_reports_a_lost_lease(db):
    seen = []

    def body():
        PeriodicRun.objects.filter(job="tests.lost").update(token="someone-else")
        seen.append(queue.keep_alive())

    queue.periodic("tests.lost", every=timedelta(hours=1))(body)
    try:
        queue.run_periodic("tests.lost", now=NOON)
    finally:
        queue.PERIODIC.pop("tests.lost", None)
    assert seen == [False]


def test_jobs_retry_with_backoff():
    from certdesk.notifications import tasks

    assert tasks.flush_outbox.retries == 3 and tasks.flush_outbox.retry_delay == 10
    task = tasks.flush_outbox.s()
    assert task.retry_backoff == 2.0


def test_the_schedule_knows_every_periodic_job():
    from certdesk.notifications import tasks  # noqa: F401 - registers the jobs

    assert {"notifications.dispatch", "notifications.prune", "domains.dcv_recheck",
            "domains.dcv_expiry_sweep"} <= set(queue.PERIODIC)
    assert queue.PERIODIC["domains.dcv_expiry_sweep"].period_start(NOON + timedelta(hours=5)) == datetime(
        2026, 3, 2, tzinfo=timezone.utc)
    offered = {task.name for task in queue.huey.read_periodic(NOON)}
    assert {f"periodic:{name}" for name in queue.PERIODIC} <= offered  # every minute, by every worker
