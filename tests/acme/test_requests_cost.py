"""What one ACME request costs: queries counted per request of a complete order (a regression shows
up here before it shows in bench/acme_orders.py), the account's last activity written at most once
a minute, and the finalize claim that replaces a transaction held across the whole pipeline."""
from __future__ import annotations

import base64
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certdesk.acme import protocol
from certdesk.acme.models import AcmeClient, AcmeOrder
from certdesk.certificates.models import Certificate

from .conftest import problem

NAME = "www.physics.example.org"


def _csr(csr, name=NAME, key="rsa2048") -> str:
    der = x509.load_pem_x509_csr(csr(name, [name], key=key).encode()).public_bytes(serialization.Encoding.DER)
    return base64.urlsafe_b64encode(der).rstrip(b"=").decode()


def _queries(call):
    """(response, statements that are not savepoint bookkeeping)."""
    with CaptureQueriesContext(connection) as captured:
        response = call()
    sql = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    return response, sql


def test_queries_per_request_of_an_order(acme_client, acme_account_physics, csr, monkeypatch):
    from certdesk.acme import views

    # The exact counts below have no last-activity write in them, however slow the machine.
    monkeypatch.setattr(views, "LAST_ACTIVITY_RESOLUTION", timedelta(days=1))
    c = acme_client("p256")
    assert c.register(acme_account_physics).status_code == 201
    c.post(c.kid, None)  # the endpoint row exists, last activity is fresh
    _, sql = _queries(c.nonce)
    assert len(sql) == 1, sql  # the endpoint; issuing the nonce reads and writes nothing

    nonce = c.nonce()  # each request below is signed with a nonce fetched before counting
    order, sql = _queries(lambda: c.post(c.directory["newOrder"], {"identifiers": [{"type": "dns", "value": NAME}]},
                                         nonce=nonce))
    assert order.status_code == 201, order.content
    # endpoint · used nonce · client (+account, endpoint, organization, customer: one join) · bound
    # domains · the name's authorization (domains.queries, 6) · order · authorization
    assert len(sql) <= 12, "\n".join(sql)
    body = order.json()

    nonce = c.nonce()
    authz, sql = _queries(lambda: c.post(body["authorizations"][0], nonce=nonce))
    assert authz.json()["status"] == "valid"
    assert len(sql) == 5, "\n".join(sql)  # endpoint · nonce · client · authorization · challenges

    nonce = c.nonce()
    again, sql = _queries(lambda: c.post(order["Location"], nonce=nonce))
    assert again.json()["status"] == "ready"
    assert len(sql) == 5, "\n".join(sql)  # endpoint · nonce · client · order (+certificate) · authorizations

    done = c.post(body["finalize"], {"csr": _csr(csr)})
    assert done.json()["status"] == "valid", done.content
    nonce = c.nonce()
    chain, sql = _queries(lambda: c.post(done.json()["certificate"], nonce=nonce))
    assert chain.status_code == 200
    # endpoint · nonce · client · order (+certificate, CA) · authorizations · the CA chain
    assert len(sql) <= 8, "\n".join(sql)


def test_last_activity_written_at_most_once_a_minute(acme_client, acme_account_physics):
    c = acme_client("p256")
    assert c.register(acme_account_physics).status_code == 201
    assert c.post(c.kid, None).status_code == 200
    client = AcmeClient.objects.get()
    first = client.last_activity
    assert first is not None
    _, sql = _queries(lambda: c.post(c.kid, None))
    assert not [s for s in sql if s.startswith("UPDATE")], sql
    AcmeClient.objects.filter(pk=client.pk).update(last_activity=timezone.now() - timedelta(minutes=2))
    _, sql = _queries(lambda: c.post(c.kid, None))
    assert [s for s in sql if s.startswith("UPDATE") and "last_activity" in s]
    assert AcmeClient.objects.get().last_activity > first - timedelta(seconds=1)


def test_a_claimed_order_is_processing_and_cannot_be_finalized_twice(acme_client, acme_account_physics, csr):
    c = acme_client("p256")
    c.register(acme_account_physics)
    created = c.order(NAME)
    body = created.json()
    order = AcmeOrder.objects.get()
    AcmeOrder.objects.filter(pk=order.pk).update(finalizing_since=timezone.now())  # another finalize runs
    assert c.post(created["Location"]).json()["status"] == "processing"
    refused = c.post(body["finalize"], {"csr": _csr(csr)})
    assert problem(refused)[0] == "orderNotReady" and refused.status_code == 403
    assert Certificate.objects.count() == 0
    # A claim left by a process that died goes stale: the order is ready again and finalizes.
    AcmeOrder.objects.filter(pk=order.pk).update(
        finalizing_since=timezone.now() - protocol.FINALIZE_CLAIM_TIMEOUT - timedelta(seconds=1))
    done = c.post(body["finalize"], {"csr": _csr(csr)})
    assert done.json()["status"] == "valid", done.content
    order.refresh_from_db()
    assert order.finalizing_since is None and order.certificate.status == "ISSUED"


def test_a_refused_csr_releases_the_claim(acme_client, acme_account_physics, csr):
    c = acme_client("p256")
    c.register(acme_account_physics)
    body = c.order(NAME).json()
    # RSA-1024: refused by the pipeline's key check, after the order was claimed.
    refused = c.post(body["finalize"], {"csr": _csr(csr, key="rsa1024")})
    assert problem(refused)[0] == "badCSR", refused.content
    order = AcmeOrder.objects.get()
    assert order.finalizing_since is None and order.certificate is None
    assert protocol.order_status(order) == "ready"
    done = c.post(body["finalize"], {"csr": _csr(csr)})
    assert done.json()["status"] == "valid", done.content


def test_a_process_dying_before_the_signature_never_issues_twice(acme_client, acme_account_physics, csr,
                                                                 monkeypatch):
    """The order is tied to its certificate in the transaction that stores the request: when the
    process dies before signing, the order stays processing (no second finalize can start), and
    the worker's resume job issues that same certificate."""
    from certdesk.certificates import services, sweeps

    c = acme_client("p256")
    c.register(acme_account_physics)
    created = c.order(NAME)
    body = created.json()

    def dies(cert, actor):
        raise RuntimeError("the process died before the signature")

    monkeypatch.setattr(services, "_issue", dies)
    try:
        c.post(body["finalize"], {"csr": _csr(csr)})
    except RuntimeError:
        pass  # the test client re-raises what the view raised
    monkeypatch.undo()
    cert = Certificate.objects.get()
    order = AcmeOrder.objects.get()
    assert cert.status == "APPLIED" and order.certificate_id == cert.pk
    assert c.post(created["Location"]).json()["status"] == "processing"
    # Long after any claim would have gone stale, a retry is still refused: nothing is issued twice.
    AcmeOrder.objects.filter(pk=order.pk).update(finalizing_since=timezone.now() - timedelta(days=1))
    refused = c.post(body["finalize"], {"csr": _csr(csr)})
    assert problem(refused)[0] == "orderNotReady" and Certificate.objects.count() == 1
    assert sweeps.resume_applied() == {"issued": 0, "invalid": 0, "failed": 0}  # not old enough yet
    assert sweeps.resume_applied(now=timezone.now() + sweeps.RESUME_AFTER + timedelta(minutes=1)) == {
        "issued": 1, "invalid": 0, "failed": 0}
    assert c.post(created["Location"]).json()["status"] == "valid"
    assert Certificate.objects.get().status == "ISSUED" and Certificate.objects.count() == 1


def test_the_resume_job_is_declared():
    from certdesk.certificates import tasks
    from certdesk.core import queue

    assert queue.PERIODIC["certificates.resume_applied"].func is tasks.resume_applied
