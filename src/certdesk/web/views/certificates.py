"""Certificates → SSL Certificates (issue 4): the list with the shared filter contract, the
certificate page with its actions (approve, decline, revoke, renew, replace, edit), the request
wizard and the downloads in every SCM collect format.

Views parse, call one service of `certdesk.certificates`, render. The list stays fast with a
million certificates: one query for the page (joined, only the columns shown), a count capped
at COUNT_CAP rows, orderings on indexed columns, and the names LIKE scan only for a search.
"""
from __future__ import annotations

import heapq
from datetime import UTC, timedelta

from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.certificates import formats, imports, queries, services, states
from certdesk.certificates.errors import CertificateError, UnknownFormat
from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status
from certdesk.core.errors import DomainError
from certdesk.tenancy.models import CertType, Organization

from ..forms.certificates import (
    REVOCATION_REASON_LABELS,
    SORT_COLUMNS,
    STATUS_CSS,
    STATUS_LABELS,
    ApproveForm,
    CertificateFilterForm,
    DeclineForm,
    EditForm,
    RenewForm,
    ReplaceForm,
    RequestForm,
    RevokeForm,
)
from ..labels import translated
from .base import apply_error, error_page, is_htmx, portal_view
from ..paging import COUNT_CAP, capped_count

# Rows counted at most: beyond, the list says "more than" and asks for narrower filters, so no
# request ever counts a million rows (nor pages past that many with OFFSET).
TABLE_TARGET = "certificate-table"
PANEL_TARGET = "certificate-panel"
SANS_SHOWN = 2
LIST_COLUMNS = (
    "id", "kind", "customer_id", "organization", "organization__name", "organization__parent",
    "organization__parent__name", "profile", "profile__name", "status", "common_name", "subject_alt_names",
    "not_after", "requester_label", "requested_via", "created",
)

# Service field names (SCM's) → the wizard's and the action forms' fields.
FIELD_ALIASES = {
    "orgId": "organization", "organization": "organization", "certType": "profile", "term": "term",
    "csr": "csr", "commonName": "common_name", "subjAltNames": "sans", "subjectAlternativeNames": "sans",
    "externalRequester": "external_requester", "comments": "comments", "daysBeforeExpiration": "days_before",
    "autoRenew": "auto_renew", "reasonCode": "reason_code", "message": "reason",
}

# SCM collect formats (certdesk-decisions "SSL", seed 003 §7.6), in the order SCM offers them.
FORMAT_LABELS = (
    ("x509CO", gettext_lazy("Certificate only, PEM encoded")),
    ("pemia", gettext_lazy("Certificate (w/ issuer after), PEM encoded")),
    ("x509R", gettext_lazy("Certificate (w/ chain, certificate first), PEM encoded")),
    ("x509", gettext_lazy("Certificate (w/ chain, root first), PEM encoded")),
    ("bin", gettext_lazy("PKCS#7, DER encoded (.p7b)")),
    ("base64", gettext_lazy("PKCS#7, PEM encoded")),
    ("x509IO", gettext_lazy("Root/Intermediate(s) only, PEM encoded")),
    ("x509IOR", gettext_lazy("Intermediate(s)/Root only, PEM encoded")),
    ("pemco", gettext_lazy("Certificate only, PEM encoded (pemco, same as x509CO)")),
    ("pem", gettext_lazy("Certificate (w/ chain), PEM encoded (pem, same as x509R)")),
)
# The history's actions (CertificateEvent.action, plain English in the core), as the portal shows them.
HISTORY_ACTIONS = {
    "requested": pgettext_lazy("certificate event", "Requested"),
    "renewal requested": pgettext_lazy("certificate event", "Renewal requested"),
    "replacement requested": pgettext_lazy("certificate event", "Replacement requested"),
    "auto-approved": pgettext_lazy("certificate event", "Auto-approved"),
    "approved": pgettext_lazy("certificate event", "Approved"),
    "declined": pgettext_lazy("certificate event", "Declined"),
    "issued": pgettext_lazy("certificate event", "Issued"),
    "issuance failed": pgettext_lazy("certificate event", "Issuance failed"),
    "replaced": pgettext_lazy("certificate event", "Replaced"),
    "revoked": pgettext_lazy("certificate event", "Revoked"),
    "expired": pgettext_lazy("certificate event", "Expired"),
    "edited": pgettext_lazy("certificate event", "Edited"),
    "auto-renewal failed": pgettext_lazy("certificate event", "Auto-renewal failed"),
}
CONTENT_TYPES = {"bin": "application/x-pkcs7-certificates", "base64": "application/x-pem-file"}
PEM_CONTENT_TYPE = "application/x-pem-file"
COLLECTABLE = (Status.ISSUED, Status.EXPIRED)


def status_badge(status: str) -> dict:
    return {"value": status, "css": STATUS_CSS.get(status, "neutral"), "label": STATUS_LABELS.get(status, status)}


def _ssl_organizations(actor, *, names_only: bool = False) -> list[Organization]:
    """Organizations and departments where the actor holds an SSL role (one query). `names_only`:
    just what a filter's choices show (an MRAO of a large network has hundreds of them, and whole
    rows cost a list page 100 ms of datetime parsing)."""
    qs = policy.scope(actor, Organization.objects.select_related("parent"), cert_type=CertType.SSL)
    if names_only:
        qs = qs.only("id", "name", "customer_id", "parent_id", "parent__id", "parent__name", "parent__customer_id")
    return list(qs.order_by("name", "id"))


def _org_label(org: Organization) -> str:
    return f"{org.parent.name} / {org.name}" if org.parent_id else org.name


def stamp(cert: Certificate) -> str:
    """The version of the certificate a form was rendered from (its `modified`, to the microsecond)."""
    return cert.modified.astimezone(UTC).strftime("%Y%m%d%H%M%S%f") if cert.modified else ""


def _get(actor, pk) -> Certificate:
    return queries.get_certificate(actor, pk)


# ---------------------------------------------------------------------------
# List


def _filtered(actor, values: dict, now):
    qs = queries.listable_certificates(actor, organization_id=values["org"])
    if values["status"]:
        statuses = values["status"]
        qs = qs.filter(status=statuses[0]) if len(statuses) == 1 else qs.filter(status__in=statuses)
    if values["profile"] is not None:
        qs = qs.filter(profile_id=values["profile"])
    if values["expires_in"] is not None:
        # Issued certificates whose notAfter falls within the next N days (index (status, not_after)).
        qs = qs.filter(status=Status.ISSUED, not_after__gt=now,
                       not_after__lte=now + timedelta(days=values["expires_in"]))
    if values["awaiting"]:
        qs = queries.awaiting_approval(actor, qs)
    if values["requested_via"]:
        qs = qs.filter(requested_via=values["requested_via"])
    if values["acme_account"] is not None:
        from certdesk.acme.models import AcmeOrder

        qs = qs.filter(pk__in=AcmeOrder.objects.filter(client__account_id=values["acme_account"],
                                                        certificate__isnull=False).values("certificate_id"))
    if values["q"]:
        qs = queries.matching(qs, values["q"])
    return qs


def _sort(values: dict) -> str:
    """The sort in use: the one asked for, else soonest expiry first for `expires_in`, else newest first."""
    return values["sort"] or ("expires" if values["expires_in"] is not None else "-id")


def _ids_by_expiry(qs, statuses, descending: bool, stop: int) -> list[int]:
    """The first `stop` ids in notAfter order (then id), certificates without one last.

    One ordered, limited query per status walks the (status, not_after) index; the runs are merged
    here. A single ORDER BY not_after over every status would sort the whole table instead."""
    order = ["-not_after", "-id"] if descending else ["not_after", "id"]
    dated = qs.filter(not_after__isnull=False)
    runs = [list(dated.filter(status=status).order_by(*order).values_list("not_after", "pk")[:stop])
            for status in statuses]
    ids = [pk for _, pk in heapq.merge(*runs, reverse=descending)][:stop]
    if len(ids) < stop:  # every dated one is in: then the requests without a date yet
        undated = qs.filter(not_after__isnull=True).order_by("-id" if descending else "id")
        ids += list(undated.values_list("pk", flat=True)[:stop - len(ids)])
    return ids


def _page_ids(qs, values: dict, sort: str, start: int, stop: int) -> list[int]:
    """Ids of rows [start, stop) in the sort's order, read from indexes only."""
    descending = sort.startswith("-")
    if SORT_COLUMNS[sort.lstrip("-")] == "id" or values["q"]:
        # With a search the name scan dominates: one plain ORDER BY, not one scan per status.
        if sort.lstrip("-") == "id":
            order = ["-id"] if descending else ["id"]
        else:
            order = [F("not_after").desc(nulls_last=True), "-id"] if descending else [
                F("not_after").asc(nulls_last=True), "id"]
        return list(qs.order_by(*order).values_list("pk", flat=True)[start:stop])
    if values["expires_in"] is not None:
        statuses = [Status.ISSUED]
    else:
        statuses = values["status"] or list(Status.values)
    return _ids_by_expiry(qs, statuses, descending, stop)[start:stop]


def _query_string(request: HttpRequest, **changes) -> str:
    """The current filters with some parameters changed (a new sort or page starts at page 1)."""
    params = request.GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = str(value)
    return params.urlencode()


def _sort_links(request: HttpRequest, current: str) -> dict:
    links = {}
    for key in SORT_COLUMNS:
        if current == key:
            wanted, state = f"-{key}", "ascending"
        elif current == f"-{key}":
            wanted, state = key, "descending"
        else:
            wanted, state = (f"-{key}" if key == "id" else key), "none"
        links[key] = {"query": _query_string(request, sort=wanted), "state": state}
    return links


def _row(cert: Certificate) -> dict:
    sans = [n for n in cert.names if n != cert.common_name]
    return {
        "cert": cert,
        "sans_count": len(sans),
        "sans_excerpt": sans[:SANS_SHOWN],
        "sans_more": max(0, len(sans) - SANS_SHOWN),
        "organization": _org_label(cert.organization),
        "status": status_badge(cert.status),
    }


def _page_number(raw) -> int:
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


@portal_view
def certificate_list(request: HttpRequest, actor) -> HttpResponse:
    organizations = _ssl_organizations(actor, names_only=True)
    profiles = list(queries.profiles_for(actor.customer, include_inactive=True))
    params = {k: v for k, v in request.GET.lists() if k != "page"}
    form = CertificateFilterForm(request.GET if params else None, organizations=organizations, profiles=profiles)
    invalid = form.is_bound and not form.is_valid()
    values = form.values()
    now = timezone.now()
    sort = _sort(values)
    size = values["size"]
    qs = Certificate.objects.none() if invalid else _filtered(actor, values, now)
    searching = bool(values["q"])

    def fetch(page_number: int, extra: int = 0) -> list[Certificate]:
        """The page's ids on the certificate table alone (filter, order, limit), then those rows
        with their organization and profile: a sort never drags joins over a million rows."""
        start = (page_number - 1) * size
        if invalid or start >= COUNT_CAP:
            return []
        page_ids = _page_ids(qs, values, sort, start, min(start + size + extra, COUNT_CAP + extra))
        found = Certificate.objects.filter(pk__in=page_ids).select_related(
            "organization", "organization__parent", "profile").only(*LIST_COLUMNS).in_bulk()
        return [found[pk] for pk in page_ids if pk in found]

    number = _page_number(request.GET.get("page"))
    if searching:
        # A search scans the names once: no COUNT, one row more tells whether a next page exists.
        certs = fetch(number, extra=1)
        more, certs = len(certs) > size, certs[:size]
        total, capped, pages = None, False, number + (1 if more and number * size < COUNT_CAP else 0)
    else:
        certs = fetch(number)
        if number == 1 and len(certs) < size:
            total = len(certs)  # everything is on this page: no COUNT
        else:
            total = capped_count(qs)
        capped = total > COUNT_CAP
        pages = max(1, -(-min(total, COUNT_CAP) // size))
        if number > pages:  # past the end (or the cap): the last page
            number = pages
            certs = fetch(number)
        total = min(total, COUNT_CAP)
    offset = (number - 1) * size
    rows = [_row(c) for c in certs]
    filtered = any(k for k in params if k not in ("sort", "size"))
    context = {
        "form": form,
        "rows": rows,
        "total": total,
        "capped": capped,
        "count_cap": COUNT_CAP,
        "page": {
            "number": number, "pages": pages, "known": total is not None,
            "first": offset + 1 if rows else 0, "last": offset + len(rows),
            "previous": _query_string(request, page=number - 1) if number > 1 else None,
            "next": _query_string(request, page=number + 1) if number < pages else None,
        },
        "sort": sort,
        "sort_links": _sort_links(request, sort),
        "filtered": filtered,
        "invalid": invalid,
        "can_request": any(policy.can(actor, Perm.REQUEST_SSL, o) for o in organizations),
        "awaiting_link": "?" + urlencode({"awaiting": "me"}),
        "acme_account": values["acme_account"],
        "sort_refused": values["sort_refused"],
    }
    if is_htmx(request) and request.headers.get("HX-Target") == TABLE_TARGET:
        return render(request, "web/certificates/_partials/certificate_table.html", context)
    return render(request, "web/certificates/certificate_list.html", context)


# ---------------------------------------------------------------------------
# Detail and in-place actions


def _x509_facts(cert: Certificate) -> dict | None:
    signed = cert.certificate()
    if signed is None:
        return None
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import SignatureAlgorithmOID

    known = {oid: name for name, oid in vars(SignatureAlgorithmOID).items() if not name.startswith("_")}
    oid = signed.signature_algorithm_oid
    algorithm = known.get(oid, oid.dotted_string)  # e.g. RSA_WITH_SHA384
    return {
        "subject": signed.subject.rfc4514_string(),
        "issuer": signed.issuer.rfc4514_string(),
        "sha256": signed.fingerprint(hashes.SHA256()).hex(":").upper(),
        "signature_algorithm": algorithm,
        "pem": cert.pem,
    }


def _serial_text(cert: Certificate) -> str:
    if not cert.serial_hex:
        return ""
    text = f"{int(cert.serial_hex, 16):X}"
    return text.rjust(len(text) + len(text) % 2, "0")


def _actions(actor, cert: Certificate) -> dict:
    status = cert.status
    can = lambda perm: policy.can(actor, perm, cert)  # noqa: E731
    return {
        "approve": status == Status.REQUESTED and can(Perm.APPROVE_SSL),
        "decline": status == Status.REQUESTED and can(Perm.DECLINE_SSL),
        "revoke": status == Status.ISSUED and can(Perm.REVOKE_SSL),
        "renew": status in services.RENEWABLE and can(Perm.RENEW_SSL),
        "replace": status == Status.ISSUED and can(Perm.RENEW_SSL) and can(Perm.REVOKE_SSL),
        "edit": can(Perm.EDIT_SSL),
    }


def _detail_context(actor, cert: Certificate, *, notice: str = "", error: str = "") -> dict:
    cert = Certificate.objects.select_related(
        "organization", "organization__parent", "profile", "ca", "requester", "approver", "renewal_of",
        "replaces", "replaced_by").get(pk=cert.pk)
    collectable = (cert.status in COLLECTABLE and cert.der and not cert.profile.validation_only)
    actions = _actions(actor, cert)
    return {
        "cert": cert,
        "status": status_badge(cert.status),
        "organization": _org_label(cert.organization),
        "sans": [n for n in cert.names if n != cert.common_name],
        "serial": _serial_text(cert),
        "x509": _x509_facts(cert),
        "history": [{"event": e, "action": HISTORY_ACTIONS.get(e.action, e.action),
                     "from": status_badge(e.status_from) if e.status_from else None,
                     "to": status_badge(e.status_to) if e.status_to else None} for e in queries.history(cert)],
        "renewals": list(cert.renewals.only("pk", "status", "common_name").order_by("id")),
        "replacements": list(cert.replacements.only("pk", "status", "common_name").order_by("id")),
        "downloads": [{"format": f, "label": label,
                       "url": reverse("web:certificate-download", kwargs={"pk": cert.pk, "fmt": f})}
                      for f, label in FORMAT_LABELS] if collectable else [],
        "revocation_reason": REVOCATION_REASON_LABELS.get(cert.revocation_reason) if cert.revoked_at else None,
        "actions": actions,
        "any_action": any(actions.values()),
        "stamp": stamp(cert),
        "notice": notice,
        "error": error,
    }


@portal_view
def certificate_detail(request: HttpRequest, actor, pk) -> HttpResponse:
    cert = _get(actor, pk)
    context = _detail_context(actor, cert)
    if is_htmx(request) and request.headers.get("HX-Target") == PANEL_TARGET:
        return render(request, "web/certificates/_partials/certificate_panel.html", context)
    return render(request, "web/certificates/certificate_detail.html", context)


def _refusal_when_stale(cert: Certificate, sent: str, target: str | None = None) -> str:
    """'' when the form was rendered from the certificate as it is now; otherwise why nothing was done.

    When the status no longer allows the action, the status rule says it best ("This request has
    already been approved."); any other change gets the generic refusal."""
    if sent and sent == stamp(cert):
        return ""
    if target is not None:
        try:
            states.check(cert.status, target)
        except DomainError as err:
            return translated(err.message)
    return _("This certificate was changed since this page was shown (it is now %(status)s). Nothing was done: "
             "check it and try again.") % {"status": STATUS_LABELS.get(cert.status, cert.status)}


def _panel_or_redirect(request, actor, cert: Certificate, *, notice: str = "", error: str = "") -> HttpResponse:
    if is_htmx(request):
        return render(request, "web/certificates/_partials/certificate_panel.html",
                      _detail_context(actor, cert, notice=notice, error=error))
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect("web:certificate-detail", pk=cert.pk)


def _outcome(cert: Certificate) -> str:
    """What happened to a request just approved or made (issued at once, failed, waiting)."""
    if cert.status == Status.ISSUED:
        return _("Certificate %(id)s issued.") % {"id": cert.pk}
    if cert.status == Status.INVALID:
        return _("Issuance of certificate %(id)s failed: %(reason)s") % {"id": cert.pk,
                                                                          "reason": translated(cert.reason)}
    if cert.status == Status.APPLIED:
        return _("Certificate %(id)s approved: it is being issued.") % {"id": cert.pk}
    return _("Certificate %(id)s requested: it awaits the approval of an administrator.") % {"id": cert.pk}


@require_POST
@portal_view
def certificate_approve(request: HttpRequest, actor, pk) -> HttpResponse:
    """Approve in place. A double click sends twice: the second finds the request approved (the
    service locks the row and checks the status), and says so."""
    cert = _get(actor, pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _panel_or_redirect(request, actor, cert, error=_("The approval form is incomplete."))
    refusal = _refusal_when_stale(cert, form.cleaned_data["modified"], Status.APPLIED)
    if refusal:
        return _panel_or_redirect(request, actor, cert, error=refusal)
    try:
        cert = services.approve(actor, cert, message=form.cleaned_data["message"])
    except DomainError as err:
        return _panel_or_redirect(request, actor, cert, error=translated(err.message))
    if cert.status == Status.INVALID:
        return _panel_or_redirect(request, actor, cert, error=_outcome(cert))
    return _panel_or_redirect(request, actor, cert, notice=_outcome(cert))


def _dialog_action(request: HttpRequest, actor, pk, *, perm: Perm, form_class, title: str, partial: str,
                   perform, target: str | None = None, initial: dict | None = None,
                   aliases: dict | None = None) -> HttpResponse:
    """An action behind the confirmation dialog (or its own page without JavaScript): GET shows the
    form, POST checks the stamp, calls `perform(cert, data) -> (certificate to show, message)`."""
    cert = _get(actor, pk)
    policy.require(actor, perm, cert)
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, request.FILES or None)
        if form.is_valid():
            refusal = _refusal_when_stale(cert, form.cleaned_data["modified"], target)
            if refusal:
                form.add_error(None, refusal)
            else:
                try:
                    shown, notice = perform(cert, form.cleaned_data)
                except DomainError as err:
                    apply_error(form, err, {**FIELD_ALIASES, **(aliases or {})})
                else:
                    (messages.error if shown.status == Status.INVALID else messages.success)(request, notice)
                    url = reverse("web:certificate-detail", kwargs={"pk": shown.pk})
                    if is_htmx(request):
                        response = HttpResponse(status=204)
                        response["HX-Redirect"] = url
                        return response
                    return redirect(url)
        # htmx swaps only 2xx answers: the dialog shows the errors with 200, the page with 400.
        status = 200 if is_htmx(request) else 400
    else:
        form = form_class(initial={"modified": stamp(cert), **(initial or {})})
    context = {"cert": cert, "form": form, "title": title, "partial": partial,
               "action_url": request.path, "multipart": "csr_file" in form.fields}
    if is_htmx(request):
        return render(request, partial, context, status=status)
    return render(request, "web/certificates/certificate_action.html", context, status=status)


@portal_view
def certificate_decline(request: HttpRequest, actor, pk) -> HttpResponse:
    def perform(cert, data):
        declined = services.decline(actor, cert, data["reason"])
        return declined, _("Request %(id)s declined.") % {"id": declined.pk}

    return _dialog_action(request, actor, pk, perm=Perm.DECLINE_SSL, form_class=DeclineForm,
                          title=_("Decline the request"), partial="web/certificates/_partials/decline_form.html",
                          perform=perform, target=Status.DECLINED)


@portal_view
def certificate_revoke(request: HttpRequest, actor, pk) -> HttpResponse:
    def perform(cert, data):
        revoked = services.revoke(actor, cert, data["reason_code"], reason=data["comment"])
        return revoked, _("Certificate %(id)s revoked: it appears in the CRL and OCSP answers within a "
                          "minute.") % {"id": revoked.pk}

    return _dialog_action(request, actor, pk, perm=Perm.REVOKE_SSL, form_class=RevokeForm,
                          title=_("Revoke the certificate"), partial="web/certificates/_partials/revoke_form.html",
                          perform=perform, target=Status.REVOKED, aliases={"reason": "comment"})


@portal_view
def certificate_renew(request: HttpRequest, actor, pk) -> HttpResponse:
    def perform(cert, data):
        new = services.renew(actor, cert, csr_pem=data["csr"] or None)
        return new, _("Renewal of certificate %(old)s: %(outcome)s") % {"old": cert.pk, "outcome": _outcome(new)}

    return _dialog_action(request, actor, pk, perm=Perm.RENEW_SSL, form_class=RenewForm,
                          title=_("Renew the certificate"), partial="web/certificates/_partials/renew_form.html",
                          perform=perform)


@portal_view
def certificate_replace(request: HttpRequest, actor, pk) -> HttpResponse:
    def perform(cert, data):
        policy.require(actor, Perm.REVOKE_SSL, cert)
        new = services.replace(actor, cert, csr_pem=data["csr"], common_name=data["common_name"] or None,
                               subject_alt_names=data["sans"] or None, reason=data["reason"])
        return new, _("Replacement of certificate %(old)s: %(outcome)s The old certificate is revoked as superseded "
                      "once the new one is issued.") % {"old": cert.pk, "outcome": _outcome(new)}

    return _dialog_action(request, actor, pk, perm=Perm.RENEW_SSL, form_class=ReplaceForm,
                          title=_("Replace the certificate"), partial="web/certificates/_partials/replace_form.html",
                          perform=perform, aliases={"reason": "reason", "message": "reason"})


@portal_view
def certificate_edit(request: HttpRequest, actor, pk) -> HttpResponse:
    def perform(cert, data):
        updated = services.update_certificate(actor, cert, comments=data["comments"],
                                              external_requester=data["external_requester"],
                                              auto_renew=data["auto_renew"], days_before=data["days_before"])
        return updated, _("Certificate %(id)s saved.") % {"id": updated.pk}

    cert = _get(actor, pk)
    initial = {"comments": cert.comments, "external_requester": cert.external_requester.replace(",", ", "),
               "auto_renew": cert.auto_renew, "days_before": cert.days_before}
    return _dialog_action(request, actor, pk, perm=Perm.EDIT_SSL, form_class=EditForm,
                          title=_("Edit the certificate details"), partial="web/certificates/_partials/edit_form.html",
                          perform=perform, initial=initial)


# ---------------------------------------------------------------------------
# Request wizard


def _terms(profiles, selected, now) -> list[int]:
    if selected is not None:
        return selected.effective_terms(now)
    return sorted({t for p in profiles for t in p.effective_terms(now)})


def _profile_id(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@portal_view
def certificate_create(request: HttpRequest, actor) -> HttpResponse:
    organizations = [o for o in _ssl_organizations(actor) if policy.can(actor, Perm.REQUEST_SSL, o)]
    if not organizations:
        # e.g. a fresh installation: say what to do rather than a bare "not allowed"
        return render(request, "web/portal/error.html", {
            "title": _("Not allowed"),
            "text": _("There is no organization or department you may request SSL certificates for. An "
                      "organization must exist and you need the SSL role on it (or on one of its departments)."),
        }, status=403)
    profiles = list(queries.profiles_for(actor.customer))
    by_id = {p.pk: p for p in profiles}
    now = timezone.now()
    source = request.POST if request.method == "POST" else request.GET
    selected = by_id.get(_profile_id(source.get("profile")))
    terms = _terms(profiles, selected, now)
    status = 200
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, organizations=organizations, profiles=profiles, terms=terms)
        if form.is_valid():
            data = form.cleaned_data
            try:
                cert = services.request_ssl(
                    actor, organization=form.organizations[data["organization"]], profile=by_id[data["profile"]],
                    csr_pem=data["csr"], term=data["term"], subject_alt_names=data["sans"],
                    common_name=data["common_name"].strip() or None, external_requester=data["external_requester"],
                    comments=data["comments"], auto_renew=data["auto_renew"], days_before=data["days_before"])
            except DomainError as err:
                aliases = dict(FIELD_ALIASES)
                if not data["sans"].strip():
                    # Only the common name was given: a name refusal is about it.
                    aliases["subjAltNames"] = "common_name"
                apply_error(form, err, aliases)
            else:
                (messages.error if cert.status == Status.INVALID else messages.success)(request, _outcome(cert))
                return redirect("web:certificate-detail", pk=cert.pk)
        status = 400
    else:
        initial = {"days_before": 30}
        if len(organizations) == 1:
            initial["organization"] = organizations[0].pk
        if selected is not None and terms:
            initial["profile"] = selected.pk
            initial["term"] = max(terms)
        form = RequestForm(initial=initial, organizations=organizations, profiles=profiles, terms=terms)
    return render(request, "web/certificates/certificate_create.html", {
        "form": form, "profiles": profiles, "selected": selected,
    }, status=status)


# ---------------------------------------------------------------------------
# Downloads


@portal_view
def certificate_download(request: HttpRequest, actor, pk, fmt: str) -> HttpResponse:
    """One SCM collect format; out of scope and unknown formats are 404, like missing."""
    cert = _get(actor, pk)
    try:
        fmt = formats.parse_format(fmt)
    except UnknownFormat:
        return error_page(request, None, status=404)
    try:
        download = imports.collect(actor, cert, fmt)  # imported certificates: the leaf alone
    except CertificateError as err:  # not issued yet, revoked, declined, EV anchor
        messages.error(request, translated(err.message))
        return redirect("web:certificate-detail", pk=cert.pk)
    response = HttpResponse(download.content, content_type=CONTENT_TYPES.get(fmt, PEM_CONTENT_TYPE))
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
