"""`certdesk serve`: the web server (gunicorn) and the worker together, for `make run`.

The web server runs gunicorn's threaded workers (`gthread`): each process serves `--threads`
requests at once (a request waiting on the database, DNS or a client no longer holds the whole
process) and keeps HTTP connections open between requests (`--keep-alive` seconds), so ACME and
API clients do not reconnect for every call. With SQLite, Django keeps one connection per thread
(CONN_MAX_AGE): WAL mode lets them read together while writes take their turn.

Ctrl-C (or SIGTERM) stops both; if either stops on its own, the other is stopped too and the
command exits with its status. Production deployments run the two under their own supervisor.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the portal, the REST API and the CA downloads with gunicorn, and run the worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000", help="Address of the web server (host:port).")
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes.")
        parser.add_argument("--threads", type=int, default=4, help="Threads of each gunicorn worker process.")
        parser.add_argument("--keep-alive", type=int, default=5,
                            help="Seconds an idle HTTP connection is kept open for the client's next request.")
        parser.add_argument("--workers", type=int, default=None,
                            help="Worker threads of the background worker (default CERTDESK_WORKERS).")

    def handle(self, *args, **options):
        python = sys.executable
        web = [python, "-m", "gunicorn", "certdesk.wsgi:application", "--bind", options["bind"],
               "--workers", str(options["web_workers"]), "--worker-class", "gthread",
               "--threads", str(max(1, options["threads"])), "--keep-alive", str(max(0, options["keep_alive"])),
               "--access-logfile", "-",
               # gunicorn's control socket defaults to one path per user: several instances on one
               # machine would take it from each other, and certdesk does not use it.
               "--no-control-socket"]
        worker = [python, "-m", "certdesk", "worker", "--workers", str(options["workers"] or settings.WORKERS)]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "certdesk.settings"}
        # Own sessions: Ctrl-C reaches this process only, which stops each child the right way
        # (gunicorn: SIGTERM, graceful; the worker: SIGINT, which lets running jobs finish).
        children = [subprocess.Popen(web, env=env, start_new_session=True),
                    subprocess.Popen(worker, env=env, start_new_session=True)]
        stop_signals = [signal.SIGTERM, signal.SIGINT]
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        status = 0
        try:
            while not stopping:
                finished = [c for c in children if c.poll() is not None]
                if finished:
                    status = finished[0].returncode or 0
                    name = "web server" if finished[0] is children[0] else "worker"
                    self.stderr.write(f"certdesk serve: the {name} stopped (status {status}); stopping the rest.")
                    break
                time.sleep(0.5)
        finally:
            for child, stop_signal in zip(children, stop_signals):
                if child.poll() is None:
                    child.send_signal(stop_signal)
            deadline = time.monotonic() + 15
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        if status:
            sys.exit(status)
