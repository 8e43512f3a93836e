"""Run by the worker tests in a separate process, on the same file database as the real worker:
`python -m tests.notifications.worker_script COMMAND ARGS` (settings from CERTDESK_* variables).

- seed: the customer, an organization, a department (prints their ids as JSON)
- notify ADDRESS...: one SSLIssued event per address, each in its own committed transaction
- outbox: the outbox as JSON rows
- runs: the periodic runs as JSON rows
- race FILE START: at time START, run the periodic job "tests.race" (appends a line to FILE)
"""
from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certdesk.settings")
    import django

    django.setup()
    from django.db import transaction

    from certdesk.accounts import services as accounts
    from certdesk.core import queue
    from certdesk.core.actor import Actor
    from certdesk.notifications import notify, types
    from certdesk.notifications.models import OutboxMessage, PeriodicRun
    from certdesk.tenancy import services as tenancy
    from certdesk.tenancy.models import Organization

    command, args = argv[0], argv[1:]
    if command == "seed":
        customer, _, _, _ = accounts.bootstrap("renater", "mrao", "Correct-Horse-Battery-9")
        actor = Actor.system(customer, label="tests")
        org = tenancy.create_organization(actor, name="Universite de Lyon", address1="92 rue Pasteur", city="Lyon",
                                          country="FR")
        print(json.dumps({"organization": org.pk}))
    elif command == "notify":
        org = Organization.objects.filter(parent__isnull=True).select_related("customer").first()
        for address in args:
            with transaction.atomic():
                notify(types.SSL_ISSUED, organization=org, requester_email=address,
                       context={"common_name": f"host-of-{address.split('@')[0]}.example"})
    elif command == "outbox":
        rows = OutboxMessage.objects.order_by("id").values("recipient", "status", "attempts", "deferrals",
                                                           "last_error")
        print(json.dumps(list(rows)))
    elif command == "runs":
        rows = PeriodicRun.objects.order_by("job").values("job", "status", "runs")
        print(json.dumps(list(rows)))
    elif command == "race":
        path, start = args[0], float(args[1])

        def body():
            with open(path, "a") as out:
                out.write(f"{os.getpid()}\n")
            time.sleep(0.3)

        queue.periodic("tests.race", every=timedelta(hours=1))(body)
        time.sleep(max(0.0, start - time.time()))
        # Every racer claims the period of START: racers spread over an hour's end (a loaded machine
        # starts them seconds apart) would otherwise claim two periods and both run.
        print(queue.run_periodic("tests.race", now=datetime.fromtimestamp(start, UTC)))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
