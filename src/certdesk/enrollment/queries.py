"""Reads of self-enrollment: web form accounts in the actor's scope, the profiles a form may
offer, and the public links (form URL, certificate download URL)."""
from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from certdesk.accounts import policy
from certdesk.certificates.models import Certificate, Profile
from certdesk.certificates.services import ENROLLMENT_FORM
from certdesk.core.actor import Actor
from certdesk.tenancy.models import CertType, Customer

from .errors import WebFormAccountNotFound
from .models import WebFormAccount

# SCM's `requestedVia` of certificates requested through an enrollment form (spec §7.1).
REQUESTED_VIA = ENROLLMENT_FORM
_DOWNLOAD_SALT = "certdesk.enrollment.download"


def visible_accounts(actor: Actor) -> QuerySet[WebFormAccount]:
    """Web form accounts of the organizations/departments where the actor holds an SSL role (all for an MRAO)."""
    qs = WebFormAccount.objects.select_related("organization", "organization__parent").annotate(
        request_count=Count("requests", distinct=True))
    return policy.scope(actor, qs, field="organization", cert_type=CertType.SSL).order_by("name", "id")


def get_account(actor: Actor, account_id) -> WebFormAccount:
    try:
        account_id = int(account_id)
    except (TypeError, ValueError):
        raise WebFormAccountNotFound("Web form account not found.") from None
    account = visible_accounts(actor).filter(pk=account_id).first()
    if account is None:
        raise WebFormAccountNotFound("Web form account not found.")
    return account


def offerable_profiles(customer: Customer | None) -> QuerySet[Profile]:
    """SSL profiles a web form may offer: active, shared or the customer's own, never the EV anchor
    (a validation record, not a certificate: seed 003 §7.4.2 advises against offering it)."""
    return Profile.objects.filter(Q(customer__isnull=True) | Q(customer=customer), kind=CertType.SSL, active=True,
                                  validation_only=False).order_by("position", "id")


def offered_profiles(account: WebFormAccount) -> list[Profile]:
    """What the public form lists: the assigned profiles still active."""
    return list(account.profiles.filter(active=True, validation_only=False).order_by("position", "id"))


def public_form_url(account: WebFormAccount) -> str:
    return f"{settings.BASE_URL}{reverse('web:enroll-ssl', kwargs={'slug': account.slug})}"


# ---------------------------------------------------------------------------
# Public download links: an HMAC of the certificate (id and key), so the link exists as soon as the
# certificate does, whichever process renders the email, and cannot be guessed from the id.


def is_self_enrolled(cert: Certificate) -> bool:
    return cert.requested_via == REQUESTED_VIA and cert.requester_id is None


def download_token(cert: Certificate) -> str:
    return salted_hmac(_DOWNLOAD_SALT, f"{cert.pk}:{cert.customer_id}:{cert.spki_sha256}",
                       algorithm="sha256").hexdigest()[:40]


def download_token_matches(cert: Certificate, token: str) -> bool:
    return bool(token) and constant_time_compare(download_token(cert), token)


def public_download_url(cert: Certificate) -> str | None:
    """The link the requester of a self-enrolled certificate downloads it from (no login), else None."""
    if not is_self_enrolled(cert):
        return None
    path = reverse("web:enroll-ssl-certificate", kwargs={"pk": cert.pk, "token": download_token(cert)})
    return f"{settings.BASE_URL}{path}"


def public_certificate(cert_id, token: str) -> Certificate | None:
    """The self-enrolled certificate behind a download link, or None (wrong or unknown link alike)."""
    try:
        cert_id = int(cert_id)
    except (TypeError, ValueError):
        return None
    cert = (Certificate.objects.select_related("organization", "organization__parent", "profile", "customer")
            .filter(pk=cert_id).first())
    if cert is None or not is_self_enrolled(cert) or not download_token_matches(cert, token):
        return None
    return cert
