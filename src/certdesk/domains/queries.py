"""Reads of domains: visible lists, effective DCV status (with coverage by a validated parent),
and the name authorization check that certificate issuance uses."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

import idna
from django.db.models import Q, QuerySet
from django.utils import timezone

from certdesk.accounts import policy
from certdesk.core.actor import Actor
from certdesk.core.i18n import msg
from certdesk.tenancy.models import Customer, Organization

from . import names
from .errors import DcvMissing, DomainInactive, DomainNotFound, InvalidDomainName, NotDelegated
from .models import DcvOrder, DcvSettings, Delegation, Domain, all_methods
from .states import (
    OPEN_ORDER_STATUSES,
    DcvStatus,
    DelegationStatus,
    DisplayStatus,
    DomainState,
    OrderStatus,
    revalidation_window,
)

# ---------------------------------------------------------------------------
# Lists and lookups (always through the actor's scope)


def visible_domains(
    actor: Actor,
    *,
    name: str | None = None,
    state: str | None = None,
    delegation_status: str | None = None,
    organization_id: int | None = None,
) -> QuerySet[Domain]:
    """Domains the actor may see, filtered like SCM's list (name contains, state, delegation status, orgId).

    `name` matches the stored A-label (`xn--cole-9oa`) or the U-label people read (`école`, `écol`).
    """
    qs = policy.scope_domains(actor)
    if name and name.strip():
        qs = qs.filter(name_matches(name))
    if state:
        qs = qs.filter(state=state.upper())
    if delegation_status or organization_id:
        sub = Delegation.objects.all()
        if delegation_status:
            sub = sub.filter(status=delegation_status.upper())
        if organization_id:
            sub = sub.filter(organization_id=organization_id)
        qs = qs.filter(pk__in=sub.values("domain_id"))
    return qs.order_by("name", "id")


def name_matches(text: str) -> Q:
    """Name contains `text`: as typed (A-label or U-label, any case), or as its IDNA encoding when it
    has whole non-ASCII labels (`ÉCOLE.fr` → `xn--cole-9oa.fr`)."""
    wanted = unicodedata.normalize("NFC", text.strip()).lower()
    query = Q(name__icontains=wanted) | Q(name_unicode__contains=wanted)
    if not wanted.isascii():
        try:
            encoded = ".".join(idna.encode(label, uts46=True).decode("ascii") if label and not label.isascii()
                               else label for label in wanted.split("."))
        except (idna.IDNAError, UnicodeError):
            encoded = ""
        if encoded and encoded != wanted:
            query |= Q(name__contains=encoded)
    return query


def get_domain(actor: Actor, domain_id) -> Domain:
    try:
        domain_id = int(domain_id)
    except (TypeError, ValueError):
        raise DomainNotFound("Domain not found.") from None
    domain = policy.scope_domains(actor).filter(pk=domain_id).first()
    if domain is None:
        raise DomainNotFound("Domain not found.")
    return domain


def get_domain_by_name(actor: Actor, name: str) -> Domain:
    try:
        normalized = names.normalize(name)
    except InvalidDomainName:
        raise DomainNotFound(msg("Domain '%(name)s' not found.", name=name)) from None
    domain = policy.scope_domains(actor).filter(name=normalized).first()
    if domain is None:
        raise DomainNotFound(msg("Domain '%(name)s' not found.", name=name))
    return domain


def delegations_awaiting_approval(actor: Actor) -> list[Delegation]:
    """REQUESTED delegations the actor may approve or reject (the Approve Delegations dialog)."""
    qs = (
        Delegation.objects.filter(status=DelegationStatus.REQUESTED, domain__in=policy.scope_domains(actor))
        .select_related("domain", "organization", "organization__parent")
        .order_by("domain__name", "organization__name")
    )
    return [d for d in qs if policy.approves_delegation_to(actor, d.organization)]


def requires_approval(domain: Domain) -> bool:
    """The panel's "Delegations to some organizations/departments require approval"."""
    return domain.delegations.filter(status=DelegationStatus.REQUESTED).exists()


def current_order(domain: Domain) -> DcvOrder | None:
    return domain.dcv_orders.filter(status__in=OPEN_ORDER_STATUSES).first()


def enabled_methods(customer: Customer) -> list[str]:
    row = DcvSettings.objects.filter(customer=customer).first()
    return list(row.enabled_methods) if row is not None else all_methods()


def expiring(actor: Actor, days: int, *, now: datetime | None = None) -> QuerySet[Domain]:
    """Visible domains whose own DCV expires within `days` (and has not yet expired)."""
    now = now or timezone.now()
    return policy.scope_domains(actor).filter(
        dcv_status=DcvStatus.VALIDATED, dcv_expires__gt=now, dcv_expires__lte=now + timedelta(days=days)
    ).order_by("dcv_expires", "id")


# ---------------------------------------------------------------------------
# Effective DCV status


@dataclass(frozen=True)
class DcvState:
    """What the DCV panel and `GET /api/domain/v1/{id}` show for one domain."""

    status: str  # DcvStatus
    display: str  # DisplayStatus: the list's green/yellow/red
    method: str = ""
    validated_at: datetime | None = None
    expires: datetime | None = None
    inherited_from: str | None = None  # the validated parent domain that covers this one
    revalidation_open: bool = False  # within the window before expiry (ACTION REQUIRED)
    order_status: str = OrderStatus.NOT_INITIATED
    order_method: str = ""
    order_id: int | None = None
    submitted_at: datetime | None = None
    last_check: datetime | None = None
    next_check: datetime | None = None
    last_error: str = ""
    delegated: bool = False  # at least one ACTIVE delegation
    requires_approval: bool = False


def _own_status(domain: Domain, now: datetime) -> str:
    if domain.dcv_status == DcvStatus.VALIDATED and domain.dcv_expires is not None and domain.dcv_expires <= now:
        return DcvStatus.EXPIRED  # the sweep has not run yet: never show a stale VALIDATED
    return domain.dcv_status


STATES_BATCH = 500


def _ancestors(domain: Domain) -> list[str]:
    """The names whose validation could cover `domain`: its parents (and the base of a wildcard)."""
    return [n for n in names.parents(domain.base_name) if n != domain.name]


def dcv_states_for(domains: Iterable[Domain], *, organization: Organization | None = None,
                   now: datetime | None = None) -> dict[int, DcvState]:
    """`dcv_status_for` of many domains at once, by domain id, in a fixed number of queries
    (for lists: it does not grow with the number of domains).

    The effective DCV is the domain's own or that of a validated parent domain that covers it
    (certdesk-decisions "Domains and DCV": the DCV of a base domain covers its subdomains and
    wildcards delegated to the same organization or its departments, seeds 000 and 004).
    With `organization`, coverage is judged for that organization/department only; otherwise
    for any organization the domain is actively delegated to.
    """
    now = now or timezone.now()
    items = list({d.pk: d for d in domains}.values())
    out: dict[int, DcvState] = {}
    for start in range(0, len(items), STATES_BATCH):
        out.update(_states_batch(items[start:start + STATES_BATCH], organization, now))
    return out



def _states_batch(domains: list[Domain], organization: Organization | None, now: datetime) -> dict[int, DcvState]:
    ids = [d.pk for d in domains]
    active: dict[int, set[int]] = {pk: set() for pk in ids}
    requested: set[int] = set()
    for domain_id, org_id, status in Delegation.objects.filter(domain_id__in=ids).values_list(
            "domain_id", "organization_id", "status"):
        if status == DelegationStatus.ACTIVE:
            active[domain_id].add(org_id)
        else:
            requested.add(domain_id)
    orders = {}
    for order in DcvOrder.objects.filter(domain_id__in=ids, status__in=OPEN_ORDER_STATUSES).order_by("-created",
                                                                                                     "-id"):
        orders.setdefault(order.domain_id, order)
    own = {d.pk: _own_status(d, now) for d in domains}
    wanting = [d for d in domains if own[d.pk] != DcvStatus.VALIDATED and (organization or active[d.pk])]
    parents = _covering_parents(wanting, organization, active, now)
    out = {}
    for domain in domains:
        status = own[domain.pk]
        method, validated_at, expires, inherited = (domain.dcv_method, domain.dcv_validated_at, domain.dcv_expires,
                                                    None)
        parent = parents.get(domain.pk)
        if status != DcvStatus.VALIDATED and parent is not None:
            status, inherited = DcvStatus.VALIDATED, parent.name
            method, validated_at, expires = parent.dcv_method, parent.dcv_validated_at, parent.dcv_expires
        revalidation_open = False
        if status == DcvStatus.VALIDATED and expires is not None and validated_at is not None:
            validity_days = max(1, round((expires - validated_at).total_seconds() / 86400))
            revalidation_open = now >= expires - revalidation_window(validity_days)
        delegated = bool(active[domain.pk])
        if status == DcvStatus.EXPIRED:
            display = DisplayStatus.EXPIRED
        elif status == DcvStatus.VALIDATED and delegated and not revalidation_open:
            display = DisplayStatus.VALIDATED
        else:
            display = DisplayStatus.ACTION_REQUIRED
        order = orders.get(domain.pk)
        out[domain.pk] = DcvState(
            status=status, display=display, method=method, validated_at=validated_at, expires=expires,
            inherited_from=inherited, revalidation_open=revalidation_open,
            order_status=order.status if order else OrderStatus.NOT_INITIATED,
            order_method=order.method if order else "", order_id=order.pk if order else None,
            submitted_at=order.submitted_at if order else None, last_check=order.last_check if order else None,
            next_check=order.next_check if order else None, last_error=order.last_error if order else "",
            delegated=delegated, requires_approval=domain.pk in requested,
        )
    return out


def _covering_parents(domains: list[Domain], organization: Organization | None, active: dict[int, set[int]],
                      now: datetime) -> dict[int, Domain]:
    """For each domain, the validated domain above it (or the base of a wildcard) delegated to one
    of its organizations or their parent organization: the latest-expiring one (then the oldest)."""
    ancestors = {d.pk: _ancestors(d) for d in domains}
    wanted_names = {n for names_ in ancestors.values() for n in names_}
    if not wanted_names:
        return {}
    if organization is not None:
        parents_of = {organization.pk: organization.parent_id}
    else:
        org_ids = set().union(*(active[d.pk] for d in domains))
        parents_of = dict(Organization.objects.filter(pk__in=org_ids).values_list("id", "parent_id"))
    customers = {d.customer_id for d in domains}
    candidates = list(Domain.objects.filter(
        customer_id__in=customers, name__in=wanted_names, state=DomainState.ACTIVE,
        dcv_status=DcvStatus.VALIDATED, dcv_expires__gt=now,
    ).order_by("-dcv_expires", "id"))
    if not candidates:
        return {}
    delegated_to: dict[int, set[int]] = {c.pk: set() for c in candidates}
    for domain_id, org_id in Delegation.objects.filter(domain_id__in=list(delegated_to),
                                                       status=DelegationStatus.ACTIVE).values_list(
            "domain_id", "organization_id"):
        delegated_to[domain_id].add(org_id)
    by_name: dict[tuple[int, str], list[Domain]] = {}
    for candidate in candidates:  # already in preference order
        by_name.setdefault((candidate.customer_id, candidate.name), []).append(candidate)
    out = {}
    for domain in domains:
        orgs = {organization.pk} if organization is not None else active[domain.pk]
        allowed = set(orgs) | {parents_of[o] for o in orgs if parents_of.get(o)}
        best = None
        for name in ancestors[domain.pk]:
            for candidate in by_name.get((domain.customer_id, name), []):
                if delegated_to[candidate.pk] & allowed and (
                        best is None or (-candidate.dcv_expires.timestamp(), candidate.pk)
                        < (-best.dcv_expires.timestamp(), best.pk)):
                    best = candidate
        if best is not None:
            out[domain.pk] = best
    return out


def dcv_status_for(domain: Domain, *, organization: Organization | None = None,
                   now: datetime | None = None) -> DcvState:
    """The domain's effective DCV: its own, or a validated parent's that covers it (see `dcv_states_for`)."""
    return dcv_states_for([domain], organization=organization, now=now)[domain.pk]


# ---------------------------------------------------------------------------
# Name authorization (used by certificate requests)


@dataclass(frozen=True)
class NameCheck:
    name: str  # as given
    ok: bool
    reason: str = ""
    code: int = 0  # the SCM code of the refusal
    normalized: str = ""
    domain: Domain | None = None
    dcv: DcvState | None = None

    def error(self):
        """The DomainError to raise for this refusal."""
        for cls in (InvalidDomainName, NotDelegated, DomainInactive, DcvMissing):
            if cls.code == self.code:
                return cls(self.reason, field="names")
        return NotDelegated(self.reason, field="names")


def covering_domain_names(name: str) -> list[str]:
    """The domain records that could cover `name`: itself and `*.` of its ancestors up to three labels up."""
    out = [name]
    current = name
    for _ in range(names.WILDCARD_DEPTH):
        if "." not in current:
            break
        current = current.split(".", 1)[1]
        out.append(names.WILDCARD_PREFIX + current)
    return out


def is_name_authorized(org: Organization, name: str, cert_type: str, *, now: datetime | None = None) -> NameCheck:
    """May `org` (an organization or department) get a `cert_type` certificate naming `name`?

    The name must be covered by a domain actively delegated to exactly that organization or
    department for that certificate type (`example.org` covers only itself, `*.example.org`
    one to three labels below), the domain must be ACTIVE, and its DCV (own or a covering
    parent's) must be VALIDATED. CAA is a separate check (`caa.check`) at issuance.
    """
    return check_names(org, [name], cert_type, now=now)[0]


def check_names(org: Organization, names_: Iterable[str], cert_type: str, *,
                now: datetime | None = None) -> list[NameCheck]:
    """`is_name_authorized` for each name, in the order given; the failures are those with `ok` false.

    A fixed number of queries whatever the number of names: the domains that could cover any of
    them in one query, the organization's delegations of those in another, then the effective DCV
    of the usable ones at once (`dcv_states_for`); each name is decided in Python."""
    now = now or timezone.now()
    given = list(names_)
    normalized: dict[int, str] = {}
    invalid: dict[int, InvalidDomainName] = {}
    for i, name in enumerate(given):
        try:
            normalized[i] = names.normalize(name)
        except InvalidDomainName as exc:
            invalid[i] = exc
    covering = {i: covering_domain_names(n) for i, n in normalized.items()}
    wanted = {c for names_of in covering.values() for c in names_of}
    by_name: dict[str, Domain] = {}
    if wanted:
        by_name = {d.name: d for d in Domain.objects.filter(customer_id=org.customer_id, name__in=wanted)}
    delegations: dict[int, Delegation] = {}
    if by_name:
        delegations = {dl.domain_id: dl for dl in Delegation.objects.filter(
            domain_id__in=[d.pk for d in by_name.values()], organization=org)}
    candidates_of: dict[int, list[Domain]] = {}
    for i, n in normalized.items():
        found = [by_name[c] for c in covering[i] if c in by_name and names.delegation_covers(c, n)]
        # Most specific first: the exact name, then the closest wildcard.
        found.sort(key=lambda d: (d.name != n, -len(d.name)))
        candidates_of[i] = found

    def usable(domains: list[Domain]) -> list[Domain]:
        return [d for d in domains if d.pk in delegations and delegations[d.pk].is_active
                and cert_type in (delegations[d.pk].cert_types or [])]

    to_check = {d.pk: d for found in candidates_of.values() for d in usable(found) if d.is_active}
    states = dcv_states_for(to_check.values(), organization=org, now=now) if to_check else {}
    return [
        NameCheck(name=name, ok=False, reason=invalid[i].message, code=InvalidDomainName.code) if i in invalid
        else _decide(org, name, normalized[i], cert_type, candidates_of[i], usable(candidates_of[i]), delegations,
                     states)
        for i, name in enumerate(given)
    ]


def _decide(org: Organization, name: str, normalized: str, cert_type: str, candidates: list[Domain],
            usable: list[Domain], delegations: dict[int, Delegation], states: dict[int, DcvState]) -> NameCheck:
    """One name's answer from its covering domains (most specific first), the organization's
    delegations and the effective DCV of the usable domains."""
    if not usable:
        requested = [d for d in candidates if d.pk in delegations and not delegations[d.pk].is_active]
        if requested:
            reason = msg("%(name)s: the delegation of %(domain)s to %(organization)s is awaiting approval "
                         "by a RAO or an MRAO.", name=normalized, domain=requested[0].name, organization=str(org))
        elif any(d.pk in delegations for d in candidates):
            reason = msg("%(name)s: %(organization)s may not request %(cert_type)s certificates under its "
                         "delegated domain.", name=normalized, organization=str(org), cert_type=cert_type)
        else:
            reason = msg("%(name)s is not delegated to %(organization)s: add the domain (or a wildcard above it) "
                         "and delegate it.", name=normalized, organization=str(org))
        return NameCheck(name=name, ok=False, reason=reason, code=NotDelegated.code, normalized=normalized)
    refusals = []
    for domain in usable:
        if not domain.is_active:
            refusals.append((DomainInactive.code, msg("%(name)s: the domain %(domain)s is suspended.",
                                                      name=normalized, domain=domain.name)))
            continue
        state = states[domain.pk]
        if state.status == DcvStatus.VALIDATED:
            return NameCheck(name=name, ok=True, normalized=normalized, domain=domain, dcv=state)
        if state.status == DcvStatus.EXPIRED:
            reason = msg("%(name)s: domain control validation (DCV) of %(domain)s has expired; validate it "
                         "(or its parent domain) first.", name=normalized, domain=domain.base_name)
        else:
            reason = msg("%(name)s: domain control validation (DCV) of %(domain)s has not been done; validate it "
                         "(or its parent domain) first.", name=normalized, domain=domain.base_name)
        refusals.append((DcvMissing.code, reason))
    code, reason = refusals[0]
    return NameCheck(name=name, ok=False, reason=reason, code=code, normalized=normalized, domain=usable[0])


def unauthorized_names(org: Organization, names_: Iterable[str], cert_type: str) -> list[NameCheck]:
    return [c for c in check_names(org, names_, cert_type) if not c.ok]


__all__ = [
    "visible_domains", "get_domain", "get_domain_by_name", "delegations_awaiting_approval", "requires_approval",
    "current_order", "enabled_methods", "expiring", "DcvState", "dcv_status_for", "dcv_states_for", "NameCheck",
    "name_matches",
    "is_name_authorized", "check_names", "unauthorized_names", "covering_domain_names",
]


LIVE_CERTIFICATE_STATUSES = ("REQUESTED", "APPLIED", "ISSUED")


def live_certificate_count(domain: Domain) -> int:
    """How many requested, in-issuance or issued certificates of the domain's customer carry a name the
    domain covers (the name itself, a subdomain or a wildcard under it). Read by name because a
    certificate keeps its names, not links to domains; the certificates app is looked up lazily as
    it depends on this one."""
    from django.apps import apps

    certificate = apps.get_model("certificates", "Certificate")
    base = domain.name[2:] if domain.name.startswith("*.") else domain.name
    covered = Q(names_index__contains=f",{base},") | Q(names_index__contains=f".{base},")
    return certificate.objects.filter(customer_id=domain.customer_id, status__in=LIVE_CERTIFICATE_STATUSES).filter(
        covered).count()
