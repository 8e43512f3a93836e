"""The dashboard (issue 8): figures of the admin's scope, links to the filtered lists behind them,
the charts' JSON data, and a constant number of queries whatever the data holds."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone as dt_timezone
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certdesk.certificates.states import Status
from certdesk.domains.states import DcvStatus
from certdesk.reports import queries as reports

from ..conftest import actor_for
from ..reports.factories import drao_domains, make_certs, make_domain
from .conftest import parse_page

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _fresh_figures(monkeypatch):
    """These tests write certificate rows straight to the table (no audit row): no reuse of figures."""
    monkeypatch.setattr(reports, "DASHBOARD_CACHE_SECONDS", 0)


@pytest.fixture
def estate(mrao_actor, univ, physics, chemistry, other_customer_org):
    """Certificates and domains across the university, its departments and another customer."""
    now = timezone.now()
    make_certs(physics, 1, not_after=now + 10 * DAY)
    make_certs(physics, 1, not_after=now + 45 * DAY)
    make_certs(physics, 1, not_after=now + 80 * DAY, profile_name="OV Multi-Domain")
    make_certs(physics, 2, status=Status.REQUESTED)
    make_certs(chemistry, 2, not_after=now + 200 * DAY)
    make_certs(chemistry, 1, status=Status.REVOKED, revoked_at=now)
    make_certs(univ, 1, status=Status.REQUESTED, profile_name="EV SSL")
    make_certs(other_customer_org, 4, not_after=now + 5 * DAY)  # another tenant: never counted
    make_domain(mrao_actor, "physics.example.org", physics, dcv_status=DcvStatus.VALIDATED, expires=now + 20 * DAY)
    make_domain(mrao_actor, "chemistry.example.org", chemistry, dcv_status=DcvStatus.VALIDATED,
                expires=now + 100 * DAY)
    # A DRAO's delegation request waits for a RAO or an MRAO.
    make_domain(actor_for(drao_domains(mrao_actor, physics)), "lab.example.net", physics)
    return now


def figures(response) -> dict[str, str]:
    """The figures the page shows, by their data-figure name, with their links."""
    html = response.content.decode()
    return {name: (unescape(href), int(value)) for href, name, value in
            re.findall(r'<a href="([^"]*)" data-figure="([^"]+)">(\d+)[^<]*</a>', html)}


def chart_data(response) -> dict:
    html = response.content.decode()
    block = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S)
    assert block, "the JSON data block is missing"
    return json.loads(block.group(1))


def query_of(url: str) -> tuple[str, dict]:
    parts = urlsplit(url)
    return parts.path, parse_qs(parts.query)


def test_mrao_sees_the_whole_customer(client, login_as, mrao, estate):
    response = login_as(mrao).get("/dashboard/")
    assert response.status_code == 200
    shown = figures(response)
    assert shown["total"][1] == 9
    assert shown["status-ISSUED"][1] == 5 and shown["status-REQUESTED"][1] == 3 and shown["status-REVOKED"][1] == 1
    assert shown["status-EXPIRED"][1] == 0
    assert [shown[f"expiring-{d}"][1] for d in (30, 60, 90)] == [1, 2, 3]
    assert shown["awaiting"][1] == 3
    assert shown["dcv-expiring"][1] == 1
    assert shown["delegations"][1] == 1
    data = response.context["figures"]
    assert dict((name, n) for _pk, name, n in data.by_profile) == {"OV SSL": 7, "OV Multi-Domain": 1, "EV SSL": 1}


def test_drao_sees_its_department_only(client, login_as, drao_physics, estate):
    response = login_as(drao_physics).get("/dashboard/")
    shown = figures(response)
    assert shown["total"][1] == 5
    assert shown["status-ISSUED"][1] == 3 and shown["status-REQUESTED"][1] == 2 and shown["status-REVOKED"][1] == 0
    assert [shown[f"expiring-{d}"][1] for d in (30, 60, 90)] == [1, 2, 3]
    assert shown["awaiting"][1] == 0  # a DRAO approves only with sslApprove
    assert shown["dcv-expiring"][1] == 1  # physics.example.org, not chemistry's
    assert shown["delegations"][1] == 0  # a DRAO approves no delegation
    data = chart_data(response)
    assert sorted(zip(data["profile"]["labels"], data["profile"]["values"])) == [("OV Multi-Domain", 1),
                                                                                  ("OV SSL", 4)]


def test_drao_with_ssl_approve_counts_its_department_requests(client, login_as, drao_physics, estate):
    drao_physics.privileges = [*drao_physics.privileges, "sslApprove"]
    drao_physics.save(update_fields=["privileges"])
    shown = figures(login_as(drao_physics).get("/dashboard/"))
    assert shown["awaiting"][1] == 2


def test_rao_sees_its_organization_and_the_delegation_to_approve(client, login_as, rao_univ, estate):
    shown = figures(login_as(rao_univ).get("/dashboard/"))
    assert shown["total"][1] == 9 and shown["delegations"][1] == 1 and shown["awaiting"][1] == 3


def test_each_figure_links_to_the_filtered_list(client, login_as, mrao, estate, physics):
    shown = figures(login_as(mrao).get("/dashboard/"))
    assert query_of(shown["status-ISSUED"][0]) == ("/certificates/", {"status": ["ISSUED"]})
    assert query_of(shown["expiring-60"][0]) == ("/certificates/", {"expires_in": ["60"]})
    assert query_of(shown["awaiting"][0]) == ("/certificates/", {"awaiting": ["me"]})
    assert query_of(shown["delegations"][0]) == ("/domains/", {"delegation": ["requested"]})
    assert query_of(shown["dcv-expiring"][0]) == ("/reports/domains/", {"expires_in": ["30"]})
    path, params = query_of(shown["month-12"][0])
    first = timezone.localdate().replace(day=1)
    assert path == "/reports/certificates/" and params["issued_from"] == [first.isoformat()]
    # The list behind a figure holds exactly that many rows.
    listed = client.get("/reports/domains/?expires_in=30")
    assert listed.context["page"].paginator.count == shown["dcv-expiring"][1]
    month = client.get(shown["month-12"][0])
    assert month.context["page"].paginator.count == shown["month-12"][1]


def test_chart_data_block_matches_the_figures_and_is_not_executable(client, login_as, mrao, estate):
    response = login_as(mrao).get("/dashboard/")
    data = chart_data(response)
    status = dict(zip(data["status"]["labels"], data["status"]["values"]))
    assert status == {"Issued": 5, "Requested": 3, "Revoked": 1}
    assert all(link.startswith("/certificates/?status=") for link in data["status"]["links"])
    assert len(data["issuance"]["values"]) == 12 and sum(data["issuance"]["values"]) == 6
    html = response.content.decode()
    # The only script without src is the JSON block (type application/json is never run: CSP-safe).
    assert parse_page(html).inline_scripts == 0 and not parse_page(html).event_attributes
    # htmx, certdesk.js, the JSON block, Chart.js and dashboard.js
    assert html.count("<script") == 5 and html.count('type="application/json"') == 1
    assert "/static/web/vendor/chart.umd.min.js" in html and "/static/web/dashboard.js" in html
    assert 'role="img"' in html and 'aria-label="Certificates by status: Requested: 3, Issued: 5, Revoked: 1"' in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_chart_library_is_served_locally(client, login_as, mrao):
    login_as(mrao)
    for path in ("/static/web/vendor/chart.umd.min.js", "/static/web/dashboard.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body
    assert b"Chart.js v4" in b"".join(client.get("/static/web/vendor/chart.umd.min.js").streaming_content)


def test_dashboard_in_french(client, login_as, mrao, estate):
    mrao.language = "fr"
    mrao.save(update_fields=["language"])
    response = login_as(mrao).get("/dashboard/")
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()


def test_issuance_months_follow_the_admin_time_zone(mrao_actor, univ):
    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 11, 15, 12, 0, tzinfo=dt_timezone.utc)
    # 31 October 23:30 UTC is already 1 November in Paris.
    make_certs(univ, 1, issued_at=datetime(2026, 10, 31, 23, 30, tzinfo=dt_timezone.utc))
    make_certs(univ, 2, issued_at=datetime(2026, 10, 15, tzinfo=dt_timezone.utc))
    make_certs(univ, 1, issued_at=datetime(2025, 11, 30, 23, 30, tzinfo=dt_timezone.utc))  # Dec 2025 in Paris
    make_certs(univ, 1, issued_at=datetime(2025, 11, 10, tzinfo=dt_timezone.utc))  # before the 12 months
    data = reports.dashboard(mrao_actor, tz=paris, now=now)
    months = {first.isoformat(): n for first, n in data.issuance}
    assert list(months)[0] == "2025-12-01" and list(months)[-1] == "2026-11-01"
    assert months["2026-11-01"] == 1 and months["2026-10-01"] == 2 and months["2025-12-01"] == 1
    assert sum(months.values()) == 4
    in_utc = {first.isoformat(): n for first, n in reports.dashboard(mrao_actor, tz=dt_timezone.utc,
                                                                      now=now).issuance}
    assert in_utc["2026-10-01"] == 3 and in_utc["2026-11-01"] == 0


def test_query_count_does_not_grow_with_the_data(client, login_as, mrao, mrao_actor, univ, physics, chemistry):
    login_as(mrao)
    make_certs(physics, 2)
    client.get("/dashboard/")  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/dashboard/").status_code == 200
    now = timezone.now()
    for org in (univ, physics, chemistry):
        for status in Status.values:
            make_certs(org, 30, status=status, profile_name="OV Multi-Domain" if org == chemistry else "OV SSL")
    make_certs(physics, 40, not_after=now + 20 * DAY, issued_at=now - 100 * DAY)
    for i in range(5):
        make_domain(mrao_actor, f"d{i}.example.org", physics, dcv_status=DcvStatus.VALIDATED, expires=now + i * DAY)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/dashboard/")
    assert response.status_code == 200
    assert figures(response)["total"][1] == 2 + 3 * 30 * len(Status.values) + 40
    assert len(large.captured_queries) == len(small.captured_queries)
    # The certificate figures are a handful of grouped queries, never one per status or per month:
    # status × profile, the months, the expiry windows, requests awaiting me (all, minus my own EV).
    certificate_queries = [q["sql"] for q in large.captured_queries if "certificates_certificate" in q["sql"]]
    assert len(certificate_queries) <= 5, certificate_queries


def test_figures_are_reused_until_something_changes(client, login_as, mrao, mrao_actor, physics, monkeypatch):
    from django.core.cache import cache

    from certdesk.certificates import services as certificate_services

    cache.clear()
    monkeypatch.setattr(reports, "DASHBOARD_CACHE_SECONDS", 3600)  # no entry ages out on a slow machine
    login_as(mrao)
    requested = make_certs(physics, 2, status=Status.REQUESTED)
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as again:
        shown = figures(client.get("/dashboard/"))
    assert shown["status-REQUESTED"][1] == 2
    assert not [q for q in again.captured_queries if "certificates_certificate" in q["sql"]]
    # A change goes through a service, which writes the audit log: the figures follow at once.
    certificate_services.decline(mrao_actor, requested[0], "Not needed")
    shown = figures(client.get("/dashboard/"))
    assert shown["status-REQUESTED"][1] == 1 and shown["status-DECLINED"][1] == 1
    cache.clear()


def test_costly_figures_are_reused_for_a_minute_whatever_changes(client, login_as, mrao, mrao_actor, physics,
                                                                  monkeypatch):
    """A network's million certificates take a second to count and ACME moves the audit tip every
    second: such figures are kept until they are DASHBOARD_CACHE_SECONDS old, and say when they were counted."""
    from django.core.cache import cache

    from certdesk.certificates import services as certificate_services

    cache.clear()
    monkeypatch.setattr(reports, "DASHBOARD_CACHE_SECONDS", 3600)  # no entry ages out on a slow machine
    monkeypatch.setattr(reports, "DASHBOARD_COSTLY_SECONDS", -1)  # every count counts as costly
    login_as(mrao)
    requested = make_certs(physics, 2, status=Status.REQUESTED)
    response = client.get("/dashboard/")
    assert figures(response)["status-REQUESTED"][1] == 2
    assert b'data-figure="computed-at"' in response.content
    certificate_services.decline(mrao_actor, requested[0], "Not needed")
    assert figures(client.get("/dashboard/"))["status-REQUESTED"][1] == 2  # kept: costly and young
    monkeypatch.setattr(reports, "DASHBOARD_COSTLY_SECONDS", 60)  # cheap again: the moved tip counts anew
    shown = figures(client.get("/dashboard/"))
    assert shown["status-REQUESTED"][1] == 1 and shown["status-DECLINED"][1] == 1
    cache.clear()
