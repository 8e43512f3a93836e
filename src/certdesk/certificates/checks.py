"""The rules a certificate request must pass before anything is issued (issue 4 "Request").

Each check raises one DomainError with an SCM-style code and a message that says what to
do. They read the database and DNS but change nothing, so issuance can run them again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from certdesk.core.i18n import join, msg
from certdesk.domains import caa, names
from certdesk.domains import queries as domain_queries
from certdesk.domains.errors import DcvMissing, InvalidDomainName
from certdesk.tenancy.models import CertType, Organization

from . import issuance
from .errors import (
    CaaForbidden,
    EvAnchorMissing,
    NameNotAuthorized,
    NamesRefused,
    OrganizationNotValidated,
    ProfileNotFound,
    TermNotAllowed,
)
from .models import Certificate, Profile
from .profiles import Wildcard
from .states import Status

MAX_NAMES = 250
# Byte sequences UTF-8 text shows when it was decoded as Latin-1/CP-1252 ("UniversitÃ©", "â€™").
_MOJIBAKE = re.compile("[\u00c3\u00c2][\u0080-\u00bf]|\u00e2\u20ac|\ufffd")
NOT_AUTHORIZED_PREFIX = "You cannot order certificates for the following or additional domains: "


@dataclass
class NamePlan:
    """The names of a certificate: the common name first, then the SANs (all A-labels)."""

    common_name: str
    names: list[str]
    user_sans: list[str] = field(default_factory=list)
    automatic: str | None = None  # the www. (or bare) name a single-name profile adds when allowed

    @property
    def index(self) -> str:
        return "," + ",".join(self.names) + ","


def looks_like_mojibake(text: str) -> bool:
    return bool(_MOJIBAKE.search(text or ""))


def check_subject_text(label: str, value: str) -> None:
    """Subject values are printable ASCII (seed 000: Sectigo blocks non-ASCII and mojibake since 2021-09)."""
    if all(32 <= ord(ch) < 127 for ch in value):
        return
    hint = ""
    if looks_like_mojibake(value):
        hint = msg(" It looks like mojibake (UTF-8 text read with the wrong encoding).")
    raise OrganizationNotValidated(
        msg("The organization's %(label)s '%(value)s' contains characters that cannot go into a certificate "
            "(plain ASCII only).%(hint)s An MRAO must correct the organization.",
            label=label, value=value, hint=hint), field="orgId")


def split_names(value) -> list[str]:
    """SANs given as a list or as SCM's comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in re.split(r"[,\s]+", value) if part]
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            if not isinstance(item, str):
                raise NamesRefused("Subject alternative names must be text.", field="subjAltNames")
            out.extend(split_names(item))
        return out
    raise NamesRefused("Subject alternative names must be a list or a comma-separated string.", field="subjAltNames")


def _normalize(name: str, field_name: str) -> str:
    if looks_like_mojibake(name):
        raise NamesRefused(msg("'%(name)s' looks like mojibake (UTF-8 text read with the wrong encoding).", name=name),
                           field=field_name)
    try:
        return names.normalize(name)
    except InvalidDomainName as exc:
        raise NamesRefused(exc.message, field=field_name) from None


def _automatic_name(common_name: str) -> str | None:
    if names.is_wildcard(common_name):
        return None
    if common_name.startswith("www."):
        bare = common_name[4:]
        return bare if "." in bare else None
    return "www." + common_name


def plan_names(profile: Profile, *, common_name: str, sans: Iterable[str]) -> NamePlan:
    """Normalize and order the names and apply the profile's wildcard and count rules."""
    if not common_name:
        raise NamesRefused("A common name is required: put it in the CSR or give it with the request.",
                           field="commonName")
    cn = _normalize(common_name, "commonName")
    automatic = _automatic_name(cn) if profile.auto_www_san else None
    seen = {cn}
    user_sans: list[str] = []
    for raw in sans:
        name = _normalize(raw, "subjAltNames")
        if name in seen or name == automatic:
            continue
        seen.add(name)
        user_sans.append(name)
    every = [cn, *user_sans]
    wild = [n for n in every if names.is_wildcard(n)]
    if profile.wildcard == Wildcard.FORBIDDEN and wild:
        raise NamesRefused(msg("The profile %(profile)s does not allow wildcard names (%(wild)s): "
                               "choose Wildcard SSL.", profile=profile, wild=', '.join(wild)), field="commonName")
    if profile.wildcard == Wildcard.REQUIRED and not names.is_wildcard(cn):
        raise NamesRefused(msg("The profile %(profile)s is for a wildcard name such as *.example.org; "
                               "'%(cn)s' is not one: choose OV SSL or OV Multi-Domain.",
                               profile=profile, cn=cn), field="commonName")
    if len(user_sans) > profile.max_sans:
        allowed = (msg("at most %(count)s", count=profile.max_sans) if profile.max_sans else msg("none"))
        raise NamesRefused(msg("Too many subject alternative names for %(profile)s: %(count)s given, %(allowed)s "
                               "allowed. Choose a multi-domain profile.",
                               profile=profile, count=len(user_sans), allowed=allowed), field="subjAltNames")
    if len(every) + (1 if automatic else 0) > MAX_NAMES:
        raise NamesRefused(msg("A certificate holds at most %(max_names)s names.",
                               max_names=MAX_NAMES), field="subjAltNames")
    return NamePlan(common_name=cn, names=every, user_sans=user_sans, automatic=automatic)


# ---------------------------------------------------------------------------


def check_profile(profile: Profile, organization: Organization, kind: str = CertType.SSL) -> None:
    if (profile is None or profile.kind != kind or not profile.active
            or (profile.customer_id is not None and profile.customer_id != organization.customer_id)):
        raise ProfileNotFound("Invalid certificate type (profile) for this organization.", field="certType")


def check_term(profile: Profile, term, now: datetime) -> int:
    try:
        term = int(term)
    except (TypeError, ValueError):
        raise TermNotAllowed("The term must be a number of days.", field="term") from None
    allowed = set(profile.terms or []) | set(profile.effective_terms(now))
    if term not in allowed:
        raise TermNotAllowed(msg("Term %(term)s is not allowed for %(profile)s: choose one of "
                                 "%(terms)s days.",
                                 term=term, profile=profile,
                                 terms=", ".join(str(t) for t in profile.effective_terms(now))),
                             field="term")
    return term


def check_organization(organization: Organization, profile: Profile, now: datetime) -> None:
    if not organization.is_validated(now):
        raise OrganizationNotValidated(
            msg("The organization %(organization)s is not validated (%(status)s): certificates can be "
                "requested once its validation status is VALIDATED.",
                organization=organization.organization, status=organization.effective_validation_status(now)),
            field="orgId")
    problem = issuance.subject_problem(organization, profile)
    if problem is not None:
        raise problem
    for oid, value in issuance.subject_attributes(organization, profile):
        check_subject_text(getattr(oid, "_name", oid.dotted_string), value)


def authorization_failures(organization: Organization, names_: Iterable[str], now: datetime):
    return [c for c in domain_queries.check_names(organization, names_, CertType.SSL, now=now) if not c.ok]


def check_authorized(organization: Organization, names_: Iterable[str], now: datetime) -> None:
    """Every name covered by a domain delegated to this organization/department for SSL, with a valid DCV."""
    failures = authorization_failures(organization, names_, now)
    if not failures:
        return
    listed = ", ".join(f.normalized or f.name for f in failures)
    reasons = join(" ", (f.reason for f in failures[:10]))
    code = DcvMissing.code if all(f.code == DcvMissing.code for f in failures) else -107
    # the text is NOT_AUTHORIZED_PREFIX + listed + ". " + reasons
    raise NameNotAuthorized(msg("You cannot order certificates for the following or additional domains: "
                                "%(names)s. %(reasons)s", names=listed, reasons=reasons),
                            code=code, field="subjAltNames")


def caa_failures(names_: Iterable[str], *, account_uri: str | None = None,
                 validation_method: str | None = None) -> list[caa.CaaResult]:
    failures, seen = [], set()
    for name in names_:
        if name in seen:
            continue
        seen.add(name)
        result = caa.check(name, account_uri=account_uri, validation_method=validation_method)
        if not result.allowed:
            failures.append(result)
    return failures


def check_caa(names_: Iterable[str], *, account_uri: str | None = None, validation_method: str | None = None) -> None:
    """RFC 8659 (issuewild for wildcard names); a failed lookup refuses too."""
    failures = caa_failures(names_, account_uri=account_uri, validation_method=validation_method)
    if failures:
        raise CaaForbidden("CAA records do not allow this CA to issue for "
                           + "; ".join(f"{f.name}: {f.reason}" for f in failures), field="subjAltNames")


def anchor_covers(anchor_names: Iterable[str], name: str) -> bool:
    base = names.base_name(name)
    return any(names.is_within(base, names.base_name(a)) for a in anchor_names)


def check_ev_anchor(organization: Organization, names_: Iterable[str], now: datetime) -> None:
    """EV names must lie under the names of an issued, unexpired EV anchor of the organization (seed 003 §7.2)."""
    owners = {organization.pk, organization.organization.pk}
    anchors = list(Certificate.objects.filter(
        kind=CertType.SSL, profile__validation_only=True, status=Status.ISSUED, organization_id__in=owners,
        not_after__gt=now,
    ).values_list("subject_alt_names", flat=True))
    covered_by = [n for a in anchors for n in a]
    missing = [n for n in names_ if not anchor_covers(covered_by, n)]
    if missing:
        if not anchors:
            refusal = msg("No issued EV anchor covers %(names)s: request an EV Anchor for these domains "
                          "(a second admin approves it) before EV certificates.", names=", ".join(missing))
        else:
            refusal = msg("The EV anchor does not cover %(names)s: request an EV Anchor for these domains "
                          "(a second admin approves it) before EV certificates.", names=", ".join(missing))
        raise EvAnchorMissing(refusal, field="subjAltNames")


def check_names_for_issuance(organization: Organization, profile: Profile, plan_names_: list[str], now: datetime, *,
                             account_uri: str | None = None, validation_method: str | None = None) -> None:
    check_authorized(organization, plan_names_, now)
    if profile.is_ev and not profile.validation_only:
        check_ev_anchor(organization, plan_names_, now)
    if not profile.validation_only:
        check_caa(plan_names_, account_uri=account_uri, validation_method=validation_method)


def automatic_name_usable(organization: Organization, name: str, now: datetime, *, account_uri: str | None = None,
                          validation_method: str | None = None, ev: bool = False) -> str:
    """'' when the automatic www. name may be added, else why not (it is then left out)."""
    failures = authorization_failures(organization, [name], now)
    if failures:
        return failures[0].reason
    if ev:
        try:
            check_ev_anchor(organization, [name], now)
        except EvAnchorMissing as exc:
            return exc.message
    caa_bad = caa_failures([name], account_uri=account_uri, validation_method=validation_method)
    if caa_bad:
        return caa_bad[0].reason
    return ""
