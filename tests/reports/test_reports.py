"""Reports → Certificates, Domains and DCV, Activity, Notifications (issue 8): filters, scope,
server-side pages, and CSV/XLSX exports of exactly the filtered rows."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from certdesk.certificates import services as certificate_services
from certdesk.certificates.states import Status
from certdesk.core.models import AuditEvent
from certdesk.domains.states import DcvMethod, DcvStatus
from certdesk.notifications.models import OutboxMessage
from certdesk.tenancy import services as tenancy

from ..conftest import actor_for
from ..web.conftest import parse_page
from .factories import drao_domains, make_certs, make_domain

DAY = timedelta(days=1)
UTC = dt_timezone.utc


# ---------------------------------------------------------------------------
# Helpers


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming, "CSV exports are streamed"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def read_xlsx(response) -> tuple[list[str], list[list]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def shown_ids(response) -> list[int]:
    return [row[0]["value"]["text"] for row in response.context["rows"]]


@pytest.fixture
def certs(univ, physics, chemistry, other_customer_org):
    now = timezone.now()
    return {
        "physics_issued": make_certs(physics, 1, issued_at=datetime(2026, 3, 10, 12, tzinfo=UTC),
                                     not_after=now + 20 * DAY)[0],
        "physics_requested": make_certs(physics, 1, status=Status.REQUESTED, requested_via="ACME")[0],
        "chemistry_issued": make_certs(chemistry, 1, issued_at=datetime(2026, 5, 2, 12, tzinfo=UTC),
                                       not_after=now + 120 * DAY, profile_name="OV Multi-Domain")[0],
        "chemistry_revoked": make_certs(chemistry, 1, status=Status.REVOKED, revoked_at=now)[0],
        "univ_issued": make_certs(univ, 1, issued_at=datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
                                  not_after=now + 300 * DAY)[0],
        "other_tenant": make_certs(other_customer_org, 1)[0],
    }


# ---------------------------------------------------------------------------
# Certificates report


def test_certificates_report_scope(client, login_as, mrao, rao_univ, drao_physics, certs):
    everything = sorted(c.pk for k, c in certs.items() if k != "other_tenant")
    assert sorted(shown_ids(login_as(mrao).get("/reports/certificates/"))) == everything
    assert sorted(shown_ids(login_as(rao_univ).get("/reports/certificates/"))) == everything
    assert sorted(shown_ids(login_as(drao_physics).get("/reports/certificates/"))) == sorted(
        [certs["physics_issued"].pk, certs["physics_requested"].pk])


@pytest.mark.parametrize("query, expected", [
    ("status=ISSUED", ["physics_issued", "chemistry_issued", "univ_issued"]),
    ("status=REQUESTED&status=REVOKED", ["physics_requested", "chemistry_revoked"]),
    ("requested_via=ACME", ["physics_requested"]),
    ("issued_from=2026-03-01&issued_to=2026-03-31", ["physics_issued", "univ_issued"]),
    ("issued_from=2026-04-01", ["chemistry_issued", "chemistry_revoked"]),
])
def test_certificates_report_filters(client, login_as, mrao, certs, query, expected):
    if "issued_from=2026-04-01" in query:
        certs["chemistry_revoked"].issued_at = datetime(2026, 4, 5, tzinfo=UTC)
        certs["chemistry_revoked"].save(update_fields=["issued_at"])
    response = login_as(mrao).get(f"/reports/certificates/?{query}")
    assert sorted(shown_ids(response)) == sorted(certs[k].pk for k in expected)


def test_certificates_report_profile_organization_and_expiry_filters(client, login_as, mrao, certs, univ, chemistry):
    from certdesk.certificates.models import Profile

    login_as(mrao)
    multi = Profile.objects.get(customer__isnull=True, name="OV Multi-Domain")
    assert shown_ids(client.get(f"/reports/certificates/?profile={multi.pk}")) == [certs["chemistry_issued"].pk]
    # An organization includes its departments; a department alone is itself.
    assert len(shown_ids(client.get(f"/reports/certificates/?org={univ.pk}"))) == 5
    assert sorted(shown_ids(client.get(f"/reports/certificates/?org={chemistry.pk}"))) == sorted(
        [certs["chemistry_issued"].pk, certs["chemistry_revoked"].pk])
    soon = (timezone.localdate() + 60 * DAY).isoformat()
    assert shown_ids(client.get(f"/reports/certificates/?expires_to={soon}&status=ISSUED")) == [
        certs["physics_issued"].pk]


def test_certificates_report_bad_filters_are_shown_next_to_the_field(client, login_as, mrao, other_customer_org,
                                                                       certs):
    login_as(mrao)
    response = client.get("/reports/certificates/?issued_from=31/02/2026&status=NOPE")
    assert response.status_code == 200
    form = response.context["form"]
    assert "issued_from" in form.errors and "status" in form.errors
    assert response.context["rows"] == []
    # Another tenant's organization is not a choice.
    response = client.get(f"/reports/certificates/?org={other_customer_org.pk}")
    assert "org" in response.context["form"].errors
    response = client.get("/reports/certificates/?issued_from=2026-05-01&issued_to=2026-04-01")
    assert "issued_to" in response.context["form"].errors
    # A bad filter never exports everything.
    response = client.get("/reports/certificates/?issued_from=nope&export=csv")
    assert response.status_code == 200 and not response.streaming


def test_certificates_report_page_is_accessible_and_pages_on_the_server(client, login_as, mrao, physics):
    make_certs(physics, 30)
    response = login_as(mrao).get("/reports/certificates/?size=25")
    assert len(response.context["rows"]) == 25 and response.context["page"].paginator.count == 30
    html = response.content.decode()
    parsed = parse_page(html)
    assert parsed.inline_scripts == 0 and not parsed.event_attributes and not parsed.unlabelled()
    assert "size=25&amp;page=2" in html
    assert len(client.get("/reports/certificates/?size=25&page=2").context["rows"]) == 5
    assert "export=csv" in html and "export=xlsx" in html


def test_certificates_csv_export_has_exactly_the_filtered_rows(client, login_as, mrao, certs):
    response = login_as(mrao).get("/reports/certificates/?status=ISSUED&export=csv")
    rows = read_csv(response)
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    assert sorted(int(r["ID"]) for r in rows) == sorted(
        certs[k].pk for k in ("physics_issued", "chemistry_issued", "univ_issued"))
    assert {r["Status"] for r in rows} == {"Issued"}
    assert {r["Organization or department"] for r in rows} == {
        "Universite de Lyon", "Universite de Lyon / Physics", "Universite de Lyon / Chemistry"}


def test_certificates_xlsx_export_has_exactly_the_filtered_rows(client, login_as, mrao, certs, physics):
    response = login_as(mrao).get(f"/reports/certificates/?org={physics.pk}&export=xlsx")
    header, rows = read_xlsx(response)
    assert header[:2] == ["ID", "Common name"]
    assert sorted(r[0] for r in rows) == sorted([certs["physics_issued"].pk, certs["physics_requested"].pk])


def test_exports_write_dates_in_the_admin_time_zone(client, login_as, mrao, certs):
    mrao.time_zone = "Europe/Paris"
    mrao.save(update_fields=["time_zone"])
    login_as(mrao)
    pk = certs["univ_issued"].pk  # issued 2026-03-31 22:30 UTC = 1 April 00:30 in Paris (summer time)
    rows = read_csv(client.get("/reports/certificates/?status=ISSUED&export=csv"))
    assert next(r for r in rows if r["ID"] == str(pk))["Issued"] == "2026-04-01 00:30:00"
    header, xrows = read_xlsx(client.get("/reports/certificates/?status=ISSUED&export=xlsx"))
    issued = xrows[[r[0] for r in xrows].index(pk)][header.index("Issued")]
    assert issued == datetime(2026, 4, 1, 0, 30)
    # The date filter is in Paris days too: 1 April holds it, 31 March does not.
    assert pk in shown_ids(client.get("/reports/certificates/?issued_from=2026-04-01&issued_to=2026-04-01"))
    assert pk not in shown_ids(client.get("/reports/certificates/?issued_from=2026-03-31&issued_to=2026-03-31"))
    page = client.get("/reports/certificates/").content.decode()
    assert "Europe/Paris" in page


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3", "@SUM(A1)"])
def test_exports_neutralise_formulas(client, login_as, mrao, physics, dangerous):
    make_certs(physics, 1, status=Status.REQUESTED, common_name=dangerous)
    login_as(mrao)
    rows = read_csv(client.get("/reports/certificates/?export=csv"))
    assert rows[0]["Common name"] == "'" + dangerous
    header, xrows = read_xlsx(client.get("/reports/certificates/?export=xlsx"))
    body = b"".join(client.get("/reports/certificates/?export=xlsx").streaming_content)
    workbook = load_workbook(io.BytesIO(body))
    cell = workbook.active.cell(row=2, column=header.index("Common name") + 1)
    assert cell.value == dangerous and cell.data_type == "s"  # text, never a formula
    assert b"<f>" not in body


def test_exports_in_french(client, login_as, mrao, certs):
    """Headers and statuses in the admin's language, decided when the request is served (the rows
    stream after the view returned). New strings read French once locale-staging/reports.po is merged."""
    mrao.language = "fr"
    mrao.save(update_fields=["language"])
    login_as(mrao)
    with translation.override("fr"):
        french = {text: str(translation.gettext(text)) for text in ("Common name", "Status", "Expires",
                                                                      "Certificate type", "Export CSV")}
        french["Issued"] = translation.pgettext("date column", "Issued")
        issued = str(translation.pgettext("certificate status", "Issued"))
    assert french["Status"] == "Statut" and french["Expires"] == "Expire le"  # already in the catalogue
    rows = read_csv(client.get("/reports/certificates/?status=ISSUED&export=csv"))
    assert {french[t] for t in ("Common name", "Status", "Expires", "Issued")} <= set(rows[0])
    assert {r[french["Status"]] for r in rows} == {issued}
    header, _rows = read_xlsx(client.get("/reports/certificates/?export=xlsx"))
    assert french["Certificate type"] in header and "Status" not in header
    page = client.get("/reports/certificates/").content.decode()
    assert french["Export CSV"] in page and 'lang="fr"' in page


# ---------------------------------------------------------------------------
# Domains and DCV report


@pytest.fixture
def domains(mrao_actor, univ, physics, chemistry):
    now = timezone.now()
    return {
        "soon": make_domain(mrao_actor, "soon.example.org", physics, dcv_status=DcvStatus.VALIDATED,
                            method=DcvMethod.CNAME, expires=now + 10 * DAY),
        "later": make_domain(mrao_actor, "later.example.org", chemistry, dcv_status=DcvStatus.VALIDATED,
                             method=DcvMethod.TXT, expires=now + 150 * DAY),
        "stale": make_domain(mrao_actor, "stale.example.org", univ, dcv_status=DcvStatus.VALIDATED,
                             method=DcvMethod.EMAIL, expires=now - DAY),  # the sweep has not run yet
        "none": make_domain(mrao_actor, "none.example.org", physics),
    }


def domain_names(response) -> list[str]:
    return sorted(row[0]["value"]["text"] for row in response.context["rows"])


@pytest.mark.parametrize("query, expected", [
    ("", ["later", "none", "soon", "stale"]),
    ("dcv_status=VALIDATED", ["later", "soon"]),
    ("dcv_status=EXPIRED", ["stale"]),
    ("dcv_status=NOT_VALIDATED", ["none"]),
    ("method=TXT", ["later"]),
    ("expires_in=30", ["soon"]),
    ("expires_in=200&method=CNAME", ["soon"]),
])
def test_domains_report_filters(client, login_as, mrao, domains, query, expected):
    response = login_as(mrao).get(f"/reports/domains/?{query}")
    assert domain_names(response) == sorted(f"{k}.example.org" for k in expected)


def test_domains_report_scope_and_organization_filter(client, login_as, mrao, drao_physics, domains, univ,
                                                      chemistry):
    assert domain_names(login_as(drao_physics).get("/reports/domains/")) == ["none.example.org",
                                                                               "soon.example.org"]
    login_as(mrao)
    assert len(domain_names(client.get(f"/reports/domains/?org={univ.pk}"))) == 4
    assert domain_names(client.get(f"/reports/domains/?org={chemistry.pk}")) == ["later.example.org"]
    response = client.get("/reports/domains/?expires_in=-3")
    assert "expires_in" in response.context["form"].errors


def test_domains_exports(client, login_as, mrao, domains):
    login_as(mrao)
    rows = read_csv(client.get("/reports/domains/?dcv_status=VALIDATED&export=csv"))
    assert sorted(r["Domain"] for r in rows) == ["later.example.org", "soon.example.org"]
    soon = next(r for r in rows if r["Domain"] == "soon.example.org")
    assert soon["DCV status"] == "VALIDATED" and soon["DCV method"] == "DNS CNAME"
    assert soon["Delegated to"] == "Universite de Lyon / Physics"
    header, xrows = read_xlsx(client.get("/reports/domains/?dcv_status=EXPIRED&export=xlsx"))
    assert [r[0] for r in xrows] == ["stale.example.org"]
    assert xrows[0][header.index("DCV status")] == "EXPIRED"


# ---------------------------------------------------------------------------
# Activity report (audit log)


@pytest.fixture
def activity(mrao_actor, univ, physics, chemistry, other_customer_org, drao_physics, drao_chemistry):
    """Audit rows written by real services in the university, its departments and elsewhere."""
    tenancy.update_organization(mrao_actor, chemistry, name="Chimie")
    tenancy.update_organization(mrao_actor, physics, name="Physique")
    requested = make_certs(physics, 1, status=Status.REQUESTED)[0]
    certificate_services.decline(mrao_actor, requested, "Wrong common name")
    elsewhere = make_certs(chemistry, 1, status=Status.REQUESTED)[0]
    certificate_services.decline(mrao_actor, elsewhere, "Not needed")
    return {"physics_cert": requested, "chemistry_cert": elsewhere}


def activity_rows(response) -> list[tuple[str, str]]:
    return [(row[4]["value"], row[6]["value"]) for row in response.context["rows"]]


def test_activity_scope_mrao_rao_drao(client, login_as, mrao, rao_univ, drao_physics, activity, physics, chemistry,
                                      other_mrao):
    everything = AuditEvent.objects.filter(customer_id=mrao.customer_id).count()
    response = login_as(mrao).get("/reports/activity/?size=100")
    assert response.context["page"].paginator.count == everything
    drao_rows = activity_rows(login_as(drao_physics).get("/reports/activity/?size=100"))
    assert ("certificate.declined", str(activity["physics_cert"].pk)) in drao_rows
    assert ("certificate.declined", str(activity["chemistry_cert"].pk)) not in drao_rows
    assert ("department.updated", str(physics.pk)) in drao_rows
    assert ("department.updated", str(chemistry.pk)) not in drao_rows
    assert all(action != "organization.validation_approved" for action, _ in drao_rows)
    rao_rows = activity_rows(login_as(rao_univ).get("/reports/activity/?size=100"))
    assert ("certificate.declined", str(activity["chemistry_cert"].pk)) in rao_rows
    assert ("department.updated", str(chemistry.pk)) in rao_rows
    other = login_as(other_mrao).get("/reports/activity/?size=100")
    assert ("certificate.declined", str(activity["physics_cert"].pk)) not in activity_rows(other)


def test_activity_filters(client, login_as, mrao, activity, physics):
    login_as(mrao)
    rows = activity_rows(client.get("/reports/activity/?action=certificate.&object_type=certificates.certificate"))
    assert sorted(rows) == sorted([("certificate.declined", str(activity["physics_cert"].pk)),
                                   ("certificate.declined", str(activity["chemistry_cert"].pk))])
    assert all(a == "department.updated" for a, _ in activity_rows(
        client.get("/reports/activity/?action=department.updated")))
    assert activity_rows(client.get("/reports/activity/?who=nobody-like-this")) == []
    today = timezone.localdate()
    assert client.get(f"/reports/activity/?date_from={today}").context["page"].paginator.count > 0
    tomorrow = today + DAY
    assert client.get(f"/reports/activity/?date_from={tomorrow}").context["page"].paginator.count == 0
    yesterday = today - DAY
    assert client.get(f"/reports/activity/?date_to={yesterday}").context["page"].paginator.count == 0


def test_activity_exports(client, login_as, mrao, activity):
    login_as(mrao)
    rows = read_csv(client.get("/reports/activity/?action=certificate.declined&export=csv"))
    assert sorted(r["Object ID"] for r in rows) == sorted(
        [str(activity["physics_cert"].pk), str(activity["chemistry_cert"].pk)])
    assert {r["Done by"] for r in rows} == {"mrao"}
    assert any("Wrong common name" in r["Changes"] for r in rows)
    header, xrows = read_xlsx(client.get("/reports/activity/?action=certificate.declined&export=xlsx"))
    assert len(xrows) == 2 and isinstance(xrows[0][header.index("Date")], datetime)


# ---------------------------------------------------------------------------
# Notification log exports and the index


def test_notification_log_exports(client, login_as, mrao, rao_univ, mrao_actor, physics):
    make_domain(actor_for(drao_domains(mrao_actor, physics)), "lab.example.net", physics)
    messages = OutboxMessage.objects.filter(event__customer=mrao.customer)
    assert messages.exists(), "a delegation request notifies the admins who approve it"
    login_as(mrao)
    rows = read_csv(client.get("/reports/notifications/?export=csv"))
    assert sorted(r["Recipient"] for r in rows) == sorted(messages.values_list("recipient", flat=True))
    one = messages.first().recipient
    rows = read_csv(client.get(f"/reports/notifications/?q={one}&export=csv"))
    assert {r["Recipient"] for r in rows} == {one}
    header, xrows = read_xlsx(client.get("/reports/notifications/?export=xlsx"))
    assert "Recipient" in header and len(xrows) == messages.count()
    assert "export=csv" in client.get("/reports/notifications/").content.decode()


def test_report_index_links_all_four_reports(client, login_as, mrao):
    html = login_as(mrao).get("/reports/").content.decode()
    for path in ("/reports/certificates/", "/reports/domains/", "/reports/notifications/", "/reports/activity/"):
        assert f'href="{path}"' in html
