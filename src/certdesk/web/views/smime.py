"""Certificates → Client Certificates (seed 003 §8): the list of persons' certificates, the request
(an existing or a new person; a key generated on the server and held in escrow, or a CSR), the
certificate page with its actions (approve, decline, revoke, renew), the downloads (the certificate in
every SCM format, the escrowed key as PKCS #12 behind a passphrase) and the persons' "Revoke all".

Views parse, call one service of `certdesk.certificates` (`smime` for the client-certificate verbs,
`services` for the generic ones), render. Who sees what: accounts.policy (MRAO; RAO/DRAO of client
certificates in their organizations and departments).
"""
from __future__ import annotations

from datetime import timedelta

from cryptography.x509.oid import NameOID
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.certificates import formats, imports, queries, services, smime
from certdesk.certificates.errors import CertificateError, UnknownFormat
from certdesk.certificates.models import Certificate
from certdesk.certificates.states import SIGNED_STATUSES, Status
from certdesk.core.errors import DomainError, NotFound, PermissionDenied
from certdesk.persons import queries as person_queries
from certdesk.persons import services as person_services
from certdesk.tenancy.models import CertType

from ..forms.certificates import REVOCATION_REASON_LABELS, DeclineForm
from ..forms.smime import (
    KEY_SOURCE_CSR,
    KEY_TYPES,
    ApproveForm,
    ClientFilterForm,
    ClientRenewForm,
    ClientRequestForm,
    ClientRevokeForm,
    PassphraseForm,
    RevokeAllForm,
)
from ..labels import translated
from ..paging import CappedPaginator
from .base import apply_error, confirmation, error_page, is_htmx, no_store, portal_view
from .certificates import (
    CONTENT_TYPES,
    FORMAT_LABELS,
    HISTORY_ACTIONS,
    PEM_CONTENT_TYPE,
    _org_label,
    _refusal_when_stale,
    _serial_text,
    _x509_facts,
    stamp,
    status_badge,
)

SMIME = CertType.SMIME
# The history's actions of client certificates: the SSL ones and the key recovery (smime.keystore).
CLIENT_HISTORY_ACTIONS = {**HISTORY_ACTIONS,
                          "key downloaded": pgettext_lazy("certificate event", "Key downloaded (PKCS#12)")}
# RFC 4514 leaves these as dotted OIDs; a person's subject carries them (S/MIME BR §7.1.4.2.2).
SUBJECT_NAMES = {NameOID.SURNAME: "SN", NameOID.GIVEN_NAME: "GN",
                 NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier", NameOID.EMAIL_ADDRESS: "E"}
TABLE_TARGET = "client-table"
PKCS12_CONTENT_TYPE = "application/x-pkcs12"
PERSON_CERTIFICATES_SHOWN = 20
COLLECTABLE = (Status.ISSUED, Status.EXPIRED)
# Service field names (SCM's) → this page's form fields.
FIELD_ALIASES = {
    "email": "email", "first_name": "first_name", "firstName": "first_name", "last_name": "last_name",
    "lastName": "last_name", "common_name": "common_name", "commonName": "common_name", "certType": "profile",
    "term": "term", "csr": "csr", "keySize": "key_type", "keyParam": "key_type", "algorithm": "key_type",
    "comments": "comments", "organizationId": "organization", "orgId": "organization",
    "passphrase": "passphrase", "encryptionType": "encryption", "reasonCode": "reason_code", "reason": "comment",
    "message": "reason",
}


def _organizations(actor) -> list:
    """Organizations and departments where the actor holds a client-certificate role (one query)."""
    return list(person_queries.person_organizations(actor))


def _no_role(request: HttpRequest) -> HttpResponse:
    return render(request, "web/portal/error.html", {
        "title": _("Not allowed"),
        "text": _("Client certificates are managed by MRAOs and by RAO/DRAO admins of client certificates: you hold "
                  "no client certificate role."),
    }, status=403)


def _get(actor, pk) -> Certificate:
    return queries.get_certificate(actor, pk, kind=SMIME)


def _person_label(person) -> dict:
    if person is None:
        return {"name": "—", "email": ""}
    return {"name": person.common_name, "email": person.email}


# ---------------------------------------------------------------------------
# List


def _filtered(actor, values: dict, now):
    qs = queries.listable_certificates(actor, kind=SMIME, organization_id=values["org"])
    if values["status"]:
        statuses = values["status"]
        qs = qs.filter(status=statuses[0]) if len(statuses) == 1 else qs.filter(status__in=statuses)
    if values["profile"] is not None:
        qs = qs.filter(profile_id=values["profile"])
    if values["expires_in"] is not None:
        qs = qs.filter(status=Status.ISSUED, not_after__gt=now,
                       not_after__lte=now + timedelta(days=values["expires_in"]))
    if values["q"]:
        text = values["q"]
        # The certificate's names (common name, emails), id or serial; or its person's names and emails.
        persons = person_queries.visible_persons(actor, search=text).order_by().values("pk")
        qs = queries.matching(qs, text) | qs.filter(person_id__in=persons)
    if values["expires_in"] is not None:
        return qs.order_by("not_after", "id")
    return qs.order_by("-id")


@portal_view
def client_list(request: HttpRequest, actor) -> HttpResponse:
    organizations = _organizations(actor)
    if not organizations and not policy.is_mrao(actor):
        return _no_role(request)
    profiles = list(queries.profiles_for(actor.customer, kind=SMIME, include_inactive=True))
    params = {k: v for k, v in request.GET.lists() if k != "page"}
    form = ClientFilterForm(request.GET if params else None, organizations=organizations, profiles=profiles)
    invalid = form.is_bound and not form.is_valid()
    values = form.values()
    qs = Certificate.objects.none() if invalid else _filtered(actor, values, timezone.now())
    qs = qs.select_related("organization", "organization__parent", "profile", "person")
    paginator = CappedPaginator(qs, values["size"])
    page = paginator.get_page(request.GET.get("page"))
    rows = [{"cert": c, "person": _person_label(c.person), "organization": _org_label(c.organization),
             "status": status_badge(c.status)} for c in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form, "rows": rows, "page": page, "paginator": paginator, "query": query.urlencode(),
        "filtered": any(k for k in params if k != "size"), "invalid": invalid,
        "can_request": bool(organizations),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == TABLE_TARGET:
        return render(request, "web/smime/_partials/client_table.html", context)
    return render(request, "web/smime/client_list.html", context)


# ---------------------------------------------------------------------------
# Request


def _terms(profiles, selected, now) -> list[int]:
    if selected is not None:
        return selected.effective_terms(now)
    return sorted({t for p in profiles for t in p.effective_terms(now)})


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _outcome(cert: Certificate) -> str:
    if cert.status == Status.ISSUED:
        return _("Client certificate %(id)s issued.") % {"id": cert.pk}
    if cert.status == Status.INVALID:
        return _("Issuance of client certificate %(id)s failed: %(reason)s") % {
            "id": cert.pk, "reason": translated(cert.reason)}
    if cert.status == Status.APPLIED:
        return _("Client certificate %(id)s approved: it is being issued.") % {"id": cert.pk}
    return _("Client certificate %(id)s requested: it awaits the approval of an administrator.") % {"id": cert.pk}


def _after_request(request: HttpRequest, cert: Certificate) -> HttpResponse:
    """Issued with a key held here: straight to the PKCS #12 download; otherwise the certificate's page."""
    (messages.error if cert.status == Status.INVALID else messages.success)(request, _outcome(cert))
    if cert.status == Status.ISSUED and smime.is_escrowed(cert):
        return redirect("web:smime-keystore", pk=cert.pk)
    return redirect("web:smime-detail", pk=cert.pk)


def _person_for(actor, form: ClientRequestForm):
    """The person of the request: the fixed one, the one with this email in scope, else a new one (None and
    form errors when the new person's fields are missing)."""
    if form.fixed_person is not None:
        return form.fixed_person
    data = form.cleaned_data
    existing = policy.scope_persons(actor).select_related("organization", "organization__parent").filter(
        email__iexact=data["email"]).first()
    if existing is not None:
        return existing
    if not form.require_new_person_fields():
        return None
    return person_services.create_person(actor, form.organizations[data["organization"]], email=data["email"],
                                         first_name=data["first_name"], last_name=data["last_name"],
                                         common_name=data["common_name"])


class _Refused(Exception):
    """Leaves the request's transaction so that nothing of it (a new person) is kept."""


@portal_view
def client_create(request: HttpRequest, actor) -> HttpResponse:
    organizations = [o for o in _organizations(actor) if policy.can(actor, Perm.REQUEST_SMIME, o)]
    if not organizations:
        return render(request, "web/portal/error.html", {
            "title": _("Not allowed"),
            "text": _("There is no organization or department you may request client certificates for: you need a "
                      "client certificate role (RAO or DRAO) on one, or to be an MRAO of a customer with "
                      "organizations."),
        }, status=403)
    source = request.POST if request.method == "POST" else request.GET
    fixed_person = None
    if source.get("person"):
        fixed_person = person_queries.get_person(actor, source.get("person"))  # out of scope: 404
        policy.require(actor, Perm.REQUEST_SMIME, fixed_person.organization)
    profiles = list(queries.profiles_for(actor.customer, kind=SMIME))
    by_id = {p.pk: p for p in profiles}
    now = timezone.now()
    selected = by_id.get(_int(source.get("profile")))
    if selected is None and len(profiles) == 1:
        selected = profiles[0]
    terms = _terms(profiles, selected, now)
    kwargs = {"organizations": organizations, "profiles": profiles, "terms": terms, "fixed_person": fixed_person}
    status = 200
    if request.method == "POST":
        form = ClientRequestForm(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            data = form.cleaned_data
            algorithm, size = (None, None)
            if data["key_source"] != KEY_SOURCE_CSR:
                algorithm, size = KEY_TYPES[data["key_type"]]
            try:
                with transaction.atomic():  # a refused request adds no person
                    person = _person_for(actor, form)
                    if person is None:
                        raise _Refused()
                    cert = smime.request_smime(
                        actor, person, by_id[data["profile"]], data["term"], csr_pem=data["csr"] or None,
                        key_algorithm=algorithm, key_size=size, common_name=data["common_name"].strip() or None,
                        comments=data["comments"])
            except _Refused:
                pass
            except DomainError as err:
                if isinstance(err, (NotFound, PermissionDenied)):
                    raise
                apply_error(form, err, FIELD_ALIASES)
            else:
                return _after_request(request, cert)
        status = 400
    else:
        initial = {"key_source": "generate", "key_type": "RSA-2048"}
        if fixed_person is not None:
            initial["person"] = fixed_person.pk
        elif len(organizations) == 1:
            initial["organization"] = organizations[0].pk
        if selected is not None and terms:
            initial["profile"] = selected.pk
            initial["term"] = min(terms)
        form = ClientRequestForm(initial=initial, **kwargs)
    return render(request, "web/smime/client_create.html", {
        "form": form, "profiles": profiles, "selected": selected, "person": fixed_person,
        "person_organization": _org_label(fixed_person.organization) if fixed_person else "",
    }, status=status)


# ---------------------------------------------------------------------------
# Detail and actions


def _actions(actor, cert: Certificate, escrowed: bool) -> dict:
    status = cert.status
    can = lambda perm: policy.can(actor, perm, cert)  # noqa: E731
    return {
        "approve": status == Status.REQUESTED and can(Perm.APPROVE_SSL),
        "decline": status == Status.REQUESTED and can(Perm.DECLINE_SSL),
        "revoke": status == Status.ISSUED and can(Perm.REVOKE_SSL),
        "renew": status in services.RENEWABLE and cert.person_id is not None and can(Perm.RENEW_SSL),
        "keystore": escrowed and status in SIGNED_STATUSES and cert.ca_id is not None and can(Perm.RECOVER_KEY),
    }


def _detail_context(actor, cert: Certificate) -> dict:
    cert = Certificate.objects.select_related(
        "organization", "organization__parent", "profile", "ca", "requester", "approver", "person", "renewal_of",
        "replaces", "replaced_by").get(pk=cert.pk)
    escrowed = smime.is_escrowed(cert)
    actions = _actions(actor, cert, escrowed)
    facts = _x509_facts(cert)
    if facts is not None:
        facts["subject"] = cert.certificate().subject.rfc4514_string(SUBJECT_NAMES)
    collectable = cert.status in COLLECTABLE and bool(cert.der)
    return {
        "cert": cert,
        "status": status_badge(cert.status),
        "organization": _org_label(cert.organization),
        "emails": list(cert.names),
        "serial": _serial_text(cert),
        "x509": facts,
        "escrowed": escrowed,
        "history": [{"event": e, "action": CLIENT_HISTORY_ACTIONS.get(e.action, e.action),
                     "from": status_badge(e.status_from) if e.status_from else None,
                     "to": status_badge(e.status_to) if e.status_to else None} for e in queries.history(cert)],
        "renewals": list(cert.renewals.only("pk", "status", "common_name").order_by("id")),
        "downloads": [{"format": f, "label": label,
                       "url": reverse("web:smime-download", kwargs={"pk": cert.pk, "fmt": f})}
                      for f, label in FORMAT_LABELS] if collectable else [],
        "revocation_reason": REVOCATION_REASON_LABELS.get(cert.revocation_reason) if cert.revoked_at else None,
        "actions": actions,
        "any_action": any(actions[k] for k in ("approve", "decline", "revoke", "renew")),
        "stamp": stamp(cert),
    }


@portal_view
def client_detail(request: HttpRequest, actor, pk) -> HttpResponse:
    cert = _get(actor, pk)
    context = _detail_context(actor, cert)
    if context["actions"]["keystore"]:
        context["passphrase_form"] = PassphraseForm()
    return render(request, "web/smime/client_detail.html", context)


def _done(request: HttpRequest, url: str) -> HttpResponse:
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_POST
@portal_view
def client_approve(request: HttpRequest, actor, pk) -> HttpResponse:
    cert = _get(actor, pk)
    policy.require(actor, Perm.APPROVE_SSL, cert)
    form = ApproveForm(request.POST)
    url = reverse("web:smime-detail", kwargs={"pk": cert.pk})
    if not form.is_valid():
        messages.error(request, _("The approval form is incomplete."))
        return _done(request, url)
    refusal = _refusal_when_stale(cert, form.cleaned_data["modified"], Status.APPLIED)
    if refusal:
        messages.error(request, refusal)
        return _done(request, url)
    try:
        cert = services.approve(actor, cert, message=form.cleaned_data["message"])
    except DomainError as err:
        if isinstance(err, (NotFound, PermissionDenied)):
            raise
        messages.error(request, translated(err.message))
    else:
        (messages.error if cert.status == Status.INVALID else messages.success)(request, _outcome(cert))
    return _done(request, url)


def _dialog(request: HttpRequest, cert: Certificate, form, *, title: str, partial: str, status: int = 200,
            extra: dict | None = None) -> HttpResponse:
    context = {"cert": cert, "form": form, "title": title, "partial": partial, "action_url": request.path,
               "multipart": "csr_file" in form.fields, **(extra or {})}
    if is_htmx(request):
        return render(request, partial, context, status=200)  # htmx swaps only 2xx answers
    return render(request, "web/smime/client_action.html", context, status=status)


@portal_view
def client_decline(request: HttpRequest, actor, pk) -> HttpResponse:
    cert = _get(actor, pk)
    policy.require(actor, Perm.DECLINE_SSL, cert)
    title = _("Decline the request")
    partial = "web/smime/_partials/decline_form.html"
    if request.method != "POST":
        return _dialog(request, cert, DeclineForm(initial={"modified": stamp(cert)}), title=title, partial=partial)
    form = DeclineForm(request.POST)
    if form.is_valid():
        refusal = _refusal_when_stale(cert, form.cleaned_data["modified"], Status.DECLINED)
        if refusal:
            form.add_error(None, refusal)
        else:
            try:
                declined = services.decline(actor, cert, form.cleaned_data["reason"])
            except DomainError as err:
                if isinstance(err, (NotFound, PermissionDenied)):
                    raise
                apply_error(form, err, FIELD_ALIASES)
            else:
                messages.success(request, _("Request %(id)s declined.") % {"id": declined.pk})
                return _done(request, reverse("web:smime-detail", kwargs={"pk": cert.pk}))
    return _dialog(request, cert, form, title=title, partial=partial, status=400)


@portal_view
def client_revoke(request: HttpRequest, actor, pk) -> HttpResponse:
    """The reason (RFC 5280 code and text), then the confirmation, then the revocation."""
    cert = _get(actor, pk)
    policy.require(actor, Perm.REVOKE_SSL, cert)
    title = _("Revoke the certificate")
    partial = "web/smime/_partials/revoke_form.html"
    if request.method != "POST":
        return _dialog(request, cert, ClientRevokeForm(initial={"modified": stamp(cert)}), title=title,
                       partial=partial)
    form = ClientRevokeForm(request.POST)
    if form.is_valid():
        refusal = _refusal_when_stale(cert, form.cleaned_data["modified"], Status.REVOKED)
        if refusal:
            form.add_error(None, refusal)
        else:
            if (asked := confirmation(
                    request, _l("Revoke this client certificate?"),
                    _("Certificate %(id)s of %(name)s is published as revoked in the CRL and OCSP answers: mail "
                      "clients stop trusting its signatures. This cannot be undone.")
                    % {"id": cert.pk, "name": cert.common_name}, _l("Revoke certificate"))):
                return asked
            try:
                revoked = services.revoke(actor, cert, form.cleaned_data["reason_code"],
                                          reason=form.cleaned_data["comment"])
            except DomainError as err:
                if isinstance(err, (NotFound, PermissionDenied)):
                    raise
                apply_error(form, err, FIELD_ALIASES)
            else:
                messages.success(request, _("Client certificate %(id)s revoked: it appears in the CRL and OCSP "
                                            "answers within a minute.") % {"id": revoked.pk})
                return _done(request, reverse("web:smime-detail", kwargs={"pk": cert.pk}))
    return _dialog(request, cert, form, title=title, partial=partial, status=400)


@portal_view
def client_renew(request: HttpRequest, actor, pk) -> HttpResponse:
    cert = _get(actor, pk)
    policy.require(actor, Perm.RENEW_SSL, cert)
    escrowed = smime.is_escrowed(cert)
    title = _("Renew the certificate")
    partial = "web/smime/_partials/renew_form.html"
    extra = {"escrowed": escrowed}
    if request.method != "POST":
        return _dialog(request, cert, ClientRenewForm(initial={"modified": stamp(cert)}), title=title,
                       partial=partial, extra=extra)
    form = ClientRenewForm(request.POST, request.FILES or None)
    if form.is_valid():
        refusal = _refusal_when_stale(cert, form.cleaned_data["modified"])
        if refusal:
            form.add_error(None, refusal)
        else:
            try:
                new = smime.renew_smime(actor, cert, csr_pem=form.cleaned_data["csr"] or None)
            except DomainError as err:
                if isinstance(err, (NotFound, PermissionDenied)):
                    raise
                apply_error(form, err, FIELD_ALIASES)
            else:
                (messages.error if new.status == Status.INVALID else messages.success)(
                    request, _("Renewal of certificate %(old)s: %(outcome)s") % {"old": cert.pk,
                                                                                "outcome": _outcome(new)})
                target = ("web:smime-keystore" if new.status == Status.ISSUED and smime.is_escrowed(new)
                          else "web:smime-detail")
                return _done(request, reverse(target, kwargs={"pk": new.pk}))
    return _dialog(request, cert, form, title=title, partial=partial, status=400, extra=extra)


# ---------------------------------------------------------------------------
# Downloads


@portal_view
def client_download(request: HttpRequest, actor, pk, fmt: str) -> HttpResponse:
    """One SCM collect format; out of scope and unknown formats are 404, like missing."""
    cert = _get(actor, pk)
    try:
        fmt = formats.parse_format(fmt)
    except UnknownFormat:
        return error_page(request, None, status=404)
    try:
        download = imports.collect(actor, cert, fmt)
    except CertificateError as err:
        if isinstance(err, (NotFound, PermissionDenied)):
            raise
        messages.error(request, translated(err.message))
        return redirect("web:smime-detail", pk=cert.pk)
    response = HttpResponse(download.content, content_type=CONTENT_TYPES.get(fmt, PEM_CONTENT_TYPE))
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@portal_view
def client_keystore(request: HttpRequest, actor, pk) -> HttpResponse:
    """The escrowed key with its certificate and chain as PKCS #12, encrypted with the passphrase typed
    twice (never shown again, never stored); every download is audited by `smime.keystore`."""
    cert = _get(actor, pk)
    policy.require(actor, Perm.RECOVER_KEY, cert)
    if request.method != "POST" and not (cert.status in SIGNED_STATUSES and smime.is_escrowed(cert)):
        # nothing to download (yet): say why on the certificate's page
        messages.error(request, _("There is no key to download for this certificate: it was requested with a CSR "
                                  "(the key stays with its holder), or it is not issued.")
                       if not smime.is_escrowed(cert) or cert.status not in (Status.REQUESTED, Status.APPLIED)
                       else _("The key can be downloaded once the certificate is issued."))
        return redirect("web:smime-detail", pk=cert.pk)
    status = 200
    if request.method == "POST":
        form = PassphraseForm(request.POST)
        if form.is_valid():
            try:
                content = smime.keystore(actor, cert, passphrase=form.cleaned_data["passphrase"],
                                         encryption_type=form.cleaned_data["encryption"])
            except DomainError as err:
                if isinstance(err, (NotFound, PermissionDenied)):
                    raise
                apply_error(form, err, FIELD_ALIASES)
            else:
                response = HttpResponse(content, content_type=PKCS12_CONTENT_TYPE)
                response["Content-Disposition"] = f'attachment; filename="client_certificate_{cert.pk}.p12"'
                return no_store(response)
        status = 400
    else:
        form = PassphraseForm()
    context = _detail_context(actor, cert)
    context["passphrase_form"] = form
    return no_store(render(request, "web/smime/client_keystore.html", context, status=status))


# ---------------------------------------------------------------------------
# A person's certificates (persons' page)


def person_certificates(actor, person) -> dict:
    """What the person's page shows of its client certificates (persons.person_detail)."""
    qs = smime.certificates_of(actor, person).select_related("profile").order_by("-id")
    shown = list(qs[:PERSON_CERTIFICATES_SHOWN + 1])
    more = len(shown) > PERSON_CERTIFICATES_SHOWN
    shown = shown[:PERSON_CERTIFICATES_SHOWN]
    issued = qs.filter(status=Status.ISSUED).exists()
    return {
        "client_certificates": [{"cert": c, "status": status_badge(c.status)} for c in shown],
        "client_certificates_more": more,
        "can_request_client": policy.can(actor, Perm.REQUEST_SMIME, person.organization),
        "can_revoke_all": issued,
        "revoke_all_form": RevokeAllForm() if issued else None,
    }


@require_POST
@portal_view
def person_revoke_all(request: HttpRequest, actor, pk) -> HttpResponse:
    """Revoke every issued client certificate of the person (all or none), after the confirmation."""
    person = person_queries.get_person(actor, pk)
    policy.require(actor, Perm.VIEW_PERSON, person)
    url = reverse("web:person-detail", kwargs={"pk": person.pk})
    form = RevokeAllForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a revocation reason."))
        return _done(request, url)
    count = smime.certificates_of(actor, person).filter(status=Status.ISSUED).count()
    if (asked := confirmation(
            request, _l("Revoke all the client certificates of this person?"),
            _("The %(count)s issued client certificate(s) of %(name)s are published as revoked in the CRL and OCSP "
              "answers. This cannot be undone.") % {"count": count, "name": person.common_name},
            _l("Revoke all"))):
        return asked
    try:
        revoked = smime.revoke_person(actor, person, form.cleaned_data["reason_code"],
                                      reason=form.cleaned_data["comment"])
    except DomainError as err:
        if isinstance(err, (NotFound, PermissionDenied)):
            raise
        messages.error(request, translated(err.message))
    else:
        messages.success(request, _("%(count)s client certificate(s) of %(name)s revoked.")
                         % {"count": len(revoked), "name": person.common_name})
    return _done(request, url)


__all__ = ["client_list", "client_create", "client_detail", "client_approve", "client_decline", "client_revoke",
           "client_renew", "client_download", "client_keystore", "person_certificates", "person_revoke_all"]
