"""Certificate events (certdesk.certificates.signals) → `notify()`.

Each receiver runs inside the transaction of the change (core.events.emit, own savepoint), so
the messages exist exactly when the change does; sending is the worker's. The "requester" is
the admin who asked, else the first external requester (SCM's `externalRequester`).
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from certdesk.tenancy.models import CertType

from . import types
from .dispatch import notify
from .receivers import _who

logger = logging.getLogger("certdesk.notifications")

REVOCATION_REASONS = {0: "unspecified", 1: "keyCompromise", 3: "affiliationChanged", 4: "superseded",
                      5: "cessationOfOperation"}
DOWNLOAD_FORMATS = (
    ("Certificate only, PEM", "x509CO"),
    ("Certificate and chain (leaf first), PEM", "x509R"),
    ("PKCS#7, PEM", "base64"),
    ("PKCS#7, DER", "bin"),
)


def _certificate(certificate_id, certificate=None):
    """The certificate with what the messages name (customer, organization and its parent and
    customer, profile, requester, approver). The instance the service sent with the event
    (`certificate`, saved in this transaction) is used when it is that certificate and already
    holds its organization and profile; what it lacks is filled in with at most one query for
    the admins. Otherwise it is read again."""
    from certdesk.accounts.models import Admin
    from certdesk.certificates.models import Certificate

    cert = certificate
    if (not isinstance(cert, Certificate) or cert.pk is None or cert.pk != certificate_id
            or not Certificate.organization.is_cached(cert) or not Certificate.profile.is_cached(cert)
            or (cert.organization.parent_id and not type(cert.organization).parent.is_cached(cert.organization))):
        return (Certificate.objects.select_related("customer", "organization", "organization__parent",
                                                   "organization__customer", "profile", "requester", "approver")
                .filter(pk=certificate_id).first())
    org = cert.organization
    if not Certificate.customer.is_cached(cert) and type(org).customer.is_cached(org):
        cert.customer = org.customer
    elif not type(org).customer.is_cached(org) and Certificate.customer.is_cached(cert):
        org.customer = cert.customer
    wanted = {getattr(cert, f"{field}_id") for field in ("requester", "approver")
              if getattr(cert, f"{field}_id") and not getattr(Certificate, field).is_cached(cert)}
    if wanted:
        admins = Admin.objects.in_bulk(wanted)
        for field in ("requester", "approver"):
            pk = getattr(cert, f"{field}_id")
            if pk in admins and not getattr(Certificate, field).is_cached(cert):
                setattr(cert, field, admins[pk])
    return cert


def _colon_hex(serial_hex: str) -> str:
    if not serial_hex:
        return ""
    text = f"{int(serial_hex, 16):X}"
    text = text.rjust(len(text) + len(text) % 2, "0")
    return ":".join(text[i:i + 2] for i in range(0, len(text), 2))


def requester_email(cert) -> str | None:
    if cert.requester_id and cert.requester.email:
        return cert.requester.email
    first = (cert.external_requester or "").split(",")[0].strip()
    return first or None


def _requester_text(cert) -> str:
    if cert.requester_id:
        admin = cert.requester
        name = admin.full_name or admin.login
        return f"{name} <{admin.email}>" if admin.email else name
    return cert.requester_label or cert.external_requester or ""


def is_client(cert) -> bool:
    return cert.kind == CertType.SMIME


def certificate_url(cert) -> str:
    if is_client(cert):
        return f"{settings.BASE_URL}/certificates/client/{cert.pk}/"
    return f"{settings.BASE_URL}/certificates/{cert.pk}/"


def download_links(cert) -> str:
    from certdesk.enrollment.queries import public_download_url  # issue 4: self-enrolled, no login

    public = public_download_url(cert)
    if public:
        return "\n".join(f"{label}: {public}{fmt}/" for label, fmt in DOWNLOAD_FORMATS)
    base = f"{settings.BASE_URL}/api/ssl/v1/collect/{cert.pk}"
    return "\n".join(f"{label}: {base}/{fmt}" for label, fmt in DOWNLOAD_FORMATS)


def context_of(cert) -> dict:
    return {
        "certificate_id": str(cert.pk),
        "common_name": cert.common_name,
        "subject_alt_names": ", ".join(cert.names),
        "profile": cert.profile.name,
        "term": str(cert.term),
        "requester": _requester_text(cert),
        "status": cert.status,
        "certificate_url": certificate_url(cert),
    }


def client_context_of(cert) -> dict:
    """What the client-certificate messages name: the person's email and the subject."""
    person = cert.person if cert.person_id else None
    email = person.email if person is not None else (cert.names[0] if cert.names else "")
    org = cert.organization
    return {
        "certificate_id": str(cert.pk),
        "subject": f"CN={cert.common_name}, O={org.parent.name if org.parent_id else org.name}",
        "email": email,
        "serial_number": _colon_hex(cert.serial_hex),
        "expires": cert.not_after.date() if cert.not_after else "",
        "certificate_url": certificate_url(cert),
    }


def _send(event_type: str, cert, key: str, **extra) -> None:
    days = extra.get("days")
    notify(event_type, organization=cert.organization, context={**context_of(cert), **extra},
           requester_email=requester_email(cert), key=key, days=days)


def _client_only(cert) -> bool:
    """Client certificates have SCM's two notification types (revoked, expiring), not the SSL
    request, approval and issuance ones: those events notify nothing for them."""
    return is_client(cert)


def on_awaiting_approval(sender, certificate_id=None, certificate=None, **kwargs) -> None:
    cert = _certificate(certificate_id, certificate)
    if cert is None or _client_only(cert):
        return
    if cert.profile.validation_only:
        _send(types.EV_ANCHOR_AWAITING_APPROVAL, cert, f"SSL:{cert.pk}:awaiting_approval",
              requested_by=_who(cert.requester) if cert.requester_id else cert.requester_label,
              validation_level=cert.profile.validation_level)
    else:
        _send(types.SSL_AWAITING_APPROVAL, cert, f"SSL:{cert.pk}:awaiting_approval")


def on_approved(sender, certificate_id=None, certificate=None, approver_id=None, **kwargs) -> None:
    cert = _certificate(certificate_id, certificate)
    if cert is None or _client_only(cert):
        return
    _send(types.SSL_APPROVED, cert, f"SSL:{cert.pk}:approved",
          approver=_who(cert.approver) if cert.approver_id else "certdesk")


def on_declined(sender, certificate_id=None, certificate=None, reason="", **kwargs) -> None:
    cert = _certificate(certificate_id, certificate)
    if cert is None or _client_only(cert):
        return
    last = cert.events.filter(action="declined").select_related("admin").order_by("-at", "-id").first()
    _send(types.SSL_DECLINED, cert, f"SSL:{cert.pk}:declined", reason=reason or cert.reason,
          approver=_who(last.admin) if last is not None and last.admin_id else "certdesk")


def on_issued(sender, certificate_id=None, certificate=None, **kwargs) -> None:
    cert = _certificate(certificate_id, certificate)
    if cert is None or _client_only(cert):
        return
    extra = {"serial_number": _colon_hex(cert.serial_hex), "expires": cert.not_after.date() if cert.not_after else ""}
    if not cert.profile.validation_only:
        extra["download_links"] = download_links(cert)
    _send(types.SSL_ISSUED, cert, f"SSL:{cert.pk}:issued", **extra)


def on_issuance_failed(sender, certificate_id=None, certificate=None, reason="", **kwargs) -> None:
    cert = _certificate(certificate_id, certificate)
    if cert is None or _client_only(cert):
        return
    _send(types.SSL_ISSUANCE_FAILED, cert, f"SSL:{cert.pk}:issuance_failed", error=reason or cert.reason)


def on_auto_renewal_failed(sender, certificate_id=None, certificate=None, reason="", **kwargs) -> None:
    cert = _certificate(certificate_id, certificate)
    if cert is None or _client_only(cert):
        return
    tried = cert.auto_renewed_at or timezone.now()
    _send(types.SSL_AUTO_RENEWAL_FAILED, cert, f"SSL:{cert.pk}:auto_renewal_failed:{tried.isoformat()}",
          error=reason or cert.auto_renew_error, expires=cert.not_after.date() if cert.not_after else "")


def on_revoked(sender, certificate_id=None, certificate=None, reason_code=None, **kwargs) -> None:
    cert = _certificate(certificate_id, certificate)
    if cert is None:
        return
    code = cert.revocation_reason if reason_code is None else reason_code
    reason = REVOCATION_REASONS.get(code, str(code))
    if cert.revocation_comment:
        reason = f"{reason}: {cert.revocation_comment}"
    if is_client(cert):
        notify(types.CLIENT_CERT_REVOKED, organization=cert.organization,
               context={**client_context_of(cert), "reason": reason}, requester_email=requester_email(cert),
               key=f"SMIME:{cert.pk}:revoked")
        return
    _send(types.SSL_REVOKED, cert, f"SSL:{cert.pk}:revoked", serial_number=_colon_hex(cert.serial_hex),
          reason=reason)


EXPIRING_LISTED = 200  # certificates named in one grouped expiry message; the link lists them all


def _expiry_line(pk, common_name, serial_hex, not_after) -> str:
    return f"{common_name} (#{pk}, serial {_colon_hex(serial_hex)}, {not_after.date().isoformat() if not_after else ''})"


def _on_expiring_groups(groups: list[dict], days: int) -> None:
    """The daily sweep's notices, every organization at once (issue 7: a fixed number of queries
    whatever the number of certificates and organizations): one message per organization and
    threshold; the certificate's own message when the organization has only one."""
    from certdesk.certificates.models import Certificate
    from certdesk.tenancy.models import Customer, Organization

    from .bulk import Item, notify_many

    client_groups = [g for g in groups if g.get("kind") == CertType.SMIME]
    if client_groups:
        _on_client_expiring(client_groups, days)
    groups = [g for g in groups if g.get("kind") != CertType.SMIME]
    if not groups:
        return
    org_ids = {g["organization_id"] for g in groups}
    orgs = {o.pk: o for o in Organization.objects.select_related("parent", "customer").filter(pk__in=org_ids)}
    singles = [g["certificates"][0][0] for g in groups if len(g["certificates"]) == 1]
    certs = {c.pk: c for c in (Certificate.objects.select_related("customer", "organization", "organization__parent",
                                                                  "profile", "requester", "approver")
                               .filter(pk__in=singles))} if singles else {}
    by_customer: dict[int, list] = {}
    for group in groups:
        org = orgs.get(group["organization_id"])
        listed = group["certificates"]
        if org is None:
            continue
        if len(listed) == 1:
            cert = certs.get(listed[0][0])
            if cert is None:
                continue
            expires = listed[0][3] or cert.not_after
            context = {**context_of(cert), "serial_number": _colon_hex(cert.serial_hex),
                       "expires": expires.date() if expires else "", "days": int(days), "certificate_count": 1,
                       "certificates": _expiry_line(*listed[0])}
            item = Item([org], context, f"SSL:{cert.pk}:expiring:{int(days)}:{expires.isoformat() if expires else ''}",
                        days=int(days), requester_email=requester_email(cert))
        else:
            total = len(listed)
            lines = [_expiry_line(*row) for row in listed[:EXPIRING_LISTED]]
            if total > EXPIRING_LISTED:
                lines.append(f"… +{total - EXPIRING_LISTED}")
            shown = listed[:3]
            context = {"certificate_id": ", ".join(str(row[0]) for row in shown),
                       "common_name": ", ".join(row[1] for row in shown) + (f" (+{total - 3})" if total > 3 else ""),
                       "subject_alt_names": "", "profile": "", "term": "", "requester": "", "status": "ISSUED",
                       "certificate_url": f"{settings.BASE_URL}/certificates/?org={org.pk}&expires_in={int(days)}",
                       "serial_number": ", ".join(_colon_hex(row[2]) for row in shown),
                       "expires": listed[0][3].date() if listed[0][3] else "", "days": int(days),
                       "certificate_count": total, "certificates": "\n".join(lines)}
            item = Item([org], context, f"SSL:org:{org.pk}:expiring:{int(days)}:{min(r[0] for r in listed)}:{total}",
                        days=int(days))
        by_customer.setdefault(group["customer_id"], []).append(item)
    customers = Customer.objects.in_bulk(list(by_customer))
    for customer_id, items in by_customer.items():
        notify_many(types.SSL_EXPIRATION, customers[customer_id], items)


def _on_client_expiring(groups: list[dict], days: int) -> None:
    """Client certificates: one message per certificate (it names its holder), all of them in a
    fixed number of queries."""
    from certdesk.certificates.models import Certificate
    from certdesk.tenancy.models import Customer

    from .bulk import Item, notify_many

    ids = [row[0] for g in groups for row in g["certificates"]]
    certs = (Certificate.objects.select_related("customer", "organization", "organization__parent", "person",
                                                "requester").filter(pk__in=ids).order_by("pk"))
    by_customer: dict[int, list] = {}
    for cert in certs:
        expires = cert.not_after
        context = {**client_context_of(cert), "days": int(days)}
        by_customer.setdefault(cert.customer_id, []).append(Item(
            [cert.organization], context, f"SMIME:{cert.pk}:expiring:{int(days)}:{expires.isoformat() if expires else ''}",
            days=int(days), requester_email=requester_email(cert)))
    customers = Customer.objects.in_bulk(list(by_customer))
    for customer_id, items in by_customer.items():
        notify_many(types.CLIENT_CERT_EXPIRATION, customers[customer_id], items)


def on_expiring(sender, certificate_id=None, certificate=None, days=None, not_after=None, groups=None,
                **kwargs) -> None:
    if days is not None and groups is not None:
        _on_expiring_groups(groups, int(days))
        return
    cert = _certificate(certificate_id, certificate)
    if cert is None or days is None:
        return
    expires = not_after or cert.not_after
    if is_client(cert):
        notify(types.CLIENT_CERT_EXPIRATION, organization=cert.organization,
               context={**client_context_of(cert), "expires": expires.date() if expires else "", "days": int(days)},
               requester_email=requester_email(cert), days=int(days),
               key=f"SMIME:{cert.pk}:expiring:{int(days)}:{expires.isoformat() if expires else ''}")
        return
    _send(types.SSL_EXPIRATION, cert, f"SSL:{cert.pk}:expiring:{int(days)}:{expires.isoformat() if expires else ''}",
          serial_number=_colon_hex(cert.serial_hex), expires=expires.date() if expires else "", days=int(days),
          certificate_count=1, certificates=f"{cert.common_name} (#{cert.pk}, serial {_colon_hex(cert.serial_hex)}, "
                                            f"{expires.date().isoformat() if expires else ''})")


def connect() -> None:
    from certdesk.certificates import signals

    uid = "certdesk.notifications.certificates"
    signals.awaiting_approval.connect(on_awaiting_approval, dispatch_uid=f"{uid}.awaiting_approval")
    signals.approved.connect(on_approved, dispatch_uid=f"{uid}.approved")
    signals.declined.connect(on_declined, dispatch_uid=f"{uid}.declined")
    signals.issued.connect(on_issued, dispatch_uid=f"{uid}.issued")
    signals.issuance_failed.connect(on_issuance_failed, dispatch_uid=f"{uid}.issuance_failed")
    signals.auto_renewal_failed.connect(on_auto_renewal_failed, dispatch_uid=f"{uid}.auto_renewal_failed")
    signals.revoked.connect(on_revoked, dispatch_uid=f"{uid}.revoked")
    signals.expiring.connect(on_expiring, dispatch_uid=f"{uid}.expiring")
