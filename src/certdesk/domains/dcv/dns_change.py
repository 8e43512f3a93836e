"""DNS methods with a random value: CNAME (CA/B BR 3.2.2.4.7, as SCM does it: a random label
under the domain pointing to a random name under CERTDESK_DCV_CNAME_SUFFIX) and TXT
(BR 3.2.2.4.7: the random value in a TXT record at `_pki-validation.<domain>`, as SCM's
`submit/domain/txt` answers)."""
from __future__ import annotations

from django.conf import settings

from certdesk.core.i18n import msg

from .. import resolver
from .base import CheckResult, random_value

TXT_LABEL = "_pki-validation"


def prepare_cname(order, domain) -> None:
    suffix = settings.DCV_CNAME_SUFFIX.strip(".").lower()
    order.host = f"_{random_value()}.{order.target}."
    order.value = f"{random_value()}.{suffix}."


def prepare_txt(order, domain) -> None:
    order.host = f"{TXT_LABEL}.{order.target}."
    order.value = random_value()


def _same_name(a: str, b: str) -> bool:
    return a.lower().rstrip(".") == b.lower().rstrip(".")


def check_cname(order) -> CheckResult:
    try:
        answer = resolver.lookup(order.host, "CNAME")
    except resolver.DnsFailure as failure:
        return CheckResult(False, failure.reason, dns_failure=True)
    targets = [r.target.to_text() for r in answer.records if r.rdtype == 5]
    if not targets:
        return CheckResult(False, msg("No CNAME record found at %(host)s (it should point to %(value)s).",
                                      host=order.host, value=order.value))
    if any(_same_name(target, order.value) for target in targets):
        return CheckResult(True, msg("%(host)s CNAME %(value)s found.", host=order.host, value=order.value))
    return CheckResult(False, msg("The CNAME at %(host)s points to %(targets)s, not to %(value)s.",
                                  host=order.host, targets=", ".join(targets), value=order.value))


def check_txt(order) -> CheckResult:
    try:
        answer = resolver.lookup(order.host, "TXT")
    except resolver.DnsFailure as failure:
        return CheckResult(False, failure.reason, dns_failure=True)
    values = resolver.txt_strings(answer)
    if not values:
        return CheckResult(False, msg("No TXT record found at %(host)s (it should contain %(value)s).",
                                      host=order.host, value=order.value))
    if any(v.strip() == order.value for v in values):
        return CheckResult(True, msg('%(host)s TXT "%(value)s" found.', host=order.host, value=order.value))
    shown = ", ".join(f'"{v[:80]}"' for v in values[:5])
    return CheckResult(False, msg("The TXT records at %(host)s (%(shown)s) do not contain the expected value.",
                                  host=order.host, shown=shown))
