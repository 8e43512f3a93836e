"""Admins: creation within scope, granting only what one holds, passwords, login rate limit."""
import pytest

from certdesk.accounts import services
from certdesk.accounts.errors import InvalidCredentials, PasswordRejected, PrivilegeRefused, RoleRefused
from certdesk.accounts.models import Admin, AdminType
from certdesk.core.audit import verify
from certdesk.core.errors import DomainError, NotFound, PermissionDenied

from ..conftest import PASSWORD, actor_for


def new_admin(actor, login, credentials, privileges=(), **extra):
    return services.create_admin(
        actor, login=login, email=f"{login}@univ-lyon.example", forename="New", surname="Admin",
        password=PASSWORD, credentials=credentials, privileges=list(privileges), **extra,
    )


def test_passwords_are_hashed_with_argon2(mrao):
    assert mrao.password.startswith("argon2$")
    assert PASSWORD not in mrao.password


def test_new_admin_must_change_password(mrao_actor, univ):
    admin = new_admin(mrao_actor, "newbie", [{"role": "RAO_SSL", "orgId": univ.pk}])
    assert admin.must_change_password is True


def test_rao_creates_drao_for_its_department(rao_univ, physics):
    drao = new_admin(actor_for(rao_univ), "drao_new", [{"role": "DRAO_SSL", "orgId": physics.pk}], ["allowDCV"])
    assert [c.role for c in drao.credential_list()] == ["DRAO_SSL"]


def test_drao_cannot_create_a_rao(mrao_actor, physics, univ):
    drao = new_admin(mrao_actor, "drao_creator", [{"role": "DRAO_SSL", "orgId": physics.pk}], ["allowCreate"])
    with pytest.raises(RoleRefused) as err:
        new_admin(actor_for(drao), "wannabe_rao", [{"role": "RAO_SSL", "orgId": univ.pk}])
    # the organization is outside a DRAO's scope: it answers as if it did not exist
    assert "not found" in err.value.message
    with pytest.raises(RoleRefused) as err:
        new_admin(actor_for(drao), "wannabe_rao", [{"role": "RAO_SSL", "orgId": physics.pk}])
    assert not Admin.objects.filter(login="wannabe_rao").exists()


def test_rao_cannot_create_rao_unless_customer_allows(rao_univ, univ, customer):
    with pytest.raises(RoleRefused):
        new_admin(actor_for(rao_univ), "peer_rao", [{"role": "RAO_SSL", "orgId": univ.pk}])
    customer.rao_can_create_rao = True
    customer.save()
    rao_univ.refresh_from_db()
    peer = new_admin(actor_for(rao_univ), "peer_rao", [{"role": "RAO_SSL", "orgId": univ.pk}])
    assert peer.pk


def test_cannot_grant_a_privilege_one_lacks(drao_physics, mrao_actor, physics):
    creator = new_admin(mrao_actor, "drao_maker", [{"role": "DRAO_SSL", "orgId": physics.pk}], ["allowCreate"])
    with pytest.raises(PrivilegeRefused) as err:
        new_admin(actor_for(creator), "drao_x", [{"role": "DRAO_SSL", "orgId": physics.pk}], ["allowDCV"])
    assert "allowDCV" in err.value.message


def test_cannot_grant_role_of_a_type_one_lacks(rao_univ, physics):
    with pytest.raises(RoleRefused):
        new_admin(actor_for(rao_univ), "drao_smime", [{"role": "DRAO_SMIME", "orgId": physics.pk}])


def test_privilege_must_fit_the_role(mrao_actor, physics):
    with pytest.raises(PrivilegeRefused):
        new_admin(mrao_actor, "drao_bad", [{"role": "DRAO_SSL", "orgId": physics.pk}], ["clientCertKeyRecovery"])


def test_role_level_must_match_scope(mrao_actor, univ, physics):
    with pytest.raises(RoleRefused):
        new_admin(mrao_actor, "mismatch1", [{"role": "DRAO_SSL", "orgId": univ.pk}])
    with pytest.raises(RoleRefused):
        new_admin(mrao_actor, "mismatch2", [{"role": "RAO_SSL", "orgId": physics.pk}])


def test_credentials_in_another_customer_are_refused(other_mrao, univ):
    with pytest.raises(RoleRefused):
        new_admin(actor_for(other_mrao), "intruder", [{"role": "RAO_SSL", "orgId": univ.pk}])


def test_duplicate_login_in_customer_refused_but_allowed_in_another(mrao_actor, univ, other_mrao):
    new_admin(mrao_actor, "alice", [{"role": "RAO_SSL", "orgId": univ.pk}])
    with pytest.raises(DomainError) as err:
        new_admin(mrao_actor, "alice", [{"role": "RAO_SSL", "orgId": univ.pk}])
    assert "already used" in err.value.message
    # same login in another customer is a different admin
    bristol = __import__("certdesk.tenancy.services", fromlist=["x"]).create_organization(
        actor_for(other_mrao), name="Bristol", address1="x", city="Bristol", country="GB")
    new_admin(actor_for(other_mrao), "alice", [{"role": "RAO_SSL", "orgId": bristol.pk}])
    assert Admin.objects.filter(login="alice").count() == 2


def test_weak_password_refused(mrao_actor, univ):
    with pytest.raises(PasswordRejected):
        services.create_admin(mrao_actor, login="weak", email="w@x.org", forename="W", surname="K",
                              password="123", credentials=[{"role": "RAO_SSL", "orgId": univ.pk}])


def test_reset_password_by_peer_forces_change(rao_univ, drao_physics):
    admin, password = services.reset_password(actor_for(rao_univ), drao_physics)
    assert admin.must_change_password and admin.check_password(password)


def test_cannot_reset_password_out_of_scope(drao_physics, drao_chemistry, rao_other):
    with pytest.raises(NotFound):
        services.reset_password(actor_for(drao_chemistry), drao_physics)
    with pytest.raises(NotFound):
        services.reset_password(actor_for(rao_other), drao_physics)


def test_change_own_password(drao_physics):
    services.change_own_password(actor_for(drao_physics), "A-Brand-New-Passphrase-7", current_password=PASSWORD)
    drao_physics.refresh_from_db()
    assert drao_physics.check_password("A-Brand-New-Passphrase-7") and not drao_physics.must_change_password
    with pytest.raises(PasswordRejected):
        services.change_own_password(actor_for(drao_physics), "A-Brand-New-Passphrase-7")


def test_disable_and_enable(rao_univ, drao_physics, customer):
    services.set_admin_active(actor_for(rao_univ), drao_physics, False)
    with pytest.raises(InvalidCredentials):
        services.authenticate("renater", "drao_physics", PASSWORD)
    services.set_admin_active(actor_for(rao_univ), drao_physics, True)
    assert services.authenticate("renater", "drao_physics", PASSWORD).pk == drao_physics.pk


def test_update_cannot_move_admin_out_of_scope(rao_univ, drao_physics, other_org):
    with pytest.raises(RoleRefused):
        services.update_admin(actor_for(rao_univ), drao_physics,
                              credentials=[{"role": "RAO_SSL", "orgId": other_org.pk}])


def test_update_profile_and_type(rao_univ, drao_physics):
    admin = services.update_admin(actor_for(rao_univ), drao_physics, forename="Denise", type="API")
    assert admin.forename == "Denise" and admin.type == AdminType.API


def test_authenticate_generic_message_and_rate_limit(mrao, settings):
    settings.LOGIN_MAX_FAILURES = 3
    messages = set()
    for attempt in [("renater", "mrao", "wrong"), ("renater", "nobody", PASSWORD), ("jisc", "mrao", PASSWORD)]:
        with pytest.raises(InvalidCredentials) as err:
            services.authenticate(*attempt)
        messages.add(err.value.message)
    assert len(messages) == 1
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            services.authenticate("renater", "mrao", "wrong")
    # locked out now, even with the right password, with the same generic message
    with pytest.raises(InvalidCredentials) as err:
        services.authenticate("renater", "mrao", PASSWORD)
    assert err.value.message in messages


def test_login_of_another_customer_is_unknown(other_mrao, customer):
    with pytest.raises(InvalidCredentials):
        services.authenticate("renater", "jisc-mrao", PASSWORD)


def test_bootstrap_is_idempotent(db):
    c1, a1, generated, created = services.bootstrap("demo", "admin", None)
    assert created and generated and a1.must_change_password
    c2, a2, generated2, created2 = services.bootstrap("demo", "admin", None)
    assert (c1.pk, a1.pk) == (c2.pk, a2.pk) and not created2 and generated2 is None
    _, env_admin, none, _ = services.bootstrap("envtenant", "root", "Env-Given-Password-1")
    assert none is None and not env_admin.must_change_password


def test_every_change_is_audited(rao_univ, drao_physics):
    from certdesk.core.models import AuditEvent

    services.reset_password(actor_for(rao_univ), drao_physics)
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor, event.object_id) == ("admin.password_reset", "rao_univ", str(drao_physics.pk))
    assert verify().ok


def test_self_edit_refused(rao_univ):
    with pytest.raises(PermissionDenied):
        services.set_admin_active(actor_for(rao_univ), rao_univ, False)


def test_own_preferences_are_saved_and_audited(drao_physics):
    from certdesk.core.models import AuditEvent

    services.set_own_preferences(actor_for(drao_physics), language="fr", time_zone="Europe/Paris")
    drao_physics.refresh_from_db()
    assert (drao_physics.language, drao_physics.time_zone) == ("fr", "Europe/Paris")
    assert AuditEvent.objects.order_by("-seq").first().action == "admin.preferences_changed"
    with pytest.raises(DomainError):
        services.set_own_preferences(actor_for(drao_physics), time_zone="Mars/Olympus")


def test_get_admin_hides_out_of_scope_and_loads_credentials_once(drao_physics, rao_univ,
                                                                  django_assert_num_queries):
    from certdesk.accounts import queries

    with pytest.raises(NotFound):
        queries.get_admin(actor_for(drao_physics), rao_univ.pk)
    admins = list(queries.visible_admins(actor_for(rao_univ)))
    with django_assert_num_queries(0):
        assert all(a.credential_list() for a in admins)


def test_control_characters_in_login_are_a_plain_failure(mrao):
    with pytest.raises(InvalidCredentials):
        services.authenticate("renater", "mr\x00ao", PASSWORD)


def test_wrong_passwords_from_elsewhere_do_not_lock_out_the_robot_at_once(mrao, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            services.authenticate("renater", "mrao", "wrong", ip="192.0.2.66")
    assert services.authenticate("renater", "mrao", PASSWORD, ip="127.0.0.1").pk == mrao.pk
    with pytest.raises(InvalidCredentials):
        services.authenticate("renater", "mrao", PASSWORD, ip="192.0.2.66")
