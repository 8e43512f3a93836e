"""Append many audit rows at once (the worker's set-based sweeps, issue 7).

Same chain as `audit.record` (one HMAC-linked row per changed object), but written with one
`executemany` whatever the number of rows, so a sweep's query count does not grow with the
objects it changes. Call inside the sweep's transaction: the chain head is locked first.
"""
from __future__ import annotations

from typing import Iterable, NamedTuple

from django.db import connection
from django.utils import timezone

from .audit import _key, canonical, compute_hash
from .models import AuditEvent, AuditHead


class Row(NamedTuple):
    customer_id: int | None
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict


def lock_head() -> AuditHead:
    """Take the chain head for this transaction (call before the changes, as `audit.record` does)."""
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    return head


def record_many(head: AuditHead, rows: Iterable[Row], *, actor: str, interface: str) -> int:
    """Write one audit row per item of `rows` after `head` (locked by `lock_head`); returns how many."""
    key = _key()
    now = timezone.now()
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    state = {"seq": head.seq, "hash": head.hash}

    def values():
        for row in rows:
            event = AuditEvent(seq=state["seq"] + 1, created_at=now, customer_id=row.customer_id, actor=actor,
                               actor_admin_id=None, interface=interface, ip="", action=row.action,
                               object_type=row.object_type, object_id=row.object_id,
                               object_repr=row.object_repr[:300], changes=canonical(row.changes),
                               prev_hash=state["hash"])
            event.hash = compute_hash(state["hash"], event, key)
            state["seq"], state["hash"] = event.seq, event.hash
            yield tuple(f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields)

    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values())
    written = state["seq"] - head.seq
    if written:
        head.seq, head.hash = state["seq"], state["hash"]
        head.save(update_fields=["seq", "hash"])
    return written
