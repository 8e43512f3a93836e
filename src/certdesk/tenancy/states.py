"""Organization validation (the OV anchor): statuses and allowed transitions."""
from django.db import models
from django.utils.translation import gettext_noop

from certdesk.core.errors import DomainError
from certdesk.core.i18n import msg


class ValidationStatus(models.TextChoices):
    NOT_VALIDATED = "NOT_VALIDATED", "Not validated"
    PENDING = "PENDING", "Pending"
    VALIDATED = "VALIDATED", "Validated"


class ValidationRequestStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    VALIDATED = "VALIDATED", "Validated"
    REJECTED = "REJECTED", "Rejected"


class ValidationLevel(models.TextChoices):
    OV_SSL = "OV_SSL", "OV"
    EV_SSL = "EV_SSL", "EV"


# organization status: where each action may start from
TRANSITIONS = {
    "submit": {ValidationStatus.NOT_VALIDATED, ValidationStatus.VALIDATED},
    "approve": {ValidationStatus.PENDING},
    "reject": {ValidationStatus.PENDING},
}


def check(action: str, current: str) -> None:
    if current not in TRANSITIONS[action]:
        template = {
            "submit": gettext_noop("The organization validation cannot be submitted while its status is %(current)s."),
            "approve": gettext_noop("The organization validation cannot be approved while its status is %(current)s."),
            "reject": gettext_noop("The organization validation cannot be rejected while its status is %(current)s."),
        }[action]
        raise DomainError(msg(template, current=current), code=-1021)


def action_word(action: str) -> str:
    return {"submit": "submitted", "approve": "approved", "reject": "rejected"}[action]
