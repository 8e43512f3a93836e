"""What every DCV method shares: random values, the instructions shown, the check result."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings

from .. import caa

if TYPE_CHECKING:
    from ..models import DcvOrder, Domain

# CA/B BR 3.2.2.4.7 and §1.6.1 "Random Value": at least 112 bits of entropy; we use 128.
RANDOM_BYTES = 16


def random_value() -> str:
    return secrets.token_hex(RANDOM_BYTES)


def ca_identity() -> str:
    """The name this CA goes by in CAA records and DCV values (the first CAA identity)."""
    ids = caa.identities()
    return ids[0] if ids else "certdesk.invalid"


@dataclass(frozen=True)
class Instructions:
    """What the applicant must publish, in SCM's vocabulary (host/point, url/firstLine/secondLine, emails)."""

    domain: str
    method: str
    order_status: str
    host: str = ""
    point: str = ""
    url: str = ""
    first_line: str = ""
    second_line: str = ""
    emails: tuple[str, ...] = ()
    order_id: int | None = None

    @property
    def text(self) -> str:
        """One human sentence, for the portal and the CLI."""
        if self.method == "CNAME":
            return f"Create the DNS record: {self.host} CNAME {self.point}"
        if self.method in ("TXT", "TXT_PERSIST"):
            return f'Create the DNS record: {self.host} TXT "{self.point}"'
        if self.method in ("HTTP", "HTTPS"):
            lines = self.first_line + (f"\n{self.second_line}" if self.second_line else "")
            return f"Serve {self.url} with the content: {lines}"
        return "Choose one of these addresses to receive the validation email: " + ", ".join(self.emails)


@dataclass
class CheckResult:
    ok: bool
    reason: str
    dns_failure: bool = False
    details: dict = field(default_factory=dict)


def instructions(order: "DcvOrder") -> Instructions:
    common = dict(domain=order.domain.name, method=order.method, order_status=order.status, order_id=order.pk)
    if order.method in ("HTTP", "HTTPS"):
        return Instructions(url=order.url, first_line=order.value, second_line=order.second_line, **common)
    if order.method == "EMAIL":
        return Instructions(emails=tuple(order.emails), **common)
    return Instructions(host=order.host, point=order.value, **common)


def account_uri(domain: "Domain") -> str:
    """The customer's account URI (for `_validation-persist` values and CAA `accounturi`)."""
    return f"{settings.BASE_URL}/customer/{domain.customer.uri}"
