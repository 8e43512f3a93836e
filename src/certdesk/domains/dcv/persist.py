"""DNS TXT record with a persistent value (CA/B BR 3.2.2.4.22, adopted by Ballot SC-088;
record format of draft-ietf-acme-dns-persist): `_validation-persist.<domain>` TXT
`"<CA identity>; accounturi=<customer account URI>"`, plus `; policy=wildcard` to cover
a wildcard domain. The value does not change between validations, so revalidation needs
no new record: the worker re-checks it when the domain enters its revalidation window."""
from __future__ import annotations

from certdesk.core.i18n import msg

from .. import caa, resolver
from .base import CheckResult, account_uri, ca_identity

LABEL = "_validation-persist"


def prepare(order, domain) -> None:
    order.host = f"{LABEL}.{order.target}."
    value = f"{ca_identity()}; accounturi={account_uri(domain)}"
    if domain.is_wildcard:
        value += "; policy=wildcard"
    order.value = value


def _matches(text: str, *, expected_account: str, wildcard: bool) -> bool:
    parsed = caa.parse_issue_value(text)
    if not parsed.valid or parsed.issuer not in caa.identities():
        return False
    if parsed.parameters.get("accounturi") != expected_account:
        return False
    if wildcard and parsed.parameters.get("policy", "").lower() != "wildcard":
        return False
    return True


def check(order) -> CheckResult:
    try:
        answer = resolver.lookup(order.host, "TXT")
    except resolver.DnsFailure as failure:
        return CheckResult(False, failure.reason, dns_failure=True)
    values = resolver.txt_strings(answer)
    if not values:
        return CheckResult(False, msg('No TXT record found at %(host)s (it should be "%(value)s").', host=order.host,
                                      value=order.value))
    expected = account_uri(order.domain)
    if any(_matches(v, expected_account=expected, wildcard=order.domain.is_wildcard) for v in values):
        return CheckResult(True, msg("Persistent TXT record found at %(host)s.", host=order.host))
    shown = ", ".join(f'"{v[:80]}"' for v in values[:5])
    return CheckResult(False, msg('The TXT records at %(host)s (%(shown)s) do not name this CA and account '
                                  '(expected "%(value)s").', host=order.host, shown=shown, value=order.value))
