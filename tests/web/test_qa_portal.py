"""What a browser pass over the portal (EN/FR, MRAO/RAO/DRAO, large demo) turned up: pages that
grew one empty table per organization, codes shown where words belong, English left in French."""
from __future__ import annotations

import inspect
import re

from certdesk.accounts import access
from certdesk.accounts.models import AccessControlEntry
from certdesk.certificates.models import Certificate
from certdesk.domains import caa
from certdesk.notifications import notify, types
from certdesk.reports.queries import REQUEST_SOURCES
from certdesk.web.labels import CORE_STRINGS

from ..certificates.conftest import (  # noqa: F401  (fixtures of the certificate tests)
    _certificate_settings,
    _dns_server,
    _domain_settings,
    csr,
    dns,
    domains,
    keys,
    make_domain,
    profiles,
    ssl,
    validate,
)
from .conftest import parse_page
from .test_certificates import request


def _french(admin):
    admin.language = "fr"
    admin.save(update_fields=["language"])


def test_access_control_names_empty_lists_on_one_line(mrao_client, customer, univ, physics, chemistry):
    AccessControlEntry.objects.create(customer=customer, organization=physics,
                                      network=access.parse_network("192.0.2.0/24"), description="Labo")
    html = mrao_client.get("/settings/access-control/").content.decode()
    # the one list with a network is a table; the others are named, not drawn as empty tables
    assert html.count('<table class="data">') == 2  # Physics' list and the Web API table
    assert "192.0.2.0/24" in html and "<h3>Universite de Lyon / Physics</h3>" in html
    line = html.split('id="acl-unrestricted">', 1)[1].split("</p>", 1)[0]
    for label in ("All MRAO accounts (customer)", "Universite de Lyon", "Universite de Lyon / Chemistry"):
        assert label in line
    assert "Physics" not in line
    assert "No network: this list restricts nobody." not in html
    page = parse_page(html)
    assert page.inline_scripts == 0 and not page.unlabelled()


def test_notification_log_shows_statuses_in_words_of_the_reader(client, login_as, mrao, physics):
    notify(types.SSL_REVOKED, organization=physics, context={"common_name": "h.example"})
    _french(mrao)
    html = login_as(mrao).get("/reports/notifications/").content.decode()
    assert ">En attente</span>" in html and ">PENDING<" not in html
    assert '<option value="PENDING">En attente</option>' in html  # the filter keeps the code as its value
    assert client.get("/reports/notifications/", {"status": "PENDING"}).status_code == 200


def test_requested_via_is_translated_on_the_list_and_the_certificate(client, login_as, mrao, ssl, univ,
                                                                     rao_univ, csr):
    cert = request(rao_univ, univ, ssl["profiles"]["OV SSL"], csr("web.example.org"))
    Certificate.objects.filter(pk=cert.pk).update(requested_via="Web API")
    _french(mrao)
    login_as(mrao)
    assert "<small>API Web</small>" in client.get("/certificates/").content.decode()
    assert "<dd>API Web</dd>" in client.get(f"/certificates/{cert.pk}/").content.decode()
    report = client.get("/reports/certificates/").content.decode()
    assert '<option value="Web API">API Web</option>' in report


def test_core_words_the_portal_translates_are_listed():
    for source in REQUEST_SOURCES:
        if source not in ("SCEP", "EST"):  # protocol names, the same in every language
            assert source in CORE_STRINGS, source
    fixed_caa_answers = [s for s in CORE_STRINGS if s.startswith("No CAA record")]
    assert fixed_caa_answers and all(s in inspect.getsource(caa) for s in fixed_caa_answers)


def test_every_fixed_refusal_of_the_policy_is_listed_for_translation():
    """The 403 page and the forms show a refusal through `translated()`: a fixed one missing from
    CORE_STRINGS never reaches the catalogue and stays English in French (DRAO on /domains/new/)."""
    from certdesk.accounts import policy

    fixed = set(re.findall(r'PermissionDenied\(\s*"([^"]+)"\s*\)', inspect.getsource(policy)))
    assert fixed and fixed <= set(CORE_STRINGS), sorted(fixed - set(CORE_STRINGS))


def test_drao_refused_page_keeps_the_reason(client, login_as, drao_physics):
    response = login_as(drao_physics).get("/domains/new/")
    assert response.status_code == 403
    assert "You do not have the privilege to add domains (allowManageDomains)." in response.content.decode()


def test_domain_page_says_why_action_is_required(mrao_client, mrao, univ):
    from certdesk.domains import services as domain_services

    from ..conftest import actor_for

    from certdesk.domains.models import Delegation
    from certdesk.domains.states import DelegationStatus

    lonely = domain_services.create_domain(actor_for(mrao), "lonely.example", delegations=[(univ, ["SSL"])])
    Delegation.objects.filter(domain=lonely).update(status=DelegationStatus.REQUESTED)  # awaiting approval
    delegated = domain_services.create_domain(actor_for(mrao), "delegated.example", delegations=[(univ, ["SSL"])])
    html = mrao_client.get(f"/domains/{lonely.pk}/").content.decode()
    assert "ACTION REQUIRED" in html and "no delegation of this domain is approved yet" in html
    html = mrao_client.get(f"/domains/{delegated.pk}/").content.decode()
    assert "ACTION REQUIRED" in html and "the domain control validation (DCV) is missing" in html
