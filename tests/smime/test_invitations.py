"""Client-certificate invitations (Persons → Send invitation; SCM `POST /api/person/v2/{id}/invitation/send`):
the email with its link, the public page (a GET never issues; the POST issues and answers the PKCS #12;
single use; expired, cancelled and unknown links), the portal's send and cancel, the REST endpoint."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils import timezone

from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status
from certdesk.core.errors import DomainError, NotFound
from certdesk.core.models import AuditEvent
from certdesk.enrollment import invitations
from certdesk.enrollment.models import Invitation
from certdesk.notifications.models import OutboxMessage
from certdesk.persons.models import Person
from tests.api.conftest import error_of, scm  # noqa: F401 - the SCM client fixture
from tests.web.conftest import login_as  # noqa: F401 - fixture

from .conftest import actor_for

pytestmark = pytest.mark.django_db
PASSPHRASE = "Correct-Passphrase-42"
LINK = re.compile(r"https?://\S+/enroll/invitation/([A-Za-z0-9_-]+)/")


def _send(admin, person, profile, term=365):
    return invitations.send_invitation(actor_for(admin), person, profile, term)


def _token_of(message: OutboxMessage) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def _url(token: str) -> str:
    return f"/enroll/invitation/{token}/"


def _post(client, token, **fields):
    data = {"key_type": "EC-P-256", "passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE, **fields}
    return client.post(_url(token), data)


# ---------------------------------------------------------------------------
# Sending


def test_send_emails_the_person_a_link_kept_only_hashed(pki, alice, personal, drao_smime, settings):
    invitation = _send(drao_smime, alice, personal)
    message = OutboxMessage.objects.get(recipient=alice.email)
    token = _token_of(message)
    assert message.body.count(f"{settings.BASE_URL}/enroll/invitation/{token}/") == 1
    assert message.subject.startswith("Create your client certificate")
    assert "GÉANT Personal Certificate" in message.body and "365 days" in message.body
    assert invitation.link.endswith(f"/enroll/invitation/{token}/")
    stored = Invitation.objects.get()
    assert stored.token_hash == invitations.hash_token(token) and token not in stored.token_hash
    assert (stored.person, stored.profile, stored.term, stored.created_by) == (alice, personal, 365, drao_smime)
    days = (stored.expires - stored.created).total_seconds() / 86400
    assert 6.99 < days <= 7.0
    assert AuditEvent.objects.filter(action="enrollment.invitation_sent").count() == 1
    assert not Certificate.objects.exists()


def test_the_email_follows_the_notification_language(pki, alice, personal, mrao, settings):
    settings.NOTIFICATION_LANGUAGE = "fr"
    _send(mrao, alice, personal)
    message = OutboxMessage.objects.get(recipient=alice.email)
    assert message.subject.startswith("Créez votre certificat client")
    assert "Suivez ce lien" in message.body and LINK.search(message.body)


def test_expiry_follows_the_setting(pki, alice, personal, mrao, settings):
    settings.INVITATION_DAYS = 2
    invitation = _send(mrao, alice, personal)
    assert timedelta(days=1, hours=23) < invitation.expires - timezone.now() <= timedelta(days=2)


def test_out_of_scope_admins_are_refused(pki, alice, personal, drao_smime_chemistry, rao_univ):
    for admin in (drao_smime_chemistry, rao_univ):  # another department's DRAO; an SSL admin
        with pytest.raises(NotFound):
            _send(admin, alice, personal)
    assert not Invitation.objects.exists() and not OutboxMessage.objects.filter(recipient=alice.email).exists()


def test_undelegated_email_domain_is_refused_at_send_time(pki, physics, personal, mrao):
    # staff.example.org is delegated to Physics for SSL only
    bob = Person.objects.create(customer=physics.customer, organization=physics, email="bob@staff.example.org",
                                first_name="Bob", last_name="Durand", common_name="Bob Durand")
    with pytest.raises(DomainError) as refused:
        _send(mrao, bob, personal)
    assert "staff.example.org" in refused.value.message and refused.value.field == "email"
    assert not Invitation.objects.exists() and not OutboxMessage.objects.filter(recipient=bob.email).exists()


def test_bad_term_and_missing_registration_are_refused_at_send_time(pki, alice, personal, mrao, univ):
    with pytest.raises(DomainError) as refused:
        _send(mrao, alice, personal, term=12)
    assert refused.value.code == -36
    from certdesk.tenancy.models import Organization

    Organization.objects.filter(pk=univ.pk).update(ev_registration_number="")
    alice.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        _send(mrao, alice, personal)
    assert refused.value.code == -843
    assert not Invitation.objects.exists()


# ---------------------------------------------------------------------------
# The public page


def test_get_shows_the_invitation_and_issues_nothing(pki, alice, personal, mrao, client):
    _send(mrao, alice, personal)
    token = _token_of(OutboxMessage.objects.get(recipient=alice.email))
    for _ in range(2):  # a mail scanner, then the person
        response = client.get(_url(token))
        assert response.status_code == 200
    text = response.content.decode()
    assert "Alice Martin" in text and "GÉANT Personal Certificate" in text and "alice@people.example.org" in text
    assert 'name="passphrase"' in text and 'name="passphrase_again"' in text and "<script>" not in text
    assert response["Referrer-Policy"] == "no-referrer" and "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response
    assert not Certificate.objects.exists() and Invitation.objects.get().used_at is None


def test_post_issues_the_certificate_and_answers_its_pkcs12(pki, alice, personal, mrao, client):
    _send(mrao, alice, personal)
    token = _token_of(OutboxMessage.objects.get(recipient=alice.email))
    response = _post(client, token)
    assert response.status_code == 200, response.content[:2000]
    assert response["Content-Type"] == "application/x-pkcs12"
    assert response["Content-Disposition"] == 'attachment; filename="alice.p12"'
    assert PASSPHRASE.encode() not in response.content
    cert = Certificate.objects.get()
    assert (cert.status, cert.person, cert.profile, cert.term) == (Status.ISSUED, alice, personal, 365)
    assert cert.requested_via == "Self Enroll" and cert.key_algorithm == "EC"
    loaded = pkcs12.load_pkcs12(response.content, PASSPHRASE.encode())
    assert loaded.cert.certificate.public_bytes(serialization.Encoding.DER) == bytes(cert.der)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    assert (loaded.key.public_key().public_bytes(serialization.Encoding.DER, spki)
            == loaded.cert.certificate.public_key().public_bytes(serialization.Encoding.DER, spki))
    with pytest.raises(ValueError):
        pkcs12.load_pkcs12(response.content, b"wrong-passphrase")
    invitation = Invitation.objects.get()
    assert invitation.used_at is not None and invitation.certificate == cert
    # single use: the same link again, posted or opened
    again = _post(client, token)
    assert again.status_code == 410 and "already used" in again.content.decode()
    assert client.get(_url(token)).status_code == 410
    assert Certificate.objects.count() == 1


def test_rsa_key_type_is_offered_and_used(pki, alice, personal, mrao, client):
    _send(mrao, alice, personal)
    token = _token_of(OutboxMessage.objects.get(recipient=alice.email))
    response = _post(client, token, key_type="RSA-2048")
    assert response.status_code == 200
    assert Certificate.objects.get().key_algorithm == "RSA"


@pytest.mark.parametrize("fields, field_error", [
    ({"passphrase": "short", "passphrase_again": "short"}, "at least 8 characters"),
    ({"passphrase_again": "Another-Passphrase-1"}, "The two passphrases differ."),
    ({"passphrase": "", "passphrase_again": ""}, "This field is required."),
    ({"key_type": "RSA-4096"}, "Select a valid choice"),
])
def test_bad_passphrase_or_key_type_is_a_form_error(pki, alice, personal, mrao, client, fields, field_error):
    _send(mrao, alice, personal)
    token = _token_of(OutboxMessage.objects.get(recipient=alice.email))
    response = _post(client, token, **fields)
    assert response.status_code == 400
    text = response.content.decode()
    assert field_error in text and PASSPHRASE not in text and "short" not in text.split("<form")[1].split(
        "</form>")[0].replace("shortcut", "")
    assert not Certificate.objects.exists() and Invitation.objects.get().used_at is None


@pytest.mark.parametrize("state", ["expired", "cancelled", "unknown"])
def test_expired_cancelled_and_unknown_links_read_alike(pki, alice, personal, mrao, client, state):
    invitation = _send(mrao, alice, personal)
    token = _token_of(OutboxMessage.objects.get(recipient=alice.email))
    if state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires=timezone.now() - timedelta(seconds=1))
    elif state == "cancelled":
        invitations.cancel_invitation(actor_for(mrao), invitation)
    else:
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for response in (client.get(_url(token)), _post(client, token)):
        assert response.status_code == 404
        text = response.content.decode()
        assert "This invitation link is not valid" in text and "Alice" not in text and "GÉANT" not in text
    assert not Certificate.objects.exists()


def test_unknown_links_are_rate_limited_per_address(pki, alice, personal, mrao, client, settings, monkeypatch,
                                                    steady_rate_clock):
    import types

    monkeypatch.setattr(invitations, "time", types.SimpleNamespace(time=lambda: steady_rate_clock))
    settings.LOGIN_MAX_FAILURES = 1  # 4 unknown links per address and window
    _send(mrao, alice, personal)
    token = _token_of(OutboxMessage.objects.get(recipient=alice.email))
    assert client.get(_url(token)).status_code == 200
    for number in range(4):
        assert client.get(_url(f"unknown-link-{number:02d}-xxxxxxxxxxxxxxxx")).status_code == 404
    blocked = client.get(_url(token))  # the real link too, from this address, until the window ends
    assert blocked.status_code == 404 and "This invitation link is not valid" in blocked.content.decode()
    other = client.get(_url(token), REMOTE_ADDR="192.0.2.77")
    assert other.status_code == 200


# ---------------------------------------------------------------------------
# The portal


def test_portal_send_and_cancel(pki, alice, personal, drao_smime, client, login_as):
    login_as(drao_smime)
    page = client.get(f"/persons/{alice.pk}/")
    assert page.status_code == 200 and "Send invitation" in page.content.decode()
    bad = client.post(f"/persons/{alice.pk}/invitations/send/", {"profile": personal.pk, "term": "12"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Select a valid choice" in text and not Invitation.objects.exists()
    sent = client.post(f"/persons/{alice.pk}/invitations/send/", {"profile": personal.pk, "term": "365"})
    assert sent.status_code == 302 and sent["Location"] == f"/persons/{alice.pk}/"
    invitation = Invitation.objects.get()
    page = client.get(f"/persons/{alice.pk}/").content.decode()
    assert f"/persons/{alice.pk}/invitations/{invitation.pk}/cancel/" in page and "Invitation sent to" in page
    cancel_url = f"/persons/{alice.pk}/invitations/{invitation.pk}/cancel/"
    asked = client.post(cancel_url)
    assert asked.status_code == 200 and "Cancel this invitation?" in asked.content.decode()
    assert Invitation.objects.get().cancelled_at is None
    done = client.post(cancel_url, {"confirmed": "1"})
    assert done.status_code == 302 and Invitation.objects.get().cancelled_at is not None
    assert cancel_url not in client.get(f"/persons/{alice.pk}/").content.decode()


def test_portal_refusal_shows_next_to_the_field(pki, alice, personal, mrao, client, login_as, univ):
    from certdesk.tenancy.models import Organization

    login_as(mrao)
    Organization.objects.filter(pk=univ.pk).update(ev_registration_number="")
    response = client.post(f"/persons/{alice.pk}/invitations/send/", {"profile": personal.pk, "term": "365"})
    assert response.status_code == 400 and "registration number" in response.content.decode()
    assert not Invitation.objects.exists()


def test_portal_out_of_scope_is_404(pki, alice, personal, drao_smime_chemistry, mrao, client, login_as):
    invitation = _send(mrao, alice, personal)
    login_as(drao_smime_chemistry)
    assert client.post(f"/persons/{alice.pk}/invitations/send/",
                       {"profile": personal.pk, "term": "365"}).status_code == 404
    assert client.post(f"/persons/{alice.pk}/invitations/{invitation.pk}/cancel/",
                       {"confirmed": "1"}).status_code == 404
    assert Invitation.objects.count() == 1 and Invitation.objects.get().cancelled_at is None


# ---------------------------------------------------------------------------
# REST


@pytest.fixture(autouse=True)
def _api(settings):
    settings.API_RATE_LIMIT = "off"
    settings.API_RATE_LIMIT_IP = "off"


def test_rest_send_answers_202(pki, alice, personal, rao_smime, scm):
    api = scm(rao_smime)
    response = api.post(f"person/v2/{alice.pk}/invitation/send", {"accountId": 12, "certType": personal.pk,
                                                                    "term": 730})
    assert response.status_code == 202 and response.content == b""
    invitation = Invitation.objects.get()
    assert (invitation.profile, invitation.term) == (personal, 730)
    assert OutboxMessage.objects.filter(recipient=alice.email).count() == 1


def test_rest_defaults_to_the_first_profile_and_its_longest_term(pki, alice, rao_smime, scm):
    response = scm(rao_smime).post(f"person/v2/{alice.pk}/invitation/send", {})
    assert response.status_code == 202, response.content
    invitation = Invitation.objects.get()
    assert invitation.term == max(invitation.profile.effective_terms(timezone.now()))


def test_rest_bad_input_is_an_scm_error(pki, alice, claire, personal, drao_smime, scm):
    api = scm(drao_smime)
    path = f"person/v2/{alice.pk}/invitation/send"
    assert error_of(api.post(path, {"certType": "abc"}))[:1] == (400,)
    assert error_of(api.post(path, {"certType": 999999}))[:2] == (400, -39)
    assert error_of(api.post(path, {"certType": personal.pk, "term": 12}))[:2] == (400, -36)
    assert error_of(api.post(path, {"accountId": "x"}))[:1] == (400,)
    assert error_of(api.post("person/v2/999999/invitation/send", {}))[:2] == (404, -105)
    assert error_of(api.post(f"person/v2/{claire.pk}/invitation/send", {}))[:2] == (404, -105)  # Chemistry's
    assert not Invitation.objects.exists()


# ---------------------------------------------------------------------------
# All or nothing


def test_a_refusal_at_issuance_leaves_the_invitation_open(pki, alice, personal, mrao, client):
    from certdesk.domains.models import Delegation

    _send(mrao, alice, personal)
    token = _token_of(OutboxMessage.objects.get(recipient=alice.email))
    Delegation.objects.filter(domain=pki["domains"]["people"]).delete()  # undelegated since the email was sent
    response = _post(client, token)
    assert response.status_code == 400 and "people.example.org" in response.content.decode()
    assert not Certificate.objects.exists()
    assert Invitation.objects.get().used_at is None and client.get(_url(token)).status_code == 200


def test_two_submissions_at_once_give_one_certificate(pki, alice, personal, mrao, monkeypatch):
    """The second submission read the invitation before the first one claimed it: the claim (a
    conditional UPDATE) refuses it, and nothing of its request is stored."""
    invitation = _send(mrao, alice, personal)
    token = _token_of(OutboxMessage.objects.get(recipient=alice.email))
    stale = invitations.find(token)
    first, _p12 = invitations.redeem(token, key_type="EC-P-256", passphrase=PASSPHRASE)
    monkeypatch.setattr(invitations, "find", lambda *args, **kwargs: stale)
    with pytest.raises(invitations.InvitationUsed):
        invitations.redeem(token, key_type="EC-P-256", passphrase=PASSPHRASE)
    assert list(Certificate.objects.all()) == [first]
    assert Invitation.objects.get(pk=invitation.pk).certificate == first
    assert AuditEvent.objects.filter(action="enrollment.invitation_used").count() == 1


def test_htmx_cancel_redirects_the_page(pki, alice, personal, mrao, client, login_as):
    invitation = _send(mrao, alice, personal)
    login_as(mrao)
    url = f"/persons/{alice.pk}/invitations/{invitation.pk}/cancel/"
    dialog = client.post(url, HTTP_HX_REQUEST="true")
    assert dialog.status_code == 200 and 'name="confirmed" value="1"' in dialog.content.decode()
    done = client.post(url, {"confirmed": "1"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Redirect"] == f"/persons/{alice.pk}/"
    assert Invitation.objects.get().cancelled_at is not None
    again = client.post(url, {"confirmed": "1"})  # no longer open: a message, nothing changes
    assert again.status_code == 302


def test_a_profile_without_the_page_s_key_types_is_refused_at_send_time(pki, alice, personal, mrao):
    from certdesk.certificates.models import Profile

    Profile.objects.filter(pk=personal.pk).update(key_types={"RSA": ["4096"], "EC": ["P-384"]})
    personal.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        _send(mrao, alice, personal)
    assert refused.value.field == "certType" and "none of the key types" in refused.value.message
    assert not Invitation.objects.exists()
