"""Organization revalidation reminders (issue 7): 60, 30 and 7 days before an organization's
validation expires and once it has expired, its RAOs and the MRAOs are told, each reminder once,
through the real outbox."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from certdesk.core import queue
from certdesk.notifications.models import NotificationEvent, OutboxMessage
from certdesk.tenancy import reminders
from certdesk.tenancy import tasks as tenancy_tasks
from certdesk.tenancy.models import Organization

EXPIRING = "OrganizationValidationExpiration"
EXPIRED = "OrganizationValidationExpired"


@pytest.fixture
def people(mrao, mrao2, rao_univ, drao_physics, rao_other):
    rao_univ.language = "fr"
    rao_univ.save(update_fields=["language"])
    return {"mrao": mrao.email, "mrao2": mrao2.email, "rao": rao_univ.email, "drao": drao_physics.email,
            "rao_other": rao_other.email}


def _messages(type_: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(event__type=type_, channel="EMAIL").order_by("id"))


def test_reminders_60_30_7_days_then_expired_each_once(univ, physics, other_org, people):
    expires = univ.validation_expires
    assert expires is not None and univ.validation_status == "VALIDATED"
    seen = []
    for days_before in (70, 59, 58, 45, 29, 28, 10, 6, 1):
        reminders.send_revalidation_reminders(now=expires - timedelta(days=days_before))
        seen.append(NotificationEvent.objects.filter(type=EXPIRING).count())
    assert seen == [0, 1, 1, 1, 2, 2, 2, 3, 3]
    assert [e.context["days"] for e in NotificationEvent.objects.filter(type=EXPIRING).order_by("id")] == [60, 30, 7]
    for days_after in (1, 2, 20):
        reminders.send_revalidation_reminders(now=expires + timedelta(days=days_after))
    expired = NotificationEvent.objects.filter(type=EXPIRED).get()
    assert expired.organization_id == univ.pk
    # to the MRAOs and the organization's RAO, not to a DRAO nor another organization's RAO
    for type_ in (EXPIRING, EXPIRED):
        recipients = {m.recipient for m in _messages(type_)}
        assert {people["mrao"], people["mrao2"], people["rao"]} <= recipients
        assert people["drao"] not in recipients and people["rao_other"] not in recipients
    english = next(m for m in _messages(EXPIRING) if m.recipient == people["mrao2"])
    assert english.subject == "OV validation of Universite de Lyon expires in 60 days"
    assert expires.date().isoformat() in english.body and f"/organizations/{univ.pk}/" in english.body
    french = [m for m in _messages(EXPIRING) if m.recipient == people["rao"]]
    assert [m.subject for m in french] == [f"La validation OV de Universite de Lyon expire dans {d} jours"
                                           for d in (60, 30, 7)]
    french_expired = next(m for m in _messages(EXPIRED) if m.recipient == people["rao"])
    assert french_expired.subject == "La validation OV de Universite de Lyon a expiré"
    # queued for the worker (the bootstrap MRAO's .invalid address is logged as failed at once)
    assert all(m.status in ("PENDING", "SENT") for m in _messages(EXPIRING) + _messages(EXPIRED)
               if m.recipient in (people["mrao2"], people["rao"]))


def test_a_late_job_sends_the_due_reminder_only(univ, people):
    expires = univ.validation_expires
    counts = reminders.send_revalidation_reminders(now=expires - timedelta(days=5))
    assert counts == {"expiring": 1, "expired": 0}
    assert [e.context["days"] for e in NotificationEvent.objects.filter(type=EXPIRING)] == [7]


def test_revalidated_organization_gets_new_reminders(univ, mrao_actor, mrao2, people):
    from certdesk.tenancy import services as tenancy

    from ..conftest import actor_for

    first_expiry = univ.validation_expires
    reminders.send_revalidation_reminders(now=first_expiry - timedelta(days=20))
    validation = tenancy.submit_validation(mrao_actor, univ)
    tenancy.approve_validation(actor_for(mrao2), validation)
    univ.refresh_from_db()
    assert univ.validation_expires > first_expiry
    reminders.send_revalidation_reminders(now=univ.validation_expires - timedelta(days=20))
    assert NotificationEvent.objects.filter(type=EXPIRING).count() == 2
    # an organization that was never validated, or rejected, gets nothing
    Organization.objects.filter(pk=univ.pk).update(validation_status="NOT_VALIDATED")
    assert reminders.send_revalidation_reminders(now=univ.validation_expires) == {"expiring": 0, "expired": 0}


def test_disabled_builtin_rule_sends_nothing(univ, customer, people):
    from certdesk.notifications.dispatch import ensure_builtin_rules
    from certdesk.notifications.models import NotificationRule

    ensure_builtin_rules(customer)
    NotificationRule.objects.filter(customer=customer, type=EXPIRING, builtin=True).update(enabled=False)
    reminders.send_revalidation_reminders(now=univ.validation_expires - timedelta(days=30))
    assert not _messages(EXPIRING)


def test_periodic_job_runs_once_per_day_with_the_lock(univ, people):
    assert queue.PERIODIC["tenancy.revalidation_reminders"].every == timedelta(days=1)
    assert queue.PERIODIC["tenancy.revalidation_reminders"].func is tenancy_tasks.daily_revalidation_reminders
    Organization.objects.filter(pk=univ.pk).update(validation_expires=timezone.now() + timedelta(days=29))
    now = timezone.now().replace(hour=12, minute=0)  # one UTC day's period, whatever the time of the run
    assert queue.run_periodic("tenancy.revalidation_reminders", now=now) == "done"
    assert queue.run_periodic("tenancy.revalidation_reminders", now=now + timedelta(minutes=5)) == "skipped"
    assert NotificationEvent.objects.filter(type=EXPIRING).get().context["days"] == 30
    assert {people["mrao"], people["rao"]} <= {m.recipient for m in _messages(EXPIRING)}
