"""Domains menu: the list and its green/yellow/red states, adding a domain, the DCV panel flow
(Validate → instructions → Save & Close / Submit → VALIDATED, Reset), delegation approval, CAA,
delete, Settings → DCV methods, scope, French, CSP and labels."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certdesk.domains import services
from certdesk.domains.models import DcvOrder, Delegation, Domain
from certdesk.domains.states import DcvStatus, DelegationStatus, OrderStatus
from tests.domains.conftest import (  # noqa: F401 - fixtures: loopback DNS and web servers, domain settings
    _dns_server,
    _domain_settings,
    _web_servers,
    dns,
    drao_domains,
    make_domain,
    validate,
    web,
)

from .conftest import parse_page

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rao_client(rao_univ, login_as):
    return login_as(rao_univ, the_client=Client())


@pytest.fixture
def drao_client(drao_domains, login_as):
    return login_as(drao_domains.admin, the_client=Client())


@pytest.fixture
def domain(make_domain, univ):
    return make_domain("univ-lyon.test", univ)


def _html(response, status=200) -> str:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.content.decode()


def _badge(html: str, css: str, label: str) -> bool:
    return f'<span class="badge {css}">{label}</span>' in html


def _panel_of(html: str) -> str:
    return html.split('id="dcv-panel"', 1)[1].split("</section>", 1)[0]


# ---------------------------------------------------------------------------
# The list


def test_list_shows_green_yellow_red_and_filters(mrao_client, make_domain, validate, univ, physics, drao_domains):
    green = make_domain("green.univ-lyon.test", univ)
    validate(green)
    make_domain("yellow.univ-lyon.test", univ)
    red = make_domain("red.univ-lyon.test", univ)
    past = timezone.now() - timedelta(days=1)
    Domain.objects.filter(pk=red.pk).update(dcv_status=DcvStatus.VALIDATED, dcv_method="TXT",
                                            dcv_validated_at=past - timedelta(days=200), dcv_expires=past)
    services.create_domain(drao_domains, "requested.univ-lyon.test", delegations=[(physics, ["SSL"])])
    html = _html(mrao_client.get("/domains/"))
    rows = {row["domain"].name: row["display"]["value"] for row in mrao_client.get("/domains/").context["rows"]}
    assert rows == {"green.univ-lyon.test": "VALIDATED", "yellow.univ-lyon.test": "ACTION_REQUIRED",
                    "red.univ-lyon.test": "EXPIRED", "requested.univ-lyon.test": "ACTION_REQUIRED"}
    assert _badge(html, "ok", "VALIDATED") and _badge(html, "warn", "ACTION REQUIRED")
    assert _badge(html, "off", "EXPIRED")
    assert 'href="/domains/new/"' in html and "1 delegation awaits your approval" in html

    def listed(params):
        return [r["domain"].name for r in mrao_client.get("/domains/", params).context["rows"]]

    assert listed({"delegation": "requested"}) == ["requested.univ-lyon.test"]
    assert listed({"q": "RED."}) == ["red.univ-lyon.test"]
    assert listed({"org": physics.pk}) == ["requested.univ-lyon.test"]
    services.set_domain_state(services.system_actor(univ.customer), green, active=False)
    assert listed({"state": "suspended"}) == ["green.univ-lyon.test"]
    assert len(listed({"state": "active", "delegation": "active"})) == 2
    # bad filter values are ignored, never a 500
    assert len(listed({"org": "abc", "state": "gone"})) == 4


def _queries_of(client, url, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _html(client.get(url, params))
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(mrao_client, make_domain, univ, physics, validate, mrao_actor):
    validate(make_domain("univ-lyon.test", univ))  # its validation covers the hosts below (inherited)
    for i in range(25):
        domain = make_domain(f"host{i:02d}.univ-lyon.test", physics if i % 2 else univ)
        if i % 4 == 0:
            services.start_dcv(mrao_actor, domain, "TXT")
    mrao_client.get("/domains/")  # warm the session and caches
    assert len(mrao_client.get("/domains/", {"q": "host2"}).context["rows"]) == 5  # host20…host24
    assert len(mrao_client.get("/domains/", {"q": "host"}).context["rows"]) == 25
    five, twenty_five = _queries_of(mrao_client, "/domains/", {"q": "host2"}), _queries_of(
        mrao_client, "/domains/", {"q": "host"})
    assert five == twenty_five <= 25, (five, twenty_five)


def test_list_pages_keep_the_filters(mrao_client, make_domain, univ):
    for i in range(52):
        make_domain(f"host{i:02d}.univ-lyon.test", univ)
    make_domain("other.univ-lyon.test", univ)
    html = _html(mrao_client.get("/domains/", {"q": "host"}))
    assert "Page 1 of 2" in html and 'href="?q=host&amp;page=2"' in html
    page2 = mrao_client.get("/domains/", {"q": "host", "page": 2})
    assert [r["domain"].name for r in page2.context["rows"]] == ["host50.univ-lyon.test", "host51.univ-lyon.test"]


# ---------------------------------------------------------------------------
# Add → validate → submit → VALIDATED


def test_add_validate_submit_validated(rao_client, univ, dns):
    html = _html(rao_client.get("/domains/new/"))
    assert 'name="org_1"' in html and 'name="types_1"' in html
    response = rao_client.post("/domains/new/", {"name": "Univ-Lyon.test", "description": "Main",
                                                 "org_1": univ.pk, "types_1": ["SSL", "SMIME"]})
    domain = Domain.objects.get(name="univ-lyon.test")
    assert response.status_code == 302 and response["Location"] == f"/domains/{domain.pk}/"
    assert list(domain.delegations.values_list("status", flat=True)) == [DelegationStatus.ACTIVE]
    html = _html(rao_client.get(response["Location"]))
    assert "Next step: validate control of it (DCV)" in html
    panel = _panel_of(html)
    assert _badge(panel, "off", "NOT VALIDATED") and _badge(panel, "neutral", "NOT INITIATED")
    assert f'hx-get="/domains/{domain.pk}/dcv/validate/"' in panel and ">Validate<" in panel

    chooser = _html(rao_client.get(f"/domains/{domain.pk}/dcv/validate/", **HX))
    assert "<html" not in chooser and 'value="TXT"' in chooser and 'value="HTTP"' in chooser
    instructions = _html(rao_client.post(f"/domains/{domain.pk}/dcv/validate/", {"method": "TXT"}, **HX))
    order = DcvOrder.objects.get(domain=domain)
    assert order.status == OrderStatus.AWAITING_SUBMISSION
    assert "_pki-validation.univ-lyon.test." in instructions and order.value in instructions
    assert "Save & Close" in instructions and ">Submit<" in instructions
    assert _badge(instructions, "warn", "AWAITING SUBMISSION")

    dns.add(f'_pki-validation.univ-lyon.test. 60 IN TXT "{order.value}"')
    result = _html(rao_client.post(f"/domains/{domain.pk}/dcv/submit/", **HX))
    assert "Domain control validated." in result
    assert _badge(result, "ok", "VALIDATED") and "Revalidate" in result
    domain.refresh_from_db()
    assert domain.dcv_status == DcvStatus.VALIDATED and domain.dcv_expires is not None
    assert [r["display"]["value"] for r in rao_client.get("/domains/").context["rows"]] == ["VALIDATED"]


def test_validate_without_javascript_uses_pages_and_redirects(mrao_client, domain, dns):
    html = _html(mrao_client.get(f"/domains/{domain.pk}/dcv/validate/"))
    assert "<html" in html and 'name="method"' in html
    assert mrao_client.post(f"/domains/{domain.pk}/dcv/validate/", {}).status_code == 400
    response = mrao_client.post(f"/domains/{domain.pk}/dcv/validate/", {"method": "CNAME"})
    assert response.status_code == 302
    assert response["Location"] == f"/domains/{domain.pk}/?dcv=instructions#dcv-panel"
    order = DcvOrder.objects.get(domain=domain)
    html = _html(mrao_client.get(f"/domains/{domain.pk}/", {"dcv": "instructions"}))
    assert order.host in html and order.value in html and "<code>CNAME</code>" in html
    dns.add(f"{order.host} 60 IN CNAME {order.value}")
    response = mrao_client.post(f"/domains/{domain.pk}/dcv/submit/")
    assert response.status_code == 302
    assert "Domain control validated." in _html(mrao_client.get(response["Location"].split("#")[0]))


def test_wrong_record_shows_the_reason_and_check_now(mrao_client, domain, dns):
    mrao_client.post(f"/domains/{domain.pk}/dcv/validate/", {"method": "CNAME"}, **HX)
    order = DcvOrder.objects.get(domain=domain)
    dns.add(f"{order.host} 60 IN CNAME wrong.dcv.certdesk.test.")
    html = _html(mrao_client.post(f"/domains/{domain.pk}/dcv/submit/", **HX))
    assert "Submitted, not validated yet:" in html and "wrong.dcv.certdesk.test" in html
    assert _badge(html, "warn", "SUBMITTED") and "Check now" in html and _badge(html, "off", "NOT VALIDATED")
    domain.refresh_from_db()
    assert domain.dcv_status == DcvStatus.NOT_VALIDATED
    # the panel keeps saying why, and a fixed record passes on Check now
    assert "points to" in _panel_of(_html(mrao_client.get(f"/domains/{domain.pk}/")))
    dns.remove(order.host)
    dns.add(f"{order.host} 60 IN CNAME {order.value}")
    assert "Domain control validated." in _html(mrao_client.post(f"/domains/{domain.pk}/dcv/submit/", **HX))


def test_save_and_close_then_reset_with_confirmation(mrao_client, domain):
    mrao_client.post(f"/domains/{domain.pk}/dcv/validate/", {"method": "TXT"}, **HX)
    html = _html(mrao_client.post(f"/domains/{domain.pk}/dcv/save/", **HX))
    assert "Saved: publish the record or file" in html and ">Continue<" in html
    assert DcvOrder.objects.get(domain=domain).status == OrderStatus.AWAITING_SUBMISSION
    assert f'hx-get="/domains/{domain.pk}/dcv/reset/"' in html
    confirm = _html(mrao_client.get(f"/domains/{domain.pk}/dcv/reset/", **HX))
    assert 'id="dialog-title"' in confirm and "<html" not in confirm and "data-dialog-close" in confirm
    assert "<html" in _html(mrao_client.get(f"/domains/{domain.pk}/dcv/reset/"))
    response = mrao_client.post(f"/domains/{domain.pk}/dcv/reset/")
    assert response.status_code == 302
    assert DcvOrder.objects.get(domain=domain).status == OrderStatus.CANCELLED
    assert "The DCV order was reset" in _html(mrao_client.get(response["Location"]))


def test_http_file_instructions_and_wildcard_offers_no_file_method(mrao_client, domain, make_domain, univ, dns, web):
    dns.add("univ-lyon.test. 60 IN A 127.0.0.1")
    html = _html(mrao_client.post(f"/domains/{domain.pk}/dcv/validate/", {"method": "HTTP"}, **HX))
    order = DcvOrder.objects.get(domain=domain)
    assert order.url in html and order.value in html and "certdesk.test" in html
    web.serve("univ-lyon.test", order.url.split("univ-lyon.test", 1)[1], f"{order.value}\n{order.second_line}\n")
    assert "Domain control validated." in _html(mrao_client.post(f"/domains/{domain.pk}/dcv/submit/", **HX))
    wild = make_domain("*.univ-lyon.test", univ)
    chooser = _html(mrao_client.get(f"/domains/{wild.pk}/dcv/validate/", **HX))
    assert 'value="CNAME"' in chooser and 'value="HTTP"' not in chooser and 'value="HTTPS"' not in chooser
    html = _html(mrao_client.post(f"/domains/{wild.pk}/dcv/validate/", {"method": "HTTP"}, **HX), 400)
    assert not DcvOrder.objects.filter(domain=wild).exists() and "Select a valid choice" in html


def test_email_dcv_lists_addresses_and_records_the_choice(mrao_client, domain):
    html = _html(mrao_client.post(f"/domains/{domain.pk}/dcv/validate/", {"method": "EMAIL"}, **HX))
    assert 'value="admin@univ-lyon.test"' in html and 'value="webmaster@univ-lyon.test"' in html
    assert _html(mrao_client.post(f"/domains/{domain.pk}/dcv/submit/", {"email": "x@evil.test"}, **HX), 400)
    html = _html(mrao_client.post(f"/domains/{domain.pk}/dcv/submit/", {"email": "hostmaster@univ-lyon.test"}, **HX))
    assert "a validation email was sent to hostmaster@univ-lyon.test" in html
    order = DcvOrder.objects.get(domain=domain)
    assert order.status == OrderStatus.SUBMITTED and order.email == "hostmaster@univ-lyon.test"


# ---------------------------------------------------------------------------
# Add: bad input, delegation requests and approval


@pytest.mark.parametrize("name, message", [
    ("foo.*.univ-lyon.test", "a wildcard is allowed only as the leftmost label"),
    ("192.0.2.1", "is an IP address"),
    ("ac.uk", "is a public suffix"),
    ("a" * 64 + ".test", "longer than 63 characters"),
])
def test_add_refuses_bad_names_next_to_the_field(mrao_client, univ, name, message):
    response = mrao_client.post("/domains/new/", {"name": name, "org_1": univ.pk, "types_1": ["SSL"]})
    html = _html(response)
    assert message in html and 'aria-invalid="true"' in html.split('name="name"')[0][-400:] + html
    assert not Domain.objects.exists()


def test_add_needs_a_delegation_with_types(mrao_client, univ, make_domain):
    html = _html(mrao_client.post("/domains/new/", {"name": "univ-lyon.test"}))
    assert "Delegate the domain to at least one organization or department." in html
    html = _html(mrao_client.post("/domains/new/", {"name": "univ-lyon.test", "org_1": univ.pk}))
    assert "Choose at least one certificate type." in html
    make_domain("univ-lyon.test", univ)
    html = _html(mrao_client.post("/domains/new/", {"name": "univ-lyon.test", "org_1": univ.pk, "types_1": ["SSL"]}))
    assert "already exists" in html
    assert Domain.objects.count() == 1


def test_drao_request_then_rao_approves_in_the_dialog(drao_client, client, login_as, rao_univ, physics):
    response = drao_client.post("/domains/new/", {"name": "physics.univ-lyon.test", "org_1": physics.pk,
                                                  "types_1": ["SSL"]})
    domain = Domain.objects.get(name="physics.univ-lyon.test")
    html = _html(drao_client.get(response["Location"]))
    assert "waits for the approval of a RAO or an MRAO" in html
    assert "Delegations to some organizations/departments require approval." in html
    assert "Approve Delegations" not in html and _badge(html, "warn", "Requested")
    assert _html(drao_client.get(f"/domains/{domain.pk}/delegations/decide/"), 302) == ""

    rao = login_as(rao_univ)
    html = _html(rao.get(f"/domains/{domain.pk}/"))
    assert f'hx-get="/domains/{domain.pk}/delegations/decide/"' in html and "Approve Delegations" in html
    dialog = _html(rao.get(f"/domains/{domain.pk}/delegations/decide/", **HX))
    assert 'id="dialog-title"' in dialog and f'value="{physics.pk}"' in dialog and "<html" not in dialog
    response = rao.post(f"/domains/{domain.pk}/delegations/decide/", {"organizations": [physics.pk],
                                                                      "decision": "approve"})
    assert response.status_code == 302
    assert Delegation.objects.get(domain=domain).status == DelegationStatus.ACTIVE
    html = _html(rao.get(response["Location"]))
    assert "Delegations approved: 1." in html and "require approval" not in html


def test_rao_rejects_the_only_request_and_the_domain_goes(drao_domains, rao_client, physics):
    domain = services.create_domain(drao_domains, "physics.univ-lyon.test", delegations=[(physics, ["SSL"])])
    response = rao_client.post(f"/domains/{domain.pk}/delegations/decide/", {"organizations": [physics.pk],
                                                                             "decision": "reject"})
    assert response.status_code == 302 and response["Location"] == "/domains/"
    assert not Domain.objects.exists()


def test_delegation_add_and_remove_on_the_domain_page(mrao_client, domain, physics, chemistry):
    html = _html(mrao_client.post(f"/domains/{domain.pk}/delegations/add/", {"organization": physics.pk}), 400)
    assert "This field is required." in html
    response = mrao_client.post(f"/domains/{domain.pk}/delegations/add/", {"organization": physics.pk,
                                                                           "cert_types": ["SSL", "CodeSign"]})
    assert response.status_code == 302
    assert sorted(domain.delegations.get(organization=physics).cert_types) == ["CodeSign", "SSL"]
    html = _html(mrao_client.get(f"/domains/{domain.pk}/"))
    assert f'action="/domains/{domain.pk}/delegations/{physics.pk}/remove/"' in html
    assert mrao_client.post(f"/domains/{domain.pk}/delegations/{physics.pk}/remove/", {"confirmed": "1"}).status_code == 302
    assert list(domain.delegations.values_list("organization_id", flat=True)) == [domain.delegations.first()
                                                                                  .organization_id]
    response = mrao_client.post(f"/domains/{domain.pk}/delegations/{chemistry.pk}/remove/", {"confirmed": "1"})
    assert "does not exist any more" in _html(mrao_client.get(response["Location"]))


# ---------------------------------------------------------------------------
# MRAO-only actions, scope


def test_only_an_mrao_deletes_with_a_confirmation_dialog(mrao_client, rao_client, domain):
    html = _html(rao_client.get(f"/domains/{domain.pk}/"))
    assert "/delete/" not in html and "Suspend" not in html
    assert rao_client.get(f"/domains/{domain.pk}/delete/").status_code == 403
    assert rao_client.post(f"/domains/{domain.pk}/delete/").status_code == 403
    html = _html(mrao_client.get(f"/domains/{domain.pk}/"))
    assert f'hx-get="/domains/{domain.pk}/delete/" hx-target="#portal-dialog-body"' in html
    dialog = _html(mrao_client.get(f"/domains/{domain.pk}/delete/", **HX))
    assert 'id="dialog-title"' in dialog and "data-dialog-close" in dialog and "<html" not in dialog
    response = mrao_client.post(f"/domains/{domain.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/domains/"
    assert not Domain.objects.exists()


def test_mrao_suspends_activates_and_edits_contacts(mrao_client, rao_client, domain):
    assert mrao_client.post(f"/domains/{domain.pk}/suspend/").status_code == 302
    domain.refresh_from_db()
    assert domain.state == "SUSPENDED"
    html = _html(mrao_client.get(f"/domains/{domain.pk}/"))
    assert _badge(html, "off", "Suspended") and ">Validate<" not in _panel_of(html)
    assert rao_client.post(f"/domains/{domain.pk}/activate/").status_code == 302
    domain.refresh_from_db()
    assert domain.state == "SUSPENDED"  # refused for a RAO (shown as a message)
    mrao_client.post(f"/domains/{domain.pk}/activate/")
    domain.refresh_from_db()
    assert domain.state == "ACTIVE"
    response = mrao_client.post(f"/domains/{domain.pk}/edit/", {"description": "Campus",
                                                                "contact_emails": "DNS@univ-lyon.example"})
    assert response.status_code == 302
    domain.refresh_from_db()
    assert domain.description == "Campus" and domain.contact_emails == ["dns@univ-lyon.example"]
    assert 'name="contact_emails"' not in _html(rao_client.get(f"/domains/{domain.pk}/edit/"))


def test_drao_cannot_reach_another_departments_domain(drao_client, make_domain, chemistry, physics):
    other = make_domain("chemistry.univ-lyon.test", chemistry)
    own = make_domain("physics.univ-lyon.test", physics)
    assert [r["domain"].pk for r in drao_client.get("/domains/").context["rows"]] == [own.pk]
    for url in ("/", "/edit/", "/delete/", "/caa/", "/dcv/", "/dcv/validate/", "/dcv/reset/",
                "/delegations/decide/"):
        assert drao_client.get(f"/domains/{other.pk}{url}").status_code == 404, url
    for url in ("/dcv/submit/", "/dcv/save/", "/suspend/", "/delegations/add/", "/dcv/validate/"):
        assert drao_client.post(f"/domains/{other.pk}{url}", {"method": "TXT"}).status_code == 404, url
    assert not DcvOrder.objects.exists()


def test_another_customers_domain_answers_404(client, login_as, other_mrao, domain):
    other = login_as(other_mrao)
    assert other.get(f"/domains/{domain.pk}/").status_code == 404
    assert other.get("/domains/").context["rows"] == []


def test_without_the_dcv_privilege_there_is_no_validate_button(client, login_as, drao_chemistry, make_domain,
                                                                chemistry):
    domain = make_domain("chemistry.univ-lyon.test", chemistry)
    chem = login_as(drao_chemistry)
    assert ">Validate<" not in _panel_of(_html(chem.get(f"/domains/{domain.pk}/")))
    assert chem.get(f"/domains/{domain.pk}/dcv/validate/").status_code == 403
    assert chem.post(f"/domains/{domain.pk}/dcv/submit/").status_code == 302
    assert not DcvOrder.objects.exists()


# ---------------------------------------------------------------------------
# CAA and DCV methods


def test_caa_panel_shows_the_result_and_the_record_to_add(mrao_client, domain, dns):
    html = _html(mrao_client.get(f"/domains/{domain.pk}/"))
    assert f'hx-get="/domains/{domain.pk}/caa/" hx-trigger="load"' in html
    allowed = _html(mrao_client.get(f"/domains/{domain.pk}/caa/", **HX))
    assert "Issuance allowed" in allowed and "<html" not in allowed and "Optionally" in allowed
    dns.add('univ-lyon.test. 60 IN CAA 0 issue "other-ca.example"')
    refused = _html(mrao_client.get(f"/domains/{domain.pk}/caa/", **HX))
    assert "Issuance refused" in refused and '0 issue &quot;other-ca.example&quot;' in refused
    assert 'univ-lyon.test. CAA 0 issue &quot;certdesk.test&quot;' in refused
    assert "dig univ-lyon.test caa +short" in refused
    dns.reset()
    dns.servfail.add("univ-lyon.test")
    failed = _html(mrao_client.get(f"/domains/{domain.pk}/caa/"))
    assert "DNS failure" in failed and "<html" in failed


def test_dcv_methods_are_chosen_by_an_mrao(mrao_client, rao_client, domain):
    html = _html(rao_client.get("/settings/dcv/"))
    assert "Only an MRAO can change the DCV methods." in html and "disabled" in html
    assert rao_client.post("/settings/dcv/", {"methods": ["CNAME"]}).status_code == 403
    assert _html(mrao_client.post("/settings/dcv/", {"methods": []})) and "This field is required." in _html(
        mrao_client.post("/settings/dcv/", {"methods": []}))
    response = mrao_client.post("/settings/dcv/", {"methods": ["CNAME", "TXT"]})
    assert response.status_code == 302 and response["Location"] == "/settings/dcv/"
    chooser = _html(mrao_client.get(f"/domains/{domain.pk}/dcv/validate/", **HX))
    assert re.findall(r'name="method" value="([A-Z_]+)"', chooser) == ["CNAME", "TXT"]
    assert 'href="/settings/dcv/"' in _html(mrao_client.get("/domains/"))


# ---------------------------------------------------------------------------
# French, CSP, labels


def test_french_labels(mrao_client, domain, make_domain, validate, univ):
    validate(make_domain("green.univ-lyon.test", univ))
    fr = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    html = _html(mrao_client.get("/domains/", **fr))
    for text in ("Domaines", "Ajouter un domaine", "ACTION REQUISE", "VALIDÉ", "Statut de délégation", "Filtrer"):
        assert text in html, text
    html = _html(mrao_client.get(f"/domains/{domain.pk}/", **fr))
    for text in ("Validation du contrôle de domaine (DCV)", "Statut DCV", "NON VALIDÉ", "NON INITIÉE", "Valider",
                 "Délégations"):
        assert text in html, text
    html = _html(mrao_client.post(f"/domains/{domain.pk}/dcv/validate/", {"method": "TXT"}, **HX, **fr))
    assert "Enregistrer et fermer" in html and "Soumettre" in html and "EN ATTENTE DE SOUMISSION" in html
    assert "Méthodes DCV" in _html(mrao_client.get("/settings/dcv/", **fr))


def test_domain_pages_have_csp_no_inline_script_and_labelled_inputs(mrao_client, domain, physics, drao_domains):
    requested = services.create_domain(drao_domains, "physics.univ-lyon.test", delegations=[(physics, ["SSL"])])
    mrao_client.post(f"/domains/{domain.pk}/dcv/validate/", {"method": "EMAIL"}, **HX)
    pages = ["/domains/", "/domains/?q=x&state=active", "/domains/new/", f"/domains/{domain.pk}/",
             f"/domains/{domain.pk}/?dcv=instructions", f"/domains/{domain.pk}/edit/", f"/domains/{domain.pk}/delete/",
             f"/domains/{domain.pk}/dcv/reset/", f"/domains/{requested.pk}/dcv/validate/", f"/domains/{domain.pk}/caa/",
             f"/domains/{requested.pk}/delegations/decide/", "/settings/dcv/"]
    for language in ("en", "fr"):
        for url in pages:
            for extra in ({}, HX):
                response = mrao_client.get(url, HTTP_ACCEPT_LANGUAGE=language, **extra)
                assert response.status_code == 200, url
                assert "script-src 'self'" in response["Content-Security-Policy"], url
                page = parse_page(response.content.decode())
                assert page.inline_scripts == 0 and page.event_attributes == [], url
                assert page.style_attributes == 0, url
                assert page.unlabelled() == [], (url, page.unlabelled())
