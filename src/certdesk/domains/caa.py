"""CAA checking (RFC 8659): may this CA issue for a name?

The relevant RRset is the first non-empty CAA RRset found climbing from the name
towards the root (RFC 8659 §3: every ancestor up to, not including, the root, so a
suffix operator's CAA counts too); CNAMEs are followed by the resolver. Then (§4):
an unknown property with the critical flag forbids issuance; `issuewild` governs
wildcard names when present, `issue` otherwise; a set with no such property does not
restrict; otherwise some property must name one of CERTDESK_CAA_IDENTITIES and its
parameters must be met. A DNS failure is a refusal, never a pass.

Parameters understood: `accounturi` and `validationmethods` (RFC 8657); others are
reported and ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings

from certdesk.core.i18n import join, msg

from . import names, resolver

CRITICAL_FLAG = 0x80
KNOWN_TAGS = frozenset({"issue", "issuewild", "iodef", "issuemail", "issuevmc", "contactemail", "contactphone"})
_PARAM = re.compile(r"^\s*([A-Za-z0-9]+)\s*=\s*(\S*)\s*$")


@dataclass(frozen=True)
class CaaRecord:
    flags: int
    tag: str
    value: str

    @property
    def critical(self) -> bool:
        return bool(self.flags & CRITICAL_FLAG)

    def __str__(self) -> str:
        return f'{self.flags} {self.tag} "{self.value}"'


@dataclass(frozen=True)
class IssueValue:
    issuer: str  # "" when the value forbids every CA (`;`)
    parameters: dict[str, str]
    valid: bool = True


@dataclass
class CaaResult:
    name: str
    allowed: bool
    reason: str
    wildcard: bool = False
    found_at: str | None = None  # the name whose RRset is relevant (None: no CAA anywhere)
    records: list[CaaRecord] = field(default_factory=list)
    suggestion: str = ""  # the record to add so this CA may issue
    authenticated: bool = False  # the relevant answer carried the AD bit
    ignored_parameters: list[str] = field(default_factory=list)
    dns_failure: bool = False


def parse_issue_value(value: str) -> IssueValue:
    """RFC 8659 §4.2: `[issuer-domain-name] [; tag=value]*`, spaces around tokens allowed."""
    issuer_part, _, rest = value.partition(";")
    issuer = issuer_part.strip().lower().rstrip(".")
    valid = issuer == "" or re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*",
                                         issuer) is not None
    parameters: dict[str, str] = {}
    if rest.strip():
        for item in rest.split(";"):
            if not item.strip():
                continue
            match = _PARAM.match(item)
            if match is None:
                valid = False
                continue
            parameters[match.group(1).lower()] = match.group(2)
    return IssueValue(issuer=issuer, parameters=parameters, valid=valid)


def identities() -> list[str]:
    return [i.strip().lower().rstrip(".") for i in settings.CAA_IDENTITIES if i.strip()]


def suggestion_for(name: str, *, tag: str = "issue") -> str:
    """The record that lets this CA issue, as seed 000 shows it (`example.org. CAA 0 issue "ca.example"`)."""
    ids = identities()
    first = ids[0] if ids else "certdesk.invalid"
    return f'{names.base_name(name)}. CAA 0 {tag} "{first}"'


def relevant_rrset(name: str) -> tuple[str | None, list[CaaRecord], bool]:
    """(where, records, authenticated) of the first non-empty CAA RRset up the tree (RFC 8659 §3)."""
    dns = resolver.make_resolver()
    for candidate in names.parents(name, stop_at_registrable=False):
        answer = resolver.lookup(candidate, "CAA", resolver=dns)
        records = [
            CaaRecord(flags=int(r.flags), tag=r.tag.decode("ascii", "replace").lower(),
                      value=r.value.decode("utf-8", "replace"))
            for r in answer.records
            if r.rdtype == 257
        ]
        if records:
            return candidate, records, answer.authenticated
    return None, [], False


def check(name: str, *, account_uri: str | None = None, validation_method: str | None = None) -> CaaResult:
    """May this CA issue a certificate for `name` (wildcard when it starts with `*.`)?

    `account_uri` and `validation_method` (an RFC 8657 label such as `dns-01`, `http-01`
    or a BR method `ca-3.2.2.4.7`) let records carrying those parameters match.
    """
    wildcard = names.is_wildcard(name)
    suggestion = suggestion_for(name)
    try:
        found_at, records, authenticated = relevant_rrset(names.base_name(name))
    except resolver.DnsFailure as failure:
        return CaaResult(name=name, allowed=False, wildcard=wildcard, suggestion=suggestion, dns_failure=True,
                         reason=msg("CAA could not be checked: %(reason)s A failed lookup never allows issuance.",
                                    reason=failure.reason))
    result = CaaResult(name=name, allowed=False, reason="", wildcard=wildcard, found_at=found_at, records=records,
                       suggestion=suggestion, authenticated=authenticated)
    if not records:
        result.allowed = True
        result.reason = msg("No CAA record restricts issuance (none found up to the top-level domain).")
        return result
    critical = [r for r in records if r.critical and r.tag not in KNOWN_TAGS]
    if critical:
        result.reason = msg("CAA at %(name)s has a critical property this CA does not understand (%(record)s): "
                            "issuance is forbidden.", name=found_at, record=str(critical[0]))
        return result
    wild = [r for r in records if r.tag == "issuewild"]
    governing = wild if wildcard and wild else [r for r in records if r.tag == "issue"]
    tag = "issuewild" if wildcard and wild else "issue"
    result.suggestion = suggestion_for(found_at, tag=tag)
    if not governing:
        result.allowed = True
        result.reason = msg("CAA at %(name)s has no '%(tag)s' property, so it does not restrict issuance.",
                            name=found_at, tag=tag)
        return result
    ours = identities()
    refusals = []
    for record in governing:
        parsed = parse_issue_value(record.value)
        if not parsed.valid or not parsed.issuer or parsed.issuer not in ours:
            continue
        if "accounturi" in parsed.parameters and parsed.parameters["accounturi"] != (account_uri or ""):
            refusals.append(msg("%(record)s is bound to another account", record=str(record)))
            continue
        if "validationmethods" in parsed.parameters:
            allowed_methods = {m.strip().lower() for m in parsed.parameters["validationmethods"].split(",")}
            if (validation_method or "").lower() not in allowed_methods:
                refusals.append(msg("%(record)s allows only the validation methods %(methods)s", record=str(record),
                                    methods=parsed.parameters["validationmethods"]))
                continue
        result.ignored_parameters = sorted(k for k in parsed.parameters if k not in ("accounturi", "validationmethods"))
        result.allowed = True
        result.suggestion = ""
        result.reason = msg("CAA at %(name)s authorizes this CA (%(record)s).", name=found_at, record=str(record))
        return result
    shown = ", ".join(str(r) for r in governing)
    values = dict(name=found_at, identity=", ".join(ours) or msg("no identity set"), records=shown,
                  refusals=join("; ", refusals), suggestion=result.suggestion)
    if tag == "issuewild" or wildcard:
        result.reason = (msg("CAA at %(name)s does not authorize this CA (%(identity)s) for wildcard issuance: "
                             "%(records)s; %(refusals)s. Add: %(suggestion)s", **values) if refusals else
                         msg("CAA at %(name)s does not authorize this CA (%(identity)s) for wildcard issuance: "
                             "%(records)s. Add: %(suggestion)s", **values))
    else:
        result.reason = (msg("CAA at %(name)s does not authorize this CA (%(identity)s) for issuance: "
                             "%(records)s; %(refusals)s. Add: %(suggestion)s", **values) if refusals else
                         msg("CAA at %(name)s does not authorize this CA (%(identity)s) for issuance: "
                             "%(records)s. Add: %(suggestion)s", **values))
    return result
