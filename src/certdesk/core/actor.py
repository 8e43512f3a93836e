"""Actor: who is acting, through which interface, from where. Built by each adapter."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from certdesk.accounts.models import Admin
    from certdesk.tenancy.models import Customer


class Interface:
    PORTAL = "portal"
    API = "api"
    ACME = "acme"
    WORKER = "worker"
    CLI = "cli"


@dataclass
class Actor:
    customer: Optional["Customer"]
    admin: Optional["Admin"] = None
    interface: str = Interface.PORTAL
    ip: str | None = None
    label_override: str | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_system(self) -> bool:
        return self.admin is None

    @property
    def label(self) -> str:
        if self.label_override:
            return self.label_override
        if self.admin is not None:
            return self.admin.login
        return f"system:{self.interface}"

    @classmethod
    def system(cls, customer=None, interface: str = Interface.CLI, label: str | None = None) -> "Actor":
        return cls(customer=customer, admin=None, interface=interface, label_override=label)

    @classmethod
    def for_admin(cls, admin: "Admin", interface: str, ip: str | None = None) -> "Actor":
        return cls(customer=admin.customer, admin=admin, interface=interface, ip=ip)
