"""Fixtures of the self-enrollment tests: the certificate tests' CAs, profiles and validated
domains (example.org for the university, *.physics.example.org for Physics), and web form
accounts of the seed people."""
from __future__ import annotations

import pytest

from certdesk.enrollment import services

from ..certificates.conftest import (  # noqa: F401  (fixtures re-exported for this directory)
    _certificate_settings,
    _dns_server,
    _domain_settings,
    csr,
    dns,
    domains,
    drao,
    ev_univ,
    keys,
    make_csr,
    make_domain,
    profiles,
    rao,
    rao2,
    ssl,
    validate,
)
from ..web.conftest import login_as, mrao_client  # noqa: F401

CODE = "s3cret-Access-Code"


@pytest.fixture
def ov(ssl):
    return ssl["profiles"]["OV SSL"]


@pytest.fixture
def univ_form(rao, univ, ssl):
    """The university's web form (OV SSL and OV Multi-Domain), needing approval."""
    account, _code = services.create_account(
        rao, organization=univ, name="Universite de Lyon SSL self-enrollment",
        profiles=[ssl["profiles"]["OV SSL"], ssl["profiles"]["OV Multi-Domain"]], access_code=CODE)
    return account


@pytest.fixture
def physics_form(drao, physics, ssl):
    """Physics' web form, opened by its DRAO."""
    account, _code = services.create_account(drao, organization=physics, name="Physics SSL self-enrollment",
                                             profiles=[ssl["profiles"]["OV SSL"]], access_code=CODE)
    return account
