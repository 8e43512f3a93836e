"""Sending the outbox: email over SMTP, webhooks over HTTP. Run by the worker (`tasks`).

A worker claims due messages (PENDING and due, or SENDING by a worker whose claim ran out)
with a token, sends each, and records the result against that token right after the
server's answer. Guarantees, honestly:

- Nothing is lost: a message leaves the outbox only as SENT or, after its last attempt,
  FAILED with the server's reply. An SMTP server that cannot be reached (or refuses our login)
  is waited for without limit: those waits are `deferrals`, not attempts.
- Sent once, almost always: SENT is committed as soon as the server accepts the message
  (250 after DATA), before the job is acknowledged. The one window left is between that 250
  and our commit (milliseconds): a worker killed exactly there, or losing its database then,
  leaves the message SENDING; once its claim expires (CERTDESK_NOTIFICATION_CLAIM_SECONDS)
  another worker sends it again, so it can arrive twice. Every message carries a stable
  Message-ID (and webhooks an X-Certdesk-Delivery id) so receivers can drop such a duplicate.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import smtplib
from email import policy as email_policy
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone as djtz

from . import smtp
from .models import Channel, NotificationEvent, OutboxMessage, Status

logger = logging.getLogger("certdesk.notifications")

# A refusal the server calls permanent (5xx) is tried at most this many times.
PERMANENT_ATTEMPTS = 3
# Waiting for an unreachable SMTP server: retried at least this often.
MAX_DEFERRAL_SECONDS = 300
TAKEN_OVER = ("The worker sending this message stopped before recording the result; sent again (it may "
              "arrive twice).")


class Refused(Exception):
    """The server answered this message with an error code."""

    def __init__(self, code: int, text: str):
        super().__init__(f"{code} {text}")
        self.code, self.text = code, text

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600

    @property
    def closes_connection(self) -> bool:
        return self.code == 421


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return str(exc) or type(exc).__name__


def backoff(attempt: int, *, cap: int | None = None) -> timedelta:
    cap = settings.NOTIFICATION_RETRY_MAX_SECONDS if cap is None else cap
    return timedelta(seconds=min(cap, settings.NOTIFICATION_RETRY_SECONDS * 2 ** max(0, attempt - 1)))


# ---------------------------------------------------------------------------
# Claiming


def _due(now: datetime) -> Q:
    return Q(status=Status.PENDING, next_attempt__lte=now) | Q(status=Status.SENDING, claimed_until__lt=now)


def claim(now: datetime, limit: int) -> tuple[list[OutboxMessage], str]:
    ids = list(OutboxMessage.objects.filter(_due(now)).order_by("next_attempt", "id")
               .values_list("id", flat=True)[:limit])
    if not ids:
        return [], ""
    token = uuid.uuid4().hex
    until = now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
    # Messages whose worker died while sending: this is a new attempt (a message that kills
    # its worker every time ends FAILED instead of looping).
    OutboxMessage.objects.filter(pk__in=ids, status=Status.SENDING, claimed_until__lt=now).update(
        claim_token=token, claimed_until=until, attempts=F("attempts") + 1, last_error=TAKEN_OVER)
    OutboxMessage.objects.filter(pk__in=ids, status=Status.PENDING, next_attempt__lte=now).update(
        status=Status.SENDING, claim_token=token, claimed_until=until)
    rows = list(OutboxMessage.objects.filter(claim_token=token, status=Status.SENDING)
                .select_related("event", "webhook").order_by("id"))
    worn_out = [r for r in rows if r.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS]
    for row in worn_out:
        _finish(row, token, status=Status.FAILED, last_error=row.last_error or TAKEN_OVER)
    return [r for r in rows if r not in worn_out], token


def _finish(row: OutboxMessage, token: str, **changes) -> bool:
    changes.setdefault("claim_token", "")
    changes.setdefault("claimed_until", None)
    return bool(OutboxMessage.objects.filter(pk=row.pk, claim_token=token).update(**changes))


# Messages whose body carries a secret (the email DCV link and code): once delivered, the body is
# blanked so the outbox does not keep a usable validation code readable in the database.
SECRET_BODY_KINDS = frozenset({"DcvEmail"})


def _sent(row: OutboxMessage, token: str, now: datetime, reply: str) -> None:
    extra = {"body": ""} if row.event.type in SECRET_BODY_KINDS else {}
    _finish(row, token, status=Status.SENT, sent_at=now, reply=reply[:500], last_error="", **extra)


def _failed_attempt(row: OutboxMessage, token: str, now: datetime, error: str, *, permanent: bool = False) -> str:
    attempts = row.attempts + 1
    limit = settings.NOTIFICATION_MAX_ATTEMPTS
    if permanent:
        limit = min(limit, PERMANENT_ATTEMPTS)
    if attempts >= limit:
        _finish(row, token, status=Status.FAILED, attempts=attempts, last_error=error)
        logger.warning("%s to %s failed for good: %s", row.channel, row.recipient, error)
        return "failed"
    _finish(row, token, status=Status.PENDING, attempts=attempts, last_error=error,
            next_attempt=now + backoff(attempts))
    return "retry"


def _defer(rows: list[OutboxMessage], token: str, now: datetime, error: str) -> None:
    """The server could not be reached: wait for it (not an attempt of these messages)."""
    for row in rows:
        deferrals = row.deferrals + 1
        _finish(row, token, status=Status.PENDING, deferrals=deferrals, last_error=error,
                next_attempt=now + backoff(deferrals, cap=min(MAX_DEFERRAL_SECONDS,
                                                                 settings.NOTIFICATION_RETRY_MAX_SECONDS)))


# ---------------------------------------------------------------------------
# Email


def build_email(row: OutboxMessage) -> EmailMessage:
    sender = settings.EMAIL_FROM
    domain = parseaddr(sender)[1].rpartition("@")[2] or "certdesk"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created)
    # Stable across retries, so a receiver can drop the rare duplicate (see the module docstring).
    message["Message-ID"] = f"<certdesk.{row.event_id}.{row.pk}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Certdesk-Notification"] = row.event.type
    message.set_content(row.body)
    return message


def _send_one(conn: smtplib.SMTP, row: OutboxMessage) -> str:
    envelope_from = parseaddr(settings.EMAIL_FROM)[1]
    code, text = conn.mail(envelope_from)
    if code != 250:
        _reset(conn)
        raise Refused(code, _text(text))
    code, text = conn.rcpt(row.recipient)
    if code not in (250, 251):
        _reset(conn)
        raise Refused(code, _text(text))
    try:
        code, text = conn.data(build_email(row).as_bytes(policy=email_policy.SMTP))
    except smtplib.SMTPDataError as exc:
        _reset(conn)
        raise Refused(exc.smtp_code, _text(exc.smtp_error)) from None
    if code != 250:
        raise Refused(code, _text(text))
    return f"{code} {_text(text)}"


def _reset(conn: smtplib.SMTP) -> None:
    try:
        conn.rset()
    except (smtplib.SMTPException, OSError):
        pass


def send_emails(rows: list[OutboxMessage], token: str, now: datetime, counts: Counter) -> None:
    if not rows:
        return
    try:
        config = smtp.parse_url(settings.SMTP_URL)
    except smtp.SmtpUrlError as exc:
        _defer(rows, token, now, str(exc))
        counts["deferred"] += len(rows)
        return
    conn = None
    try:
        for index, row in enumerate(rows):
            if conn is None:
                try:
                    conn = smtp.connect(config, timeout=settings.SMTP_TIMEOUT)
                except (OSError, smtplib.SMTPException) as exc:
                    error = f"Cannot use the SMTP server {config.describe()}: {_describe(exc)}"
                    logger.warning("%s; %d message(s) wait", error, len(rows) - index)
                    _defer(rows[index:], token, now, error)
                    counts["deferred"] += len(rows) - index
                    return
            try:
                reply = _send_one(conn, row)
            except Refused as exc:
                counts[_failed_attempt(row, token, now, f"{exc.code} {exc.text}", permanent=exc.permanent)] += 1
                if exc.closes_connection:
                    smtp.quit_quietly(conn)
                    conn = None
            except (smtplib.SMTPException, OSError) as exc:
                # Dropped in the middle of this message: an attempt of this message.
                counts[_failed_attempt(row, token, now, f"Connection lost while sending: {_describe(exc)}")] += 1
                smtp.quit_quietly(conn)
                conn = None
            else:
                _sent(row, token, now, reply)
                counts["sent"] += 1
    finally:
        smtp.quit_quietly(conn)


# ---------------------------------------------------------------------------
# Webhooks


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer like any non-2xx: retried, then FAILED


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(row: OutboxMessage, token: str, now: datetime, counts: Counter) -> None:
    if row.webhook is None:
        _finish(row, token, status=Status.FAILED, last_error="The webhook was deleted before delivery.")
        counts["failed"] += 1
        return
    body = row.body.encode()
    request = urllib.request.Request(row.recipient, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "certdesk-webhook",
        "X-Certdesk-Event": row.subject,
        "X-Certdesk-Delivery": str(row.pk),
        "X-Certdesk-Signature": signature(row.webhook.secret, body),
    })
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)
    try:
        with opener.open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        counts[_failed_attempt(row, token, now, f"HTTP {exc.code} {exc.reason}")] += 1
        return
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        counts[_failed_attempt(row, token, now, f"Cannot reach the webhook: {reason}")] += 1
        return
    _sent(row, token, now, f"HTTP {status}")
    counts["sent"] += 1


# ---------------------------------------------------------------------------
# The job


def flush(*, now: datetime | None = None, limit: int = 100, batches: int = 20) -> dict[str, int]:
    """Send what is due, in batches (one SMTP session per batch). Returns counts by outcome."""
    counts: Counter = Counter()
    for _ in range(batches):
        moment = now or djtz.now()
        rows, token = claim(moment, limit)
        if not rows:
            break
        send_emails([r for r in rows if r.channel == Channel.EMAIL], token, moment, counts)
        for row in rows:
            if row.channel == Channel.WEBHOOK:
                send_webhook(row, token, moment, counts)
        if len(rows) < limit:
            break
    return dict(counts)


def prune(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Forget events (their messages and bell items) older than CERTDESK_NOTIFICATION_LOG_DAYS,
    once nothing of them waits to be sent."""
    cutoff = (now or djtz.now()) - timedelta(days=settings.NOTIFICATION_LOG_DAYS)
    removed = 0
    while True:
        ids = list(NotificationEvent.objects.filter(created__lt=cutoff)
                   .exclude(messages__status__in=[Status.PENDING, Status.SENDING])
                   .values_list("id", flat=True)[:batch])
        if not ids:
            return removed
        NotificationEvent.objects.filter(pk__in=ids).delete()
        removed += len(ids)
