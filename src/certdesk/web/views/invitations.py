"""Client-certificate invitations: "Send invitation" and "Cancel" on a person's page (Persons menu,
seed 000 and seed 003 "Send Invitation"), and the invited person's public page
`/enroll/invitation/<token>/` (no login): what the invitation is for, then the key type and a
passphrase; the POST creates the certificate and answers its PKCS #12 at once. A GET never issues
anything (mail scanners follow links)."""
from __future__ import annotations

import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.certificates import queries as certificate_queries
from certdesk.core.errors import DomainError, NotFound, PermissionDenied
from certdesk.core.net import client_ip
from certdesk.enrollment import invitations
from certdesk.persons import queries as person_queries
from certdesk.tenancy.models import CertType

from ..forms.invitations import InvitationRedeemForm, InvitationSendForm
from ..labels import translated
from .base import apply_error, confirmation, is_htmx, no_store, portal_view

SEND_FIELDS = {"certType": "profile", "term": "term", "profile": "profile"}
REDEEM_FIELDS = {"passphrase": "passphrase", "key_type": "key_type", "keySize": "key_type", "algorithm": "key_type"}
PKCS12_CONTENT_TYPE = "application/x-pkcs12"


# ---------------------------------------------------------------------------
# The person's page


def _choices(actor):
    profiles = list(certificate_queries.profiles_for(actor.customer, kind=CertType.SMIME))
    now = timezone.now()
    terms = sorted({t for p in profiles for t in p.effective_terms(now)})
    return profiles, terms


def person_invitations(actor, person, form: InvitationSendForm | None = None) -> dict:
    """What the person's page shows of invitations (persons.detail_context)."""
    can_invite = policy.can(actor, Perm.REQUEST_SMIME, person.organization)
    if can_invite and form is None:
        profiles, terms = _choices(actor)
        initial = {}
        if profiles:
            first_terms = profiles[0].effective_terms(timezone.now())
            initial = {"profile": profiles[0].pk, "term": max(first_terms) if first_terms else None}
        form = InvitationSendForm(initial=initial, profiles=profiles, terms=terms)
    return {
        "can_invite": can_invite,
        "invite_form": form if can_invite else None,
        "open_invitations": list(invitations.open_invitations(actor, person)),
    }


def _detail(request, actor, person, form, status):
    from .persons import detail_context

    return render(request, "web/persons/person_detail.html",
                  {**detail_context(actor, person), **person_invitations(actor, person, form)}, status=status)


@require_POST
@portal_view
def invitation_send(request: HttpRequest, actor, pk) -> HttpResponse:
    person = person_queries.get_person(actor, pk)  # out of scope: 404
    policy.require(actor, Perm.REQUEST_SMIME, person.organization)
    profiles, terms = _choices(actor)
    form = InvitationSendForm(request.POST, profiles=profiles, terms=terms)
    if form.is_valid():
        profile = next(p for p in profiles if p.pk == form.cleaned_data["profile"])
        try:
            invitations.send_invitation(actor, person, profile, form.cleaned_data["term"])
        except DomainError as err:
            if isinstance(err, (NotFound, PermissionDenied)):
                raise
            apply_error(form, err, SEND_FIELDS)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": person.email})
            return redirect("web:person-detail", pk=person.pk)
    return _detail(request, actor, person, form, 400)


@require_POST
@portal_view
def invitation_cancel(request: HttpRequest, actor, pk, invitation_pk) -> HttpResponse:
    person = person_queries.get_person(actor, pk)
    invitation = invitations.get_invitation(actor, person, invitation_pk)
    policy.require(actor, Perm.REQUEST_SMIME, person.organization)
    if (asked := confirmation(
            request, _l("Cancel this invitation?"),
            _("The link sent to %(email)s stops working at once.") % {"email": person.email},
            _l("Cancel the invitation"))):
        return asked
    try:
        invitations.cancel_invitation(actor, invitation)
    except DomainError as err:
        if isinstance(err, (NotFound, PermissionDenied)):
            raise
        messages.error(request, translated(err.message))
    else:
        messages.success(request, _("Invitation cancelled."))
    url = reverse("web:person-detail", kwargs={"pk": person.pk})
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# ---------------------------------------------------------------------------
# The public page


def _private(response: HttpResponse) -> HttpResponse:
    """The token is in the URL: never sent on as a referrer, never cached, never indexed."""
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return no_store(response)


def _closed(request, err: DomainError) -> HttpResponse:
    used = isinstance(err, invitations.InvitationUsed)
    return _private(render(request, "web/invitations/public_closed.html", {
        "title": _("Invitation already used") if used else _("Invitation not valid"),
        "text": translated(err.message),
    }, status=410 if used else 404))


def _filename(email: str) -> str:
    return (re.sub(r"[^A-Za-z0-9._-]+", "_", email.split("@")[0]) or "certificate")[:64] + ".p12"


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def enroll_invitation(request: HttpRequest, token: str) -> HttpResponse:
    ip = client_ip(request)
    try:
        invitation = invitations.find(token, ip=ip)
    except (invitations.InvitationUsed, invitations.InvitationUnavailable) as err:
        return _closed(request, err)
    kinds = invitations.key_types(invitation.profile)
    status = 200
    if request.method == "POST":
        form = InvitationRedeemForm(request.POST, key_types=kinds)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                cert, p12 = invitations.redeem(token, key_type=data["key_type"], passphrase=data["passphrase"], ip=ip)
            except (invitations.InvitationUsed, invitations.InvitationUnavailable) as err:
                return _closed(request, err)
            except DomainError as err:
                apply_error(form, err, REDEEM_FIELDS)
            else:
                response = HttpResponse(p12, content_type=PKCS12_CONTENT_TYPE)
                response["Content-Disposition"] = f'attachment; filename="{_filename(cert.person.email)}"'
                return _private(response)
    else:
        form = InvitationRedeemForm(key_types=kinds, initial={"key_type": kinds[0] if kinds else None})
    person = invitation.person
    organization = person.organization
    return _private(render(request, "web/invitations/public_invitation.html", {
        "form": form, "invitation": invitation, "person": person,
        "organization": f"{organization.parent.name} / {organization.name}" if organization.parent_id
        else organization.name,
        "emails": invitations.smime.emails_of(person),
    }, status=status))
