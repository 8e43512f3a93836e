"""The real worker: `certdesk worker` processes on a file database (the test database of
pytest-django lives in memory and cannot be shared with another process), a real SMTP server,
the SQLite queue and, for scale-out, the local Redis."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .servers import SmtpServer, free_port

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/15"

pytestmark = pytest.mark.slow

# A message whose retry was not yet due when the last send ran waits for the periodic dispatch,
# offered once a minute: waits that may end that way allow for a whole minute and a loaded machine.
MINUTE_DISPATCH = 150.0


class Deployment:
    """A data dir, a migrated SQLite database and the settings a worker and its producers share."""

    def __init__(self, tmp_path: Path, smtp: SmtpServer, redis_url: str = ""):
        self.tmp = tmp_path
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "certdesk.settings",
            "PYTHONPATH": str(ROOT),
            "CERTDESK_DATA_DIR": str(tmp_path),
            "CERTDESK_DATABASE_URL": f"sqlite:///{tmp_path}/certdesk.sqlite3",
            "CERTDESK_SECRET_KEY": "worker-tests",
            "CERTDESK_AUDIT_KEY": "worker-tests",
            "CERTDESK_SMTP_URL": smtp.url,
            "CERTDESK_EMAIL_FROM": "certdesk@certdesk.example",
            "CERTDESK_REDIS_URL": redis_url,
            "CERTDESK_QUEUE_NAME": f"certdesk-test-{uuid.uuid4().hex[:8]}",
            "CERTDESK_QUEUE_IMMEDIATE": "0",
            "CERTDESK_NOTIFICATION_CLAIM_SECONDS": "2",
            "CERTDESK_NOTIFICATION_RETRY_SECONDS": "1",
            "CERTDESK_DNS_RESOLVERS": "127.0.0.1:9",
            "CERTDESK_LOG_LEVEL": "ERROR",
        }
        self.workers: list[subprocess.Popen] = []
        self.run("-m", "certdesk", "migrate", "--noinput")
        self.script("seed")

    def run(self, *args: str) -> str:
        done = subprocess.run([sys.executable, *args], env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def script(self, *args: str):
        out = self.run("-m", "tests.notifications.worker_script", *args).strip()
        return json.loads(out.splitlines()[-1]) if out else None

    def start_worker(self, threads: int = 2) -> subprocess.Popen:
        log = open(self.tmp / f"worker-{len(self.workers)}.log", "w")
        worker = subprocess.Popen([sys.executable, "-m", "certdesk", "worker", "--workers", str(threads)],
                                  env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGINT)
        for worker in self.workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp.glob("worker-*.log")))

    def wait_until(self, predicate, what: str, timeout: float = 90.0):  # a poll: the margin costs nothing
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}\n{self.logs()[-4000:]}")


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def deployment(tmp_path, smtp):
    deployment = Deployment(tmp_path, smtp)
    yield deployment
    deployment.stop_workers()


def _delivered(smtp: SmtpServer) -> list[str]:
    return sorted(r.rcpt_tos[0] for r in smtp.received)


def test_real_worker_sends_the_outbox_exactly_once(deployment, smtp):
    worker = deployment.start_worker()
    addresses = [f"user{i}@univ-lyon.example" for i in range(3)]
    deployment.script("notify", *addresses)
    smtp.wait_for(3)
    rows = deployment.wait_until(lambda: (r := deployment.script("outbox")) and all(
        x["status"] == "SENT" for x in r if x["recipient"] in addresses) and r, "the outbox to be SENT")
    assert _delivered(smtp) == addresses
    # the SMTP server goes away: messages wait; it comes back: they arrive, once
    smtp.stop()
    deployment.script("notify", "late1@univ-lyon.example", "late2@univ-lyon.example")
    deployment.wait_until(lambda: sum(r["deferrals"] > 0 for r in deployment.script("outbox")) == 2,
                          "the messages to wait for the server")
    smtp.start()
    time.sleep(1.1)  # their retry comes due; the next send (or the minute's dispatch) takes them
    deployment.script("notify", "trigger@univ-lyon.example")
    smtp.wait_for(6, timeout=MINUTE_DISPATCH)
    time.sleep(1)
    assert _delivered(smtp) == sorted(addresses + ["late1@univ-lyon.example", "late2@univ-lyon.example",
                                                   "trigger@univ-lyon.example"])
    assert worker.poll() is None
    runs = {r["job"]: r for r in deployment.script("runs")}
    assert runs["notifications.dispatch"]["status"] == "DONE"
    assert rows


def test_worker_killed_mid_send_leaves_nothing_half_done(deployment, smtp):
    """Killed while the server holds the message's RCPT: nothing was delivered; another worker
    takes the message over once the claim expires and it arrives once."""
    mailbox = smtp.mailbox
    original = mailbox.handle_RCPT
    held = []

    async def slow_rcpt(server, session, envelope, address, options):
        if address == "slow@univ-lyon.example" and not held:
            held.append(address)
            import asyncio

            await asyncio.sleep(8)
        return await original(server, session, envelope, address, options)

    mailbox.handle_RCPT = slow_rcpt
    first = deployment.start_worker(threads=1)
    deployment.script("notify", "slow@univ-lyon.example")
    deployment.wait_until(lambda: held, "the worker to reach RCPT")
    first.send_signal(signal.SIGKILL)
    first.wait()
    [row] = [r for r in deployment.script("outbox") if r["recipient"] == "slow@univ-lyon.example"]
    assert row["status"] == "SENDING" and smtp.received == []
    deployment.start_worker(threads=1)
    time.sleep(2.5)  # the dead worker's claim (2 s) runs out
    deployment.script("notify", "trigger@univ-lyon.example")
    smtp.wait_for(2, timeout=MINUTE_DISPATCH)
    time.sleep(1)
    assert _delivered(smtp) == ["slow@univ-lyon.example", "trigger@univ-lyon.example"]
    statuses = {r["recipient"]: (r["status"], r["attempts"]) for r in deployment.script("outbox")}
    assert statuses["slow@univ-lyon.example"] == ("SENT", 1)


def test_periodic_claim_is_won_by_one_process_only(deployment):
    """Five processes offered the same periodic job at the same instant: it runs once."""
    marker = deployment.tmp / "race.txt"
    start = time.time() + 2.5
    racers = [subprocess.Popen([sys.executable, "-m", "tests.notifications.worker_script", "race", str(marker),
                                str(start)], env=deployment.env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
              for _ in range(5)]
    outcomes = sorted(p.communicate(timeout=60)[0].strip().splitlines()[-1] for p in racers)
    assert outcomes == ["done", "skipped", "skipped", "skipped", "skipped"]
    assert len(marker.read_text().splitlines()) == 1


@pytest.fixture
def redis_db():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    client.flushdb()
    yield client
    client.flushdb()


def test_two_workers_on_redis_share_the_queue_and_the_schedule(tmp_path, smtp, redis_db):
    deployment = Deployment(tmp_path, smtp, redis_url=REDIS_URL)
    try:
        deployment.start_worker()
        deployment.start_worker()
        jobs = {"notifications.dispatch", "notifications.prune", "domains.dcv_recheck", "domains.dcv_expiry_sweep"}
        first_day = datetime.now(UTC).date()
        runs = deployment.wait_until(
            lambda: (r := deployment.script("runs")) and {x["job"] for x in r if x["status"] == "DONE"} >= jobs
            and r, "every periodic job to run")
        time.sleep(1.5)  # both schedulers have offered every job by now
        runs = deployment.script("runs")
        # one row per job and period (the row is the lock), each run by one worker only
        assert all(r["runs"] == 1 for r in runs), runs
        # (a run that spans UTC midnight has two days, each with its daily runs)
        days = len({first_day, datetime.now(UTC).date()})
        assert len([r for r in runs if r["job"] in {"notifications.prune", "domains.dcv_expiry_sweep"}]) == 2 * days
        addresses = [f"user{i}@univ-lyon.example" for i in range(8)]
        deployment.script("notify", *addresses)
        smtp.wait_for(8)
        time.sleep(1)
        assert _delivered(smtp) == addresses
        assert deployment.logs().count("2 thread(s), Redis") == 2
    finally:
        deployment.stop_workers()


def test_two_serve_instances_on_one_machine_both_answer(deployment, tmp_path):
    """`certdesk serve` (gunicorn + worker) twice on one machine: each answers on its own port and
    neither takes a control socket from the other (gunicorn's default is one path per user)."""
    import urllib.error
    import urllib.request

    env = {**deployment.env, "HOME": str(tmp_path), "XDG_RUNTIME_DIR": ""}
    servers = []
    try:
        ports = [free_port()]
        while len(ports) < 2:  # two distinct ones (neither is bound until its server starts)
            port = free_port()
            if port not in ports:
                ports.append(port)
        for port in ports:
            log = open(tmp_path / f"serve-{port}.log", "w")
            servers.append((port, subprocess.Popen(
                [sys.executable, "-m", "certdesk", "serve", "--bind", f"127.0.0.1:{port}", "--web-workers", "1",
                 "--workers", "1"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)))

        def answers(port: int) -> int | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ca/", timeout=5) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code
            except OSError:
                return None

        for port, process in servers:
            status = deployment.wait_until(lambda: process.poll() is not None or answers(port), f"serve on {port}")
            assert process.poll() is None and status == 200, (tmp_path / f"serve-{port}.log").read_text()[-3000:]
        assert not (tmp_path / ".gunicorn").exists()
    finally:
        for _port, process in servers:
            process.send_signal(signal.SIGINT)
        for _port, process in servers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
