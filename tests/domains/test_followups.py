"""Domain core follow-ups: `delete_dcv` (withdraw a validation), `visible_domains(name=...)` matching
U-labels, and `dcv_states_for` (the effective DCV of many domains in a fixed number of queries)."""
from __future__ import annotations

import importlib
import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certdesk.core.errors import NotFound, PermissionDenied
from certdesk.core.models import AuditEvent
from certdesk.domains import queries, services
from certdesk.domains.models import DcvOrder, Domain
from certdesk.domains.states import DcvStatus, OrderStatus
from tests.api.conftest import ScmClient
from tests.conftest import actor_for

# ---------------------------------------------------------------------------
# (a) delete_dcv


def test_delete_dcv_cancels_the_order_and_withdraws_the_validation(make_domain, univ, validate, rao):
    domain = make_domain("univ-lyon.test", univ)
    validate(domain)
    services.start_dcv(rao, domain, "CNAME")  # a revalidation under way
    order = DcvOrder.objects.get(domain=domain, status=OrderStatus.AWAITING_SUBMISSION)
    Domain.objects.filter(pk=domain.pk).update(dcv_notice_days=30)
    assert services.delete_dcv(rao, domain) is True
    domain.refresh_from_db()
    assert (domain.dcv_status, domain.dcv_method, domain.dcv_validated_at, domain.dcv_expires,
            domain.dcv_notice_days) == (DcvStatus.NOT_VALIDATED, "", None, None, None)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    event = AuditEvent.objects.filter(action="dcv.deleted").get()
    assert event.actor == "rao_univ" and event.object_id == str(domain.pk)
    changes = json.loads(event.changes)
    assert changes["dcv_status"] == ["VALIDATED", "NOT_VALIDATED"] and changes["method"] == "TXT"
    assert queries.dcv_status_for(domain).order_status == OrderStatus.NOT_INITIATED
    # nothing left: False, nothing audited; the expiry sweep leaves it alone
    assert services.delete_dcv(rao, domain) is False
    assert AuditEvent.objects.filter(action="dcv.deleted").count() == 1
    services.expire_sweep(now=timezone.now() + timedelta(days=1000))
    domain.refresh_from_db()
    assert domain.dcv_status == DcvStatus.NOT_VALIDATED


def test_delete_dcv_of_an_open_order_only(make_domain, univ, rao):
    domain = make_domain("univ-lyon.test", univ)
    services.start_dcv(rao, domain, "TXT")
    assert services.delete_dcv(rao, domain) is True
    assert not DcvOrder.objects.filter(domain=domain, status=OrderStatus.AWAITING_SUBMISSION).exists()
    assert AuditEvent.objects.filter(action="dcv.deleted").count() == 1


def test_delete_dcv_needs_the_dcv_privilege_and_the_scope(make_domain, chemistry, physics, drao_chemistry,
                                                          drao_domains, validate):
    chem = make_domain("chemistry.univ-lyon.test", chemistry)
    validate(chem)
    with pytest.raises(PermissionDenied):  # a DRAO of Chemistry without allowDCV
        services.delete_dcv(actor_for(drao_chemistry), chem)
    with pytest.raises((NotFound, PermissionDenied)):  # a DRAO of Physics: not its department's domain
        services.delete_dcv(drao_domains, chem)
    chem.refresh_from_db()
    assert chem.dcv_status == DcvStatus.VALIDATED and not AuditEvent.objects.filter(action="dcv.deleted").exists()


def test_a_subdomain_stays_covered_by_its_validated_parent(make_domain, univ, validate, mrao_actor):
    parent = make_domain("univ-lyon.test", univ)
    validate(parent)
    sub = make_domain("www.univ-lyon.test", univ)
    validate(sub)
    services.delete_dcv(mrao_actor, sub)
    sub.refresh_from_db()
    state = queries.dcv_status_for(sub)
    assert state.status == DcvStatus.VALIDATED and state.inherited_from == "univ-lyon.test"
    services.delete_dcv(mrao_actor, parent)
    assert queries.dcv_status_for(sub).status == DcvStatus.NOT_VALIDATED


# ---------------------------------------------------------------------------
# (b) search by U-label


@pytest.fixture
def idn_domains(make_domain, univ):
    return {
        "école": make_domain("école-lyon.test", univ),  # xn--cole-lyon-93a.test
        "straße": make_domain("straße.univ-lyon.test", univ),  # xn--strae-oqa.univ-lyon.test
        "plain": make_domain("lyon.test", univ),
    }


@pytest.mark.parametrize("text, expected", [
    ("école", {"école"}),
    ("ÉCOLE", {"école"}),
    ("écol", {"école"}),  # part of a label: matched on the stored U-label
    ("École-Lyon.test", {"école"}),
    ("xn--cole", {"école"}),  # the A-label as stored
    ("XN--COLE-LYON-93A.TEST", {"école"}),
    ("cole-lyon.test", {"école"}),  # in the U-label (école-lyon.test), not in the A-label (…-lyon-93a.test)
    ("e-lyon.test", {"école"}),
    ("écoles", set()),
    ("lyon.test", {"école", "straße", "plain"}),
    ("straße", {"straße"}),
    ("STRASSE", set()),  # IDNA 2008 keeps ß: no match for ss
    ("ße.univ", {"straße"}),
    ("strae-oqa", {"straße"}),
    ("zzz", set()),
])
def test_visible_domains_match_a_and_u_labels(mrao_actor, idn_domains, text, expected):
    found = set(queries.visible_domains(mrao_actor, name=text).values_list("id", flat=True))
    assert found == {idn_domains[key].pk for key in expected}


def test_name_unicode_is_kept_and_filled_by_the_migration(idn_domains):
    assert Domain.objects.get(pk=idn_domains["école"].pk).name_unicode == "école-lyon.test"
    Domain.objects.update(name_unicode="")
    migration = importlib.import_module("certdesk.domains.migrations.0002_email_dcv")
    migration.fill_name_unicode(apps, None)
    assert dict(Domain.objects.values_list("name", "name_unicode")) == {
        "xn--cole-lyon-93a.test": "école-lyon.test",
        "xn--strae-oqa.univ-lyon.test": "straße.univ-lyon.test",
        "lyon.test": "lyon.test",
    }


def test_api_and_portal_search_by_u_label(mrao, idn_domains):
    api = ScmClient(Client(), mrao.login)
    listed = api.get("domain/v1", {"name": "écol"}).json()
    assert listed == [{"id": idn_domains["école"].pk, "name": "école-lyon.test"}]
    assert api.get("domain/v1/count", {"name": "e-lyon.test"}).json() == {"count": 1}
    assert [r["domain"] for r in api.get("dcv/v1/validation", {"domain": "straß"}).json()] == [
        "straße.univ-lyon.test"]
    portal = Client()
    portal.force_login(mrao, backend="certdesk.accounts.backends.AdminBackend")
    rows = portal.get("/domains/", {"q": "ÉCOL"}).context["rows"]
    assert [r["domain"].pk for r in rows] == [idn_domains["école"].pk]


# ---------------------------------------------------------------------------
# (c) dcv_states_for


def _fields(state):
    return (state.status, state.display, state.method, state.validated_at, state.expires, state.inherited_from,
            state.revalidation_open, state.order_status, state.order_method, state.order_id, state.delegated,
            state.requires_approval)


def test_bulk_states_equal_the_single_ones(make_domain, univ, physics, chemistry, validate, mrao_actor,
                                           drao_domains, other_org):
    base = make_domain("univ-lyon.test", univ)
    validate(base)
    sub = make_domain("www.univ-lyon.test", physics)  # covered: delegated to a department of univ
    wild = make_domain("*.univ-lyon.test", univ)  # covered: its base is validated
    other = make_domain("other.test", chemistry)
    services.start_dcv(mrao_actor, other, "CNAME")
    expired = make_domain("old.test", univ)
    past = timezone.now() - timedelta(days=1)
    Domain.objects.filter(pk=expired.pk).update(dcv_status=DcvStatus.VALIDATED, dcv_method="TXT",
                                                dcv_validated_at=past - timedelta(days=100), dcv_expires=past)
    requested = services.create_domain(drao_domains, "lab.univ-lyon.test", delegations=[(physics, ["SSL"])])
    domains = list(Domain.objects.order_by("id"))
    now = timezone.now()
    bulk = queries.dcv_states_for(domains, now=now)
    assert set(bulk) == {d.pk for d in domains}
    for domain in domains:
        assert _fields(bulk[domain.pk]) == _fields(queries.dcv_status_for(domain, now=now)), domain.name
    assert bulk[sub.pk].inherited_from == "univ-lyon.test" and bulk[wild.pk].status == DcvStatus.VALIDATED
    assert bulk[other.pk].order_status == OrderStatus.AWAITING_SUBMISSION
    assert bulk[expired.pk].status == DcvStatus.EXPIRED
    assert bulk[requested.pk].requires_approval and not bulk[requested.pk].delegated
    # judged for one organization: the parent's validation covers univ and its departments, not others
    for org, status in ((chemistry, DcvStatus.VALIDATED), (other_org, DcvStatus.NOT_VALIDATED)):
        judged = queries.dcv_states_for([sub], organization=org, now=now)[sub.pk]
        assert judged.status == status
        assert _fields(judged) == _fields(queries.dcv_status_for(sub, organization=org, now=now))
    assert queries.dcv_states_for([]) == {}


def test_bulk_states_cost_a_fixed_number_of_queries(make_domain, univ, physics, validate, mrao_actor):
    validate(make_domain("univ-lyon.test", univ))
    for i in range(25):
        domain = make_domain(f"h{i:02d}.univ-lyon.test", physics if i % 2 else univ)
        if i % 3 == 0:
            services.start_dcv(mrao_actor, domain, "TXT")
    domains = list(Domain.objects.order_by("id"))

    def count(items) -> int:
        with CaptureQueriesContext(connection) as ctx:
            queries.dcv_states_for(items)
        return len(ctx.captured_queries)

    assert count(domains[:5]) == count(domains) <= 5
