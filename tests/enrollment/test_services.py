"""SSL web form accounts (seed 003 §7.4.2): scope, policy, access code hashing, regeneration,
enable/disable, and requests through the one pipeline (EV never auto-approved)."""
from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.certificates.errors import NameNotAuthorized
from certdesk.certificates.models import Certificate
from certdesk.certificates.services import approve, request_ssl
from certdesk.certificates.states import Status
from certdesk.core.errors import DomainError, NotFound, PermissionDenied
from certdesk.core.models import AuditEvent
from certdesk.enrollment import queries, services
from certdesk.enrollment.errors import AccessRefused, ProfileNotOffered, WebFormInvalid
from certdesk.enrollment.models import WebFormAccount, WebFormRequest

from ..conftest import actor_for
from .conftest import CODE


def test_access_code_is_stored_hashed_and_slug_is_unguessable(univ_form):
    stored = WebFormAccount.objects.get(pk=univ_form.pk)
    assert CODE not in stored.access_code_hash
    assert stored.access_code_hash.startswith("argon2") or "$" in stored.access_code_hash
    assert check_password(CODE, stored.access_code_hash)
    assert len(stored.slug) >= 24
    assert AuditEvent.objects.filter(action="enrollment.web_form_created", object_id=str(univ_form.pk)).exists()


def test_generated_code_when_none_given(rao, univ, ov):
    account, code = services.create_account(rao, organization=univ, name="Generated", profiles=[ov])
    assert len(code) == services.GENERATED_CODE_LENGTH
    assert services.open_form(account.slug, code).pk == account.pk


@pytest.mark.parametrize("code", ["short", "x" * 129, " leading-space", "tab\there1"])
def test_bad_access_codes_are_refused(rao, univ, ov, code):
    with pytest.raises(WebFormInvalid) as info:
        services.create_account(rao, organization=univ, name="Bad code", profiles=[ov], access_code=code)
    assert info.value.field == "access_code"
    assert not WebFormAccount.objects.exists()


def test_ev_anchor_and_empty_profiles_are_refused(rao, univ, ssl):
    with pytest.raises(WebFormInvalid, match="EV Anchor"):
        services.create_account(rao, organization=univ, name="Anchor", access_code=CODE,
                                profiles=[ssl["profiles"]["EV Anchor"], ssl["profiles"]["OV SSL"]])
    with pytest.raises(WebFormInvalid) as info:
        services.create_account(rao, organization=univ, name="Nothing", access_code=CODE, profiles=[])
    assert info.value.field == "profiles"
    assert not WebFormAccount.objects.exists()


def test_duplicate_name_is_refused(univ_form, rao, univ, ov):
    with pytest.raises(WebFormInvalid) as info:
        services.create_account(rao, organization=univ, name=univ_form.name.upper(), profiles=[ov],
                                access_code=CODE)
    assert info.value.field == "name"


def test_drao_manages_only_its_department(drao, univ, physics, chemistry, ov, physics_form, univ_form):
    with pytest.raises(NotFound):
        services.create_account(drao, organization=univ, name="Univ", profiles=[ov], access_code=CODE)
    with pytest.raises(NotFound):
        services.create_account(drao, organization=chemistry, name="Chem", profiles=[ov], access_code=CODE)
    assert list(queries.visible_accounts(drao)) == [physics_form]
    with pytest.raises(NotFound):
        queries.get_account(drao, univ_form.pk)
    with pytest.raises(NotFound):
        services.update_account(drao, physics_form, organization=univ)
    with pytest.raises(NotFound):
        services.delete_account(drao, univ_form)
    assert policy.can(drao, Perm.MANAGE_WEB_FORM, physics)
    assert not policy.can(drao, Perm.MANAGE_WEB_FORM, chemistry)


def test_rao_and_mrao_see_their_scope_other_customer_nothing(rao, mrao_actor, other_mrao, physics_form, univ_form,
                                                             rao_other):
    assert {a.pk for a in queries.visible_accounts(rao)} == {physics_form.pk, univ_form.pk}
    assert queries.visible_accounts(mrao_actor).count() == 2
    assert not queries.visible_accounts(actor_for(other_mrao)).exists()
    assert not queries.visible_accounts(actor_for(rao_other)).exists()
    with pytest.raises(NotFound):
        queries.get_account(actor_for(other_mrao), univ_form.pk)


def test_other_customer_organization_is_not_found(rao, other_customer_org, ov):
    with pytest.raises(NotFound):
        services.create_account(rao, organization=other_customer_org, name="Bristol", profiles=[ov],
                                access_code=CODE)


def test_auto_approve_needs_the_privilege(drao, physics, ov, rao, univ, physics_form):
    # drao_physics lacks autoApproveCertificates: no escalation through a form.
    with pytest.raises(PermissionDenied) as info:
        services.create_account(drao, organization=physics, name="Auto", profiles=[ov], access_code=CODE,
                                auto_approve=True)
    assert info.value.field == "auto_approve"
    with pytest.raises(PermissionDenied):
        services.update_account(drao, physics_form, auto_approve=True)
    account, _ = services.create_account(rao, organization=univ, name="Auto", profiles=[ov], access_code=CODE,
                                         auto_approve=True)
    assert account.auto_approve


def test_regenerate_changes_code_and_ends_open_sessions(rao, univ_form):
    stamp = services.session_stamp(univ_form)
    account, code = services.regenerate_access_code(rao, univ_form)
    assert code != CODE and len(code) == services.GENERATED_CODE_LENGTH
    with pytest.raises(AccessRefused):
        services.open_form(account.slug, CODE)
    assert services.open_form(account.slug, code).pk == account.pk
    with pytest.raises(AccessRefused):
        services.form_for_session(account.slug, stamp)
    assert AuditEvent.objects.filter(action="enrollment.web_form_code_changed").exists()
    assert code not in "".join(AuditEvent.objects.values_list("changes", flat=True))


def test_disable_enable_and_delete(rao, univ_form):
    services.set_enabled(rao, univ_form, False)
    with pytest.raises(AccessRefused) as info:
        services.open_form(univ_form.slug, CODE)
    assert info.value.message == services.ACCESS_REFUSED
    services.set_enabled(rao, univ_form, True)
    assert services.open_form(univ_form.slug, CODE)
    services.delete_account(rao, univ_form)
    assert not WebFormAccount.objects.exists()
    assert AuditEvent.objects.filter(action="enrollment.web_form_deleted").exists()


def test_unknown_disabled_and_wrong_code_answer_alike(rao, univ_form, ov, univ):
    disabled, _ = services.create_account(rao, organization=univ, name="Off", profiles=[ov], access_code=CODE)
    services.set_enabled(rao, disabled, False)
    messages = set()
    for slug, code in (("nope-not-a-form", CODE), (disabled.slug, CODE), (univ_form.slug, "wrong-code-123")):
        with pytest.raises(AccessRefused) as info:
            services.open_form(slug, code, ip="192.0.2.1")
        messages.add((info.value.message, info.value.code, info.value.field))
    assert len(messages) == 1


def test_wrong_codes_are_rate_limited(univ_form, settings, steady_rate_clock):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_FAILURE_WINDOW = 86400
    for _ in range(3):
        with pytest.raises(AccessRefused):
            services.open_form(univ_form.slug, "wrong-code-123", ip="192.0.2.7")
    with pytest.raises(AccessRefused):  # blocked now, even with the right code
        services.open_form(univ_form.slug, CODE, ip="192.0.2.7")
    assert services.open_form(univ_form.slug, CODE, ip="192.0.2.8").pk == univ_form.pk  # another address


# ---------------------------------------------------------------------------
# Requests through the form: the one pipeline


def test_request_lands_requested_with_the_requester_recorded(univ_form, csr):
    cert = services.request_certificate(univ_form, email="alice@univ-lyon.example",
                                        profile_id=univ_form.profiles.get(name="OV SSL").pk,
                                        csr_pem=csr("www.example.org"), term=365, ip="192.0.2.10")
    assert cert.status == Status.REQUESTED
    assert cert.requester_id is None and cert.approver_id is None
    assert cert.external_requester == "alice@univ-lyon.example"
    assert cert.requested_via == "Enrollment Form"
    assert "alice@univ-lyon.example" in cert.requester_label and univ_form.name in cert.requester_label
    assert cert.organization_id == univ_form.organization_id
    row = WebFormRequest.objects.get(certificate=cert)
    assert row.account_id == univ_form.pk and row.email == "alice@univ-lyon.example"
    event = AuditEvent.objects.get(action="certificate.requested", object_id=str(cert.pk))
    assert event.actor_admin_id is None and "alice@univ-lyon.example" in event.actor


def test_unassigned_profile_is_refused(univ_form, ssl, csr):
    with pytest.raises(ProfileNotOffered) as info:
        services.request_certificate(univ_form, email="alice@univ-lyon.example",
                                     profile_id=ssl["profiles"]["Wildcard SSL"].pk, csr_pem=csr("*.example.org"),
                                     term=365)
    assert info.value.field == "profile"
    assert not Certificate.objects.exists()


def test_name_outside_the_form_department_is_refused(physics_form, csr):
    # example.org belongs to the university, not to Physics: the pipeline refuses it.
    before = AuditEvent.objects.count()
    with pytest.raises(NameNotAuthorized):
        services.request_certificate(physics_form, email="bob@physics.example.org",
                                     profile_id=physics_form.profiles.get().pk, csr_pem=csr("www.example.org"),
                                     term=365)
    assert not Certificate.objects.exists() and not WebFormRequest.objects.exists()
    assert AuditEvent.objects.count() == before
    cert = services.request_certificate(physics_form, email="bob@physics.example.org",
                                        profile_id=physics_form.profiles.get().pk,
                                        csr_pem=csr("lab.physics.example.org"), term=365)
    assert cert.status == Status.REQUESTED


def test_auto_approve_issues_at_once(rao, univ, ov, csr):
    account, _ = services.create_account(rao, organization=univ, name="Auto", profiles=[ov], access_code=CODE,
                                         auto_approve=True)
    cert = services.request_certificate(account, email="alice@univ-lyon.example", profile_id=ov.pk,
                                        csr_pem=csr("www.example.org"), term=365)
    assert cert.status == Status.ISSUED
    assert cert.der and cert.requested_via == "Enrollment Form"


def test_ev_is_never_auto_approved(rao, rao2, ev_univ, ssl, csr):
    anchor = approve(rao2, request_ssl(rao, organization=ev_univ, profile=ssl["profiles"]["EV Anchor"],
                                       csr_pem=csr("example.org"), term=365))
    assert anchor.status == Status.ISSUED
    ev = ssl["profiles"]["EV SSL"]
    account, _ = services.create_account(rao, organization=ev_univ, name="EV form", profiles=[ev],
                                         access_code=CODE, auto_approve=True)
    cert = services.request_certificate(account, email="alice@univ-lyon.example", profile_id=ev.pk,
                                        csr_pem=csr("www.example.org", key="rsa2048b"), term=365)
    assert cert.status == Status.REQUESTED
    assert approve(rao2, cert).status == Status.ISSUED  # any admin may approve: the requester is not one


def test_auto_renew_only_when_the_form_allows_it(univ_form, rao, univ, ov, csr):
    with pytest.raises(DomainError) as info:
        services.request_certificate(univ_form, email="alice@univ-lyon.example", profile_id=ov.pk,
                                     csr_pem=csr("www.example.org"), term=365, auto_renew=True)
    assert info.value.field == "auto_renew"
    account, _ = services.create_account(rao, organization=univ, name="Renew", profiles=[ov], access_code=CODE,
                                         allow_auto_renew=True)
    cert = services.request_certificate(account, email="alice@univ-lyon.example", profile_id=ov.pk,
                                        csr_pem=csr("www.example.org"), term=365, auto_renew=True)
    assert cert.auto_renew


def test_disabled_form_takes_no_request(rao, univ_form, ov, csr):
    services.set_enabled(rao, univ_form, False)
    with pytest.raises(AccessRefused):
        services.request_certificate(univ_form, email="alice@univ-lyon.example", profile_id=ov.pk,
                                     csr_pem=csr("www.example.org"), term=365)
    assert not Certificate.objects.exists()


def test_download_token_is_bound_to_the_certificate(univ_form, ov, csr, rao):
    cert = services.request_certificate(univ_form, email="alice@univ-lyon.example", profile_id=ov.pk,
                                        csr_pem=csr("www.example.org"), term=365)
    url = queries.public_download_url(cert)
    token = queries.download_token(cert)
    assert url.endswith(f"/enroll/ssl/certificate/{cert.pk}/{token}/")
    assert queries.public_certificate(cert.pk, token) == cert
    assert queries.public_certificate(cert.pk, token[:-1] + ("0" if token[-1] != "0" else "1")) is None
    assert queries.public_certificate(cert.pk + 1, token) is None
    # A certificate an admin requested has no public link.
    admin_cert = request_ssl(rao, organization=univ_form.organization, profile=ov, csr_pem=csr("mail.example.org"),
                             term=365, auto_approve=False)
    assert queries.public_download_url(admin_cert) is None
    assert queries.public_certificate(admin_cert.pk, queries.download_token(admin_cert)) is None
