"""The ACME periodic jobs (found by core.queue's autodiscovery of `tasks` modules)."""
from __future__ import annotations

from datetime import timedelta

from certdesk.core import queue

from . import nonces


@queue.periodic("acme.used_nonce_sweep", every=timedelta(minutes=5), lease=timedelta(minutes=5))
def used_nonce_sweep() -> int:
    """Every five minutes: delete the used nonces that would be refused as too old anyway
    (only the database store keeps them; a Redis store lets them expire by themselves)."""
    return 0 if nonces.uses_cache() else nonces.sweep()
