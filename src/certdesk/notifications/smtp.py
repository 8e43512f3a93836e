"""CERTDESK_SMTP_URL: `smtp://[user:password@]host[:port][?starttls=1]` or `smtps://...` (implicit
TLS, port 465 by default); `verify=0` skips the TLS certificate check (test relays only)."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlparse

_TRUE = {"1", "true", "yes", "on"}


class SmtpUrlError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool = False
    verify: bool = True
    user: str = ""
    password: str = ""

    def describe(self) -> str:
        """The server, without the password (for logs and errors)."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        who = f"{self.user}@" if self.user else ""
        return f"{scheme}://{who}{self.host}:{self.port}{'?starttls=1' if self.starttls else ''}"


def parse_url(url: str) -> SmtpConfig:
    if not url:
        raise SmtpUrlError("CERTDESK_SMTP_URL is not set: messages wait in the outbox until it is.")
    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtps"}:
        raise SmtpUrlError("CERTDESK_SMTP_URL must start with smtp:// or smtps://.")
    if not parsed.hostname:
        raise SmtpUrlError("CERTDESK_SMTP_URL has no host.")
    query = {k: v[-1].strip().lower() for k, v in parse_qs(parsed.query).items()}
    implicit = parsed.scheme == "smtps"
    try:
        port = parsed.port or (465 if implicit else 25)
    except ValueError:
        raise SmtpUrlError("CERTDESK_SMTP_URL has an invalid port.") from None
    return SmtpConfig(
        host=parsed.hostname, port=port, implicit_tls=implicit,
        starttls=not implicit and query.get("starttls", "") in _TRUE,
        verify=query.get("verify", "1") not in {"0", "false", "no", "off"},
        user=unquote(parsed.username or ""), password=unquote(parsed.password or ""),
    )


def _tls_context(config: SmtpConfig) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not config.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def connect(config: SmtpConfig, *, timeout: float, local_hostname: str | None = None) -> smtplib.SMTP:
    """An authenticated SMTP session, ready for MAIL FROM."""
    if config.implicit_tls:
        conn: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=timeout,
                                              local_hostname=local_hostname, context=_tls_context(config))
    else:
        conn = smtplib.SMTP(config.host, config.port, timeout=timeout, local_hostname=local_hostname)
    try:
        conn.ehlo_or_helo_if_needed()
        if config.starttls:
            conn.starttls(context=_tls_context(config))
            conn.ehlo()
        if config.user:
            conn.login(config.user, config.password)
    except BaseException:
        _close(conn)
        raise
    return conn


def _close(conn: smtplib.SMTP) -> None:
    try:
        conn.close()
    except OSError:
        pass


def quit_quietly(conn: smtplib.SMTP | None) -> None:
    if conn is None:
        return
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        _close(conn)
