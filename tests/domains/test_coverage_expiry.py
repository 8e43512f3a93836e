"""Coverage of subdomains by a validated parent, the name check issuance uses, DCV validity,
ACTION REQUIRED, expiry and the worker's sweep."""
from datetime import date, datetime, timedelta, timezone as dt_timezone

import pytest
from django.utils import timezone

from certdesk.core import audit
from certdesk.core.models import AuditEvent
from certdesk.domains import queries, services, signals
from certdesk.domains.errors import DcvMissing, DomainInactive, InvalidDomainName, NotDelegated
from certdesk.domains.models import DcvOrder, Domain
from certdesk.domains.states import (
    DcvStatus,
    DisplayStatus,
    OrderStatus,
    expiry_notice_days,
    reuse_days,
    revalidation_window,
)

pytestmark = pytest.mark.slow


# ---------------------------------------------------------------------------
# The CA/B schedule as data


@pytest.mark.parametrize("day, days", [
    (date(2025, 12, 31), 398), (date(2026, 3, 14), 398), (date(2026, 3, 15), 200), (date(2027, 3, 14), 200),
    (date(2027, 3, 15), 100), (date(2029, 3, 14), 100), (date(2029, 3, 15), 10), (date(2035, 1, 1), 10),
])
def test_reuse_schedule_of_ballot_sc081(day, days):
    assert reuse_days(day) == days
    assert reuse_days(datetime(day.year, day.month, day.day, 12, tzinfo=dt_timezone.utc)) == days


def test_revalidation_window_and_notices_scale_with_short_periods():
    assert revalidation_window(398) == timedelta(days=60)
    assert revalidation_window(200) == timedelta(days=60)
    assert revalidation_window(100) == timedelta(days=33)
    assert revalidation_window(10) == timedelta(days=3)
    assert expiry_notice_days(200) == (30, 15)
    assert expiry_notice_days(10) == (3,)


def test_validity_setting_overrides_the_schedule(settings, make_domain, univ, validate):
    settings.DCV_VALIDITY_DAYS = 365
    domain = make_domain("univ-lyon.test", univ)
    validate(domain)
    assert domain.dcv_expires - domain.dcv_validated_at == timedelta(days=365)


# ---------------------------------------------------------------------------
# Coverage by a validated parent (certdesk-decisions "Domains and DCV", seeds 000 and 004)


def test_base_domain_dcv_covers_subdomains_and_wildcards_of_the_same_organization(
        make_domain, univ, physics, validate):
    base = make_domain("univ-lyon.test", univ)
    wild = make_domain("*.univ-lyon.test", univ)
    dept = make_domain("*.physics.univ-lyon.test", physics)
    assert queries.dcv_status_for(wild).status == DcvStatus.NOT_VALIDATED
    validate(base)
    for covered in (wild, dept):
        state = queries.dcv_status_for(covered)
        assert state.status == DcvStatus.VALIDATED and state.inherited_from == "univ-lyon.test"
        assert state.display == DisplayStatus.VALIDATED and state.expires == base.dcv_expires
    assert not DcvOrder.objects.filter(domain__in=[wild, dept]).exists()  # no second DCV


def test_no_coverage_across_organizations_or_from_a_department_up(make_domain, univ, physics, chemistry, other_org,
                                                                 validate):
    base = make_domain("univ-lyon.test", other_org)
    sub = make_domain("www.univ-lyon.test", univ)
    validate(base)
    assert queries.dcv_status_for(sub).status == DcvStatus.NOT_VALIDATED
    phys = make_domain("physics.univ-lyon.test", physics)
    chem = make_domain("lab.physics.univ-lyon.test", chemistry)
    org_level = make_domain("www.physics.univ-lyon.test", univ)
    validate(phys)
    assert queries.dcv_status_for(chem).status == DcvStatus.NOT_VALIDATED
    assert queries.dcv_status_for(org_level).status == DcvStatus.NOT_VALIDATED


def test_requested_delegation_of_the_base_does_not_cover(mrao_actor, rao_no_approve, make_domain, univ, validate):
    base = services.create_domain(rao_no_approve, "univ-lyon.test", delegations=[(univ, ["SSL"])])
    services.approve_delegation(mrao_actor, base, univ)
    validate(base)
    sub = make_domain("*.univ-lyon.test", univ)
    assert queries.dcv_status_for(sub).status == DcvStatus.VALIDATED
    base.delegations.update(status="REQUESTED")
    assert queries.dcv_status_for(sub).status == DcvStatus.NOT_VALIDATED


def test_is_name_authorized_for_issuance(make_domain, univ, physics, validate, mrao_actor):
    base = make_domain("univ-lyon.test", univ)
    make_domain("*.univ-lyon.test", univ, cert_types=("SSL", "SMIME"))
    make_domain("*.physics.univ-lyon.test", physics)
    check = queries.is_name_authorized(univ, "www.univ-lyon.test", "SSL")
    assert not check.ok and check.code == DcvMissing.code and "DCV" in check.reason
    validate(base)
    assert queries.is_name_authorized(univ, "univ-lyon.test", "SSL").ok
    assert queries.is_name_authorized(univ, "WWW.Univ-Lyon.test.", "SSL").ok
    assert queries.is_name_authorized(univ, "a.b.c.univ-lyon.test", "SSL").ok
    assert queries.is_name_authorized(univ, "*.univ-lyon.test", "SSL").ok
    deep = queries.is_name_authorized(univ, "a.b.c.d.univ-lyon.test", "SSL")
    assert not deep.ok and deep.code == NotDelegated.code and "a.b.c.d.univ-lyon.test" in deep.reason
    assert queries.is_name_authorized(physics, "x.physics.univ-lyon.test", "SSL").ok
    # departments get only what is delegated to them, not the organization's domains
    assert not queries.is_name_authorized(physics, "www.univ-lyon.test", "SSL").ok
    wrong_type = queries.is_name_authorized(physics, "x.physics.univ-lyon.test", "CodeSign")
    assert not wrong_type.ok and "may not request CodeSign" in wrong_type.reason
    bad = queries.is_name_authorized(univ, "www.*.univ-lyon.test", "SSL")
    assert not bad.ok and bad.code == InvalidDomainName.code
    failures = queries.unauthorized_names(univ, ["univ-lyon.test", "nope.test", "www.univ-lyon.test"], "SSL")
    assert [f.name for f in failures] == ["nope.test"]
    assert isinstance(failures[0].error(), NotDelegated)
    services.set_domain_state(mrao_actor, base, active=False)
    suspended = queries.is_name_authorized(univ, "univ-lyon.test", "SSL")
    assert not suspended.ok and suspended.code == DomainInactive.code
    # a suspended base no longer covers its subdomains either
    assert not queries.is_name_authorized(univ, "www.univ-lyon.test", "SSL").ok


def test_awaiting_approval_is_named_in_the_refusal(drao_domains, physics, rao):
    services.create_domain(drao_domains, "physics.univ-lyon.test", delegations=[(physics, ["SSL"])])
    check = queries.is_name_authorized(physics, "physics.univ-lyon.test", "SSL")
    assert not check.ok and "awaiting approval" in check.reason


# ---------------------------------------------------------------------------
# ACTION REQUIRED, EXPIRED, notices, sweep


def test_action_required_then_expired(make_domain, univ, validate):
    domain = make_domain("univ-lyon.test", univ)
    validate(domain)
    expires = domain.dcv_expires
    assert queries.dcv_status_for(domain).display == DisplayStatus.VALIDATED
    in_window = expires - timedelta(days=59)
    state = queries.dcv_status_for(domain, now=in_window)
    assert state.display == DisplayStatus.ACTION_REQUIRED and state.revalidation_open
    assert state.status == DcvStatus.VALIDATED
    assert queries.dcv_status_for(domain, now=expires - timedelta(days=61)).display == DisplayStatus.VALIDATED
    after = expires + timedelta(seconds=1)
    state = queries.dcv_status_for(domain, now=after)
    assert state.status == DcvStatus.EXPIRED and state.display == DisplayStatus.EXPIRED
    assert not queries.is_name_authorized(univ, "univ-lyon.test", "SSL", now=after).ok
    assert [d.pk for d in queries.expiring(services.system_actor(domain.customer), 60, now=in_window)] == [domain.pk]


def test_undelegated_domain_is_action_required(mrao_actor, univ, rao_no_approve):
    domain = services.create_domain(rao_no_approve, "univ-lyon.test", delegations=[(univ, ["SSL"])])
    assert queries.dcv_status_for(domain).display == DisplayStatus.ACTION_REQUIRED


def test_sweep_expires_notifies_once_and_audits(make_domain, univ, validate, django_capture_on_commit_callbacks):
    domain = make_domain("univ-lyon.test", univ)
    validate(domain)
    expires = domain.dcv_expires
    seen = []

    def on_expiring(sender, **kwargs):
        seen.append(("expiring", kwargs["days"]))

    def on_expired(sender, **kwargs):
        seen.append(("expired", kwargs["domain_id"]))

    signals.dcv_expiring.connect(on_expiring)
    signals.dcv_expired.connect(on_expired)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert services.expire_sweep(now=expires - timedelta(days=40))["notices"] == 0
            assert services.expire_sweep(now=expires - timedelta(days=29))["notices"] == 1
            assert services.expire_sweep(now=expires - timedelta(days=28))["notices"] == 0  # once
            assert services.expire_sweep(now=expires - timedelta(days=14))["notices"] == 1
            counts = services.expire_sweep(now=expires + timedelta(minutes=1))
    finally:
        signals.dcv_expiring.disconnect(on_expiring)
        signals.dcv_expired.disconnect(on_expired)
    assert counts["expired"] == 1
    assert seen == [("expiring", 30), ("expiring", 15), ("expired", domain.pk)]
    domain.refresh_from_db()
    assert domain.dcv_status == DcvStatus.EXPIRED
    assert AuditEvent.objects.filter(action="dcv.expired", object_id=str(domain.pk)).count() == 1
    assert services.expire_sweep(now=expires + timedelta(days=1))["expired"] == 0
    assert audit.verify().ok


def test_revalidation_after_expiry_restores_validated(make_domain, univ, validate, rao):
    domain = make_domain("univ-lyon.test", univ)
    validate(domain)
    Domain.objects.filter(pk=domain.pk).update(dcv_validated_at=timezone.now() - timedelta(days=300),
                                               dcv_expires=timezone.now() - timedelta(days=100))
    services.expire_sweep()
    domain.refresh_from_db()
    assert queries.dcv_status_for(domain).display == DisplayStatus.EXPIRED
    validate(domain, actor=rao)
    state = queries.dcv_status_for(domain)
    assert state.status == DcvStatus.VALIDATED and state.display == DisplayStatus.VALIDATED
    assert state.expires > timezone.now() + timedelta(days=190)


def test_persistent_txt_revalidates_itself_in_the_window(make_domain, univ, rao, dns):
    domain = make_domain("univ-lyon.test", univ)
    instructions = services.start_dcv(rao, domain, "TXT_PERSIST")
    dns.add(f'{instructions.host} 60 IN TXT "{instructions.point}"')
    assert services.submit_dcv(rao, domain).validated
    domain.refresh_from_db()
    old_expiry = domain.dcv_expires
    counts = services.expire_sweep(now=old_expiry - timedelta(days=90))
    assert counts["revalidated"] == 0  # not in the window yet
    Domain.objects.filter(pk=domain.pk).update(dcv_validated_at=domain.dcv_validated_at - timedelta(days=150),
                                               dcv_expires=old_expiry - timedelta(days=150))
    counts = services.expire_sweep()
    assert counts["revalidated"] == 1
    domain.refresh_from_db()
    assert domain.dcv_expires > old_expiry - timedelta(days=1)
    assert DcvOrder.objects.filter(domain=domain, status=OrderStatus.VALIDATED).count() == 2
