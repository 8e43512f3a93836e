"""The audit log is hash-chained: any edited, deleted or inserted row is caught."""
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection

from certdesk.core import audit
from certdesk.core.models import AuditEvent, AuditHead


@pytest.fixture
def some_history(univ, physics, rao_univ):
    assert AuditEvent.objects.count() >= 5
    return AuditEvent.objects.order_by("seq")


def test_chain_verifies(some_history):
    result = audit.verify()
    assert result.ok and result.checked == some_history.count()


def test_events_have_who_what_when_where(some_history):
    event = some_history.filter(action="organization.created").first()
    assert event.actor == "mrao" and event.interface == "portal" and event.ip == "127.0.0.1"
    assert "Universite de Lyon" in event.changes and event.created_at


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_edited_row_is_caught(some_history):
    victim = some_history[2]
    _raw("UPDATE core_audit_event SET actor = %s WHERE id = %s", ["someone-else", victim.pk])
    result = audit.verify()
    assert not result.ok and any(f"row {victim.seq}" in p and "edited" in p for p in result.problems)


def test_deleted_middle_row_is_caught(some_history):
    victim = some_history[1]
    _raw("DELETE FROM core_audit_event WHERE id = %s", [victim.pk])
    result = audit.verify()
    assert not result.ok and any("missing" in p for p in result.problems)


def test_deleted_last_row_is_caught(some_history):
    victim = some_history.last()
    _raw("DELETE FROM core_audit_event WHERE id = %s", [victim.pk])
    assert not audit.verify().ok


def test_recomputed_hash_without_the_key_is_caught(some_history):
    import hashlib

    victim = some_history[3]
    forged = hashlib.sha256(b"forged").hexdigest()
    _raw("UPDATE core_audit_event SET changes = %s, hash = %s WHERE id = %s", ['{"x":1}', forged, victim.pk])
    assert not audit.verify().ok


def test_verify_command_exit_status(some_history, capsys):
    call_command("audit", "verify")
    assert "chain intact" in capsys.readouterr().out
    _raw("UPDATE core_audit_event SET action = 'nothing' WHERE seq = 1")
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1


def test_head_tracks_tip(some_history):
    head = AuditHead.objects.get(pk=1)
    assert head.seq == some_history.last().seq and head.hash == some_history.last().hash


def test_certdesk_console_command_exists():
    out = subprocess.run([sys.executable, "-m", "certdesk", "help", "audit"], capture_output=True, text=True)
    assert out.returncode == 0 and "verify" in out.stdout
