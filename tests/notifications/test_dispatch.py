"""Events → messages: built-in types of seed 000, recipients by role and scope, timing, languages,
custom notifications, and the domain and admin events that exist today."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from certdesk.accounts import services as accounts
from certdesk.domains import services as domains
from certdesk.domains import signals as domain_signals
from certdesk.domains.models import Domain
from certdesk.notifications import notify, services, types
from certdesk.notifications.models import InboxItem, NotificationEvent, NotificationRule, OutboxMessage, Status

from ..conftest import PASSWORD, actor_for

SEED_000_TITLES = [
    "EV Anchor awaiting Approval", "Domain Delegation Awaiting Approval", "Domain Delegation Approved",
    "DCV Needed - New Domain", "DCV Validated", "DCV Expiration XX days", "SSL Certificate Awaiting Approval",
    "SSL Certificate Approved", "SSL Certificate Declined", "SSL Certificate Issuance Failed",
    "SSL Certificate Auto-Renewal Failed", "SSL Certificate Revoked", "SSL Certificate Expiration",
    "Client Certificate Revoked", "Client Certificate Expiration 30 days",
    "Code Signing Certificate Expiration 30 days", "Code Signing Certificate Revoked",
]


def emails_of(event) -> dict[str, OutboxMessage]:
    return {m.recipient: m for m in OutboxMessage.objects.filter(event=event, channel="EMAIL")}


@pytest.fixture
def rao_smime(mrao_actor, univ):
    return accounts.create_admin(
        mrao_actor, login="rao_smime", email="smime@univ-lyon.example", forename="Sam", surname="Mime",
        password=PASSWORD, credentials=[{"role": "RAO_SMIME", "orgId": univ.pk}], privileges=[],
        must_change_password=False)


@pytest.fixture
def mrao_fr(mrao_actor):
    admin = accounts.create_admin(
        mrao_actor, login="mrao_fr", email="mrao.fr@renater.example", forename="Marie", surname="Rao",
        password=PASSWORD, credentials=[{"role": "MRAO"}], privileges=[], must_change_password=False)
    accounts.set_own_preferences(actor_for(admin), language="fr")
    return admin


def test_every_seed_000_notification_is_built_in_and_enabled(customer):
    services.builtin_rules_exist(actor_for(customer.admins.get(login="mrao")))
    rules = {r.type: r for r in NotificationRule.objects.filter(customer=customer, builtin=True)}
    assert set(rules) == {t.code for t in types.TYPES}
    descriptions = {r.description for r in rules.values()}
    for title in SEED_000_TITLES:
        assert f"ALL ORG - {title}" in descriptions, title
    assert all(r.enabled and r.organization_id is None for r in rules.values())
    assert rules["DCVExpiration"].days_before == [30, 15]
    assert rules["SSLExpiration"].days_before == [30]
    assert rules["SSLIssuanceFailed"].notify_roles == ["REQUESTER", "DRAO", "RAO", "MRAO"]
    assert rules["SSLIssued"].notify_roles == ["REQUESTER"]
    assert rules["SSLRevoked"].notify_roles == ["DRAO", "RAO", "MRAO"]


def test_ssl_awaiting_approval_goes_to_the_admins_of_the_scope_only(
        mrao, mrao2, rao_univ, drao_physics, drao_chemistry, rao_other, physics):
    event = notify(types.SSL_AWAITING_APPROVAL, organization=physics,
                   context={"common_name": "www.physics.univ-lyon.example", "requester": "someone"})
    sent = emails_of(event)
    assert set(sent) == {drao_physics.email, rao_univ.email, mrao2.email, mrao.email}
    # the bootstrap MRAO's address is under .invalid: logged as failed, the others still go out
    assert sent[mrao.email].status == Status.FAILED and "invalid" in sent[mrao.email].last_error.lower()
    assert all(sent[a].status == Status.PENDING for a in (drao_physics.email, rao_univ.email, mrao2.email))
    assert "www.physics.univ-lyon.example" in sent[rao_univ.email].subject
    assert set(InboxItem.objects.filter(event=event).values_list("admin__login", flat=True)) == {
        "mrao", "mrao2", "rao_univ", "drao_physics"}


def test_organization_level_event_reaches_no_drao(univ, rao_univ, drao_physics):
    event = notify(types.EV_ANCHOR_AWAITING_APPROVAL, organization=univ, context={"requested_by": "mrao"})
    assert rao_univ.email in emails_of(event) and drao_physics.email not in emails_of(event)


def test_client_certificate_events_go_to_client_certificate_roles(univ, rao_univ, rao_smime, mrao2):
    event = notify(types.CLIENT_CERT_REVOKED, organization=univ, context={"email": "jean@univ-lyon.example"})
    assert set(emails_of(event)) >= {rao_smime.email, mrao2.email}
    assert rao_univ.email not in emails_of(event)


def test_ssl_issued_goes_to_the_requester_with_download_links(physics, rao_univ, mrao2):
    links = "PEM: https://certdesk.example/d/1/pem\nPKCS#7: https://certdesk.example/d/1/p7b"
    event = notify(types.SSL_ISSUED, organization=physics, requester_email="alice@physics.univ-lyon.example",
                   context={"common_name": "www.physics.univ-lyon.example", "download_links": links,
                            "serial_number": "01:02", "expires": timezone.now() + timedelta(days=365)})
    sent = emails_of(event)
    assert list(sent) == ["alice@physics.univ-lyon.example"]
    assert "https://certdesk.example/d/1/p7b" in sent["alice@physics.univ-lyon.example"].body


def test_issuance_failure_goes_to_requester_and_every_admin_level(physics, rao_univ, drao_physics, mrao2):
    event = notify(types.SSL_ISSUANCE_FAILED, organization=physics, requester_email="alice@physics.univ-lyon.example",
                   context={"common_name": "a.example", "error": "Anchor Certificate address details are different"})
    assert set(emails_of(event)) >= {"alice@physics.univ-lyon.example", drao_physics.email, rao_univ.email,
                                     mrao2.email}
    assert "Anchor Certificate address details are different" in emails_of(event)[rao_univ.email].body


def test_every_type_renders_in_english_and_french(physics, rao_univ, mrao_fr):
    for ntype in types.TYPES:
        event = notify(ntype.code, organization=physics, context=dict(ntype.samples),
                       requester_email=rao_univ.email)
        assert event is not None, ntype.code
        for message in emails_of(event).values():
            assert "{{" not in message.subject + message.body
            assert message.subject.strip() and message.body.strip()
        if mrao_fr.email in emails_of(event):
            assert emails_of(event)[mrao_fr.email].language == "fr"
            assert "Bonjour Marie Rao" in emails_of(event)[mrao_fr.email].body


def test_expiry_days_follow_the_rules(physics, rao_univ, mrao_actor):
    context = {"common_name": "old.example", "expires": "2026-04-01"}
    assert rao_univ.email in emails_of(notify(types.SSL_EXPIRATION, organization=physics, days=30, context=context))
    assert not emails_of(notify(types.SSL_EXPIRATION, organization=physics, days=7, context=context))
    services.create_rule(mrao_actor, type="SSLExpiration", organization=physics, notify_roles=[],
                         extra_recipients=["ops@physics.univ-lyon.example"], days_before=[7])
    assert set(emails_of(notify(types.SSL_EXPIRATION, organization=physics, days=7, context=context))) == {
        "ops@physics.univ-lyon.example"}


def test_custom_notification_recipients_and_scope(physics, chemistry, rao_univ, drao_physics):
    rao = actor_for(rao_univ)
    services.create_rule(rao, type="SSLRevoked", organization=physics, description="Physics security team",
                         notify_roles=["REQUESTER"], extra_recipients=["security@physics.univ-lyon.example"])
    in_physics = emails_of(notify(types.SSL_REVOKED, organization=physics, requester_email="bob@univ-lyon.example",
                                  context={"common_name": "x.example"}))
    assert {"security@physics.univ-lyon.example", "bob@univ-lyon.example", drao_physics.email} <= set(in_physics)
    in_chemistry = emails_of(notify(types.SSL_REVOKED, organization=chemistry,
                                    requester_email="bob@univ-lyon.example", context={"common_name": "y.example"}))
    assert "security@physics.univ-lyon.example" not in in_chemistry
    assert "bob@univ-lyon.example" not in in_chemistry  # the built-in rule does not notify requesters


def test_disabled_built_in_notification_sends_nothing(mrao_actor, physics, rao_univ):
    services.builtin_rules_exist(mrao_actor)
    rule = NotificationRule.objects.get(customer=mrao_actor.customer, builtin=True, type="SSLApproved")
    services.set_rule_enabled(mrao_actor, rule, False)
    assert not emails_of(notify(types.SSL_APPROVED, organization=physics, context={}))


def test_same_event_key_is_notified_once(physics, rao_univ):
    first = notify(types.SSL_REVOKED, organization=physics, context={}, key="SSLRevoked:42")
    again = notify(types.SSL_REVOKED, organization=physics, context={}, key="SSLRevoked:42")
    assert first is not None and again is None
    assert NotificationEvent.objects.filter(key="SSLRevoked:42").count() == 1


def test_unknown_type_is_a_programming_error(physics):
    with pytest.raises(ValueError):
        notify("NoSuchType", organization=physics, context={})


def test_new_admin_is_told_its_account_exists(mrao_actor, univ, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin = accounts.create_admin(
            mrao_actor, login="newrao", email="new.rao@univ-lyon.example", forename="Nouvelle", surname="Rao",
            password=PASSWORD, credentials=[{"role": "RAO_SSL", "orgId": univ.pk}], privileges=[])
    message = OutboxMessage.objects.get(event__type="AdminCreation", recipient="new.rao@univ-lyon.example")
    assert "newrao" in message.body and "/customer/renater/" in message.body
    assert "Correct-Horse" not in message.body  # never the password
    assert InboxItem.objects.filter(admin=admin, event=message.event).exists()


@pytest.fixture
def drao_domains(mrao_actor, physics):
    """A DRAO of Physics who may add domains but not approve delegations: its domains wait for approval."""
    return accounts.create_admin(
        mrao_actor, login="drao_domains", email="domains@physics.univ-lyon.example", forename="Dom",
        surname="Aine", password=PASSWORD, credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}],
        privileges=["allowManageDomains", "allowDCV"], must_change_password=False)


def test_domain_events_become_notifications(drao_domains, rao_univ, physics, mrao_actor,
                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        domain = domains.create_domain(actor_for(drao_domains), "lab.univ-lyon.example",
                                       delegations=[(physics, ["SSL"])])
    requested = OutboxMessage.objects.get(event__type="DomainAwaitingApproval", recipient=rao_univ.email)
    assert "lab.univ-lyon.example" in requested.subject and "Dom Aine" in requested.body
    with django_capture_on_commit_callbacks(execute=True):
        domains.approve_delegation(actor_for(rao_univ), domain, physics)
    assert OutboxMessage.objects.filter(event__type="DCVNeeded", recipient=rao_univ.email).exists()
    approved = OutboxMessage.objects.get(event__type="DomainApproved", recipient=drao_domains.email)
    assert "Rachel Orga" in approved.body
    expires = timezone.now() + timedelta(days=30)
    for _ in range(2):  # the same notice twice (a sweep that ran again) is sent once
        domain_signals.dcv_expiring.send(sender=Domain, domain_id=domain.pk, days=30, expires=expires,
                                         customer_id=domain.customer_id)
    expiring = OutboxMessage.objects.filter(event__type="DCVExpiration", recipient=rao_univ.email)
    assert expiring.count() == 1 and "30" in expiring.get().subject


def test_messages_exist_exactly_when_the_change_does(physics, rao_univ):
    from django.db import transaction

    before = (OutboxMessage.objects.count(), NotificationEvent.objects.count())
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            notify(types.SSL_REVOKED, organization=physics, context={"common_name": "x.example"})
            assert OutboxMessage.objects.filter(recipient=rao_univ.email).exists()
            raise RuntimeError("the service fails after notifying: its change and the messages go together")
    assert (OutboxMessage.objects.count(), NotificationEvent.objects.count()) == before


def test_direct_email_goes_through_the_outbox(customer, smtp_server):
    from certdesk.notifications import delivery
    from certdesk.notifications.dispatch import send_email

    send_email(customer, "admin@lab.univ-lyon.example", "Validate lab.univ-lyon.example",
               "Code: 123456", key="dcv-email:7")
    assert send_email(customer, "admin@lab.univ-lyon.example", "again", "again", key="dcv-email:7") is None
    assert delivery.flush() == {"sent": 1}
    assert smtp_server.received[0].subject == "Validate lab.univ-lyon.example"


def test_notify_queries_do_not_grow_with_recipients(mrao_actor, physics, rao_univ, django_assert_max_num_queries):
    for n in range(12):
        accounts.create_admin(mrao_actor, login=f"mrao{n}x", email=f"m{n}@renater.example", forename="M",
                              surname=str(n), password=PASSWORD, credentials=[{"role": "MRAO"}], privileges=[],
                              must_change_password=False)
    notify(types.SSL_REVOKED, organization=physics, context={})  # built-in rules created on first use
    with django_assert_max_num_queries(12):
        event = notify(types.SSL_REVOKED, organization=physics, context={"common_name": "x.example"})
    assert len(emails_of(event)) >= 14


def test_expiry_days_tell_a_sweep_which_notices_to_emit(mrao_actor, physics):
    from certdesk.notifications.dispatch import expiry_days

    assert expiry_days("SSLExpiration") == [30]
    services.create_rule(mrao_actor, type="SSLExpiration", organization=physics, notify_roles=["RAO"],
                         days_before=[60, 7])
    assert expiry_days("SSLExpiration", mrao_actor.customer) == [60, 30, 7]
    assert expiry_days("DCVExpiration") == [30, 15]
