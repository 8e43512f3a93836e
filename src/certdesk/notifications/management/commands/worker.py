"""`certdesk worker`: the background worker (Huey consumer): queued jobs and the periodic schedule."""
from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Run the background worker: send the email and webhook outbox, and run the periodic jobs "
            "(DCV re-checks, expiry sweeps) once per period however many workers run.")

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=None,
                            help="Worker threads (default CERTDESK_WORKERS, %d)." % settings.WORKERS)
        parser.add_argument("--no-periodic", action="store_true",
                            help="Do not run the periodic schedule in this process (queued jobs only).")

    def handle(self, *args, **options):
        from certdesk.core import queue

        if queue.huey.immediate:
            raise CommandError("CERTDESK_QUEUE_IMMEDIATE is set: jobs run where they are queued, no worker is needed.")
        workers = options["workers"] or settings.WORKERS
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        queue.load_tasks()
        logger = logging.getLogger("huey")
        if not logger.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s %(name)s: %(message)s"))
            for name in ("huey", "certdesk"):
                logging.getLogger(name).addHandler(handler)
                logging.getLogger(name).setLevel(logging.INFO if options["verbosity"] >= 1 else logging.WARNING)
                logging.getLogger(name).propagate = False
        where = settings.REDIS_URL and "Redis" or f"SQLite queue {settings.QUEUE_FILE}"
        self.stderr.write(f"certdesk worker: {workers} thread(s), {where}, periodic jobs "
                          f"{'off' if options['no_periodic'] else 'on'}: {', '.join(sorted(queue.PERIODIC))}")
        consumer = queue.huey.create_consumer(
            workers=workers, worker_type="thread", periodic=not options["no_periodic"], initial_delay=0.1,
            backoff=1.15, max_delay=2.0, scheduler_interval=1, check_worker_health=True)
        consumer.run()
