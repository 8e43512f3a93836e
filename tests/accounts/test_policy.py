"""One table: who may do what to which object, in and out of scope (issue 2 'Permissions are expressed once')."""
import pytest

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core.errors import NotFound, PermissionDenied
from certdesk.tenancy.models import Organization

from ..conftest import actor_for

ALLOW, DENY, HIDDEN = "allow", "deny", "hidden"

# (actor fixture, permission, object fixture, expected)
MATRIX = [
    # viewing organizations
    ("mrao", Perm.VIEW_ORGANIZATION, "univ", ALLOW),
    ("mrao", Perm.VIEW_ORGANIZATION, "physics", ALLOW),
    ("mrao", Perm.VIEW_ORGANIZATION, "other_customer_org", HIDDEN),
    ("rao_univ", Perm.VIEW_ORGANIZATION, "univ", ALLOW),
    ("rao_univ", Perm.VIEW_ORGANIZATION, "physics", ALLOW),
    ("rao_univ", Perm.VIEW_ORGANIZATION, "other_org", HIDDEN),
    ("rao_univ", Perm.VIEW_ORGANIZATION, "other_customer_org", HIDDEN),
    ("drao_physics", Perm.VIEW_ORGANIZATION, "physics", ALLOW),
    ("drao_physics", Perm.VIEW_ORGANIZATION, "univ", HIDDEN),
    ("drao_physics", Perm.VIEW_ORGANIZATION, "chemistry", HIDDEN),
    ("rao_other", Perm.VIEW_ORGANIZATION, "univ", HIDDEN),
    ("other_mrao", Perm.VIEW_ORGANIZATION, "univ", HIDDEN),
    # editing organizations and EV details: MRAO only
    ("mrao", Perm.EDIT_ORGANIZATION, "univ", ALLOW),
    ("mrao", Perm.EDIT_EV_DETAILS, "univ", ALLOW),
    ("rao_univ", Perm.EDIT_ORGANIZATION, "univ", DENY),
    ("rao_univ", Perm.EDIT_EV_DETAILS, "univ", DENY),
    ("drao_physics", Perm.EDIT_ORGANIZATION, "univ", HIDDEN),
    ("other_mrao", Perm.EDIT_ORGANIZATION, "univ", HIDDEN),
    # departments
    ("mrao", Perm.CREATE_DEPARTMENT, "univ", ALLOW),
    ("rao_univ", Perm.CREATE_DEPARTMENT, "univ", ALLOW),
    ("rao_other", Perm.CREATE_DEPARTMENT, "univ", HIDDEN),
    ("drao_physics", Perm.CREATE_DEPARTMENT, "physics", DENY),
    ("rao_univ", Perm.EDIT_ORGANIZATION, "physics", ALLOW),
    ("drao_physics", Perm.EDIT_ORGANIZATION, "physics", DENY),
    ("drao_physics", Perm.EDIT_ORGANIZATION, "chemistry", HIDDEN),
    # organization validation: MRAO only
    ("mrao", Perm.SUBMIT_VALIDATION, "other_org", ALLOW),
    ("rao_univ", Perm.SUBMIT_VALIDATION, "univ", DENY),
    ("rao_other", Perm.SUBMIT_VALIDATION, "other_org", DENY),
    ("drao_physics", Perm.DECIDE_VALIDATION, "physics", DENY),
    ("mrao", Perm.DELETE_ORGANIZATION, "other_org", ALLOW),
    ("rao_univ", Perm.DELETE_ORGANIZATION, "physics", DENY),
    # admins
    ("mrao", Perm.VIEW_ADMIN, "rao_univ", ALLOW),
    ("mrao", Perm.EDIT_ADMIN, "drao_physics", ALLOW),
    ("rao_univ", Perm.VIEW_ADMIN, "drao_physics", ALLOW),
    ("rao_univ", Perm.RESET_PASSWORD, "drao_physics", ALLOW),
    ("rao_univ", Perm.VIEW_ADMIN, "mrao", HIDDEN),
    ("rao_univ", Perm.EDIT_ADMIN, "rao_other", HIDDEN),
    ("rao_univ", Perm.DELETE_ADMIN, "drao_physics", ALLOW),
    ("drao_physics", Perm.VIEW_ADMIN, "drao_physics", ALLOW),
    ("drao_physics", Perm.EDIT_ADMIN, "drao_physics", DENY),
    ("drao_physics", Perm.VIEW_ADMIN, "drao_chemistry", HIDDEN),
    ("drao_physics", Perm.VIEW_ADMIN, "rao_univ", HIDDEN),
    ("drao_physics", Perm.RESET_PASSWORD, "rao_univ", HIDDEN),
    ("drao_chemistry", Perm.EDIT_ADMIN, "drao_physics", HIDDEN),
    ("rao_other", Perm.VIEW_ADMIN, "drao_physics", HIDDEN),
    ("other_mrao", Perm.VIEW_ADMIN, "rao_univ", HIDDEN),
    ("other_mrao", Perm.RESET_PASSWORD, "mrao", HIDDEN),
    # creating things without an object
    ("mrao", Perm.CREATE_ORGANIZATION, None, ALLOW),
    ("rao_univ", Perm.CREATE_ORGANIZATION, None, DENY),
    ("drao_physics", Perm.CREATE_ORGANIZATION, None, DENY),
    ("rao_univ", Perm.CREATE_ADMIN, None, ALLOW),
    ("drao_physics", Perm.CREATE_ADMIN, None, DENY),  # lacks allowCreate
]


@pytest.mark.parametrize(("who", "perm", "what", "expected"), MATRIX,
                         ids=[f"{w}-{p.value}-{o}" for w, p, o, _ in MATRIX])
def test_policy_matrix(request, who, perm, what, expected, drao_chemistry, chemistry):
    actor = actor_for(request.getfixturevalue(who))
    obj = request.getfixturevalue(what) if what else None
    if expected == ALLOW:
        policy.require(actor, perm, obj)
        assert policy.can(actor, perm, obj)
    elif expected == DENY:
        with pytest.raises(PermissionDenied):
            policy.require(actor, perm, obj)
    else:
        with pytest.raises(NotFound):
            policy.require(actor, perm, obj)
    assert policy.can(actor, perm, obj) is (expected == ALLOW)


def test_scope_lists_only_what_each_level_covers(mrao, rao_univ, drao_physics, other_mrao, univ, physics,
                                                 chemistry, other_org, other_customer_org):
    def names(admin):
        return set(policy.scope(actor_for(admin), Organization.objects.all()).values_list("name", flat=True))

    assert names(mrao) == {"Universite de Lyon", "Physics", "Chemistry", "Universite de Nantes"}
    assert names(rao_univ) == {"Universite de Lyon", "Physics", "Chemistry"}
    assert names(drao_physics) == {"Physics"}
    assert names(other_mrao) == {"University of Bristol"}


def test_scope_by_certificate_type(mrao_actor, univ, physics):
    from certdesk.accounts import services

    rao_smime = services.create_admin(
        mrao_actor, login="rao_smime", email="s@univ.example", forename="S", surname="M",
        password="Correct-Horse-Battery-9", credentials=[{"role": "RAO_SMIME", "orgId": univ.pk}],
    )
    actor = actor_for(rao_smime)
    assert policy.scope(actor, Organization.objects.all(), cert_type="SSL").count() == 0
    assert policy.scope(actor, Organization.objects.all(), cert_type="SMIME").count() == 2


def test_visible_admins(mrao, rao_univ, drao_physics, drao_chemistry, rao_other, other_mrao):
    def logins(admin):
        return set(policy.visible_admins(actor_for(admin)).values_list("login", flat=True))

    assert logins(drao_physics) == {"drao_physics"}
    assert logins(rao_univ) == {"rao_univ", "drao_physics", "drao_chemistry"}
    assert logins(rao_other) == {"rao_nantes"}
    assert {"mrao", "mrao2", "rao_univ", "rao_nantes"} <= logins(mrao)
    assert logins(other_mrao) == {"jisc-mrao"}
