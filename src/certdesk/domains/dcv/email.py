"""Email DCV to constructed addresses (CA/B BR 3.2.2.4.4): admin@, administrator@, webmaster@,
hostmaster@ and postmaster@ of the domain or a parent down to the registrable domain,
plus the contact addresses an MRAO recorded for the domain.

Only the address list and the chosen address are handled here; sending the email with
its one-time link and the public confirmation page belong to the notifications issue.
"""
from __future__ import annotations

from .. import names
from .base import CheckResult

LOCAL_PARTS = ("admin", "administrator", "hostmaster", "postmaster", "webmaster")


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
    return CheckResult(False, "Waiting for the confirmation sent to " + (order.email or "the chosen address") + ".")
