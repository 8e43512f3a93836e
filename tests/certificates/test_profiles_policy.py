"""Profiles as data (the seeded set, the CA/B validity schedule), the transition table, the
weak-key primitives and the SSL permissions of accounts.policy."""
from datetime import date, datetime, timezone

import pytest

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.certificates import profiles, states, weakkeys
from certdesk.certificates.errors import AlreadyRevoked, NotRevocable, WrongState
from certdesk.certificates.models import Certificate, Profile
from certdesk.certificates.states import Status
from certdesk.core.errors import NotFound, PermissionDenied

from ..conftest import actor_for

SEEDED = ["OV SSL", "OV Multi-Domain", "Unified Communications", "Wildcard SSL", "EV SSL", "EV Multi-Domain",
          "IGTF Multi-Domain", "EV Anchor"]


@pytest.mark.parametrize("day, days", [
    (date(2025, 12, 31), 398), (date(2026, 3, 14), 398), (date(2026, 3, 15), 200), (date(2027, 3, 14), 200),
    (date(2027, 3, 15), 100), (date(2029, 3, 14), 100), (date(2029, 3, 15), 47), (date(2040, 1, 1), 47),
])
def test_maximum_validity_follows_ballot_sc081(day, days):
    assert profiles.max_validity_days(day) == days
    assert profiles.max_validity_days(datetime(day.year, day.month, day.day, 23, tzinfo=timezone.utc)) == days
    assert profiles.issued_validity_days(day) == days - 1


def test_the_migration_seeds_the_profiles(db):
    from importlib import import_module

    seed = import_module("certdesk.certificates.migrations.0002_seed_profiles")
    assert [p["name"] for p in seed.PROFILES] == SEEDED == [p["name"] for p in profiles.SEEDED_PROFILES]
    for frozen, current in zip(seed.PROFILES, profiles.SEEDED_PROFILES):
        assert {**seed.DEFAULTS, **frozen} == profiles.profile_defaults(current)


def test_seeded_profiles(profiles):
    assert list(Profile.objects.filter(customer=None, kind="SSL").order_by("position").values_list("name", flat=True)) == SEEDED
    ov = profiles["OV SSL"]
    assert ov.validation_level == "OV" and ov.auto_www_san and ov.signature_algorithm == "SHA384withRSA"
    assert ov.key_types == {"RSA": ["2048", "3072", "4096"], "EC": ["P-256", "P-384"]}
    assert not any(p.ou_allowed for p in profiles.values())
    assert profiles["Wildcard SSL"].wildcard == "REQUIRED"
    assert profiles["EV SSL"].needs_second_approval and profiles["EV Anchor"].validation_only
    assert not profiles["OV Multi-Domain"].needs_second_approval
    today = datetime(2026, 11, 23, tzinfo=timezone.utc)
    assert ov.effective_terms(today) == [47, 100, 199]
    assert profiles["IGTF Multi-Domain"].effective_terms(today) == [199]
    assert ov.effective_terms(datetime(2029, 6, 1, tzinfo=timezone.utc)) == [46]
    assert profiles["EV Anchor"].effective_terms(today) == [365]


def test_transition_table():
    assert states.can_move(Status.REQUESTED, Status.APPLIED) and states.can_move(Status.APPLIED, Status.ISSUED)
    assert not states.can_move(Status.REQUESTED, Status.ISSUED)
    for final in (Status.DECLINED, Status.INVALID, Status.REVOKED, Status.EXPIRED, Status.REPLACED):
        assert states.TRANSITIONS[final] == frozenset()
    with pytest.raises(AlreadyRevoked):
        states.check(Status.REPLACED, Status.REVOKED)
    with pytest.raises(NotRevocable):
        states.check(Status.EXPIRED, Status.REVOKED)
    with pytest.raises(WrongState):
        states.check(Status.ISSUED, Status.APPLIED)


def test_weak_key_primitives():
    assert weakkeys._roca_false_positive_bits() > 160
    assert weakkeys.has_small_factor(3 * (2 ** 2047 + 1)) and not weakkeys.has_small_factor(2 ** 2048 - 1 + 2)
    assert weakkeys.fermat_factor(1000003 * 1000033) == (1000003, 1000033)
    # the Debian openssl-vulnkey fingerprint: last 80 bits of SHA-1("Modulus=<HEX>\n")
    import hashlib

    assert weakkeys.debian_fingerprint(0xABCDEF) == hashlib.sha1(b"Modulus=ABCDEF\n").hexdigest()[20:]
    assert len(weakkeys.debian_fingerprint(0xABCDEF)) == 20


def test_ssl_permissions(ssl, univ, physics, chemistry, rao, rao2, drao, drao_chemistry, rao_other, mrao_actor,
                         other_mrao, csr):
    from certdesk.certificates import services

    cert = services.request_ssl(drao, organization=physics, profile=ssl["profiles"]["OV SSL"],
                                csr_pem=csr("lab.physics.example.org"), term=365)
    for actor in (mrao_actor, rao, rao2, drao):
        for perm in (Perm.VIEW_SSL, Perm.REVOKE_SSL, Perm.RENEW_SSL):
            assert policy.can(actor, perm, cert), (actor.label, perm)
    # approving needs sslApprove: MRAO and RAO SSL carry it, a DRAO only when granted (issue 6)
    for actor in (mrao_actor, rao, rao2):
        assert policy.can(actor, Perm.APPROVE_SSL, cert) and policy.can(actor, Perm.DECLINE_SSL, cert)
    assert not policy.can(drao, Perm.APPROVE_SSL, cert) and not policy.can(drao, Perm.DECLINE_SSL, cert)
    assert policy.can(mrao_actor, Perm.EDIT_SSL, cert) and not policy.can(rao2, Perm.EDIT_SSL, cert)
    for outsider in (actor_for(drao_chemistry), actor_for(rao_other), actor_for(other_mrao)):
        with pytest.raises(NotFound):
            policy.require(outsider, Perm.VIEW_SSL, cert)
    with pytest.raises(PermissionDenied):
        policy.require(rao, Perm.VIEW_ORGANIZATION, cert)
    assert policy.can(drao, Perm.REQUEST_SSL, physics) and not policy.can(drao, Perm.REQUEST_SSL, chemistry)
    assert policy.can(rao, Perm.REQUEST_SSL, chemistry)
    assert set(policy.scope(rao, Certificate.objects.all(), field="organization", cert_type="SSL")) == {cert}
    assert not policy.scope(actor_for(drao_chemistry), Certificate.objects.all(), field="organization",
                            cert_type="SSL").exists()
