"""DCV end to end against the loopback DNS and web servers: each method passes with the right
record or file and fails, with the reason, on a wrong one; nothing is validated by mistake."""
from datetime import timedelta

import pytest
from django.utils import timezone

from certdesk.core.errors import InvalidInput, PermissionDenied, RequiredField
from certdesk.core.models import AuditEvent
from certdesk.domains import queries, services
from certdesk.domains.errors import DcvMethodDisabled, DcvMethodRefused, DcvOrderRefused, DomainInactive
from certdesk.domains.models import DcvOrder
from certdesk.domains.states import DcvStatus, DisplayStatus, OrderStatus

from ..conftest import actor_for

pytestmark = pytest.mark.slow


@pytest.fixture
def domain(make_domain, univ):
    return make_domain("univ-lyon.test", univ)


def _status(domain):
    domain.refresh_from_db()
    return queries.dcv_status_for(domain)


# ---------------------------------------------------------------------------
# DNS methods


def test_cname_passes_with_the_record(rao, domain, dns):
    instructions = services.start_dcv(rao, domain, "CNAME")
    assert instructions.host.startswith("_") and instructions.host.endswith(".univ-lyon.test.")
    assert instructions.point.endswith(".dcv.certdesk.test.")
    assert _status(domain).order_status == OrderStatus.AWAITING_SUBMISSION
    dns.add(f"{instructions.host} 60 IN CNAME {instructions.point}")
    result = services.submit_dcv(rao, domain)
    assert result.validated and result.status == DcvStatus.VALIDATED and result.order_status == OrderStatus.VALIDATED
    state = _status(domain)
    assert state.status == DcvStatus.VALIDATED and state.method == "CNAME"
    assert state.display == DisplayStatus.VALIDATED and state.order_status == OrderStatus.NOT_INITIATED
    assert (state.expires - state.validated_at) == timedelta(days=200)  # SC-081 period in force in 2026


def test_cname_with_the_wrong_target_stays_submitted_with_the_reason(rao, domain, dns):
    instructions = services.start_dcv(rao, domain, "CNAME")
    dns.add(f"{instructions.host} 60 IN CNAME wrong.dcv.certdesk.test.")
    result = services.submit_dcv(rao, domain)
    assert not result.validated and result.order_status == OrderStatus.SUBMITTED
    assert "wrong.dcv.certdesk.test" in result.message
    state = _status(domain)
    assert state.status == DcvStatus.NOT_VALIDATED and state.order_status == OrderStatus.SUBMITTED
    assert "points to" in state.last_error and state.next_check is not None and state.last_check is not None


def test_txt_is_submit_first_and_passes_once_published(rao, domain, dns):
    result = services.submit_dcv(rao, domain, method="TXT")  # no start, as SCM's submit/domain/txt
    assert result.order_status == OrderStatus.SUBMITTED and not result.validated
    assert result.instructions.host == "_pki-validation.univ-lyon.test."
    assert "No TXT record" in result.message
    dns.add(f'{result.instructions.host} 60 IN TXT "unrelated"', f'{result.instructions.host} 60 IN TXT '
                                                                 f'"{result.instructions.point}"')
    again = services.recheck_dcv(rao, domain)
    assert again.validated


def test_txt_with_a_wrong_value_fails(rao, domain, dns):
    instructions = services.start_dcv(rao, domain, "TXT")
    dns.add(f'{instructions.host} 60 IN TXT "not-the-value"')
    result = services.submit_dcv(rao, domain)
    assert not result.validated and "do not contain the expected value" in result.message
    assert _status(domain).status == DcvStatus.NOT_VALIDATED


def test_persistent_txt(rao, domain, dns):
    instructions = services.start_dcv(rao, domain, "TXT_PERSIST")
    assert instructions.host == "_validation-persist.univ-lyon.test."
    assert instructions.point == "certdesk.test; accounturi=https://certdesk.test/customer/renater"
    dns.add(f'{instructions.host} 60 IN TXT "certdesk.test; accounturi=https://certdesk.test/customer/jisc"')
    assert not services.submit_dcv(rao, domain).validated  # another account's record
    dns.remove(instructions.host)
    dns.add(f'{instructions.host} 60 IN TXT "CA.certdesk.test ; accounturi=https://certdesk.test/customer/renater"')
    assert services.recheck_dcv(rao, domain).validated


def test_persistent_txt_on_a_wildcard_needs_policy_wildcard(make_domain, univ, rao, dns):
    wild = make_domain("*.univ-lyon.test", univ)
    instructions = services.start_dcv(rao, wild, "TXT_PERSIST")
    assert instructions.point.endswith("; policy=wildcard")
    dns.add(f'{instructions.host} 60 IN TXT "certdesk.test; accounturi=https://certdesk.test/customer/renater"')
    assert not services.submit_dcv(rao, wild).validated
    dns.remove(instructions.host)
    dns.add(f'{instructions.host} 60 IN TXT "{instructions.point}"')
    assert services.recheck_dcv(rao, wild).validated


def test_servfail_and_timeout_are_failures_with_the_reason(rao, domain, dns, settings):
    instructions = services.start_dcv(rao, domain, "TXT")
    dns.add(f'{instructions.host} 60 IN TXT "{instructions.point}"')
    dns.servfail.add(instructions.host.rstrip("."))
    result = services.submit_dcv(rao, domain)
    assert not result.validated and "SERVFAIL" in result.message
    settings.DNS_TIMEOUT = 0.4
    dns.servfail.clear()
    dns.silent.add(instructions.host.rstrip("."))
    result = services.recheck_dcv(rao, domain)
    assert not result.validated and "timed out" in result.message
    assert _status(domain).status == DcvStatus.NOT_VALIDATED
    assert "timed out" in DcvOrder.objects.get(domain=domain).last_error


# ---------------------------------------------------------------------------
# HTTP / HTTPS


def _publish(web, instructions, body=None):
    path = instructions.url.split(instructions.domain, 1)[1]
    web.serve(instructions.domain, path, body if body is not None else
              f"{instructions.first_line}\r\n{instructions.second_line}\r\n")
    return path


def test_http_passes_with_the_file_fetched_from_the_dns_address(rao, domain, dns, web):
    dns.add("univ-lyon.test. 60 IN A 127.0.0.1")
    instructions = services.start_dcv(rao, domain, "HTTP")
    assert instructions.url.startswith("http://univ-lyon.test/.well-known/pki-validation/")
    assert instructions.url.endswith(".txt") and instructions.second_line == "certdesk.test"
    path = _publish(web, instructions)
    result = services.submit_dcv(rao, domain)
    assert result.validated, result.message
    assert ("http", "univ-lyon.test", path) in web.state.requests


def test_https_sends_sni_and_accepts_a_self_signed_certificate(rao, domain, dns, web):
    dns.add("univ-lyon.test. 60 IN A 127.0.0.1")
    instructions = services.start_dcv(rao, domain, "HTTPS")
    assert instructions.url.startswith("https://univ-lyon.test/")
    _publish(web, instructions)
    assert services.submit_dcv(rao, domain).validated
    assert "univ-lyon.test" in web.state.sni


def test_http_with_the_wrong_content_fails(rao, domain, dns, web):
    dns.add("univ-lyon.test. 60 IN A 127.0.0.1")
    instructions = services.start_dcv(rao, domain, "HTTP")
    _publish(web, instructions, "something else\n")
    result = services.submit_dcv(rao, domain)
    assert not result.validated and "first line" in result.message


def test_http_missing_file_and_unreachable_address_fail(rao, domain, dns, web):
    dns.add("univ-lyon.test. 60 IN A 127.0.0.1")
    services.start_dcv(rao, domain, "HTTP")
    result = services.submit_dcv(rao, domain)
    assert not result.validated and "404" in result.message
    dns.remove("univ-lyon.test")
    dns.add("univ-lyon.test. 60 IN A 127.0.0.3")  # nothing listens there
    result = services.recheck_dcv(rao, domain)
    assert not result.validated and "127.0.0.3" in result.message
    dns.remove("univ-lyon.test")
    result = services.recheck_dcv(rao, domain)
    assert not result.validated and "no A or AAAA" in result.message


def test_http_redirect_to_the_same_host_is_followed_but_not_to_another(rao, domain, dns, web):
    dns.add("univ-lyon.test. 60 IN A 127.0.0.1")
    instructions = services.start_dcv(rao, domain, "HTTP")
    path = instructions.url.split("univ-lyon.test", 1)[1]
    web.state.redirects[("univ-lyon.test", path)] = "http://evil.test/token.txt"
    web.serve("evil.test", "/token.txt", f"{instructions.first_line}\n{instructions.second_line}\n")
    result = services.submit_dcv(rao, domain)
    assert not result.validated and "another host" in result.message
    web.state.redirects[("univ-lyon.test", path)] = "/moved.txt"
    web.serve("univ-lyon.test", "/moved.txt", f"{instructions.first_line}\n{instructions.second_line}\n")
    assert services.recheck_dcv(rao, domain).validated


def test_http_file_too_large_fails(rao, domain, dns, web):
    dns.add("univ-lyon.test. 60 IN A 127.0.0.1")
    instructions = services.start_dcv(rao, domain, "HTTP")
    _publish(web, instructions, instructions.first_line + "\n" + "x" * 10000)
    result = services.submit_dcv(rao, domain)
    assert not result.validated and "larger than" in result.message


def test_http_token_is_single_use(rao, domain, dns, web):
    dns.add("univ-lyon.test. 60 IN A 127.0.0.1")
    first = services.start_dcv(rao, domain, "HTTP")
    _publish(web, first)
    assert services.submit_dcv(rao, domain).validated
    second = services.start_dcv(rao, domain, "HTTP")  # revalidation: a new file and value
    assert second.url != first.url and second.first_line != first.first_line
    assert not services.submit_dcv(rao, domain).validated  # the old file proves nothing now
    assert DcvOrder.objects.filter(domain=domain, status=OrderStatus.VALIDATED).count() == 1


@pytest.mark.parametrize("method", ["HTTP", "HTTPS"])
def test_file_methods_are_refused_for_wildcards(make_domain, univ, rao, method):
    wild = make_domain("*.univ-lyon.test", univ)
    before = AuditEvent.objects.count()
    with pytest.raises(DcvMethodRefused) as exc:
        services.start_dcv(rao, wild, method)
    assert "wildcard" in exc.value.message
    assert not DcvOrder.objects.exists() and AuditEvent.objects.count() == before


def test_wildcard_domain_validates_its_base_name_by_dns(make_domain, univ, rao, dns):
    wild = make_domain("*.univ-lyon.test", univ)
    instructions = services.start_dcv(rao, wild, "CNAME")
    assert instructions.host.endswith(".univ-lyon.test.") and "*" not in instructions.host
    dns.add(f"{instructions.host} 60 IN CNAME {instructions.point}")
    assert services.submit_dcv(rao, wild).validated


# ---------------------------------------------------------------------------
# Email (addresses only: sending is the notifications issue)


def test_email_offers_constructed_addresses_and_the_recorded_contacts(mrao_actor, make_domain, univ, rao):
    sub = make_domain("www.univ-lyon.test", univ)
    services.set_domain_contacts(mrao_actor, sub, ["dns-team@renater.test"])
    instructions = services.start_dcv(rao, sub, "EMAIL")
    assert instructions.emails[:5] == (
        "admin@www.univ-lyon.test", "administrator@www.univ-lyon.test", "hostmaster@www.univ-lyon.test",
        "postmaster@www.univ-lyon.test", "webmaster@www.univ-lyon.test")
    assert "admin@univ-lyon.test" in instructions.emails and "webmaster@univ-lyon.test" in instructions.emails
    assert instructions.emails[-1] == "dns-team@renater.test"
    with pytest.raises(RequiredField):
        services.submit_dcv(rao, sub)
    with pytest.raises(InvalidInput):
        services.submit_dcv(rao, sub, email="someone@elsewhere.test")
    result = services.submit_dcv(rao, sub, email="Hostmaster@univ-lyon.test")
    assert result.order_status == OrderStatus.SUBMITTED and not result.validated
    assert "hostmaster@univ-lyon.test" in result.message
    assert services.recheck_due(now=timezone.now() + timedelta(days=1)) == 0  # never checked by the worker


# ---------------------------------------------------------------------------
# Order life: save, reset, re-check by the worker, refusals


def test_save_then_start_again_shows_the_same_order(rao, domain):
    first = services.start_dcv(rao, domain, "CNAME")
    saved = services.save_dcv(rao, domain)
    again = services.start_dcv(rao, domain, "CNAME")
    assert first == saved == again
    other = services.start_dcv(rao, domain, "TXT")  # another method replaces an unsubmitted order
    assert other.method == "TXT"
    assert DcvOrder.objects.filter(domain=domain, status=OrderStatus.CANCELLED).count() == 1


def test_reset_cancels_a_submitted_order(rao, domain, dns):
    services.start_dcv(rao, domain, "CNAME")
    services.submit_dcv(rao, domain)
    with pytest.raises(DcvOrderRefused):
        services.start_dcv(rao, domain, "TXT")  # submitted: reset first
    assert services.reset_dcv(rao, domain) is True
    assert _status(domain).order_status == OrderStatus.NOT_INITIATED
    assert services.reset_dcv(rao, domain) is False
    with pytest.raises(DcvOrderRefused):
        services.submit_dcv(rao, domain)  # nothing started
    with pytest.raises(DcvOrderRefused):
        services.save_dcv(rao, domain)


def test_worker_rechecks_until_the_record_appears(rao, domain, dns, settings):
    instructions = services.start_dcv(rao, domain, "TXT")
    assert not services.submit_dcv(rao, domain).validated
    assert services.recheck_due() == 0  # not due yet
    later = timezone.now() + timedelta(seconds=settings.DCV_RECHECK_SECONDS + 1)
    assert services.recheck_due(now=later) == 1
    assert _status(domain).order_status == OrderStatus.SUBMITTED
    dns.add(f'{instructions.host} 60 IN TXT "{instructions.point}"')
    order = DcvOrder.objects.get(domain=domain)
    DcvOrder.objects.filter(pk=order.pk).update(next_check=timezone.now() - timedelta(seconds=1))
    assert services.recheck_due() == 1
    state = _status(domain)
    assert state.status == DcvStatus.VALIDATED
    assert AuditEvent.objects.filter(action="dcv.validated", actor="dcv-worker").exists()


def test_random_value_older_than_30_days_cannot_validate(rao, domain, dns):
    instructions = services.start_dcv(rao, domain, "TXT")
    services.submit_dcv(rao, domain)
    DcvOrder.objects.filter(domain=domain).update(values_expire=timezone.now() - timedelta(seconds=1),
                                                  next_check=timezone.now() - timedelta(seconds=1))
    dns.add(f'{instructions.host} 60 IN TXT "{instructions.point}"')
    assert services.recheck_due() == 0  # the worker skips it
    assert not services.recheck_dcv(rao, domain).validated  # a forced check cannot validate it either
    order = DcvOrder.objects.get(domain=domain)
    assert order.status == OrderStatus.SUBMITTED and order.next_check is None and "30 days" in order.last_error
    fresh = services.start_dcv(rao, domain, "TXT")  # a new start replaces the stale order
    assert fresh.point != instructions.point


def test_disabled_method_is_refused_with_1608(mrao_actor, rao, domain):
    services.set_dcv_methods(mrao_actor, ["CNAME", "TXT", "HTTP", "HTTPS"])
    with pytest.raises(DcvMethodDisabled) as exc:
        services.start_dcv(rao, domain, "EMAIL")
    assert exc.value.code == -1608
    with pytest.raises(PermissionDenied):
        services.set_dcv_methods(rao, ["EMAIL"])
    with pytest.raises(InvalidInput):
        services.set_dcv_methods(mrao_actor, ["FAX"])
    assert queries.enabled_methods(domain.customer) == ["CNAME", "TXT", "HTTP", "HTTPS"]


def test_dcv_needs_the_privilege_and_scope(make_domain, univ, chemistry, drao_chemistry, drao_physics, physics):
    chem = make_domain("chemistry.univ-lyon.test", chemistry)
    with pytest.raises(PermissionDenied):
        services.start_dcv(actor_for(drao_chemistry), chem, "TXT")  # no allowDCV
    from certdesk.core.errors import NotFound

    with pytest.raises(NotFound):
        services.start_dcv(actor_for(drao_physics), chem, "TXT")  # another department's domain
    phys = make_domain("physics.univ-lyon.test", physics)
    assert services.start_dcv(actor_for(drao_physics), phys, "TXT").method == "TXT"


def test_suspended_domain_cannot_be_validated(mrao_actor, rao, domain):
    services.set_domain_state(mrao_actor, domain, active=False)
    with pytest.raises(DomainInactive):
        services.start_dcv(rao, domain, "TXT")


def test_unknown_method_is_invalid_input(rao, domain):
    with pytest.raises(InvalidInput):
        services.start_dcv(rao, domain, "CARRIER_PIGEON")
