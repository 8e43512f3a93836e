"""Name authorization in a fixed number of queries (`domains.queries.check_names`): the domains
that could cover any of the names, the organization's delegations of them and their effective
DCV are read once for all the names of a request, and each name is decided in Python with the
same answers as one name at a time."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certdesk.domains import queries, services
from certdesk.domains.errors import DcvMissing, DomainInactive, InvalidDomainName, NotDelegated
from certdesk.domains.models import Delegation
from certdesk.domains.states import DcvStatus, DelegationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(make_domain, validate, mrao_actor, univ, physics, chemistry):
    """example.org (validated) and *.example.org for the university, *.physics.example.org for
    physics (covered by the university's validation), an unvalidated and a suspended domain, and
    a delegation awaiting approval."""
    base = make_domain("example.org", univ)
    make_domain("*.example.org", univ)
    make_domain("*.physics.example.org", physics)
    make_domain("*.chemistry.example.org", chemistry)
    validate(base)
    make_domain("unvalidated.test", univ)
    suspended = make_domain("suspended.example.net", univ)
    validate(suspended)
    services.set_domain_state(mrao_actor, suspended, active=False)
    pending = make_domain("pending.example.com", chemistry)
    Delegation.objects.create(domain=pending, organization=univ, cert_types=["SSL"],
                              status=DelegationStatus.REQUESTED)
    make_domain("smime-only.example.com", univ, cert_types=("SMIME",))
    return base


def counted(org, names_):
    with CaptureQueriesContext(connection) as ctx:
        checks = queries.check_names(org, names_, "SSL")
    return checks, len(ctx.captured_queries)


MIXED = ["www.example.org", "example.org", "a.b.example.org", "www.unvalidated.test", "suspended.example.net",
         "pending.example.com", "smime-only.example.com", "elsewhere.example.com", "not a name",
         "*.example.org"]


def test_query_count_does_not_grow_with_the_names(tree, univ, physics):
    _, one = counted(physics, ["www.physics.example.org"])
    twenty = [f"host{i}.physics.example.org" for i in range(20)]
    checks, many = counted(physics, twenty)
    assert all(c.ok for c in checks)
    assert many == one <= 6
    for name in MIXED:  # each kind of answer alone: never more than the whole mix
        assert counted(univ, [name])[1] <= 6
    _, mixed = counted(univ, MIXED)
    checks, doubled = counted(univ, MIXED + [f"n{i}.{name}" for i, name in enumerate(MIXED)])
    assert doubled == mixed <= 6
    assert len(checks) == 20


def test_batched_answers_are_those_of_one_name_at_a_time(tree, univ, physics, chemistry):
    for org in (univ, physics, chemistry):
        together = queries.check_names(org, MIXED, "SSL")
        alone = [queries.is_name_authorized(org, name, "SSL") for name in MIXED]
        assert [(c.name, c.ok, c.code, c.reason, c.normalized, c.domain and c.domain.pk) for c in together] == [
            (c.name, c.ok, c.code, c.reason, c.normalized, c.domain and c.domain.pk) for c in alone]


def test_each_kind_of_answer(tree, univ, physics):
    checks = {c.name: c for c in queries.check_names(univ, MIXED, "SSL")}
    assert checks["www.example.org"].ok and checks["www.example.org"].domain.name == "*.example.org"
    assert checks["www.example.org"].dcv.inherited_from == "example.org"
    assert checks["example.org"].ok and checks["example.org"].domain.name == "example.org"
    assert checks["*.example.org"].ok
    assert checks["a.b.example.org"].ok
    assert checks["www.unvalidated.test"].code == NotDelegated.code  # only unvalidated.test itself is delegated
    assert checks["suspended.example.net"].code == DomainInactive.code
    assert "suspended" in checks["suspended.example.net"].reason
    assert checks["pending.example.com"].code == NotDelegated.code
    assert "awaiting approval" in checks["pending.example.com"].reason
    assert checks["smime-only.example.com"].code == NotDelegated.code
    assert "may not request SSL" in checks["smime-only.example.com"].reason
    assert checks["elsewhere.example.com"].code == NotDelegated.code
    assert checks["not a name"].code == InvalidDomainName.code and not checks["not a name"].normalized
    unvalidated = queries.check_names(univ, ["unvalidated.test"], "SSL")[0]
    assert unvalidated.code == DcvMissing.code and "has not been done" in unvalidated.reason
    inherited = queries.check_names(physics, ["www.physics.example.org"], "SSL")[0]
    assert inherited.ok and inherited.dcv.status == DcvStatus.VALIDATED
    assert inherited.dcv.inherited_from == "example.org"
    assert not queries.check_names(physics, ["www.chemistry.example.org"], "SSL")[0].ok
