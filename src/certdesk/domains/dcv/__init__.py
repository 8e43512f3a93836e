"""DCV methods: one module each; this registry gives the services one way to prepare
an order's random values and to check it."""
from __future__ import annotations

import logging

from certdesk.core.i18n import msg

from ..states import DcvMethod
from . import dns_change, email, http, persist
from .base import CheckResult, Instructions, instructions

PREPARE = {
    DcvMethod.EMAIL: email.prepare,
    DcvMethod.CNAME: dns_change.prepare_cname,
    DcvMethod.TXT: dns_change.prepare_txt,
    DcvMethod.TXT_PERSIST: persist.prepare,
    DcvMethod.HTTP: http.prepare,
    DcvMethod.HTTPS: http.prepare,
}

logger = logging.getLogger(__name__)

CHECK = {
    DcvMethod.EMAIL: email.check,
    DcvMethod.CNAME: dns_change.check_cname,
    DcvMethod.TXT: dns_change.check_txt,
    DcvMethod.TXT_PERSIST: persist.check,
    DcvMethod.HTTP: http.check,
    DcvMethod.HTTPS: http.check,
}

# RFC 8657 `validationmethods` labels of each method, for CAA records that restrict them.
CAA_METHOD_LABELS = {
    DcvMethod.EMAIL: "ca-3.2.2.4.4",
    DcvMethod.CNAME: "ca-3.2.2.4.7",
    DcvMethod.TXT: "ca-3.2.2.4.7",
    DcvMethod.TXT_PERSIST: "ca-3.2.2.4.22",
    DcvMethod.HTTP: "ca-3.2.2.4.18",
    DcvMethod.HTTPS: "ca-3.2.2.4.18",
}


def prepare(order, domain) -> None:
    PREPARE[DcvMethod(order.method)](order, domain)


def check(order) -> CheckResult:
    """Run the method's check now (network I/O: call outside any database transaction).

    Any unexpected error is a failed check with its reason, never a pass.
    """
    try:
        return CHECK[DcvMethod(order.method)](order)
    except Exception as exc:  # noqa: BLE001 - a check that breaks must fail closed
        logger.exception("DCV check of order %s failed unexpectedly", order.pk)
        return CheckResult(False, msg("The check could not run (%(error)s: %(detail)s).", error=exc.__class__.__name__,
                                      detail=str(exc)))


__all__ = ["CheckResult", "Instructions", "instructions", "prepare", "check", "CAA_METHOD_LABELS"]
