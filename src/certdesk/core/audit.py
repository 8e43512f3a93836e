"""Append to and verify the hash-chained audit log.

Each row's hash is an HMAC-SHA256, keyed by a secret kept outside the database
(CERTDESK_AUDIT_KEY or `<data dir>/audit_key`), over the previous row's hash and the
row's canonical JSON: editing, deleting or inserting a row breaks the chain, and a
database-only attacker cannot recompute it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from django.conf import settings
from django.db import transaction

from .actor import Actor
from .models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _key() -> bytes:
    value = os.environ.get("CERTDESK_AUDIT_KEY", "").strip()
    if value:
        return value.encode()
    path = settings.DATA_DIR / "audit_key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            try:
                os.write(fd, os.urandom(32).hex().encode())
            finally:
                os.close(fd)
    return path.read_bytes().strip()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def canonical(value: Any) -> str:
    return json.dumps(_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row_payload(event: AuditEvent) -> str:
    return canonical(
        {
            "seq": event.seq,
            "created_at": event.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "customer_id": event.customer_id,
            "actor": event.actor,
            "actor_admin_id": event.actor_admin_id,
            "interface": event.interface,
            "ip": event.ip,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "object_repr": event.object_repr,
            "changes": event.changes,
        }
    )


def compute_hash(prev_hash: str, event: AuditEvent, key: bytes | None = None) -> str:
    message = (prev_hash + "\n" + _row_payload(event)).encode()
    return hmac.new(key or _key(), message, hashlib.sha256).hexdigest()


def snapshot(obj: Any, fields: Iterable[str]) -> dict:
    return {name: _jsonable(getattr(obj, name, None)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    """Only the fields that changed, as {field: [before, after]}."""
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def record(actor: Actor, action: str, obj: Any = None, *, customer=None, **changes: Any) -> AuditEvent:
    """Append one event; call inside the service's transaction so it commits with the change."""
    from django.utils import timezone as djtz

    if customer is None:
        customer = actor.customer if actor else None
        if customer is None and obj is not None:
            customer = getattr(obj, "customer", None)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
            created_at=djtz.now(),
            customer_id=getattr(customer, "pk", None),
            actor=actor.label if actor else "system",
            actor_admin_id=getattr(actor.admin, "pk", None) if actor else None,
            interface=actor.interface if actor else "cli",
            ip=(actor.ip or "") if actor else "",
            action=action,
            object_type=obj._meta.label_lower if obj is not None and hasattr(obj, "_meta") else "",
            object_id=str(obj.pk) if obj is not None and getattr(obj, "pk", None) is not None else "",
            object_repr=str(obj)[:300] if obj is not None else "",
            changes=canonical(changes),
            prev_hash=head.hash,
        )
        event.hash = compute_hash(head.hash, event)
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[str]


def verify(batch: int = 2000) -> VerifyResult:
    """Walk the whole chain in seq order (keyset batches) and report every break."""
    key = _key()
    problems: list[str] = []
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                problems.append(f"rows {expected_seq}..{event.seq - 1} are missing (deleted)")
            if event.prev_hash != prev_hash:
                problems.append(f"row {event.seq}: previous-hash link broken")
            if not hmac.compare_digest(compute_hash(event.prev_hash, event, key), event.hash):
                problems.append(f"row {event.seq}: content does not match its hash (edited)")
            prev_hash, expected_seq, last_seq = event.hash, event.seq + 1, event.seq
            checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != last_seq or head_hash != prev_hash:
        problems.append(f"chain tip is row {head_seq} but the table ends at row {last_seq} (rows deleted or added)")
    return VerifyResult(ok=not problems, checked=checked, problems=problems)
