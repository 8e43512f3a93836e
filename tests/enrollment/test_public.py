"""The public self-enrollment page end to end with the Django test client: access code (no oracle,
rate-limited), the request through the one pipeline, the confirmation, the requester's email
and the public download page it links to."""
from __future__ import annotations

import re

from cryptography import x509
from django.utils import timezone

from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status
from certdesk.enrollment import queries, services
from certdesk.enrollment.models import WebFormRequest
from certdesk.notifications.models import OutboxMessage

from ..web.conftest import parse_page
from .conftest import CODE

EMAIL = "alice@univ-lyon.example"


def _open(client, account, code=CODE, email=EMAIL):
    return client.post(f"/enroll/ssl/{account.slug}/", {"email": email, "access_code": code})


def _request(client, account, **data):
    return client.post(f"/enroll/ssl/{account.slug}/request/", data)


def _term(profile) -> int:
    """The longest term the form offers today (profile terms capped by the CA/B schedule)."""
    return max(profile.effective_terms(timezone.now()))


def _error_of(html: str, field: str) -> str:
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def test_step_one_looks_the_same_for_unknown_forms(client, univ_form):
    real = client.get(f"/enroll/ssl/{univ_form.slug}/")
    fake = client.get("/enroll/ssl/this-form-does-not-exist/")
    assert real.status_code == fake.status_code == 200
    strip = lambda r: re.sub(r"[A-Za-z0-9]{64}", "", r.content.decode())  # noqa: E731  (CSRF tokens)
    assert strip(real).replace(univ_form.slug, "X") == strip(fake).replace("this-form-does-not-exist", "X")
    assert univ_form.name not in real.content.decode()
    assert real["Cache-Control"].startswith("no-store") and real["Referrer-Policy"] == "no-referrer"
    page = parse_page(real.content.decode())
    assert page.inline_scripts == 0 and not page.event_attributes and not page.unlabelled()


def test_wrong_code_unknown_and_disabled_forms_answer_alike(client, univ_form, rao):
    answers = set()
    wrong = _open(client, univ_form, code="not-the-code")
    answers.add((wrong.status_code, _error_of(wrong.content.decode(), "access_code")))
    fake = client.post("/enroll/ssl/this-form-does-not-exist/", {"email": EMAIL, "access_code": CODE})
    answers.add((fake.status_code, _error_of(fake.content.decode(), "access_code")))
    services.set_enabled(rao, univ_form, False)
    disabled = _open(client, univ_form)
    answers.add((disabled.status_code, _error_of(disabled.content.decode(), "access_code")))
    assert len(answers) == 1
    status, error = answers.pop()
    assert status == 400 and "not valid for this form" in error
    assert client.get(f"/enroll/ssl/{univ_form.slug}/request/").status_code == 302


def test_wrong_codes_are_rate_limited(client, univ_form, settings, steady_rate_clock):
    settings.LOGIN_MAX_FAILURES = 2
    settings.LOGIN_FAILURE_WINDOW = 86400
    for _ in range(2):
        assert _open(client, univ_form, code="not-the-code").status_code == 400
    blocked = _open(client, univ_form)
    assert blocked.status_code == 400
    assert "not valid for this form" in _error_of(blocked.content.decode(), "access_code")
    assert client.get(f"/enroll/ssl/{univ_form.slug}/request/").status_code == 302


def test_bad_email_is_shown_next_to_the_field(client, univ_form):
    response = _open(client, univ_form, email="not an email")
    assert response.status_code == 400
    assert "not a valid email address" in _error_of(response.content.decode(), "email")


def test_request_form_offers_only_assigned_profiles_and_refuses_others(client, univ_form, ssl, csr):
    assert _open(client, univ_form).status_code == 302
    page = client.get(f"/enroll/ssl/{univ_form.slug}/request/")
    html = page.content.decode()
    assert page.status_code == 200 and "OV Multi-Domain" in html and "Wildcard SSL" not in html
    assert univ_form.name in html and EMAIL in html
    assert 'name="auto_renew"' not in html  # the form does not allow it
    parsed = parse_page(html)
    assert parsed.inline_scripts == 0 and not parsed.unlabelled()
    response = _request(client, univ_form, profile=ssl["profiles"]["Wildcard SSL"].pk, term=200,
                        csr=csr("*.example.org"))
    assert response.status_code == 400 and _error_of(response.content.decode(), "profile")
    assert not Certificate.objects.exists()


def test_undelegated_name_is_refused_next_to_the_field_and_nothing_is_created(client, univ_form, csr):
    _open(client, univ_form)
    ov = univ_form.profiles.get(name="OV Multi-Domain")
    response = _request(client, univ_form, profile=ov.pk, term=_term(ov), csr=csr("www.example.org"),
                        subject_alt_names="mail.example.org, www.not-ours.example.com")
    assert response.status_code == 400
    error = _error_of(response.content.decode(), "subject_alt_names")
    assert "You cannot order certificates" in error and "not-ours.example.com" in error
    assert not Certificate.objects.exists() and not WebFormRequest.objects.exists()


def test_missing_csr_and_garbage_csr_are_form_errors(client, univ_form):
    _open(client, univ_form)
    ov = univ_form.profiles.get(name="OV SSL")
    missing = _request(client, univ_form, profile=ov.pk, term=_term(ov))
    assert missing.status_code == 400 and _error_of(missing.content.decode(), "csr")
    garbage = _request(client, univ_form, profile=ov.pk, term=_term(ov), csr="-----BEGIN CERTIFICATE REQUEST-----\nxx")
    assert garbage.status_code == 400 and _error_of(garbage.content.decode(), "csr")
    assert not Certificate.objects.exists()


def test_success_lands_requested_with_a_confirmation(client, univ_form, csr):
    _open(client, univ_form)
    ov = univ_form.profiles.get(name="OV SSL")
    response = _request(client, univ_form, profile=ov.pk, term=_term(ov), csr=csr("www.example.org"),
                        comments="For the lab web server")
    assert response.status_code == 302, re.findall(r'class="errorlist"[^>]*>(.*?)</ul>|role="alert">(.*?)</div>',
                                                   response.content.decode(), re.S)
    assert response["Location"].endswith(f"/enroll/ssl/{univ_form.slug}/done/")
    cert = Certificate.objects.get()
    assert cert.status == Status.REQUESTED
    assert cert.external_requester == EMAIL and cert.requested_via == "Enrollment Form"
    assert cert.requester_id is None and cert.comments == "For the lab web server"
    done = client.get(response["Location"])
    html = done.content.decode()
    assert done.status_code == 200 and f"number {cert.pk}" in html
    assert queries.public_download_url(cert) in html


def test_csr_upload(client, univ_form, csr):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _open(client, univ_form)
    ov = univ_form.profiles.get(name="OV SSL")
    upload = SimpleUploadedFile("server.csr", csr("www.example.org").encode(), content_type="application/pkcs10")
    response = _request(client, univ_form, profile=ov.pk, term=_term(ov), csr_file=upload)
    assert response.status_code == 302
    assert Certificate.objects.get().common_name == "www.example.org"


def test_code_regenerated_closes_the_open_form(client, univ_form, rao, csr):
    _open(client, univ_form)
    services.regenerate_access_code(rao, univ_form)
    response = _request(client, univ_form, profile=univ_form.profiles.first().pk,
                        term=_term(univ_form.profiles.first()),
                        csr=csr("www.example.org"))
    assert response.status_code == 302 and response["Location"].endswith(f"/enroll/ssl/{univ_form.slug}/")
    assert not Certificate.objects.exists()


def test_a_session_opens_only_its_own_form(client, univ_form, physics_form):
    _open(client, univ_form)
    assert client.get(f"/enroll/ssl/{univ_form.slug}/request/").status_code == 200
    assert client.get(f"/enroll/ssl/{physics_form.slug}/request/").status_code == 302


def test_auto_approved_request_is_issued_and_mailed_with_a_working_download_link(client, rao, univ, ssl, csr):
    ov = ssl["profiles"]["OV SSL"]
    account, _ = services.create_account(rao, organization=univ, name="Auto form", profiles=[ov], access_code=CODE,
                                         auto_approve=True, allow_auto_renew=True)
    _open(client, account)
    response = _request(client, account, profile=ov.pk, term=_term(ov), csr=csr("www.example.org"), auto_renew="on")
    assert response.status_code == 302
    cert = Certificate.objects.get()
    assert cert.status == Status.ISSUED and cert.auto_renew
    # The requester's "SSL certificate issued" email is queued, with the public links.
    mail = OutboxMessage.objects.get(recipient=EMAIL, event__type="SSLIssued")
    public = queries.public_download_url(cert)
    assert public in mail.body and "/api/ssl/v1/collect" not in mail.body
    path = public.split("://", 1)[1].split("/", 1)[1]
    page = client.__class__().get(f"/{path}")  # a fresh browser: no session, no login
    assert page.status_code == 200 and "www.example.org" in page.content.decode()
    link = re.search(rf"{re.escape(public)}x509CO/", mail.body).group(0)
    download = client.__class__().get("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert download.status_code == 200
    leaf = x509.load_pem_x509_certificate(download.content)
    assert leaf.serial_number == int(cert.serial_hex, 16)
    assert client.get(f"/{path}x509R/").content.count(b"BEGIN CERTIFICATE") >= 2


def test_public_certificate_page_refuses_wrong_links_and_admin_requests(client, univ_form, rao, csr, ssl):
    cert = services.request_certificate(univ_form, email=EMAIL, profile_id=ssl["profiles"]["OV SSL"].pk,
                                        csr_pem=csr("www.example.org"), term=365)
    token = queries.download_token(cert)
    assert client.get(f"/enroll/ssl/certificate/{cert.pk}/{token}/").status_code == 200
    assert client.get(f"/enroll/ssl/certificate/{cert.pk}/{'0' * len(token)}/").status_code == 404
    # Not issued yet: the download says so, it is not a 500.
    pending = client.get(f"/enroll/ssl/certificate/{cert.pk}/{token}/x509CO/")
    assert pending.status_code == 400
    assert client.get(f"/enroll/ssl/certificate/{cert.pk}/{token}/nonsense/").status_code == 400
