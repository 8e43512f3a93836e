"""The verbs of domains, for the portal, the REST API, the worker and certificate issuance.

`domains`: domains and delegations; `validation`: DCV orders, checks and sweeps (and the
validation email); `email_dcv`: the public page the validation email links to.
"""
from .domains import (
    approve_delegation,
    create_domain,
    delegate_domain,
    delete_domain,
    reject_delegation,
    set_domain_contacts,
    set_domain_state,
    undelegate_domain,
    update_domain,
)
from .email_dcv import EmailLink, LinkState, confirm_email_dcv, email_link
from .sweeps import expire_sweep
from .validation import (
    DcvResult,
    delete_dcv,
    recheck_dcv,
    recheck_due,
    reset_dcv,
    save_dcv,
    set_dcv_methods,
    start_dcv,
    submit_dcv,
    submit_email_dcv,
    system_actor,
    validity_days,
)

__all__ = [
    "approve_delegation", "create_domain", "delegate_domain", "delete_domain", "reject_delegation",
    "set_domain_contacts", "set_domain_state", "undelegate_domain", "update_domain",
    "DcvResult", "delete_dcv", "expire_sweep", "recheck_dcv", "recheck_due", "reset_dcv", "save_dcv",
    "set_dcv_methods", "start_dcv", "submit_dcv", "submit_email_dcv", "system_actor", "validity_days",
    "EmailLink", "LinkState", "confirm_email_dcv", "email_link",
]
