"""Client-certificate invitations (seed 003 "Send Invitation", seed 000 Persons menu; SCM
`POST /api/person/v2/{id}/invitation/send`).

An admin who may request client certificates for a person's organization or department sends the
person an invitation for a profile and a term: every rule `smime.request_smime` will check that
does not depend on the key (profile, term, organization identity, the person's email domains
delegated for client certificates) is checked at once, so a doomed invitation is refused when it
is sent. The person gets an email (notification type ClientCertInvitation) with a link
`<BASE_URL>/enroll/invitation/<token>/` that works once, until it expires
(CERTDESK_INVITATION_DAYS, 7 by default). Only the SHA-256 of the token is stored.

Following the link shows what it is for; a POST (never a GET: mail scanners follow links) chooses
the key type and a passphrase, and issues the certificate through the one pipeline
(`smime.request_smime`, requested via "Self Enroll", approved by the invitation), answering its
PKCS #12 at once. Unknown tokens are rate-limited per address like the SSL web forms' access codes.
"""
from __future__ import annotations

import hashlib
import secrets
import string
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from certdesk.accounts import policy, ratelimit
from certdesk.accounts.models import RateCounter
from certdesk.accounts.policy import Perm
from certdesk.certificates import checks, escrow, smime
from certdesk.certificates import queries as certificate_queries
from certdesk.certificates.errors import CertificateError
from certdesk.certificates.models import Certificate, Profile
from certdesk.certificates.states import Status
from certdesk.core import audit
from certdesk.core.actor import Actor, Interface
from certdesk.core.errors import DomainError, InvalidInput, NotFound
from certdesk.core.i18n import msg
from certdesk.persons.models import Person
from certdesk.tenancy.models import CertType

from .models import Invitation

REQUESTED_VIA = "Self Enroll"
TOKEN_BYTES = 32  # 256 bits, 43 characters
_TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"
# What the person may choose on the page (those the profile offers).
KEY_TYPES = {"RSA-2048": ("RSA", "2048"), "RSA-3072": ("RSA", "3072"), "EC-P-256": ("EC", "P-256")}
# One message for an unknown, expired or cancelled link and for too many wrong links (no oracle).
UNAVAILABLE = "This invitation link is not valid: it may have expired or been cancelled, or the address was " \
              "mistyped. Ask your administrator for a new invitation."
USED = "This invitation was already used: its certificate was created. Ask your administrator for a new " \
       "invitation if you need another one."


class InvitationUnavailable(NotFound):
    code = -14


class InvitationUsed(DomainError):
    code = -14
    status = 410


class InvitationNotFound(NotFound):
    """An invitation id outside the actor's scope, or no longer open (portal cancel)."""

    code = -14


# ---------------------------------------------------------------------------
# Tokens and lookups


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def link(token: str) -> str:
    return f"{settings.BASE_URL}{reverse('web:enroll-invitation', kwargs={'token': token})}"


def is_open(invitation: Invitation, now=None) -> bool:
    now = now or timezone.now()
    return invitation.used_at is None and invitation.cancelled_at is None and invitation.expires > now


def open_invitations(actor: Actor, person: Person):
    """The person's invitations still usable, newest first (for whoever sees the person)."""
    policy.require(actor, Perm.VIEW_PERSON, person)
    return (Invitation.objects.select_related("profile").filter(
        person=person, used_at__isnull=True, cancelled_at__isnull=True, expires__gt=timezone.now()).order_by("-id"))


def _limits(ip: str) -> list[tuple[str, int]]:
    return [(f"invite:ip:{ip or '-'}"[:160], settings.LOGIN_MAX_FAILURES * 4)]


def _blocked(ip: str, now: float) -> bool:
    period = max(1, settings.LOGIN_FAILURE_WINDOW)
    window = int(now // period) * period
    limits = _limits(ip)
    hits = dict(RateCounter.objects.filter(bucket__in=[b for b, _ in limits], window_start=window)
                .values_list("bucket", "hits"))
    return any(hits.get(bucket, 0) >= limit for bucket, limit in limits)


def _failed(ip: str, now: float) -> None:
    period = max(1, settings.LOGIN_FAILURE_WINDOW)
    ratelimit.hit(*[(bucket, period) for bucket, _ in _limits(ip)], now=now)


def _clean_token(token) -> str:
    token = token if isinstance(token, str) else ""
    return token if 20 <= len(token) <= 64 and all(ch in _TOKEN_ALPHABET for ch in token) else ""


def find(token, *, ip: str = "") -> Invitation:
    """The invitation behind a link, usable now. InvitationUsed when it was used; InvitationUnavailable
    (one message) when the link is unknown, expired or cancelled, or the address is blocked after too
    many unknown links (unknown links count against the address)."""
    now = time.time()
    if _blocked(ip, now):
        raise InvitationUnavailable(UNAVAILABLE)
    token = _clean_token(token)
    invitation = (Invitation.objects.select_related("person", "person__organization", "person__organization__parent",
                                                    "profile", "customer")
                  .filter(token_hash=hash_token(token)).first() if token else None)
    if invitation is None:
        _failed(ip, now)
        raise InvitationUnavailable(UNAVAILABLE)
    if invitation.used_at is not None:
        raise InvitationUsed(USED)
    if not is_open(invitation):
        raise InvitationUnavailable(UNAVAILABLE)
    return invitation


def key_types(profile: Profile) -> list[str]:
    """The key types of KEY_TYPES the profile offers (all of them when it says nothing)."""
    allowed = {str(k).upper(): [str(v).upper() for v in vs] for k, vs in (profile.key_types or {}).items()}
    out = []
    for name, (algorithm, size) in KEY_TYPES.items():
        if not allowed or size.upper() in allowed.get(algorithm, []):
            out.append(name)
    return out


# ---------------------------------------------------------------------------
# Sending and cancelling


def default_profile_and_term(actor: Actor, person: Person) -> tuple[Profile, int]:
    """The first client-certificate profile offered to the customer and its longest term."""
    profile = certificate_queries.profiles_for(person.customer, kind=CertType.SMIME).first()
    if profile is None:
        from certdesk.certificates.errors import ProfileNotFound

        raise ProfileNotFound("No client certificate profile is available.", field="certType")
    terms = profile.effective_terms(timezone.now())
    if not terms:
        from certdesk.certificates.errors import TermNotAllowed

        raise TermNotAllowed(msg("%(profile)s offers no term.", profile=profile), field="term")
    return profile, max(terms)


def send_invitation(actor: Actor, person: Person, profile: Profile, term) -> Invitation:
    """Invite `person` to create a client certificate of `profile` for `term` days. Refused at once
    (nothing stored, nothing sent) when the request it leads to would be. The returned invitation
    carries `link` (this once: only its hash is kept)."""
    policy.require(actor, Perm.VIEW_PERSON, person)  # out of scope: 404 -105
    organization = person.organization
    policy.require(actor, Perm.REQUEST_SMIME, organization)
    now = timezone.now()
    checks.check_profile(profile, organization, kind=CertType.SMIME)
    term = checks.check_term(profile, term, now)
    if not key_types(profile):
        raise InvalidInput(msg("%(profile)s offers none of the key types of the invitation page (RSA 2048 or 3072, "
                               "EC P-256).", profile=profile), field="certType")
    smime.check_organization(organization, profile, now)
    smime.check_email_domains(organization, smime.emails_of(person))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = now + timedelta(days=settings.INVITATION_DAYS)
    from certdesk.notifications import types as notification_types
    from certdesk.notifications.dispatch import notify

    with transaction.atomic():
        invitation = Invitation.objects.create(
            customer=person.customer, person=person, profile=profile, term=term, token_hash=hash_token(token),
            created_by=actor.admin, created_by_label=actor.label[:200], expires=expires)
        audit.record(actor, "enrollment.invitation_sent", invitation, customer=person.customer, person=person.pk,
                     email=person.email, profile=profile.name, term=term, expires=expires.isoformat())
        url = link(token)
        admin = actor.admin
        invited_by = f"{admin.forename} {admin.surname} ({admin.login})".strip() if admin is not None else actor.label
        notify(notification_types.CLIENT_CERT_INVITATION, organization=organization,
               requester_email=person.email, key=f"ClientCertInvitation:{invitation.pk}",
               context={"email": person.email, "person_name": person.full_name or person.common_name,
                        "profile": profile.name, "term": term, "expires": expires.strftime("%Y-%m-%d %H:%M UTC"),
                        "invited_by": invited_by, "invitation_url": url})
    invitation.link = url
    return invitation


def get_invitation(actor: Actor, person: Person, invitation_id) -> Invitation:
    policy.require(actor, Perm.VIEW_PERSON, person)
    try:
        pk = int(invitation_id)
    except (TypeError, ValueError):
        raise InvitationNotFound("Invitation not found.") from None
    invitation = Invitation.objects.select_related("profile").filter(pk=pk, person=person).first()
    if invitation is None:
        raise InvitationNotFound("Invitation not found.")
    return invitation


def cancel_invitation(actor: Actor, invitation: Invitation) -> Invitation:
    """Its link stops working at once. Only an open invitation can be cancelled."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().select_related("person", "person__organization").get(
            pk=invitation.pk)
        policy.require(actor, Perm.VIEW_PERSON, locked.person)
        policy.require(actor, Perm.REQUEST_SMIME, locked.person.organization)
        if not is_open(locked):
            raise InvalidInput("This invitation is no longer open: it was used, cancelled or has expired.")
        locked.cancelled_at = timezone.now()
        locked.cancelled_by_label = actor.label[:200]
        locked.save(update_fields=["cancelled_at", "cancelled_by_label"])
        audit.record(actor, "enrollment.invitation_cancelled", locked, customer=locked.customer,
                     person=locked.person_id)
    return locked


# ---------------------------------------------------------------------------
# The public page: creating the certificate


def invitee_actor(invitation: Invitation, ip: str = "") -> Actor:
    """The invited person: no admin, the invitation's customer."""
    label = f"{invitation.person.email} (invitation {invitation.pk})"[:200]
    return Actor(customer=invitation.customer, admin=None, interface=Interface.PORTAL, ip=ip or None,
                 label_override=label)


def redeem(token, *, key_type, passphrase, ip: str = "") -> tuple[Certificate, bytes]:
    """Issue the invitation's certificate with a new key of `key_type` and answer its PKCS #12,
    encrypted with `passphrase` (never stored). All or nothing: a refusal leaves the invitation open
    and stores no certificate; two submissions at once give one certificate."""
    passphrase = escrow.check_passphrase(passphrase)
    invitation = find(token, ip=ip)
    if key_type not in key_types(invitation.profile):
        raise InvalidInput("Choose one of the key types offered.", field="key_type")
    algorithm, size = KEY_TYPES[key_type]
    actor = invitee_actor(invitation, ip)
    now = timezone.now()
    with transaction.atomic():
        claimed = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True, cancelled_at__isnull=True,
                                            expires__gt=now).update(used_at=now)
        if not claimed:
            raise InvitationUsed(USED)
        cert = smime.request_smime(actor, invitation.person, invitation.profile, invitation.term,
                                   key_algorithm=algorithm, key_size=size, requested_via=REQUESTED_VIA,
                                   auto_approve=True)
        if cert.status != Status.ISSUED:
            raise CertificateError(msg("The certificate could not be issued: %(reason)s Ask your administrator.",
                                       reason=cert.reason or ""))
        data = smime.keystore(actor, cert, passphrase=passphrase)
        Invitation.objects.filter(pk=invitation.pk).update(certificate=cert)
        audit.record(actor, "enrollment.invitation_used", invitation, customer=invitation.customer,
                     person=invitation.person_id, certificate=cert.pk)
    return cert, data
