"""Read-only queries behind the dashboard and the reports, always in the actor's scope.

The dashboard's figures are a fixed handful of queries whatever the data holds: one pass over
the certificates in scope, grouped by (status, profile), with the twelve months of issuance as
conditional counts (plain comparisons, no per-row date function), and index reads for the
expiry windows and the approvals waiting (issue 8).
"""
from __future__ import annotations

import hashlib
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.core.cache import cache
from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.certificates import queries as certificates
from certdesk.certificates.models import Certificate, Profile
from certdesk.certificates.states import Status
from certdesk.core.actor import Actor
from certdesk.core.models import AuditEvent, AuditHead
from certdesk.domains import queries as domains
from certdesk.domains.models import Delegation, Domain
from certdesk.domains.states import DcvStatus
from certdesk.tenancy.models import CertType, Organization

EXPIRY_WINDOWS = (30, 60, 90)
# How long the dashboard's figures are reused while nothing changes (see cached_dashboard).
DASHBOARD_CACHE_SECONDS = 60
# Figures that took longer than this to count (a network operator's million certificates) are
# reused for DASHBOARD_CACHE_SECONDS even while changes happen; cheaper ones follow every change.
DASHBOARD_COSTLY_SECONDS = 0.25
DCV_EXPIRY_DAYS = 30
ISSUANCE_MONTHS = 12

# Where a request came from (Certificate.requested_via; SCM's certificateRequestSource words).
REQUEST_SOURCES = ("Client Admin", "Enrollment Form", "ACME", "REST API", "Web API", "Bulk Request", "Imported",
                   "Discovery", "SCEP", "EST", "MS Agent")

# What the certificates report reads (never the CSR or the DER: a million rows stream faster).
CERTIFICATE_REPORT_FIELDS = (
    "id", "kind", "customer_id", "common_name", "subject_alt_names", "status", "requested_via", "requester_label",
    "created", "issued_at", "not_after", "revoked_at", "serial_hex", "organization__name",
    "organization__parent__name", "profile__name", "approver__login",
)

# The audit log's object types that a report can filter on (AuditEvent.object_type).
OBJECT_TYPES = ("certificates.certificate", "domains.domain", "tenancy.organization", "accounts.admin",
                "acme.acmeaccount", "notifications.notificationrule", "tenancy.customer")


# ---------------------------------------------------------------------------
# Dashboard


@dataclass
class Dashboard:
    """What the dashboard shows for one admin (every number already scoped)."""

    by_status: dict[str, int]
    by_profile: list[tuple[int, str, int]]  # (profile id, name, count), largest first
    expiring: dict[int, int]  # days → issued certificates expiring within them
    awaiting_my_approval: int
    dcv_expiring: int
    delegations_awaiting: int
    issuance: list[tuple[date, int]]  # first day of each month (admin's time zone), oldest first
    organizations: int = 0
    departments: int = 0
    admins: int = 0
    computed_at: datetime | None = None  # when these figures were counted
    total: int = field(init=False)

    def __post_init__(self):
        self.total = sum(self.by_status.values())


def month_starts(count: int, *, tz: tzinfo, now: datetime | None = None) -> list[datetime]:
    """The first instants of the last `count` months (the current one last) in time zone `tz`,
    followed by the start of the next month: count + 1 boundaries."""
    local = timezone.localtime(now or timezone.now(), tz)
    year, month = local.year, local.month
    firsts = []
    for _ in range(count):
        firsts.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    firsts.reverse()
    year, month = local.year, local.month
    firsts.append((year + 1, 1) if month == 12 else (year, month + 1))
    return [datetime.combine(date(y, m, 1), time.min, tzinfo=tz) for y, m in firsts]


def _certificates_in_scope(actor: Actor) -> QuerySet[Certificate]:
    """The SSL certificates of `certificates.visible_certificates`, filtered on the certificate's own
    columns (customer, organization) instead of a join to its organization, so that counts can be
    answered from the (customer, kind, status) and (organization, status) indexes. Same rows: a
    certificate's customer is always its organization's."""
    if actor.customer is None:
        return Certificate.objects.none()
    qs = Certificate.objects.filter(customer=actor.customer, kind=CertType.SSL)
    ids = policy.organization_ids(actor, CertType.SSL)
    if ids is not None:
        qs = qs.filter(organization_id__in=ids)
    return qs.order_by()


def dashboard(actor: Actor, *, tz: tzinfo | None = None, now: datetime | None = None) -> Dashboard:
    """The dashboard's figures in a constant number of queries whatever the data, each answered
    from an index alone (no table rows read): certificates by status and profile from
    (customer, kind, profile, status), the twelve months of issuance as conditional counts over a
    range of (customer, kind, issued_at), the expiry windows from (status, not_after)."""
    now = now or timezone.now()
    tz = tz or timezone.get_current_timezone()
    scoped = _certificates_in_scope(actor)

    by_status: dict[str, int] = {}
    per_profile: dict[int, int] = {}
    for row in scoped.values("status", "profile_id").annotate(n=Count("*")):
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        per_profile[row["profile_id"]] = per_profile.get(row["profile_id"], 0) + row["n"]
    names = dict(Profile.objects.filter(Q(customer__isnull=True) | Q(customer=actor.customer))
                 .values_list("id", "name"))
    by_profile = sorted(((pk, names.get(pk, f"#{pk}"), n) for pk, n in per_profile.items()),
                        key=lambda row: (-row[2], row[1]))

    bounds = month_starts(ISSUANCE_MONTHS, tz=tz, now=now)
    months = {f"m{i}": Count("issued_at", filter=Q(issued_at__gte=bounds[i], issued_at__lt=bounds[i + 1]))
              for i in range(ISSUANCE_MONTHS)}
    per_month = scoped.filter(issued_at__gte=bounds[0], issued_at__lt=bounds[-1]).aggregate(**months)
    issued = [per_month[f"m{i}"] or 0 for i in range(ISSUANCE_MONTHS)]

    longest = max(EXPIRY_WINDOWS)
    windows = {f"d{days}": Count("not_after", filter=Q(not_after__lte=now + timedelta(days=days)))
               for days in EXPIRY_WINDOWS}
    expiring = scoped.filter(status=Status.ISSUED, not_after__gt=now,
                             not_after__lte=now + timedelta(days=longest)).aggregate(**windows)

    orgs = policy.scope(actor, Organization.objects.all()).aggregate(
        organizations=Count("id", filter=Q(parent__isnull=True)),
        departments=Count("id", filter=Q(parent__isnull=False)))
    return Dashboard(
        by_status=by_status,
        by_profile=by_profile,
        expiring={days: expiring[f"d{days}"] or 0 for days in EXPIRY_WINDOWS},
        awaiting_my_approval=certificates.count_awaiting_approval(actor, scoped),
        dcv_expiring=domains.expiring(actor, DCV_EXPIRY_DAYS, now=now).order_by().count(),
        delegations_awaiting=len(domains.delegations_awaiting_approval(actor)),
        issuance=[(bounds[i].date(), issued[i]) for i in range(ISSUANCE_MONTHS)],
        organizations=orgs["organizations"],
        departments=orgs["departments"],
        admins=policy.visible_admins(actor).count(),
    )


def cached_dashboard(actor: Actor, *, tz: tzinfo) -> Dashboard:
    """`dashboard`, kept DASHBOARD_CACHE_SECONDS per admin, scope and time zone. Every change writes
    an audit row, so figures are reused only while the audit log's tip stays where it was: a change
    shows at once, reloads in between cost two small reads instead of a pass over the certificates.
    Figures that were costly to count (over DASHBOARD_COSTLY_SECONDS: a whole network's million
    certificates, where ACME renewals move the tip every second) are reused until they are
    DASHBOARD_CACHE_SECONDS old whatever changed meanwhile; the page says when they were counted.
    Figures that move with the clock alone (expiring within N days, this month) lag by at most that."""
    if DASHBOARD_CACHE_SECONDS <= 0 or actor.customer is None:
        return dashboard(actor, tz=tz)
    tip = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    ids = policy.organization_ids(actor, CertType.SSL)
    scope_text = "all" if ids is None else ",".join(str(i) for i in sorted(ids))
    admin_id = actor.admin.pk if actor.admin is not None else 0
    digest = hashlib.sha256(f"{actor.customer.pk}|{admin_id}|{scope_text}|{tz}".encode()).hexdigest()
    key = f"certdesk:dashboard:{digest}"
    kept = cache.get(key)
    if kept is not None:
        kept_tip, cost, figures = kept
        if kept_tip == tip or cost > DASHBOARD_COSTLY_SECONDS:
            return figures
    started = clock.perf_counter()
    figures = dashboard(actor, tz=tz)
    cost = clock.perf_counter() - started
    figures.computed_at = timezone.now()
    cache.set(key, (tip, cost, figures), DASHBOARD_CACHE_SECONDS)
    return figures


# ---------------------------------------------------------------------------
# Reports


def _with_departments(org_id: int) -> Q:
    """An organization with its departments (a department alone has none)."""
    return Q(organization_id=org_id) | Q(organization__parent_id=org_id)


def certificate_report(actor: Actor, *, statuses: list[str] | None = None, profile_id: int | None = None,
                       organization_id: int | None = None, requested_via: str = "",
                       issued_from: datetime | None = None, issued_until: datetime | None = None,
                       expires_from: datetime | None = None, expires_until: datetime | None = None,
                       ) -> QuerySet[Certificate]:
    """SSL certificates in the actor's scope, filtered; `*_until` bounds are exclusive. Newest first."""
    qs = _certificates_in_scope(actor).select_related(
        "organization", "organization__parent", "profile", "approver").only(*CERTIFICATE_REPORT_FIELDS)
    if statuses:
        qs = qs.filter(status__in=statuses)
    if profile_id:
        qs = qs.filter(profile_id=profile_id)
    if organization_id:
        qs = qs.filter(_with_departments(organization_id))
    if requested_via:
        qs = qs.filter(requested_via=requested_via)
    if issued_from:
        qs = qs.filter(issued_at__gte=issued_from)
    if issued_until:
        qs = qs.filter(issued_at__lt=issued_until)
    if expires_from:
        qs = qs.filter(not_after__gte=expires_from)
    if expires_until:
        qs = qs.filter(not_after__lt=expires_until)
    return qs.order_by("-id")


def domain_report(actor: Actor, *, dcv_status: str = "", method: str = "", expires_within: int | None = None,
                  organization_id: int | None = None, now: datetime | None = None) -> QuerySet[Domain]:
    """Domains in the actor's scope with their own DCV (status, method, dates), filtered.

    A VALIDATED domain whose expiry has passed counts as EXPIRED even before the worker's sweep
    marks it (as the domain list shows it); `expires_within` keeps validated domains whose DCV
    expires in that many days (and has not yet)."""
    now = now or timezone.now()
    qs = policy.scope_domains(actor)
    live = Q(dcv_status=DcvStatus.VALIDATED) & (Q(dcv_expires__isnull=True) | Q(dcv_expires__gt=now))
    if dcv_status == DcvStatus.VALIDATED:
        qs = qs.filter(live)
    elif dcv_status == DcvStatus.EXPIRED:
        qs = qs.filter(Q(dcv_status=DcvStatus.EXPIRED) | Q(dcv_status=DcvStatus.VALIDATED, dcv_expires__lte=now))
    elif dcv_status == DcvStatus.NOT_VALIDATED:
        qs = qs.filter(dcv_status=DcvStatus.NOT_VALIDATED)
    if method:
        qs = qs.filter(dcv_method=method)
    if expires_within is not None:
        qs = qs.filter(dcv_status=DcvStatus.VALIDATED, dcv_expires__gt=now,
                       dcv_expires__lte=now + timedelta(days=expires_within))
    if organization_id:
        qs = qs.filter(pk__in=Delegation.objects.filter(_with_departments(organization_id)).values("domain_id"))
    return qs.order_by("name", "id")


def domain_status(domain: Domain, now: datetime) -> str:
    """The DCV status the domain report shows (EXPIRED once past expiry, before the sweep)."""
    if domain.dcv_status == DcvStatus.VALIDATED and domain.dcv_expires is not None and domain.dcv_expires <= now:
        return DcvStatus.EXPIRED
    return domain.dcv_status


def _ids_as_text(qs: QuerySet) -> QuerySet:
    """`AuditEvent.object_id` is text: compare it with ids cast to text, in the database."""
    return qs.order_by().annotate(id_text=Cast("pk", CharField())).values("id_text")


def visible_activity(actor: Actor) -> QuerySet[AuditEvent]:
    """Audit rows in the actor's scope: an MRAO all of its customer's; a RAO or DRAO the rows about
    the organizations/departments, certificates, domains, ACME accounts and admins it administers,
    and the rows written by the admins it sees (its own included)."""
    policy.require(actor, Perm.VIEW_AUDIT)
    qs = AuditEvent.objects.filter(customer_id=actor.customer.pk)
    ids = policy.organization_ids(actor)
    if ids is None:
        return qs
    from certdesk.acme.models import AcmeAccount

    orgs = Organization.objects.filter(customer=actor.customer, pk__in=ids)
    admins = policy.visible_admins(actor)
    inside = (
        Q(object_type="tenancy.organization", object_id__in=_ids_as_text(orgs))
        | Q(object_type="certificates.certificate", object_id__in=_ids_as_text(
            Certificate.objects.filter(customer=actor.customer, organization_id__in=ids)))
        | Q(object_type="domains.domain", object_id__in=_ids_as_text(policy.scope_domains(actor)))
        | Q(object_type="acme.acmeaccount", object_id__in=_ids_as_text(
            AcmeAccount.objects.filter(organization_id__in=ids)))
        | Q(object_type="accounts.admin", object_id__in=_ids_as_text(admins))
        | Q(actor_admin_id__in=admins.order_by().values("pk"))
    )
    return qs.filter(inside)


def activity_report(actor: Actor, *, since: datetime | None = None, until: datetime | None = None,
                    who: str = "", action: str = "", object_type: str = "") -> QuerySet[AuditEvent]:
    """The activity (audit) report: rows in scope, filtered, newest first (`until` exclusive)."""
    qs = visible_activity(actor)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    if who:
        qs = qs.filter(actor__icontains=who)
    if action:
        qs = qs.filter(action__icontains=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    return qs.order_by("-seq")

