"""Data for the dashboard and report tests: certificate rows written straight to the table (these
tests read and count; the request pipeline has its own tests), domains through the service."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from certdesk.accounts import services as accounts
from certdesk.certificates import profiles as profile_data
from certdesk.certificates.models import Certificate, Profile
from certdesk.certificates.states import Status
from certdesk.domains import services as domain_services
from certdesk.domains.models import Domain
from certdesk.domains.states import DcvMethod, DcvStatus

from ..conftest import PASSWORD


def profile(name: str = "OV SSL") -> Profile:
    """A seeded profile (seeded again after a transactional test flushed the table)."""
    if not Profile.objects.filter(customer__isnull=True).exists():
        for position, spec in enumerate(profile_data.SEEDED_PROFILES, start=1):
            values = profile_data.profile_defaults(spec)
            Profile.objects.create(customer=None, position=position, **values)
    return Profile.objects.get(customer__isnull=True, kind="SSL", name=name)


def make_certs(org, n: int = 1, *, status: str = Status.ISSUED, profile_name: str = "OV SSL",
               not_after: datetime | None = None, issued_at: datetime | None = None, common_name: str = "",
               requested_via: str = "Client Admin", **fields) -> list[Certificate]:
    """`n` SSL certificates of an organization or department in one INSERT."""
    now = timezone.now()
    prof = profile(profile_name)
    if status in (Status.ISSUED, Status.REVOKED, Status.EXPIRED, Status.REPLACED):
        issued_at = issued_at or now - timedelta(days=10)
        not_after = not_after or issued_at + timedelta(days=200)
    rows = [Certificate(
        kind="SSL", customer_id=org.customer_id, organization=org, profile=prof, status=status,
        common_name=common_name or f"host{i}.{org.name.lower().replace(' ', '-')}.example.org", term=200,
        subject_alt_names=[common_name or f"host{i}.example.org"], requested_via=requested_via,
        requester_label="mrao", issued_at=issued_at, not_before=issued_at, not_after=not_after, **fields,
    ) for i in range(n)]
    return Certificate.objects.bulk_create(rows)


def drao_domains(mrao_actor, department):
    """A DRAO allowed to add domains: its delegations wait for a RAO's or an MRAO's approval."""
    return accounts.create_admin(
        mrao_actor, login=f"drao_domains_{department.pk}", email=f"domains{department.pk}@univ-lyon.example",
        forename="Dom", surname="Aine", password=PASSWORD,
        credentials=[{"role": "DRAO_SSL", "orgId": department.pk}],
        privileges=["allowManageDomains", "allowDCV"], must_change_password=False,
    )


def make_domain(actor, name: str, org, *, dcv_status: str = DcvStatus.NOT_VALIDATED, method: str = "",
                expires: datetime | None = None) -> Domain:
    """A domain added through the service; its DCV outcome written as the validation would leave it."""
    domain = domain_services.create_domain(actor, name, delegations=[(org, ["SSL"])])
    if dcv_status != DcvStatus.NOT_VALIDATED:
        validated = (expires or timezone.now()) - timedelta(days=200)
        Domain.objects.filter(pk=domain.pk).update(dcv_status=dcv_status, dcv_method=method or DcvMethod.TXT,
                                                    dcv_validated_at=validated, dcv_expires=expires)
        domain.refresh_from_db()
    return domain


__all__ = ["make_certs", "profile", "drao_domains", "make_domain"]
