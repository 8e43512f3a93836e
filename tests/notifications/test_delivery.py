"""Delivery through a real SMTP server on loopback (aiosmtpd) and a real webhook receiver:
exactly once, waiting for a server that is down, retries, refusals, dropped connections."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from certdesk.notifications import delivery, notify, services, types
from certdesk.notifications.models import OutboxMessage, Status
from certdesk.notifications.smtp import SmtpUrlError, parse_url

from ..conftest import actor_for


@pytest.fixture
def physics(physics):
    # Fixtures create admins, and "new admin" notifications commit with them; these tests count
    # only the messages they provoke themselves.
    OutboxMessage.objects.all().delete()
    return physics


def _event(org, address, *, common_name="www.univ-lyon.example"):
    return notify(types.SSL_ISSUED, organization=org, requester_email=address,
                  context={"common_name": common_name, "download_links": "https://certdesk.example/d/1"})


def _row(address) -> OutboxMessage:
    return OutboxMessage.objects.get(recipient=address)


def test_message_is_sent_once_with_headers(smtp_server, physics):
    _event(physics, "alice@physics.univ-lyon.example")
    assert delivery.flush() == {"sent": 1}
    assert delivery.flush() == {}
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["alice@physics.univ-lyon.example"]
    assert received.mail_from == "certdesk@certdesk.example"
    assert received.subject == "Your SSL certificate for www.univ-lyon.example is ready"
    assert received.message["Message-ID"].startswith("<certdesk.") and received.message["Auto-Submitted"]
    row = _row("alice@physics.univ-lyon.example")
    assert row.status == Status.SENT and row.reply.startswith("250") and row.sent_at is not None


def test_commit_queues_the_send(smtp_server, physics, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _event(physics, "alice@physics.univ-lyon.example")
    assert len(smtp_server.received) == 1  # the queued job ran (immediate mode) once the event committed


def test_smtp_down_messages_wait_then_arrive_exactly_once(smtp_server, physics):
    smtp_server.stop()
    addresses = [f"user{i}@physics.univ-lyon.example" for i in range(5)]
    for address in addresses:
        _event(physics, address, common_name=f"host{address[4]}.example")
    now = timezone.now()
    for minutes in (0, 10, 60, 600):  # down for hours: nothing is lost, nothing is given up
        assert delivery.flush(now=now + timedelta(minutes=minutes)) == {"deferred": 5}
    rows = OutboxMessage.objects.filter(recipient__in=addresses)
    assert {r.status for r in rows} == {Status.PENDING}
    assert all(r.attempts == 0 and r.deferrals == 4 and "Cannot use the SMTP server" in r.last_error for r in rows)
    smtp_server.start()
    assert delivery.flush(now=now + timedelta(hours=12)) == {"sent": 5}
    assert delivery.flush(now=now + timedelta(days=2)) == {}
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted(addresses)
    assert {r.status for r in rows.all()} == {Status.SENT}


def test_refused_recipient_is_retried_then_failed_with_the_reply(smtp_server, physics):
    smtp_server.mailbox.refused.add("nobody@physics.univ-lyon.example")
    _event(physics, "nobody@physics.univ-lyon.example")
    _event(physics, "alice@physics.univ-lyon.example")
    now = timezone.now()
    assert delivery.flush(now=now) == {"sent": 1, "retry": 1}
    row = _row("nobody@physics.univ-lyon.example")
    assert row.status == Status.PENDING and row.attempts == 1 and row.last_error.startswith("550 5.1.1")
    assert row.next_attempt == now + timedelta(seconds=60)
    assert delivery.flush(now=now + timedelta(seconds=30)) == {}  # not due yet
    assert delivery.flush(now=now + timedelta(minutes=2)) == {"retry": 1}
    assert delivery.flush(now=now + timedelta(minutes=5)) == {"failed": 1}  # 5xx: three tries
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.attempts == 3
    assert "Recipient address rejected: User unknown" in row.last_error
    assert [r.rcpt_tos for r in smtp_server.received] == [["alice@physics.univ-lyon.example"]]


def test_connection_dropped_mid_message_is_retried_then_failed(smtp_server, physics, settings):
    smtp_server.mailbox.drop_for.add("flaky@physics.univ-lyon.example")
    _event(physics, "flaky@physics.univ-lyon.example")
    _event(physics, "alice@physics.univ-lyon.example")
    now = timezone.now()
    outcomes = [delivery.flush(now=now + timedelta(hours=hour)) for hour in range(settings.NOTIFICATION_MAX_ATTEMPTS)]
    assert outcomes[0] == {"retry": 1, "sent": 1} and outcomes[-1] == {"failed": 1}
    row = _row("flaky@physics.univ-lyon.example")
    assert row.status == Status.FAILED and row.attempts == settings.NOTIFICATION_MAX_ATTEMPTS
    assert row.last_error.startswith("Connection lost while sending")
    assert _row("alice@physics.univ-lyon.example").status == Status.SENT


def test_invalid_address_is_logged_and_the_rest_is_sent(smtp_server, physics, mrao_actor):
    services.create_rule(mrao_actor, type="SSLIssued", organization=physics,
                         extra_recipients=["ops@physics.univ-lyon.example", "pki@physics.invalid"])
    _event(physics, "alice@physics.univ-lyon.example")
    assert delivery.flush() == {"sent": 2}
    bad = _row("pki@physics.invalid")
    assert bad.status == Status.FAILED and ".invalid" in bad.last_error
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == ["alice@physics.univ-lyon.example",
                                                                   "ops@physics.univ-lyon.example"]


def test_worker_that_died_while_sending_is_taken_over(smtp_server, physics, settings):
    _event(physics, "alice@physics.univ-lyon.example")
    now = timezone.now()
    rows, token = delivery.claim(now, 10)  # a worker claims the message, then is killed
    assert [r.status for r in rows] == [Status.SENDING]
    assert delivery.flush(now=now + timedelta(seconds=10)) == {}  # still its claim
    later = now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS + 1)
    assert delivery.flush(now=later) == {"sent": 1}
    row = _row("alice@physics.univ-lyon.example")
    assert row.status == Status.SENT and row.attempts == 1
    # the dead worker's late result can no longer change the row
    assert not OutboxMessage.objects.filter(claim_token=token).exists()


def test_smtp_not_configured_keeps_messages(settings, physics):
    settings.SMTP_URL = ""
    _event(physics, "alice@physics.univ-lyon.example")
    assert delivery.flush() == {"deferred": 1}
    assert "CERTDESK_SMTP_URL is not set" in _row("alice@physics.univ-lyon.example").last_error


def test_smtp_url_forms():
    plain = parse_url("smtp://relay.example")
    assert (plain.host, plain.port, plain.implicit_tls, plain.starttls) == ("relay.example", 25, False, False)
    tls = parse_url("smtps://user%40x:p%3Ass@relay.example")
    assert (tls.port, tls.implicit_tls, tls.user, tls.password) == (465, True, "user@x", "p:ss")
    assert "p:ss" not in tls.describe()
    starttls = parse_url("smtp://relay.example:587?starttls=1&verify=0")
    assert (starttls.port, starttls.starttls, starttls.verify) == (587, True, False)
    for bad in ("", "http://relay.example", "smtp://", "smtp://relay.example:99999"):
        with pytest.raises(SmtpUrlError):
            parse_url(bad)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_authentication(settings, physics):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from .servers import Mailbox, free_port

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.login == b"certdesk" and auth_data.password == b"s3cret")

    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    try:
        settings.SMTP_URL = f"smtp://certdesk:wrong@127.0.0.1:{port}"
        settings.SMTP_TIMEOUT = 1  # aiosmtpd holds a failed login until the client gives up
        _event(physics, "alice@physics.univ-lyon.example")
        assert delivery.flush() == {"deferred": 1}  # a login refused is a server problem: the message waits
        settings.SMTP_URL = f"smtp://certdesk:s3cret@127.0.0.1:{port}"
        settings.SMTP_TIMEOUT = 10  # this conversation succeeds: no reason to race a busy machine's clock
        assert delivery.flush(now=timezone.now() + timedelta(hours=1)) == {"sent": 1}
        assert len(mailbox.received) == 1
    finally:
        controller.stop()


def test_webhook_is_signed_and_retried(webhook_server, physics, rao_univ):
    hook = services.create_webhook(actor_for(rao_univ), url=webhook_server.url, organization=physics.parent,
                                   types_=["SSLRevoked"])
    webhook_server.secret = hook.secret
    notify(types.SSL_REVOKED, organization=physics, context={"common_name": "www.example", "reason": "keyCompromise"})
    notify(types.SSL_APPROVED, organization=physics, context={"common_name": "www.example"})  # not subscribed
    OutboxMessage.objects.filter(channel="EMAIL").delete()  # this test looks at the webhook only
    webhook_server.status = 503
    now = timezone.now()
    assert delivery.flush(now=now) == {"retry": 1}
    webhook_server.status = 204
    assert delivery.flush(now=now + timedelta(hours=1)) == {"sent": 1}
    assert [d["valid"] for d in webhook_server.deliveries] == [True, True]
    payload = webhook_server.deliveries[-1]["json"]
    assert payload["type"] == "SSLRevoked" and payload["customer"] == "renater"
    assert payload["organization"]["id"] == physics.pk and payload["data"]["reason"] == "keyCompromise"
    headers = webhook_server.deliveries[-1]["headers"]
    assert headers["X-Certdesk-Event"] == "SSLRevoked" and headers["X-Certdesk-Delivery"]
    row = OutboxMessage.objects.get(channel="WEBHOOK")
    assert row.status == Status.SENT and row.reply == "HTTP 204" and row.attempts == 1
