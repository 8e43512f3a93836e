"""Property-based run of schemathesis against /api/schema/ (issue 6): every operation, with data
that fits the schema and data that does not, as an authenticated MRAO, in process (WSGI).

Zero server errors, and every answer (status code, content type, headers, body) as the schema
documents it. Bounded: EXAMPLES per operation and mode, deterministic (derandomized), so the run
takes well under two minutes; set CERTDESK_FUZZ_EXAMPLES for a longer one.
"""
from __future__ import annotations

import os

import hypothesis
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from certdesk.accounts.models import Admin
from certdesk.tenancy import services as tenancy
from certdesk.tenancy.models import Organization
from tests.conftest import PASSWORD, actor_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("CERTDESK_FUZZ_EXAMPLES", "20"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
HEADERS = {"login": "mrao", "password": PASSWORD, "customerUri": "renater"}


@pytest.fixture
def world(mrao, univ, physics, chemistry, rao_univ, drao_physics, other_org, other_customer_org, settings):
    """Objects for the path parameters to hit (besides the random ids the generator makes up)."""
    settings.API_RATE_LIMIT = "off"
    settings.API_RATE_LIMIT_IP = "off"
    validation = tenancy.submit_validation(actor_for(mrao), other_org)
    # SSL and client-certificate operations read their input only where the Web API is enabled for them.
    Organization.objects.filter(pk__in=[univ.pk, physics.pk, chemistry.pk]).update(ssl_certs_api_enabled=True,
                                                                                   client_certs_api_enabled=True)
    ids = {
        "org_id": [univ.pk, physics.pk, other_org.pk, other_customer_org.pk],
        "admin_id": [rao_univ.pk, drao_physics.pk, mrao.pk],
        "validation_id": [validation.pk],
    }
    try:
        from certdesk.domains.models import Domain

        ids["domain_id"] = list(Domain.objects.values_list("pk", flat=True)[:3]) or [1]
    except ImportError:  # pragma: no cover
        pass
    return {"mrao": mrao, "ids": ids}


def _strategies(operation, ids, mode):
    names = [p.name for p in operation.path_parameters]
    strategies = [operation.as_strategy(generation_mode=mode)]
    known = {name: ids[name] for name in names if name in ids}
    if known and len(known) == len(names):
        for index in range(max(len(v) for v in known.values())):
            fixed = {name: values[index % len(values)] for name, values in known.items()}
            strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    return st.one_of(strategies)


def _restore(mrao_pk: int, password_hash: str) -> None:
    """POST /admin/v1/changepassword may succeed with a generated password: put the MRAO's back."""
    Admin.objects.filter(pk=mrao_pk).exclude(password=password_hash).update(
        password=password_hash, must_change_password=False, is_active=True)


@pytest.fixture
def _keep_the_test_connection():
    """Schemathesis calls the real WSGI handler, whose request signals close "old" connections; on
    PostgreSQL that closes the test's own connection (inside its transaction). Django's test client
    disconnects them the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_every_operation_answers_as_documented(world, _keep_the_test_connection):
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    mrao = world["mrao"]
    password_hash = Admin.objects.get(pk=mrao.pk).password
    problems: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @hypothesis.given(case=_strategies(operation, world["ids"], mode))
            @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                                 phases=[Phase.explicit, Phase.generate, Phase.shrink],
                                 suppress_health_check=list(HealthCheck))
            def run(case):
                _restore(mrao.pk, password_hash)
                if case.headers:  # the generator invents a Bearer token from the schema: log in as the MRAO
                    case.headers.pop("Authorization", None)
                response = case.call(headers=HEADERS)
                case.validate_response(response, checks=CHECKS, headers=HEADERS)

            try:
                run()
            except FailureGroup as exc:
                problems.append(f"{operation.label} [{mode.value}]: {exc}")
    assert operations >= 20
    assert not problems, "\n\n".join(problems)
