"""The job queue: one Huey instance configured from settings, and the decorators apps use.

- `task(...)`: a job the worker runs, retried with exponential backoff. Enqueue it after the
  transaction commits with `enqueue_on_commit(job, *args)`; jobs take ids and are idempotent.
- `periodic(name, every=...)`: a job that runs exactly once per period (a day, five minutes)
  however many workers run. Every worker's scheduler offers it once a minute; the first to
  claim the period in the database (`notifications.PeriodicRun`, unique job + period) runs it,
  the others skip. A claim is a lease: a worker killed in the middle leaves the claim to
  expire, and the next offer runs the job again, so periodic jobs must be idempotent (their
  effect happens once even when they run twice). Long jobs call `keep_alive()` between
  batches to extend the lease.

Storage: a SQLite file under the data dir by default (one machine, no extra server), Redis
when CERTDESK_REDIS_URL is set (many workers on many machines). Issue 7.
"""
from __future__ import annotations

import contextvars
import functools
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone as djtz
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey

logger = logging.getLogger("certdesk.worker")

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# A periodic job that raises is tried again in the same period this many times in all.
PERIODIC_MAX_RUNS = 5


def build_huey() -> Huey:
    common: dict[str, Any] = {"name": settings.QUEUE_NAME, "immediate": settings.QUEUE_IMMEDIATE,
                              "results": False, "utc": True}
    if settings.REDIS_URL:
        return RedisHuey(url=settings.REDIS_URL, **common)
    settings.QUEUE_FILE.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(filename=str(settings.QUEUE_FILE), **common)


huey: Huey = build_huey()


def _with_fresh_connections(fn: Callable) -> Callable:
    """Drop broken or stale database connections around each job, as Django does around requests.

    Not in immediate mode or inside a transaction: the job then runs in the caller's connection."""

    @functools.wraps(fn)
    def inner(*args, **kwargs):
        managed = not huey.immediate and not connection.in_atomic_block
        if managed:
            close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            if managed:
                close_old_connections()

    return inner


def task(*, retries: int = 5, retry_delay: int = 10, retry_backoff: float = 2.0, **options: Any):
    """Declare a worker job (`@queue.task()`). Calling the decorated function enqueues it."""

    def decorate(fn: Callable):
        name = f"{fn.__module__}.{fn.__name__}"
        return huey.task(retries=retries, retry_delay=retry_delay, retry_backoff=retry_backoff, name=name,
                         **options)(_with_fresh_connections(fn))

    return decorate


def enqueue_on_commit(job, *args: Any, **kwargs: Any) -> None:
    """Enqueue `job` once the current transaction commits (at once outside one).

    Enqueueing is a hint to run early: work kept in the database (the outbox) is also picked
    up by a periodic job, so a queue that cannot be reached loses nothing (it is logged)."""

    def send() -> None:
        try:
            job(*args, **kwargs)
        except Exception:  # noqa: BLE001 - the queue being down must not fail a committed change
            logger.exception("could not queue %s; the periodic dispatch will pick the work up",
                             getattr(job, "name", job))

    transaction.on_commit(send)


def load_tasks() -> None:
    """Import every app's `tasks` module so the worker knows every job and schedule."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")


# ---------------------------------------------------------------------------
# Periodic jobs: once per period, whatever the number of workers


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    lease: timedelta
    func: Callable[[], Any]

    def period_start(self, now: datetime) -> datetime:
        seconds = int(self.every.total_seconds())
        elapsed = int((now - EPOCH).total_seconds())
        return EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


PERIODIC: dict[str, PeriodicJob] = {}
_OFFERS: dict[str, Any] = {}  # job name -> the Huey periodic task that offers it every minute

_current_claim: contextvars.ContextVar[tuple[PeriodicJob, datetime, str] | None] = contextvars.ContextVar(
    "certdesk_periodic_claim", default=None)


def periodic(name: str, *, every: timedelta, lease: timedelta | None = None):
    """Declare a job run once per `every` (periods aligned on the Unix epoch, UTC: a daily job's
    period is the UTC day). `lease` is how long a run may take before another worker may
    assume it died (default: the period, at most an hour)."""
    if every < timedelta(minutes=1):
        raise ValueError("periodic jobs run at most once a minute")

    def decorate(fn: Callable[[], Any]):
        job = PeriodicJob(name, every, lease or min(every, timedelta(hours=1)), fn)
        PERIODIC[name] = job

        def offer() -> str:
            return run_periodic(name)

        offer.__name__ = offer.__qualname__ = f"periodic_{name.replace('.', '_')}"
        if name in _OFFERS:  # declared again (a reloaded module): the new one replaces the old
            _OFFERS[name].unregister()
        _OFFERS[name] = huey.periodic_task(crontab(), name=f"periodic:{name}")(_with_fresh_connections(offer))
        return fn

    return decorate


def _runs():
    return apps.get_model("notifications", "PeriodicRun")


def _claim(job: PeriodicJob, period: datetime, now: datetime) -> str | None:
    """Take the period for this worker: the first run, or a run whose holder died or failed."""
    PeriodicRun = _runs()
    token = uuid.uuid4().hex
    lease_until = now + job.lease
    try:
        with transaction.atomic():
            PeriodicRun.objects.create(job=job.name, period_start=period, status="RUNNING", token=token,
                                       lease_until=lease_until, runs=1, started_at=now)
        return token
    except IntegrityError:
        pass
    taken = (PeriodicRun.objects
             .filter(job=job.name, period_start=period, status__in=["RUNNING", "FAILED"], lease_until__lt=now,
                     runs__lt=PERIODIC_MAX_RUNS)
             .update(status="RUNNING", token=token, lease_until=lease_until, runs=F("runs") + 1, started_at=now))
    return token if taken else None


def run_periodic(name: str, *, now: datetime | None = None) -> str:
    """Run job `name` for the current period unless another worker has it or it is done.
    Returns "done", "skipped" or "failed"."""
    job = PERIODIC[name]
    fixed = now
    now = now or djtz.now()
    period = job.period_start(now)
    token = _claim(job, period, now)
    if token is None:
        return "skipped"
    PeriodicRun = _runs()
    mine = Q(job=name, period_start=period, token=token)
    reset = _current_claim.set((job, period, token))
    try:
        result = job.func()
    except Exception as exc:  # noqa: BLE001 - recorded, then tried again by a later offer
        logger.exception("periodic job %s failed", name)
        run = PeriodicRun.objects.filter(mine).first()
        runs = run.runs if run else 1
        retry = min(job.lease, timedelta(seconds=30 * 2 ** (runs - 1)))
        failed_at = fixed or djtz.now()
        PeriodicRun.objects.filter(mine).update(status="FAILED", error=f"{type(exc).__name__}: {exc}"[:2000],
                                                lease_until=failed_at + retry, finished_at=failed_at)
        return "failed"
    finally:
        _current_claim.reset(reset)
    PeriodicRun.objects.filter(mine).update(status="DONE", finished_at=djtz.now(), error="",
                                            result=str(result if result is not None else "")[:2000])
    return "done"


def keep_alive() -> bool:
    """Called by a long periodic job between batches: extend its lease. False when the lease
    was lost (another worker took the period over): the job should stop."""
    claim = _current_claim.get()
    if claim is None:
        return True
    job, period, token = claim
    return bool(_runs().objects.filter(job=job.name, period_start=period, token=token)
                .update(lease_until=djtz.now() + job.lease))
