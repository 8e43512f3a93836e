"""The dashboard in Debian's Chromium (issue 8): Chart.js, served locally, draws the three charts
under the portal's content security policy (no violation, no script error), a click on a bar
opens the filtered list behind it, and the exports download."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from certdesk.certificates.states import Status
from tests.e2e.conftest import (  # noqa: F401  (the browser fixtures of the end-to-end tests)
    _dns_server,
    _domain_settings,
    _e2e_live_server,
    artifacts,
    browser,
    narrow_portal,
    portal,
    server,
)

from .factories import make_certs

pytestmark = [pytest.mark.slow]


@pytest.fixture
def certificates(univ, physics, chemistry):
    now = timezone.now()
    make_certs(physics, 3, not_after=now + timedelta(days=20))
    make_certs(chemistry, 2, profile_name="OV Multi-Domain", issued_at=now - timedelta(days=40))
    make_certs(univ, 2, status=Status.REQUESTED)
    make_certs(univ, 1, status=Status.REVOKED, revoked_at=now)


def test_dashboard_draws_its_charts_under_the_csp(portal, mrao, certificates):
    page = portal.page
    portal.login("mrao")
    portal.goto("/dashboard/")
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length === 3")
    charts = page.evaluate("""() => Object.values(window.Chart.instances).map(c => ({
        id: c.canvas.dataset.chart, type: c.config.type, values: c.data.datasets[0].data,
        width: c.canvas.width, height: c.canvas.height}))""")
    by_id = {c["id"]: c for c in charts}
    assert set(by_id) == {"status", "profile", "issuance"}
    assert by_id["status"]["type"] == "doughnut" and sorted(by_id["status"]["values"]) == [1, 2, 5]
    assert sum(by_id["issuance"]["values"]) == 6
    assert all(c["width"] > 100 and c["height"] > 100 for c in charts)
    portal.shot("dashboard")
    # A click on the "by type" bar of OV Multi-Domain opens the SSL list filtered on that profile.
    box = page.locator("canvas[data-chart=profile]").bounding_box()
    point = page.evaluate("""() => {
        const chart = Object.values(window.Chart.instances).find(c => c.canvas.dataset.chart === 'profile');
        const index = chart.data.labels.indexOf('OV Multi-Domain');
        const bar = chart.getDatasetMeta(0).data[index];
        return {x: bar.x - 5, y: bar.y};
    }""")
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url("**/certificates/?profile=*")


def test_dashboard_on_a_narrow_screen(narrow_portal, mrao, certificates):
    narrow_portal.login("mrao")
    narrow_portal.goto("/dashboard/")
    narrow_portal.page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length === 3")
    width = narrow_portal.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 400
    narrow_portal.shot("dashboard-narrow")


def test_report_exports_download(portal, mrao, certificates):
    portal.login("mrao")
    portal.goto("/reports/certificates/?status=ISSUED")
    with portal.page.expect_download() as download:
        portal.page.get_by_role("link", name="Export CSV").click()
    path = download.value.path()
    lines = open(path, encoding="utf-8-sig").read().splitlines()
    assert len(lines) == 1 + 5 and lines[0].startswith("ID,Common name")
    portal.shot("report-certificates")
