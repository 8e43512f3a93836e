"""A phone-sized screen in French (the longer headings) on the pages with the widest tables: the
tables scroll inside their box, the page itself never scrolls sideways (seen in a browser pass over
the large demo: visually hidden labels inside scrolled tables, the roles fieldset and the domain
page's grid widened whole pages)."""
from __future__ import annotations

import pytest

from certdesk.accounts import access
from certdesk.domains import services as domains
from certdesk.tenancy import services as tenancy

from .conftest import actor_for

pytestmark = [pytest.mark.slow]


def test_wide_tables_scroll_in_their_box_not_the_page(narrow_portal, mrao, univ, physics, chemistry, rao_univ):
    actor = actor_for(mrao)
    domain = domains.create_domain(actor, "univ-lyon.test", delegations=[(univ, ["SSL"]), (physics, ["SSL"])])
    tenancy.create_department(actor, univ, name="Direction du Numerique et des Systemes d'Information")
    access.create_api_token(actor, name="inventaire")
    mrao.language = "fr"
    mrao.save(update_fields=["language"])
    page = narrow_portal.page
    narrow_portal.login("mrao")
    assert page.locator("html").get_attribute("lang") == "fr"
    for path in ("/settings/admins/new/", "/settings/access-control/", "/settings/api-tokens/",
                 "/settings/notifications/", f"/organizations/{univ.pk}/", f"/domains/{domain.pk}/",
                 "/enrollments/acme/", "/reports/notifications/"):
        narrow_portal.goto(path)
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (path, overflow)
    narrow_portal.shot("notifications-narrow-fr")
