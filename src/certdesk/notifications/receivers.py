"""Other apps' events → `notify()`: the domains app's (certdesk.domains.signals) and new admins
(certdesk.accounts.signals). Receivers only write rows; sending is the worker's."""
from __future__ import annotations

import logging

from django.conf import settings

from . import types
from .dispatch import notify

logger = logging.getLogger("certdesk.notifications")


def _who(admin) -> str:
    if admin is None:
        return "certdesk"
    return f"{admin.full_name} ({admin.login})" if admin.full_name else admin.login


def _delegation(delegation_id):
    from certdesk.domains.models import Delegation

    return (Delegation.objects.select_related("domain", "domain__customer", "organization", "organization__parent",
                                              "organization__customer", "requested_by", "approved_by")
            .filter(pk=delegation_id).first())


def _delegation_context(delegation) -> dict:
    return {"domain": delegation.domain.unicode_name, "delegated_to": str(delegation.organization),
            "cert_types": list(delegation.cert_types), "requested_by": _who(delegation.requested_by),
            "approved_by": _who(delegation.approved_by) if delegation.approved_by_id else ""}


def on_delegation_requested(sender, delegation_id=None, **kwargs) -> None:
    delegation = _delegation(delegation_id)
    if delegation is None:
        return
    requester = delegation.requested_by.email if delegation.requested_by_id else None
    notify(types.DOMAIN_AWAITING_APPROVAL, organization=delegation.organization,
           context=_delegation_context(delegation), requester_email=requester,
           key=f"delegation:{delegation.pk}:requested")


def on_delegation_approved(sender, delegation_id=None, **kwargs) -> None:
    delegation = _delegation(delegation_id)
    if delegation is None:
        return
    requester = delegation.requested_by.email if delegation.requested_by_id else None
    notify(types.DOMAIN_APPROVED, organization=delegation.organization, context=_delegation_context(delegation),
           requester_email=requester, key=f"delegation:{delegation.pk}:approved")


def _domain_and_organizations(domain_id, *, active_only: bool):
    from certdesk.domains.models import Domain

    domain = Domain.objects.select_related("customer").filter(pk=domain_id).first()
    if domain is None:
        return None, []
    delegations = list(domain.delegations.select_related("organization", "organization__parent"))
    if active_only and any(d.is_active for d in delegations):
        delegations = [d for d in delegations if d.is_active]
    return domain, [d.organization for d in delegations]


def _dcv_context(domain, orgs) -> dict:
    return {"domain": domain.unicode_name, "delegated_to": [str(o) for o in orgs]}


def on_dcv_needed(sender, domain_id=None, **kwargs) -> None:
    domain, orgs = _domain_and_organizations(domain_id, active_only=False)
    if domain is None:
        return
    notify(types.DCV_NEEDED, organization=orgs, customer=domain.customer, context=_dcv_context(domain, orgs))


def on_dcv_validated(sender, domain_id=None, order_id=None, method=None, expires=None, **kwargs) -> None:
    domain, orgs = _domain_and_organizations(domain_id, active_only=True)
    if domain is None:
        return
    context = {**_dcv_context(domain, orgs), "dcv_method": method or domain.dcv_method,
               "dcv_expires": (expires or domain.dcv_expires).date() if (expires or domain.dcv_expires) else ""}
    notify(types.DCV_VALIDATED, organization=orgs, customer=domain.customer, context=context,
           key=f"dcv:{order_id or domain.pk}:validated")


def _on_dcv_expiring_groups(groups: list[dict], days: int) -> None:
    """The daily sweep's DCV notices, every domain at once (issue 7: a fixed number of queries):
    one message per set of delegated organizations and threshold, naming its domains; the
    domain's own message when the set has only one."""
    from certdesk.domains import names
    from certdesk.tenancy.models import Customer, Organization

    from .bulk import Item, notify_many

    org_ids = {pk for g in groups for pk in g["organization_ids"]}
    orgs = {o.pk: o for o in Organization.objects.select_related("parent", "customer").filter(pk__in=org_ids)}
    by_customer: dict[int, list] = {}
    for group in groups:
        targets = [orgs[pk] for pk in group["organization_ids"] if pk in orgs]
        listed = group["domains"]  # (pk, name, method, expires), earliest expiry first
        first_expiry = listed[0][3]
        context = {"delegated_to": [str(o) for o in targets], "days": int(days),
                   "dcv_expires": first_expiry.date() if first_expiry else ""}
        if len(listed) == 1:
            pk, name, method, expires = listed[0]
            context |= {"domain": names.to_unicode(name), "dcv_method": method}
            key = f"dcv:{pk}:expiring:{int(days)}:{expires.isoformat() if expires else ''}"
        else:
            shown = [names.to_unicode(row[1]) for row in listed[:200]]
            more = [f"(+{len(listed) - 200})"] if len(listed) > 200 else []
            context |= {"domain": ", ".join(shown + more),
                        "dcv_method": ", ".join(sorted({row[2] for row in listed if row[2]}))}
            key = (f"dcv:group:{min(row[0] for row in listed)}:{len(listed)}:expiring:{int(days)}:"
                   f"{first_expiry.isoformat() if first_expiry else ''}")
        by_customer.setdefault(group["customer_id"], []).append(Item(targets, context, key, days=int(days)))
    customers = Customer.objects.in_bulk(list(by_customer))
    for customer_id, items in by_customer.items():
        notify_many(types.DCV_EXPIRATION, customers[customer_id], items)


def on_dcv_expiring(sender, domain_id=None, days=None, expires=None, groups=None, **kwargs) -> None:
    if days is not None and groups is not None:
        _on_dcv_expiring_groups(groups, int(days))
        return
    domain, orgs = _domain_and_organizations(domain_id, active_only=True)
    if domain is None or days is None:
        return
    expires = expires or domain.dcv_expires
    context = {**_dcv_context(domain, orgs), "dcv_method": domain.dcv_method, "days": int(days),
               "dcv_expires": expires.date() if expires else ""}
    notify(types.DCV_EXPIRATION, organization=orgs, customer=domain.customer, context=context, days=int(days),
           key=f"dcv:{domain.pk}:expiring:{int(days)}:{expires.isoformat() if expires else ''}")


def on_admin_created(sender, admin_id=None, **kwargs) -> None:
    from certdesk.accounts.models import Admin

    admin = Admin.objects.select_related("customer", "created_by").filter(pk=admin_id).first()
    if admin is None:
        return
    credentials = admin.credential_list()
    orgs = [c.organization for c in credentials if c.organization_id]
    context = {
        "login": admin.login, "admin_name": admin.full_name or admin.login,
        "created_by": _who(admin.created_by) if admin.created_by_id else "certdesk",
        "roles": [str(c) for c in credentials],
        "login_url": f"{settings.BASE_URL}/customer/{admin.customer.uri}/",
    }
    notify(types.ADMIN_CREATION, organization=orgs, customer=admin.customer, context=context,
           requester_email=admin.email, key=f"admin:{admin.pk}:created")


def connect() -> None:
    from certdesk.accounts import signals as account_signals
    from certdesk.domains import signals as domain_signals

    uid = "certdesk.notifications"
    domain_signals.delegation_requested.connect(on_delegation_requested, dispatch_uid=f"{uid}.delegation_requested")
    domain_signals.delegation_approved.connect(on_delegation_approved, dispatch_uid=f"{uid}.delegation_approved")
    domain_signals.dcv_needed.connect(on_dcv_needed, dispatch_uid=f"{uid}.dcv_needed")
    domain_signals.dcv_validated.connect(on_dcv_validated, dispatch_uid=f"{uid}.dcv_validated")
    domain_signals.dcv_expiring.connect(on_dcv_expiring, dispatch_uid=f"{uid}.dcv_expiring")
    account_signals.admin_created.connect(on_admin_created, dispatch_uid=f"{uid}.admin_created")
