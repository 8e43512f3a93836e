"""What a notification costs: `notify()` for one event runs a fixed, small number of queries
whatever the number of rules, recipients and languages; the built-in rules are checked by the
same query that reads the rules (created on first use, also for a customer created at runtime);
and a certificate event reuses the certificate the service sent instead of reading it again."""
from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certdesk.accounts import services as accounts
from certdesk.certificates import services as certificates
from certdesk.certificates.models import Certificate
from certdesk.notifications import certificate_receivers, dispatch, services, types
from certdesk.notifications.models import NotificationEvent, NotificationRule, OutboxMessage
from tests.certificates.conftest import (  # noqa: F401 - fixtures: CAs, profiles, DCV-validated domains, CSRs
    _certificate_settings,
    _dns_server,
    _domain_settings,
    csr,
    dns,
    domains,
    keys,
    make_domain,
    profiles,
    rao,
    ssl,
    validate,
)
from tests.conftest import ALL_PRIVILEGES, PASSWORD

pytestmark = pytest.mark.django_db

CONTEXT = {"certificate_id": "1", "common_name": "www.physics.example.org", "subject_alt_names": "",
           "profile": "OV SSL", "term": "365", "requester": "", "status": "ISSUED", "certificate_url": "",
           "approver": "certdesk"}


def counted(fn, *args, **kwargs):
    with CaptureQueriesContext(connection) as ctx:
        result = fn(*args, **kwargs)
    return result, [q["sql"] for q in ctx.captured_queries]


def many_rules_and_admins(mrao_actor, univ, physics, chemistry, count=12):
    """Custom rules of every scope with roles and extra addresses, and admins who read French."""
    for i in range(count):
        services.create_rule(mrao_actor, type=types.SSL_APPROVED if i % 2 else types.SSL_ISSUED,
                             organization=(None, univ, physics, chemistry)[i % 4],
                             notify_roles=["MRAO", "RAO", "DRAO", "REQUESTER"][: 1 + i % 4],
                             extra_recipients=[f"extra{i}@example.org", f"team{i % 3}@example.org"])
    for i in range(3):
        admin = accounts.create_admin(
            mrao_actor, login=f"mrao-fr{i}", email=f"mrao-fr{i}@renater.example", forename="Marie", surname=f"N{i}",
            password=PASSWORD, credentials=[{"role": "MRAO"}], privileges=ALL_PRIVILEGES, must_change_password=False)
        admin.language = "fr"
        admin.save(update_fields=["language"])


def test_notify_costs_a_fixed_number_of_queries(mrao_actor, univ, physics, chemistry, rao_univ, drao_physics):
    def approved(key):
        return counted(dispatch.notify, types.SSL_APPROVED, organization=physics, context=CONTEXT,
                       requester_email=drao_physics.email, key=key)

    approved("warm-up")  # the built-in rules are created on first use
    first, few = approved("first")
    assert first is not None and OutboxMessage.objects.filter(event=first).exists()
    assert not any("notifications_notificationrule" in q and q.startswith("INSERT") for q in few)
    many_rules_and_admins(mrao_actor, univ, physics, chemistry)
    second, lots = approved("second")
    sent_first = OutboxMessage.objects.filter(event=first).count()
    sent_second = OutboxMessage.objects.filter(event=second).count()
    assert sent_second > sent_first + 6  # the rules and admins were there
    assert {m.language for m in OutboxMessage.objects.filter(event=second)} == {"en", "fr"}
    assert len(lots) == len(few) <= 14, lots  # 4 of them SAVEPOINT / RELEASE statements
    assert sum("notifications_notificationrule" in q for q in lots) == 1
    assert sum("notifications_emailtemplate" in q for q in lots) == 1


def test_a_key_notified_twice_writes_nothing_and_logs_nothing(physics, caplog):
    first = dispatch.notify(types.SSL_APPROVED, organization=physics, context=CONTEXT, key="SSL:1:approved")
    rows = OutboxMessage.objects.count()
    with caplog.at_level(logging.ERROR, logger="certdesk.notifications"):
        again, queries = counted(dispatch.notify, types.SSL_APPROVED, organization=physics, context=CONTEXT,
                                 key="SSL:1:approved")
    assert first is not None and again is None
    assert OutboxMessage.objects.count() == rows
    assert NotificationEvent.objects.filter(key="SSL:1:approved").count() == 1
    assert not caplog.records
    assert len(queries) <= 4  # SAVEPOINT, the refused INSERT, ROLLBACK TO and RELEASE SAVEPOINT


def test_a_customer_created_at_runtime_gets_its_builtin_rules_on_first_use(other_customer, other_customer_org):
    NotificationRule.objects.filter(customer=other_customer).delete()
    event = dispatch.notify(types.SSL_APPROVED, organization=other_customer_org, context=CONTEXT, key="k")
    assert event is not None
    builtin = set(NotificationRule.objects.filter(customer=other_customer, builtin=True).values_list("type", flat=True))
    assert builtin == {t.code for t in types.TYPES}
    assert set(OutboxMessage.objects.filter(event=event).values_list("recipient", flat=True)) == {
        other_customer.admins.get(login="jisc-mrao").email}


def test_a_disabled_builtin_rule_stays_disabled_and_silent(mrao_actor, physics):
    services.builtin_rules_exist(mrao_actor)
    rule = NotificationRule.objects.get(customer=mrao_actor.customer, builtin=True, type=types.SSL_APPROVED)
    services.set_rule_enabled(mrao_actor, rule, False)
    event = dispatch.notify(types.SSL_APPROVED, organization=physics, context=CONTEXT, key="k")
    assert event is not None and not OutboxMessage.objects.filter(event=event).exists()
    assert NotificationRule.objects.filter(customer=mrao_actor.customer, type=types.SSL_APPROVED).count() == 1


def test_a_certificate_event_reuses_the_certificate_it_is_given(ssl, univ, rao, csr):
    cert = certificates.request_ssl(rao, organization=univ, profile=ssl["profiles"]["OV SSL"],
                                    csr_pem=csr("www.example.org"), term=365)
    loaded = (Certificate.objects.select_related("customer", "organization", "organization__parent",
                                                 "organization__customer", "profile", "requester", "approver")
              .get(pk=cert.pk))
    NotificationEvent.objects.filter(key=f"SSL:{cert.pk}:issued").delete()
    _, queries = counted(certificate_receivers.on_issued, Certificate, certificate_id=cert.pk, certificate=loaded)
    assert not any('FROM "certificates_certificate"' in q for q in queries)
    reread = NotificationEvent.objects.get(key=f"SSL:{cert.pk}:issued")
    NotificationEvent.objects.filter(pk=reread.pk).delete()
    certificate_receivers.on_issued(Certificate, certificate_id=cert.pk)  # the sweeps' way: read again
    assert NotificationEvent.objects.get(key=f"SSL:{cert.pk}:issued").context == reread.context


def test_issuing_through_the_service_does_not_grow_with_the_rules(ssl, mrao_actor, univ, physics, chemistry, rao,
                                                                   csr):
    def issue():
        return counted(certificates.request_ssl, rao, organization=univ, profile=ssl["profiles"]["OV SSL"],
                       csr_pem=csr("www.example.org"), term=365)

    issue()  # warm-up: built-in rules, CA key
    cert, few = issue()
    many_rules_and_admins(mrao_actor, univ, physics, chemistry)
    cert2, lots = issue()
    assert cert.status == cert2.status == "ISSUED"
    assert OutboxMessage.objects.filter(event__key=f"SSL:{cert2.pk}:approved").count() > \
        OutboxMessage.objects.filter(event__key=f"SSL:{cert.pk}:approved").count()
    assert len(lots) == len(few), "\n".join(lots)
    assert not any('FROM "certificates_certificate"' in q and "JOIN" in q and "notifications" not in q
                   and "FOR UPDATE" not in q and q.count("JOIN") >= 5 for q in lots)
