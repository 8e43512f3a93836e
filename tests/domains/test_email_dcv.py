"""Email DCV end to end with a real SMTP server (aiosmtpd) on loopback: submit (portal or REST API)
→ the email arrives → its link and code are read from the received message → the public page
(no login) → wrong code, right code → VALIDATED. And everything that must validate nothing: a GET,
a reused link, an expired link, a reset or replaced order, five wrong codes."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from certdesk.accounts.models import Admin
from certdesk.core.models import AuditEvent
from certdesk.domains import queries, services
from certdesk.domains.dcv import email as email_dcv
from certdesk.domains.errors import DcvMethodDisabled
from certdesk.domains.models import DcvEmailChallenge, DcvOrder, Domain
from certdesk.domains.states import DcvStatus, OrderStatus
from certdesk.notifications import delivery
from certdesk.notifications.models import OutboxMessage, Status
from tests.api.conftest import ScmClient, error_of
from tests.notifications.servers import SmtpServer
from tests.web.conftest import BACKEND, parse_page

LINK = re.compile(r"https://certdesk\.test/dcv/email/([A-Za-z0-9_-]+)/")
CODE = re.compile(r"^\s+(\d{4}-\d{4})\s*$", re.M)
DCV = "dcv/v1/validation"


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    settings.SMTP_URL = server.url
    settings.SMTP_TIMEOUT = 5
    settings.EMAIL_FROM = "certdesk@certdesk.test"
    settings.NOTIFICATION_LANGUAGE = "en"
    yield server
    server.stop()


@pytest.fixture
def domain(make_domain, univ):
    return make_domain("univ-lyon.test", univ)


@pytest.fixture
def rao_portal(rao_univ):
    c = Client()
    c.force_login(rao_univ, backend=BACKEND)
    return c


@pytest.fixture
def public():
    """A browser with no session: the recipient of the email."""
    return Client()


@pytest.fixture
def mrao_api(mrao):
    return ScmClient(Client(), mrao.login)


def deliver(smtp, address: str):
    """Send what the outbox holds now (the worker's job) and return the last message `address` received."""
    delivery.flush()
    received = smtp.mailbox.to(address)
    assert received, f"no email to {address}: {[r.rcpt_tos for r in smtp.received]}"
    return received[-1]


def link_and_code(message) -> tuple[str, str, str]:
    """(path, token, code) read from a received email (or an outbox row)."""
    body = message.body
    link = LINK.search(body)
    code = CODE.search(body)
    assert link and code, body
    return link.group(0).replace("https://certdesk.test", ""), link.group(1), code.group(1)


def wrong(code: str) -> str:
    digits = code.replace("-", "")
    return f"{(int(digits) + 1) % 10 ** 8:08d}"


def _page(response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.content[:800])
    return response.content.decode()


def _status(domain) -> str:
    domain.refresh_from_db()
    return domain.dcv_status


# ---------------------------------------------------------------------------
# The whole path, through the portal


def test_portal_submit_email_page_wrong_then_right_code(rao_portal, public, domain, smtp, rao_univ):
    hx = {"HTTP_HX_REQUEST": "true"}
    assert rao_portal.post(f"/domains/{domain.pk}/dcv/validate/", {"method": "EMAIL"}, **hx).status_code == 200
    panel = _page(rao_portal.post(f"/domains/{domain.pk}/dcv/submit/", {"email": "hostmaster@univ-lyon.test"},
                                  **hx), 200)
    assert "a validation email was sent to hostmaster@univ-lyon.test" in panel
    panel = _page(rao_portal.get(f"/domains/{domain.pk}/dcv/?dcv=instructions", **hx), 200)
    assert "A validation email was sent to hostmaster@univ-lyon.test" in panel and ">Send again<" in panel

    message = deliver(smtp, "hostmaster@univ-lyon.test")
    assert message.subject == "Domain control validation for univ-lyon.test"
    assert message.message["From"] == "certdesk@certdesk.test"
    assert "univ-lyon.test" in message.body and "Rachel Orga (renater)" in message.body
    path, token, code = link_and_code(message)
    order = DcvOrder.objects.get(domain=domain)
    assert f"Reference: {order.pk}" in message.body
    assert OutboxMessage.objects.get(recipient="hostmaster@univ-lyon.test").status == Status.SENT

    # only hashes are stored
    challenge = DcvEmailChallenge.objects.get()
    assert order.email_challenge == challenge and challenge.email == "hostmaster@univ-lyon.test"
    stored = " ".join(str(v) for v in DcvEmailChallenge.objects.values().get().values())
    assert token not in stored and code not in stored and code.replace("-", "") not in stored
    assert challenge.token_hash == email_dcv.token_hash(token)
    assert timedelta(days=29, hours=23) < challenge.expires - timezone.now() <= timedelta(days=30)

    # GET (and HEAD) show the page and validate nothing: a mail scanner cannot confirm
    html = _page(public.get(path), 200)
    for _ in range(3):
        public.get(path)
        public.head(path)
    assert "univ-lyon.test" in html and "hostmaster@univ-lyon.test" in html and 'name="code"' in html
    assert "5 attempts left" in html
    assert _status(domain) == DcvStatus.NOT_VALIDATED
    assert DcvOrder.objects.get(pk=order.pk).status == OrderStatus.SUBMITTED

    # a wrong code: a form error, nothing validated
    html = _page(public.post(path, {"code": wrong(code)}), 400)
    assert "This code is not the one in the email. Attempts left: 4." in html
    assert _status(domain) == DcvStatus.NOT_VALIDATED
    assert _page(public.post(path, {"code": ""}), 400).count('class="errorlist"') == 1  # empty: not counted
    assert DcvEmailChallenge.objects.get().attempts == 1

    # the right code (typed without the dash) validates, as the address, from the browser's IP
    html = _page(public.post(path, {"code": code.replace("-", " ")}, REMOTE_ADDR="127.0.0.7"), 200)
    assert "control of this domain is validated" in html
    domain.refresh_from_db()
    assert domain.dcv_status == DcvStatus.VALIDATED and domain.dcv_method == "EMAIL"
    assert domain.dcv_expires > timezone.now() + timedelta(days=9)
    order.refresh_from_db()
    assert order.status == OrderStatus.VALIDATED
    event = AuditEvent.objects.filter(action="dcv.validated", object_id=str(domain.pk)).get()
    assert event.actor == "email:hostmaster@univ-lyon.test" and event.actor_admin_id is None
    assert event.ip == "127.0.0.7"
    wrong_codes = AuditEvent.objects.filter(action="dcv.email_code_wrong", actor="email:hostmaster@univ-lyon.test")
    assert wrong_codes.count() == 1
    assert DcvEmailChallenge.objects.get().used_at is not None

    # the link is used up: GET and POST say so, and change nothing
    html = _page(public.get(path), 410)
    assert "already been used" in html and 'name="code"' not in html
    before = AuditEvent.objects.count()
    assert "already been used" in _page(public.post(path, {"code": code}), 410)
    assert AuditEvent.objects.count() == before
    # the portal shows the validation
    panel = _page(rao_portal.get(f"/domains/{domain.pk}/dcv/", **hx), 200)
    assert '<span class="badge ok">VALIDATED</span>' in panel and "Email" in panel


def test_the_page_needs_no_login_and_ignores_the_portal_rules(rao_portal, domain, smtp, rao_univ):
    services.submit_dcv(services.system_actor(domain.customer), domain, method="EMAIL",
                        email="admin@univ-lyon.test")
    path, _, _ = link_and_code(deliver(smtp, "admin@univ-lyon.test"))
    # an admin whose password must change is not sent to the password form by the public page
    Admin.objects.filter(pk=rao_univ.pk).update(must_change_password=True)
    assert rao_portal.get(path).status_code == 200
    assert rao_portal.get(f"/domains/{domain.pk}/").status_code == 302
    assert _status(domain) == DcvStatus.NOT_VALIDATED


def test_the_page_has_csp_no_inline_script_and_labelled_inputs(public, domain, smtp):
    services.submit_dcv(services.system_actor(domain.customer), domain, method="EMAIL", email="admin@univ-lyon.test")
    path, _, _ = link_and_code(deliver(smtp, "admin@univ-lyon.test"))
    for language in ("en", "fr"):
        response = public.get(path, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert response["Referrer-Policy"] == "no-referrer" and "no-store" in response["Cache-Control"]
        page = parse_page(response.content.decode())
        assert page.inline_scripts == 0 and page.event_attributes == [] and page.style_attributes == 0
        assert page.unlabelled() == []


# ---------------------------------------------------------------------------
# Links that validate nothing


def test_five_wrong_codes_refuse_the_link_and_cancel_the_order(public, domain, smtp, rao):
    services.submit_dcv(rao, domain, method="EMAIL", email="webmaster@univ-lyon.test")
    path, _, code = link_and_code(deliver(smtp, "webmaster@univ-lyon.test"))
    for left in (4, 3, 2, 1):
        assert f"Attempts left: {left}." in _page(public.post(path, {"code": wrong(code)}), 400)
    html = _page(public.post(path, {"code": "not-a-code"}), 400)  # the fifth wrong code
    assert "blocked" in html and 'name="code"' not in html
    order = DcvOrder.objects.get(domain=domain)
    assert order.status == OrderStatus.CANCELLED and "5 wrong codes" in order.last_error
    # the right code now does nothing
    assert "blocked" in _page(public.post(path, {"code": code}), 410)
    assert _status(domain) == DcvStatus.NOT_VALIDATED
    assert queries.dcv_status_for(domain).order_status == OrderStatus.NOT_INITIATED
    # starting again sends a new email whose link works
    services.submit_dcv(rao, domain, method="EMAIL", email="webmaster@univ-lyon.test")
    path2, _, code2 = link_and_code(deliver(smtp, "webmaster@univ-lyon.test"))
    assert path2 != path
    _page(public.post(path2, {"code": code2}), 200)
    assert _status(domain) == DcvStatus.VALIDATED


def test_expired_link(public, domain, smtp, rao):
    services.submit_dcv(rao, domain, method="EMAIL", email="admin@univ-lyon.test")
    path, _, code = link_and_code(deliver(smtp, "admin@univ-lyon.test"))
    DcvEmailChallenge.objects.update(expires=timezone.now() - timedelta(seconds=1))
    html = _page(public.get(path), 410)
    assert "expired on" in html and 'name="code"' not in html
    assert "expired on" in _page(public.post(path, {"code": code}), 410)
    assert _status(domain) == DcvStatus.NOT_VALIDATED
    assert DcvOrder.objects.get(domain=domain).status == OrderStatus.SUBMITTED  # until reset or replaced
    assert not AuditEvent.objects.filter(action="dcv.validated").exists()


def test_reset_order_and_replaced_email(public, domain, smtp, rao):
    services.submit_dcv(rao, domain, method="EMAIL", email="admin@univ-lyon.test")
    first, _, first_code = link_and_code(deliver(smtp, "admin@univ-lyon.test"))
    # submitting again sends a new email: the earlier link stops working
    services.submit_dcv(rao, domain, method="EMAIL", email="postmaster@univ-lyon.test")
    second, _, second_code = link_and_code(deliver(smtp, "postmaster@univ-lyon.test"))
    assert "cancelled (reset) or replaced" in _page(public.post(first, {"code": first_code}), 410)
    assert _status(domain) == DcvStatus.NOT_VALIDATED
    assert "univ-lyon.test" in _page(public.get(second), 200)
    # reset (the bin): the page says so, the right code validates nothing
    assert services.reset_dcv(rao, domain) is True
    html = _page(public.get(second), 410)
    assert "cancelled (reset)" in html and 'name="code"' not in html
    assert "cancelled (reset)" in _page(public.post(second, {"code": second_code}), 410)
    assert _status(domain) == DcvStatus.NOT_VALIDATED


def test_unknown_and_malformed_links(public, domain):
    for path in ("/dcv/email/short/", "/dcv/email/" + "A" * 43 + "/", "/dcv/email/" + "é" * 43 + "/"):
        html = _page(public.get(path), 404)
        assert "not valid" in html
        assert "not valid" in _page(public.post(path, {"code": "1234-5678"}), 404)
    assert public.put("/dcv/email/" + "A" * 43 + "/").status_code == 405


def test_suspended_domain_is_not_validated_by_the_code(public, domain, smtp, rao, mrao_actor):
    services.submit_dcv(rao, domain, method="EMAIL", email="admin@univ-lyon.test")
    path, _, code = link_and_code(deliver(smtp, "admin@univ-lyon.test"))
    services.set_domain_state(mrao_actor, domain, active=False)
    html = _page(public.post(path, {"code": code}), 200)
    assert "Not validated:" in html and "the domain is suspended" in html
    assert _status(domain) == DcvStatus.NOT_VALIDATED
    assert DcvOrder.objects.get(domain=domain).status == OrderStatus.CANCELLED


# ---------------------------------------------------------------------------
# Bulk, French, REST API


def test_bulk_sends_one_email_whose_code_validates_every_domain(public, make_domain, univ, smtp, mrao_api):
    make_domain("univ-lyon.test", univ)
    www = make_domain("www.univ-lyon.test", univ)
    lab = make_domain("lab.univ-lyon.test", univ)
    response = mrao_api.post(f"{DCV}/submit-bulk/domain/email",
                             {"domains": ["www.univ-lyon.test", "lab.univ-lyon.test"],
                              "email": "Admin@univ-lyon.test"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["orderStatus"] == "SUBMITTED" and "one validation email was sent to admin@univ-lyon.test" in (
        body["message"])
    ids = [int(i) for i in body["orderBackendId"].split(",")]
    delivery.flush()
    assert len(smtp.mailbox.to("admin@univ-lyon.test")) == 1  # one email for both
    message = deliver(smtp, "admin@univ-lyon.test")
    assert message.subject == "Domain control validation for 2 domains"
    assert "www.univ-lyon.test" in message.body and "lab.univ-lyon.test" in message.body
    assert f"Reference: {ids[0]}, {ids[1]}" in message.body
    path, _, code = link_and_code(message)
    html = _page(public.get(path), 200)
    assert "www.univ-lyon.test" in html and "lab.univ-lyon.test" in html and "these domains" in html
    html = _page(public.post(path, {"code": code}), 200)
    assert "control of these domains is validated" in html
    assert _status(www) == DcvStatus.VALIDATED and _status(lab) == DcvStatus.VALIDATED
    assert set(DcvOrder.objects.filter(pk__in=ids).values_list("status", flat=True)) == {OrderStatus.VALIDATED}
    assert AuditEvent.objects.filter(action="dcv.validated", actor="email:admin@univ-lyon.test").count() == 2
    assert _status(Domain.objects.get(name="univ-lyon.test")) == DcvStatus.NOT_VALIDATED  # not in the email


def test_bulk_with_one_domain_reset_validates_the_others(public, make_domain, univ, smtp, mrao_actor):
    make_domain("univ-lyon.test", univ)
    a = make_domain("a.univ-lyon.test", univ)
    b = make_domain("b.univ-lyon.test", univ)
    services.submit_email_dcv(mrao_actor, [a, b], "hostmaster@univ-lyon.test")
    path, _, code = link_and_code(deliver(smtp, "hostmaster@univ-lyon.test"))
    services.reset_dcv(mrao_actor, b)
    html = _page(public.get(path), 200)
    assert "a.univ-lyon.test" in html and "b.univ-lyon.test" not in html
    _page(public.post(path, {"code": code}), 200)
    assert _status(a) == DcvStatus.VALIDATED and _status(b) == DcvStatus.NOT_VALIDATED


def queued(address: str):
    """The validation email as written to the outbox (what the worker will send)."""
    row = OutboxMessage.objects.filter(event__type="DcvEmail", recipient=address).order_by("-id").first()
    assert row is not None, address
    return row


def test_french_email_and_page(public, domain, smtp, settings, rao, mrao_actor):
    settings.NOTIFICATION_LANGUAGE = "fr"
    services.submit_dcv(rao, domain, method="EMAIL", email="admin@univ-lyon.test")
    # Read from the outbox: the French text is longer than 1000 bytes once encoded, which the
    # SMTP sending cannot deliver yet (see test_a_long_validation_email_reaches_the_smtp_server).
    message = queued("admin@univ-lyon.test")
    assert message.subject == "Validation du contrôle de domaine pour univ-lyon.test"
    assert "Pour confirmer, ouvrez cette page" in message.body and "code de validation" in message.body
    assert "Rachel Orga (renater) vous demande de confirmer" in message.body
    path, _, code = link_and_code(message)
    html = _page(public.get(path, HTTP_ACCEPT_LANGUAGE="fr"), 200)
    assert "Code de validation" in html and "Confirmer" in html and "5 essais restants" in html
    html = _page(public.post(path, {"code": wrong(code)}, HTTP_ACCEPT_LANGUAGE="fr"), 400)
    assert "Ce code n’est pas celui du courriel. Essais restants : 4." in html
    html = _page(public.post(path, {"code": code}, HTTP_ACCEPT_LANGUAGE="fr"), 200)
    assert "le contrôle de ce domaine est validé" in html
    assert "déjà servi" in _page(public.get(path, HTTP_ACCEPT_LANGUAGE="fr"), 410)
    # with an English default, an admin who reads French gets French at their address
    settings.NOTIFICATION_LANGUAGE = "en"
    Admin.objects.filter(pk=rao.admin.pk).update(email="hostmaster@univ-lyon.test", language="fr")
    org = domain.delegations.get().organization
    other = services.create_domain(mrao_actor, "labo.univ-lyon.test", delegations=[(org, ["SSL"])])
    services.submit_dcv(rao, other, method="EMAIL", email="hostmaster@univ-lyon.test")
    assert queued("hostmaster@univ-lyon.test").subject.startswith("Validation du contrôle de domaine")
    services.submit_dcv(rao, other, method="EMAIL", email="webmaster@univ-lyon.test")
    assert queued("webmaster@univ-lyon.test").subject == "Domain control validation for labo.univ-lyon.test"


def test_a_long_validation_email_reaches_the_smtp_server(domain, smtp, settings, rao):
    settings.NOTIFICATION_LANGUAGE = "fr"
    services.submit_dcv(rao, domain, method="EMAIL", email="admin@univ-lyon.test")
    message = deliver(smtp, "admin@univ-lyon.test")
    assert message.subject == "Validation du contrôle de domaine pour univ-lyon.test"


def test_api_submit_email_then_the_link_validates(public, domain, smtp, mrao_api):
    response = mrao_api.post(f"{DCV}/submit/domain/email", {"domain": "univ-lyon.test",
                                                             "email": "postmaster@univ-lyon.test"})
    assert response.status_code == 200, response.content
    submitted = response.json()
    assert submitted["orderStatus"] == "SUBMITTED" and submitted["status"] == "NOT_VALIDATED"
    reference = submitted["emailValidationReferenceNumber"]
    assert reference == submitted["orderBackendId"]
    status = mrao_api.post(f"{DCV}/status", {"domain": "univ-lyon.test"}).json()
    assert status["validationEmail"] == "postmaster@univ-lyon.test"
    assert status["emailValidationReferenceNumber"] == reference
    message = deliver(smtp, "postmaster@univ-lyon.test")
    assert f"Reference: {reference}" in message.body
    path, _, code = link_and_code(message)
    _page(public.post(path, {"code": code}), 200)
    status = mrao_api.post(f"{DCV}/status", {"domain": "univ-lyon.test"}).json()
    assert status["status"] == "VALIDATED" and status["orderStatus"] == "NOT_INITIATED"
    assert mrao_api.get(f"domain/v1/{domain.pk}").json()["validationMethod"] == "EMAIL"
    # an address that is not offered, or none: refused, nothing sent
    OutboxMessage.objects.filter(event__type="DcvEmail").delete()
    for body, expected in (({"domain": "univ-lyon.test", "email": "me@elsewhere.test"}, (400, -1601)),
                           ({"domain": "univ-lyon.test"}, (400, -7))):
        assert error_of(mrao_api.post(f"{DCV}/submit/domain/email", body))[:2] == expected
    assert not OutboxMessage.objects.filter(event__type="DcvEmail").exists()


def test_email_dcv_disabled_sends_nothing(domain, smtp, mrao_actor, rao):
    services.set_dcv_methods(mrao_actor, ["TXT", "CNAME"])
    with pytest.raises(DcvMethodDisabled):
        services.submit_dcv(rao, domain, method="EMAIL", email="admin@univ-lyon.test")
    assert not OutboxMessage.objects.filter(event__type="DcvEmail").exists()
    assert not DcvEmailChallenge.objects.exists()


def test_the_sent_validation_email_body_is_not_kept(domain, smtp, rao):
    services.submit_dcv(rao, domain, method="EMAIL", email="admin@univ-lyon.test")
    delivery.flush()
    row = OutboxMessage.objects.get(event__type="DcvEmail")
    assert row.status == Status.SENT and row.body == ""
    assert smtp.received  # the recipient got the code; only our copy is blanked
