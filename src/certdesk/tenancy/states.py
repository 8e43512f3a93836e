"""Organization validation (the OV anchor): statuses and allowed transitions."""
from django.db import models

from certdesk.core.errors import DomainError


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
        raise DomainError(
            f"The organization validation cannot be {action_word(action)} while its status is {current}.",
            code=-1021,
        )


def action_word(action: str) -> str:
    return {"submit": "submitted", "approve": "approved", "reject": "rejected"}[action]
