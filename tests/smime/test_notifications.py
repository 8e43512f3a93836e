"""Client certificates notify with SCM's client-certificate types (seed 000: "Client Certificate
Revoked", "Client Certificate Expiration 30 days"), naming the person, never the SSL ones."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from certdesk.certificates import services, smime, sweeps
from certdesk.certificates.models import Certificate
from certdesk.notifications.models import NotificationEvent, OutboxMessage

from .conftest import actor_for

pytestmark = pytest.mark.django_db


def _types() -> list[str]:
    return list(NotificationEvent.objects.order_by("id").values_list("type", flat=True))


def test_revoked_and_expiring_client_certificates_use_the_client_types(pki, alice, personal, rao_smime, settings):
    cert = smime.request_smime(actor_for(rao_smime), alice, personal, 365)
    assert not [t for t in _types() if t.startswith("SSL")]  # requested, approved, issued: no SSL messages
    services.revoke(actor_for(rao_smime), cert, 3, reason="left the lab")
    event = NotificationEvent.objects.get(type="ClientCertRevoked")
    assert event.context["email"] == "alice@people.example.org" and "Alice Martin" in event.context["subject"]
    assert event.context["certificate_url"] == f"{settings.BASE_URL}/certificates/client/{cert.pk}/"
    assert event.context["reason"] == "affiliationChanged: left the lab"
    sent = OutboxMessage.objects.filter(event=event, channel="EMAIL")
    assert sent.exists() and all("alice@people.example.org" in m.subject for m in sent)


def test_the_daily_sweep_warns_of_expiring_client_certificates_one_by_one(pki, alice, personal, rao_smime):
    first = smime.request_smime(actor_for(rao_smime), alice, personal, 365)
    second = smime.request_smime(actor_for(rao_smime), alice, personal, 365)
    soon = timezone.now() + timedelta(days=20)
    Certificate.objects.filter(pk__in=[first.pk, second.pk]).update(not_after=soon)
    assert sweeps.expiring_sweep() == 2
    found = NotificationEvent.objects.filter(type="ClientCertExpiration").order_by("id")
    assert [e.context["certificate_id"] for e in found] == [str(first.pk), str(second.pk)]
    assert all(e.context["email"] == "alice@people.example.org" and e.context["days"] == 30 for e in found)
    assert not NotificationEvent.objects.filter(type="SSLExpiration").exists()
