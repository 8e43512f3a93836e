"""DNS methods with a random value: CNAME (CA/B BR 3.2.2.4.7, as SCM does it: a random label
under the domain pointing to a random name under CERTDESK_DCV_CNAME_SUFFIX) and TXT
(BR 3.2.2.4.7: the random value in a TXT record at `_pki-validation.<domain>`, as SCM's
`submit/domain/txt` answers)."""
from __future__ import annotations

from django.conf import settings

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
        return CheckResult(False, f"No CNAME record found at {order.host} (it should point to {order.value}).")
    if any(_same_name(target, order.value) for target in targets):
        return CheckResult(True, f"{order.host} CNAME {order.value} found.")
    return CheckResult(False, f"The CNAME at {order.host} points to {', '.join(targets)}, not to {order.value}.")


def check_txt(order) -> CheckResult:
    try:
        answer = resolver.lookup(order.host, "TXT")
    except resolver.DnsFailure as failure:
        return CheckResult(False, failure.reason, dns_failure=True)
    values = resolver.txt_strings(answer)
    if not values:
        return CheckResult(False, f"No TXT record found at {order.host} (it should contain {order.value}).")
    if any(v.strip() == order.value for v in values):
        return CheckResult(True, f'{order.host} TXT "{order.value}" found.')
    shown = ", ".join(f'"{v[:80]}"' for v in values[:5])
    return CheckResult(False, f"The TXT records at {order.host} ({shown}) do not contain the expected value.")
