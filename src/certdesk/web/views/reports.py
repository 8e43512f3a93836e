"""Reports → Certificates, Domains and DCV, Activity (and the notification log's exports): filter
forms, server-side pages, and "Export CSV" / "Export XLSX" of exactly the filtered rows,
streamed (issue 8). The queries live in certdesk.reports; this module only parses and renders.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Callable

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.certificates.queries import profiles_for
from certdesk.certificates.states import Status
from certdesk.domains.states import DcvMethod, DcvStatus, DelegationStatus, DomainState
from certdesk.reports import exports
from certdesk.reports import queries as reports
from certdesk.tenancy.queries import visible_organizations

from ..forms.accounts import organization_choices
from ..forms.domains import METHOD_LABELS
from .base import portal_view
from ..paging import CappedPaginator, capped_count

EXPORT_FORMATS = ("csv", "xlsx")
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
EXPORT_BATCH = 2000

# Certificate statuses as SCM's French portal shows them (masculine: "le certificat").
CERTIFICATE_STATUS = {
    Status.REQUESTED: pgettext_lazy("certificate status", "Requested"),
    Status.APPLIED: pgettext_lazy("certificate status", "Applied"),
    Status.ISSUED: pgettext_lazy("certificate status", "Issued"),
    Status.DECLINED: pgettext_lazy("certificate status", "Declined"),
    Status.INVALID: pgettext_lazy("certificate status", "Invalid"),
    Status.REVOKED: pgettext_lazy("certificate status", "Revoked"),
    Status.EXPIRED: pgettext_lazy("certificate status", "Expired"),
    Status.REPLACED: pgettext_lazy("certificate status", "Replaced"),
}
STATUS_CSS = {
    Status.REQUESTED: "warn", Status.APPLIED: "warn", Status.ISSUED: "ok", Status.DECLINED: "off",
    Status.INVALID: "off", Status.REVOKED: "off", Status.EXPIRED: "neutral", Status.REPLACED: "neutral",
}
DCV_STATUS = {
    DcvStatus.NOT_VALIDATED: gettext_lazy("NOT VALIDATED"),
    DcvStatus.VALIDATED: gettext_lazy("VALIDATED"),
    DcvStatus.EXPIRED: gettext_lazy("EXPIRED"),
}
DCV_CSS = {DcvStatus.NOT_VALIDATED: "off", DcvStatus.VALIDATED: "ok", DcvStatus.EXPIRED: "off"}
DOMAIN_STATE = {DomainState.ACTIVE: gettext_lazy("Active"), DomainState.SUSPENDED: gettext_lazy("Suspended")}
OBJECT_TYPES = {
    "certificates.certificate": gettext_lazy("Certificate"),
    "domains.domain": gettext_lazy("Domain"),
    "tenancy.organization": gettext_lazy("Organization or department"),
    "accounts.admin": gettext_lazy("Admin"),
    "acme.acmeaccount": gettext_lazy("ACME account"),
    "notifications.notificationrule": gettext_lazy("Notification"),
    "tenancy.customer": gettext_lazy("Customer"),
}


def _labels(table: dict) -> dict[str, str]:
    """Lazy labels made text now: exports are produced after the view has returned."""
    return {key: str(label) for key, label in table.items()}


def _local_day(day: date, tz) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), tz)


def _range(start: date | None, end: date | None, tz) -> tuple[datetime | None, datetime | None]:
    """Whole days in the admin's time zone: from the first day's midnight to the day after the last."""
    return (_local_day(start, tz) if start else None, _local_day(end + timedelta(days=1), tz) if end else None)


def organization_name(org) -> str:
    if org is None:
        return ""
    return f"{org.parent.name} / {org.name}" if org.parent_id else org.name


# ---------------------------------------------------------------------------
# Filter forms (GET): bad values get a message next to the field, never a 500


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class ReportForm(forms.Form):
    size = forms.TypedChoiceField(label=gettext_lazy("Rows per page"), required=False, coerce=int, empty_value=None,
                                  choices=[(n, str(n)) for n in PAGE_SIZES])
    date_pairs: tuple[tuple[str, str], ...] = ()

    def clean(self):
        data = super().clean()
        for start, end in self.date_pairs:
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, _("This date is before the start date."))
        return data

    def value(self, name: str, default: Any = None) -> Any:
        return self.cleaned_data.get(name) or default


def _date_field(label) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DateInput(),
                           error_messages={"invalid": gettext_lazy("Enter a date as YYYY-MM-DD.")})


def _org_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=gettext_lazy("Organization or department"), required=False, coerce=int,
                                  empty_value=None, help_text=gettext_lazy("An organization includes its departments."))


class CertificateReportForm(ReportForm):
    status = forms.MultipleChoiceField(label=gettext_lazy("Status"), required=False,
                                       widget=forms.CheckboxSelectMultiple,
                                       choices=list(CERTIFICATE_STATUS.items()))
    profile = forms.TypedChoiceField(label=gettext_lazy("Certificate type"), required=False, coerce=int,
                                     empty_value=None)
    org = _org_field()
    requested_via = forms.ChoiceField(label=gettext_lazy("Requested via"), required=False,
                                      choices=[("", gettext_lazy("All"))]
                                      + [(s, gettext_lazy(s)) for s in reports.REQUEST_SOURCES])
    issued_from = _date_field(gettext_lazy("Issued from"))
    issued_to = _date_field(gettext_lazy("Issued until"))
    expires_from = _date_field(gettext_lazy("Expires from"))
    expires_to = _date_field(gettext_lazy("Expires until"))
    date_pairs = (("issued_from", "issued_to"), ("expires_from", "expires_to"))

    def __init__(self, *args, actor, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [("", _("All"))] + [
            (p.pk, p.name) for p in profiles_for(actor.customer, include_inactive=True)]
        self.fields["org"].choices = [("", _("All"))] + organization_choices(organizations)


class DomainReportForm(ReportForm):
    dcv_status = forms.ChoiceField(label=gettext_lazy("DCV status"), required=False,
                                   choices=[("", gettext_lazy("All"))] + list(DCV_STATUS.items()))
    method = forms.ChoiceField(label=gettext_lazy("DCV method"), required=False,
                               choices=[("", gettext_lazy("All"))] + [(m.value, METHOD_LABELS[m]) for m in DcvMethod])
    expires_in = forms.IntegerField(label=gettext_lazy("DCV expires within (days)"), required=False, min_value=0,
                                    max_value=3650)
    org = _org_field()

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [("", _("All"))] + organization_choices(organizations)


class ActivityReportForm(ReportForm):
    date_from = _date_field(gettext_lazy("From"))
    date_to = _date_field(gettext_lazy("Until"))
    who = forms.CharField(label=gettext_lazy("Done by"), required=False, max_length=200,
                          help_text=gettext_lazy("Part of the admin's login, or system."))
    action = forms.CharField(label=gettext_lazy("Action"), required=False, max_length=80,
                             help_text=gettext_lazy("Part of the action, for example certificate.revoked or domain."))
    object_type = forms.ChoiceField(label=gettext_lazy("Object type"), required=False,
                                    choices=[("", gettext_lazy("All"))] + list(OBJECT_TYPES.items()))
    date_pairs = (("date_from", "date_to"),)


# ---------------------------------------------------------------------------
# One report = a form, a query, and columns shared by the page and the exports


@dataclass
class ReportColumn:
    header: Any  # lazy label
    value: Callable[[Any], Any]  # what the exports write
    kind: str = "text"  # how the page shows it: text, datetime, date, badge, link, mono, list
    html: Callable[[Any], Any] | None = None  # the page's value when it differs (badges, links)


def _render_report(request: HttpRequest, *, template_title, name: str, form: ReportForm, queryset_for: Callable,
                   columns: list[ReportColumn], description) -> HttpResponse:
    """The page or, with `export=csv|xlsx`, the export of every filtered row."""
    tz = timezone.get_current_timezone()
    export = request.GET.get("export", "")
    qs = queryset_for(form, tz) if form.is_valid() else None
    if qs is not None and export in EXPORT_FORMATS:
        response = _export(name=name, title=str(template_title), export=export, qs=qs, columns=columns, tz=tz)
        if response is not None:
            return response
        form.add_error(None, _("Too many rows for an XLSX file (at most %(max)s): narrow the filters or export CSV.")
                       % {"max": f"{exports.XLSX_MAX_ROWS - 1:,}"})
        qs = None
    page, rows = None, []
    if qs is not None:
        size = form.value("size", DEFAULT_PAGE_SIZE)
        page = CappedPaginator(qs, size).get_page(request.GET.get("page"))
        for obj in page.object_list:
            rows.append([{"kind": c.kind, "value": (c.html or c.value)(obj)} for c in columns])
    query = [(k, v) for k, values in request.GET.lists() if k not in ("page", "export") for v in values if v]
    return render(request, "web/reports/report.html", {
        "title": template_title, "description": description, "form": form, "columns": columns, "rows": rows,
        "page": page, "query": urlencode(query), "filtered": bool(query), "time_zone": str(tz),
        "export_query": urlencode(query + [("export", "")]),
    })


def _export(*, name: str, title: str, export: str, qs, columns: list[ReportColumn], tz):
    """A streamed CSV, or an XLSX file (None when it would pass Excel's row limit)."""
    cols = [exports.Column(header=str(c.header), value=c.value) for c in columns]
    stamp = timezone.localtime(timezone.now(), tz).strftime("%Y%m%d-%H%M")
    filename = f"{name}-{stamp}.{export}"
    rows = qs.iterator(chunk_size=EXPORT_BATCH)  # batches; prefetches run once per batch
    if export == "csv":
        response = StreamingHttpResponse(exports.csv_lines(cols, rows, tz=tz), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response
    if capped_count(qs, exports.XLSX_MAX_ROWS - 1) > exports.XLSX_MAX_ROWS - 1:
        return None
    content = exports.xlsx_file(cols, rows, tz=tz, title=title)
    response = FileResponse(content, as_attachment=True, filename=filename,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Cache-Control"] = "no-store"
    return response


def _detail_url(name: str, pk) -> str:
    try:
        return reverse(name, kwargs={"pk": pk})
    except NoReverseMatch:
        return ""


# ---------------------------------------------------------------------------
# Certificates


def certificate_columns() -> list[ReportColumn]:
    status = _labels(CERTIFICATE_STATUS)
    return [
        ReportColumn(gettext_lazy("ID"), lambda c: c.pk, "link",
                     html=lambda c: {"text": c.pk, "url": _detail_url("web:certificate-detail", c.pk)}),
        ReportColumn(gettext_lazy("Common name"), lambda c: c.common_name, "mono"),
        ReportColumn(gettext_lazy("Subject alternative names"), lambda c: ", ".join(c.subject_alt_names or []),
                     "mono"),
        ReportColumn(gettext_lazy("Organization or department"), lambda c: organization_name(c.organization)),
        ReportColumn(gettext_lazy("Certificate type"), lambda c: c.profile.name),
        ReportColumn(gettext_lazy("Status"), lambda c: status.get(c.status, c.status), "badge",
                     html=lambda c: {"css": STATUS_CSS.get(c.status, "neutral"),
                                     "text": status.get(c.status, c.status)}),
        ReportColumn(gettext_lazy("Requested via"), lambda c: c.requested_via),
        ReportColumn(gettext_lazy("Requester"), lambda c: c.requester_label),
        ReportColumn(gettext_lazy("Approver"), lambda c: c.approver.login if c.approver_id else ""),
        ReportColumn(pgettext_lazy("date column", "Requested"), lambda c: c.created, "datetime"),
        ReportColumn(pgettext_lazy("date column", "Issued"), lambda c: c.issued_at, "datetime"),
        ReportColumn(gettext_lazy("Expires"), lambda c: c.not_after, "datetime"),
        ReportColumn(pgettext_lazy("date column", "Revoked"), lambda c: c.revoked_at, "datetime"),
        ReportColumn(gettext_lazy("Serial number"), lambda c: c.serial_hex.lstrip("0").upper() if c.serial_hex else "",
                     "mono"),
    ]


@portal_view
def certificate_report(request: HttpRequest, actor) -> HttpResponse:
    organizations = list(visible_organizations(actor))
    form = CertificateReportForm(request.GET, actor=actor, organizations=organizations)

    def queryset(form, tz):
        issued = _range(form.value("issued_from"), form.value("issued_to"), tz)
        expires = _range(form.value("expires_from"), form.value("expires_to"), tz)
        return reports.certificate_report(
            actor, statuses=form.value("status", []), profile_id=form.value("profile"),
            organization_id=form.value("org"), requested_via=form.value("requested_via", ""),
            issued_from=issued[0], issued_until=issued[1], expires_from=expires[0], expires_until=expires[1])

    return _render_report(
        request, template_title=gettext_lazy("Certificates report"), name="certificates", form=form,
        queryset_for=queryset, columns=certificate_columns(),
        description=gettext_lazy("SSL certificates in your scope, with their status, type and dates."))


# ---------------------------------------------------------------------------
# Domains and DCV


def _delegations(awaiting: str) -> Callable[[Any], list[str]]:
    def delegations(domain) -> list[str]:
        out = []
        for delegation in domain.delegations.all():
            name = organization_name(delegation.organization)
            if delegation.status == DelegationStatus.REQUESTED:
                name = f"{name} ({awaiting})"
            out.append(name)
        return out

    return delegations


def domain_columns(now: datetime) -> list[ReportColumn]:
    dcv = _labels(DCV_STATUS)
    state = _labels(DOMAIN_STATE)
    methods = _labels(METHOD_LABELS)
    return [
        ReportColumn(gettext_lazy("Domain"), lambda d: d.unicode_name, "link",
                     html=lambda d: {"text": d.unicode_name, "url": reverse("web:domain-detail", kwargs={"pk": d.pk})}),
        ReportColumn(gettext_lazy("State"), lambda d: state.get(d.state, d.state)),
        ReportColumn(gettext_lazy("DCV status"), lambda d: dcv.get(reports.domain_status(d, now)), "badge",
                     html=lambda d: {"css": DCV_CSS.get(reports.domain_status(d, now), "neutral"),
                                     "text": dcv.get(reports.domain_status(d, now))}),
        ReportColumn(gettext_lazy("DCV method"), lambda d: methods.get(d.dcv_method, d.dcv_method)),
        ReportColumn(pgettext_lazy("date column", "Validated"), lambda d: d.dcv_validated_at, "datetime"),
        ReportColumn(gettext_lazy("DCV expires"), lambda d: d.dcv_expires, "datetime"),
        ReportColumn(gettext_lazy("Delegated to"), _delegations(_("awaiting approval")), "list"),
        ReportColumn(gettext_lazy("Description"), lambda d: d.description),
    ]


@portal_view
def domain_report(request: HttpRequest, actor) -> HttpResponse:
    organizations = list(visible_organizations(actor))
    form = DomainReportForm(request.GET, organizations=organizations)
    now = timezone.now()

    def queryset(form, tz):
        expires_in = form.cleaned_data.get("expires_in")
        return reports.domain_report(actor, dcv_status=form.value("dcv_status", ""), method=form.value("method", ""),
                                     expires_within=expires_in, organization_id=form.value("org"),
                                     now=now).prefetch_related("delegations__organization__parent")

    return _render_report(
        request, template_title=gettext_lazy("Domains and DCV report"), name="domains", form=form,
        queryset_for=queryset, columns=domain_columns(now),
        description=gettext_lazy("Domains in your scope with the domain control validation (DCV) of each domain "
                                 "itself, and where they are delegated."))


# ---------------------------------------------------------------------------
# Activity (the audit log)


def activity_columns() -> list[ReportColumn]:
    types = _labels(OBJECT_TYPES)
    return [
        ReportColumn(gettext_lazy("Date"), lambda e: e.created_at, "datetime"),
        ReportColumn(gettext_lazy("Done by"), lambda e: e.actor),
        ReportColumn(gettext_lazy("Interface"), lambda e: e.interface),
        ReportColumn(gettext_lazy("IP address"), lambda e: e.ip, "mono"),
        ReportColumn(gettext_lazy("Action"), lambda e: e.action, "mono"),
        ReportColumn(gettext_lazy("Object type"), lambda e: types.get(e.object_type, e.object_type)),
        ReportColumn(gettext_lazy("Object ID"), lambda e: e.object_id),
        ReportColumn(gettext_lazy("Object"), lambda e: e.object_repr),
        ReportColumn(gettext_lazy("Changes"), lambda e: "" if e.changes == "{}" else e.changes, "mono",
                     html=lambda e: "" if e.changes == "{}" else (e.changes[:300] + ("…" if len(e.changes) > 300
                                                                                      else ""))),
    ]


@portal_view
def activity_report(request: HttpRequest, actor) -> HttpResponse:
    form = ActivityReportForm(request.GET)
    policy.require(actor, Perm.VIEW_AUDIT)  # an admin without any role: 403

    def queryset(form, tz):
        since, until = _range(form.value("date_from"), form.value("date_to"), tz)
        return reports.activity_report(actor, since=since, until=until, who=form.value("who", "").strip(),
                                       action=form.value("action", "").strip(),
                                       object_type=form.value("object_type", ""))

    return _render_report(
        request, template_title=gettext_lazy("Activity report"), name="activity", form=form,
        queryset_for=queryset, columns=activity_columns(),
        description=gettext_lazy("Every change recorded in the audit log for what you administer: who did what, "
                                 "when, from where."))


# ---------------------------------------------------------------------------
# Reports → Notifications: the log's exports (the page itself lives in views/notifications.py)


def notification_log_columns() -> list[ReportColumn]:
    return [
        ReportColumn(gettext_lazy("Date"), lambda m: m.created, "datetime"),
        ReportColumn(gettext_lazy("Type"), lambda m: m.event.type),
        ReportColumn(gettext_lazy("Organization"), lambda m: organization_name(m.event.organization)),
        ReportColumn(gettext_lazy("Channel"), lambda m: m.channel),
        ReportColumn(gettext_lazy("Recipient"), lambda m: m.recipient),
        ReportColumn(gettext_lazy("Subject"), lambda m: m.subject),
        ReportColumn(gettext_lazy("Status"), lambda m: m.status),
        ReportColumn(gettext_lazy("Attempts"), lambda m: m.attempts),
        ReportColumn(pgettext_lazy("date column", "Sent"), lambda m: m.sent_at, "datetime"),
        ReportColumn(gettext_lazy("Error or reply"), lambda m: m.last_error or m.reply),
    ]


def export_notification_log(request: HttpRequest, log, export: str) -> HttpResponse:
    """The notification log's rows (already filtered and scoped) as CSV or XLSX."""
    tz = timezone.get_current_timezone()
    response = _export(name="notifications", title=_("Notification log"), export=export, qs=log,
                       columns=notification_log_columns(), tz=tz)
    if response is None:
        return HttpResponse(_("Too many rows for an XLSX file: narrow the filters or export CSV."), status=400,
                            content_type="text/plain; charset=utf-8")
    return response


# ---------------------------------------------------------------------------
# The dashboard's figures and charts (the view is pages.dashboard)

STATUS_COLOURS = {
    Status.REQUESTED: "#b7791f", Status.APPLIED: "#3b82c4", Status.ISSUED: "#1d6b3a", Status.DECLINED: "#a61b1b",
    Status.INVALID: "#7f1d1d", Status.REVOKED: "#d14343", Status.EXPIRED: "#6b7686", Status.REPLACED: "#9aa5b1",
}
ACCENT = "#1f4f8f"


def _link(base: str, **params) -> str:
    return f"{base}?{urlencode(params)}"


def dashboard_context(actor) -> dict:
    """Figures, links to the filtered lists behind them, and the charts' data (json_script)."""
    from django.utils.formats import date_format

    tz = timezone.get_current_timezone()
    data = reports.cached_dashboard(actor, tz=tz)
    ssl = reverse("web:certificate-list")
    report = reverse("web:report-certificates")

    statuses = [{"status": s, "label": str(CERTIFICATE_STATUS[s]), "count": data.by_status.get(s, 0),
                 "url": _link(ssl, status=s), "colour": STATUS_COLOURS[s]} for s in Status.values]
    profiles = [{"label": name, "count": n, "url": _link(ssl, profile=pk)} for pk, name, n in data.by_profile]
    expiring = [{"days": days, "count": n, "url": _link(ssl, expires_in=days)} for days, n in data.expiring.items()]
    months = []
    for first, n in data.issuance:
        last = (date(first.year + (first.month == 12), first.month % 12 + 1, 1) - timedelta(days=1))
        months.append({"label": date_format(first, "YEAR_MONTH_FORMAT"), "short": date_format(first, "M Y"),
                       "count": n, "url": _link(report, issued_from=first.isoformat(), issued_to=last.isoformat())})
    shown = [row for row in statuses if row["count"]]
    chart_data = {
        "status": {"type": "doughnut", "label": _("Certificates"), "labels": [r["label"] for r in shown],
                   "values": [r["count"] for r in shown], "links": [r["url"] for r in shown],
                   "colours": [r["colour"] for r in shown]},
        "profile": {"type": "bar", "horizontal": True, "label": _("Certificates"),
                    "labels": [r["label"] for r in profiles], "values": [r["count"] for r in profiles],
                    "links": [r["url"] for r in profiles], "colours": [ACCENT]},
        "issuance": {"type": "bar", "label": _("Certificates issued"), "labels": [m["short"] for m in months],
                     "values": [m["count"] for m in months], "links": [m["url"] for m in months],
                     "colours": [STATUS_COLOURS[Status.ISSUED]]},
    }
    return {
        "figures": data,
        "counts": {"organizations": data.organizations, "departments": data.departments, "admins": data.admins},
        "statuses": statuses,
        "profiles": profiles,
        "expiring": expiring,
        "months": months,
        "chart_data": chart_data,
        "links": {
            "all": ssl,
            "awaiting": _link(ssl, awaiting="me"),
            "dcv_expiring": _link(reverse("web:report-domains"), expires_in=reports.DCV_EXPIRY_DAYS),
            "delegations": _link(reverse("web:domain-list"), delegation="requested"),
            "organizations": reverse("web:organization-list"),
            "admins": reverse("web:admin-list"),
        },
        "summary": {
            "status": ", ".join(f"{r['label']}: {r['count']}" for r in shown) or _("no certificate"),
            "profile": ", ".join(f"{r['label']}: {r['count']}" for r in profiles) or _("no certificate"),
            "issuance": ", ".join(f"{m['label']}: {m['count']}" for m in months),
        },
        "dcv_days": reports.DCV_EXPIRY_DAYS,
    }
