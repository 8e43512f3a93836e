"""Email DCV to constructed addresses (CA/B BR 3.2.2.4.4): admin@, administrator@, webmaster@,
hostmaster@ and postmaster@ of the domain or a parent down to the registrable domain,
plus the contact addresses an MRAO recorded for the domain.

Submitting sends one email to the chosen address with a one-time link to a public page
(`{CERTDESK_BASE_URL}/dcv/email/<token>/`) and a code (the BR's "Random Value"). The page
validates only on a POST carrying the code, so a mail scanner that follows the link
validates nothing. Only hashes are stored: SHA-256 of the token (it has 256 bits), and an
HMAC of the code under the Django SECRET_KEY bound to its token (8 digits alone would be
easy to guess back from a plain hash). This module holds the pure parts (addresses,
secrets, the message text); the services send and confirm.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timezone

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from certdesk.core.i18n import msg

from .. import names
from .base import CheckResult

LOCAL_PARTS = ("admin", "administrator", "hostmaster", "postmaster", "webmaster")
TOKEN_BYTES = 32
CODE_DIGITS = 8
# Wrong codes after which the link is refused and its orders must be started again.
MAX_ATTEMPTS = 5
LINK_PATH = "/dcv/email/{token}/"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def constructed_addresses(target: str, contacts: list[str] | None = None) -> list[str]:
    out: list[str] = []
    for name in names.parents(target):
        out.extend(f"{local}@{name}" for local in LOCAL_PARTS)
    for contact in contacts or []:
        if contact.lower() not in out:
            out.append(contact.lower())
    return out


def prepare(order, domain) -> None:
    order.emails = constructed_addresses(order.target, list(domain.contact_emails or []))


def check(order) -> CheckResult:
    if order.email:
        return CheckResult(False, msg("Waiting for the confirmation sent to %(email)s.", email=order.email))
    return CheckResult(False, msg("Waiting for the confirmation sent to the chosen address."))


# ---------------------------------------------------------------------------
# The link and the code


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_code() -> str:
    """Eight random digits, shown as `1234-5678` (the dash and spaces are optional when typed)."""
    digits = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    return f"{digits[:4]}-{digits[4:]}"


def well_formed_token(token: str) -> bool:
    return bool(token) and bool(_TOKEN.match(token))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def clean_code(text: str) -> str:
    """What the person typed, without spaces and dashes."""
    return re.sub(r"[\s\-\u2010-\u2015]", "", text or "")


def code_hash(hashed_token: str, code: str) -> str:
    key = hashlib.sha256(("certdesk.dcv-email-code:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, f"{hashed_token}:{clean_code(code)}".encode(), hashlib.sha256).hexdigest()


def code_matches(hashed_token: str, stored_hash: str, typed: str) -> bool:
    typed = clean_code(typed)
    if not typed.isdigit() or len(typed) != CODE_DIGITS:
        return False
    return hmac.compare_digest(code_hash(hashed_token, typed), stored_hash)


def link(token: str) -> str:
    return settings.BASE_URL + LINK_PATH.format(token=token)


# ---------------------------------------------------------------------------
# The message


def message(language: str, *, domains: list[str], address: str, url: str, code: str, expires: datetime,
            requester: str, customer: str, reference: str) -> tuple[str, str]:
    """Subject and plain-text body of the validation email, in `language` (en or fr)."""
    shown = [names.to_unicode(d) for d in domains]
    when = expires.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with translation.override(language):
        if len(shown) == 1:
            subject = _("Domain control validation for %(domain)s") % {"domain": shown[0]}
        else:
            subject = _("Domain control validation for %(count)s domains") % {"count": len(shown)}
        lines = [
            _("Hello,"),
            "",
            ngettext(
                "%(requester)s (%(customer)s) asks you to confirm that the owner of %(address)s controls this "
                "domain, so that certificates can be issued for it:",
                "%(requester)s (%(customer)s) asks you to confirm that the owner of %(address)s controls these "
                "domains, so that certificates can be issued for them:",
                len(shown),
            ) % {"requester": requester, "customer": customer, "address": address},
            "",
            *[f"    {name}" for name in shown],
            "",
            _("To confirm, open this page:"),
            "",
            f"    {url}",
            "",
            _("and enter this validation code:"),
            "",
            f"    {code}",
            "",
            _("The link and the code can be used once, until %(date)s. Opening the page alone validates "
              "nothing.") % {"date": when},
            _("If you did not expect this message, ignore it and do not enter the code."),
            "",
            _("Reference: %(reference)s") % {"reference": reference},
            "",
            "-- ",
            "certdesk",
        ]
    return subject, "\n".join(lines) + "\n"
