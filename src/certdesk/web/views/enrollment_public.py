"""The public SSL self-enrollment page (no login; seed 003 §7.4.2): step 1 the requester's email
and the form's access code, step 2 the request; then a confirmation, and the certificate's public
page reached from the requester's email (an unguessable link per certificate).

Which forms exist is never revealed: an unknown form shows the same step 1 as a real one, and
an unknown form, a disabled one or a wrong code get the same message (rate-limited)."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from certdesk.certificates import formats
from certdesk.certificates.services import system_actor
from certdesk.certificates.states import PENDING_STATUSES, Status
from certdesk.core.errors import DomainError
from certdesk.core.net import client_ip
from certdesk.enrollment import queries, services
from certdesk.enrollment.errors import AccessRefused
from certdesk.enrollment.models import WebFormAccount

from ..forms.enrollment import EnrollAccessForm, EnrollRequestForm
from ..labels import translated
from .base import apply_error, no_store

SESSION_PREFIX = "certdesk.enroll."
# Service field names → form fields (certificates.services speaks SCM's names).
REQUEST_FIELDS = {"subjAltNames": "subject_alt_names", "commonName": "subject_alt_names", "csr": "csr",
                  "term": "term", "certType": "profile", "comments": "comments", "autoRenew": "auto_renew",
                  "profile": "profile", "auto_renew": "auto_renew"}
DOWNLOADS = (
    ("x509CO", gettext_lazy("Certificate only, PEM")),
    ("x509R", gettext_lazy("Certificate and chain (leaf first), PEM")),
    ("pemia", gettext_lazy("Certificate and its issuer, PEM")),
    ("x509", gettext_lazy("Chain from the root down to the certificate, PEM")),
    ("base64", gettext_lazy("PKCS#7, PEM")),
    ("bin", gettext_lazy("PKCS#7, DER (.p7b)")),
)


def _private(response: HttpResponse) -> HttpResponse:
    """The slug or token is in the URL: never sent on as a referrer, never cached, never indexed."""
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return no_store(response)


def _key(slug: str) -> str:
    return f"{SESSION_PREFIX}{slug[:64]}"


def _session_account(request: HttpRequest, slug: str) -> tuple[WebFormAccount, dict] | tuple[None, None]:
    state = request.session.get(_key(slug))
    if not isinstance(state, dict):
        return None, None
    try:
        account = services.form_for_session(slug, state.get("stamp"))
    except AccessRefused:
        request.session.pop(_key(slug), None)
        return None, None
    return account, state


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def enroll_access(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 1: the requester's email and the access code."""
    if request.method == "POST" and request.POST.get("action") == "leave":
        request.session.pop(_key(slug), None)
        return redirect("web:enroll-ssl", slug=slug)
    account, _state = _session_account(request, slug)
    if account is not None and request.method != "POST":
        return redirect("web:enroll-ssl-request", slug=slug)
    form = EnrollAccessForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                email = services.clean_requester_email(form.cleaned_data["email"])
                account = services.open_form(slug, form.cleaned_data["access_code"], ip=client_ip(request))
            except DomainError as err:
                apply_error(form, err)
            else:
                request.session.cycle_key()
                request.session[_key(slug)] = {"stamp": services.session_stamp(account), "email": email}
                return redirect("web:enroll-ssl-request", slug=slug)
    return _private(render(request, "web/enrollment/public_access.html", {"form": form, "slug": slug},
                           status=status))


def _terms(profiles) -> list[int]:
    now = timezone.now()
    return sorted({t for p in profiles for t in p.effective_terms(now)})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def enroll_request(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 2: the request, through the one certificate pipeline."""
    account, state = _session_account(request, slug)
    if account is None:
        messages.warning(request, _("Enter the access code of the form first."))
        return redirect("web:enroll-ssl", slug=slug)
    profiles = queries.offered_profiles(account)
    kwargs = {"profiles": profiles, "terms": _terms(profiles), "allow_auto_renew": account.allow_auto_renew}
    status = 200
    if request.method == "POST":
        status = 400
        form = EnrollRequestForm(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                cert = services.request_certificate(
                    account, email=state.get("email"), profile_id=data["profile"], csr_pem=data["csr"],
                    term=data["term"], subject_alt_names=data["subject_alt_names"], comments=data["comments"],
                    auto_renew=bool(data.get("auto_renew")), ip=client_ip(request))
            except AccessRefused:
                request.session.pop(_key(slug), None)
                messages.warning(request, _("Enter the access code of the form first."))
                return redirect("web:enroll-ssl", slug=slug)
            except DomainError as err:
                apply_error(form, err, REQUEST_FIELDS)
            else:
                request.session[_key(slug)] = {**state, "last": cert.pk}
                return redirect("web:enroll-ssl-done", slug=slug)
    else:
        form = EnrollRequestForm(**kwargs)
    return _private(render(request, "web/enrollment/public_request.html", {
        "form": form, "account": account, "email": state.get("email"), "slug": slug, "profiles": profiles,
    }, status=status))


@never_cache
@require_http_methods(["GET", "HEAD"])
def enroll_done(request: HttpRequest, slug: str) -> HttpResponse:
    """The confirmation: the request id, its status and the link to the certificate's page."""
    account, state = _session_account(request, slug)
    cert_id = state.get("last") if state else None
    request_row = (account.requests.select_related("certificate", "certificate__profile")
                   .filter(certificate_id=cert_id).first() if account is not None and cert_id else None)
    if request_row is None:
        return redirect("web:enroll-ssl", slug=slug)
    cert = request_row.certificate
    return _private(render(request, "web/enrollment/public_done.html", {
        "account": account, "cert": cert, "email": request_row.email, "slug": slug,
        "certificate_url": queries.public_download_url(cert), "pending": cert.status in PENDING_STATUSES,
    }))


def _public_certificate(pk, token):
    cert = queries.public_certificate(pk, token)
    if cert is None:
        raise Http404()
    return cert


@never_cache
@require_http_methods(["GET", "HEAD"])
def enroll_certificate(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The page of a self-enrolled certificate: its status and, once issued, its downloads."""
    cert = _public_certificate(pk, token)
    downloadable = cert.status == Status.ISSUED and not cert.profile.validation_only
    return _private(render(request, "web/enrollment/public_certificate.html", {
        "cert": cert, "token": token, "downloadable": downloadable,
        "downloads": DOWNLOADS if downloadable else [],
        "pending": cert.status in PENDING_STATUSES,
    }))


@never_cache
@require_http_methods(["GET", "HEAD"])
def enroll_certificate_download(request: HttpRequest, pk: int, token: str, fmt: str) -> HttpResponse:
    cert = _public_certificate(pk, token)
    try:
        download = formats.collect(system_actor(cert.customer, "self-enrollment download"), cert, fmt)
    except DomainError as err:
        response = render(request, "web/enrollment/public_certificate.html", {
            "cert": cert, "token": token, "downloadable": False, "downloads": [], "error": translated(err.message),
            "pending": cert.status in PENDING_STATUSES,
        }, status=404 if err.status == 404 else 400)
        return _private(response)
    response = HttpResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return _private(response)
