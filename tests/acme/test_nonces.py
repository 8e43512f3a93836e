"""Replay nonces (RFC 8555 §6.5): MACed and stateless when issued, recorded once when used — in the
database, or in Redis when the cache is Redis — and refused alike when replayed, expired, forged
or tampered with. No state in the process: another process's nonce is accepted once."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings

from certdesk.acme import nonces
from certdesk.acme.models import UsedNonce

from .conftest import problem

REDIS_DB = "redis://127.0.0.1:6379/7"  # a db of its own: only it is flushed
LIFETIME = nonces.NONCE_LIFETIME.total_seconds()


def _tamper(value: str, index: int) -> str:
    return value[:index] + ("A" if value[index] != "A" else "B") + value[index + 1:]


@pytest.fixture
def redis_cache(settings):
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_DB)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    client.flushdb()
    settings.CACHES = {"default": {"BACKEND": nonces.REDIS_BACKEND, "LOCATION": REDIS_DB,
                                   "KEY_PREFIX": "certdesk-test"}}
    yield client
    client.flushdb()
    client.close()


def test_issuing_touches_no_store(db, django_assert_num_queries, client):
    with django_assert_num_queries(0):
        values = {nonces.issue() for _ in range(100)}
    assert len(values) == 100 and all(len(v) == nonces.TEXT_LENGTH for v in values)
    client.get("/acme/OV/directory")  # creates the endpoint row on first use
    with django_assert_num_queries(1):  # the endpoint, nothing for the nonce
        assert client.head("/acme/OV/new-nonce")["Replay-Nonce"]
    assert UsedNonce.objects.count() == 0


def test_consumed_once_in_the_database(db):
    from django.utils import timezone

    value = nonces.issue()
    assert nonces.consume(value) is True
    assert nonces.consume(value) is False
    row = UsedNonce.objects.get(value=value)
    # Kept while the nonce could still be accepted (lifetime + clock skew), not longer.
    kept = (row.expires - timezone.now()).total_seconds()
    assert LIFETIME < kept <= LIFETIME + nonces.CLOCK_SKEW.total_seconds() + 2


def test_expired_and_future_nonces_are_refused(db):
    now = time.time()
    assert nonces.consume(nonces.issue(now - LIFETIME - 1), now) is False
    assert nonces.consume(nonces.issue(now - LIFETIME + 5), now) is True  # old but still valid
    assert nonces.consume(nonces.issue(now + 3600), now) is False  # from the future
    assert UsedNonce.objects.count() == 1


def test_tampered_forged_and_malformed_nonces_are_refused(db, settings):
    value = nonces.issue()
    for index in (0, 3, 10, 25, 40, 43):  # version, timestamp, random part, MAC
        assert nonces.consume(_tamper(value, index)) is False
    for bad in (None, "", 42, "made-up", value + "A", value[:-1], "é" * 44, value.replace(value[-1], "=")):
        assert nonces.consume(bad) is False
    settings.SECRET_KEY = "another installation's secret key, fifty characters long"
    foreign = nonces.issue()
    settings.SECRET_KEY = settings.SECRET_KEY[::-1]
    assert nonces.consume(foreign) is False
    assert UsedNonce.objects.count() == 0  # nothing refused is recorded


def test_sweep_deletes_only_expired_rows(db):
    now = time.time()
    old = nonces.issue(now - LIFETIME + 1)
    fresh = nonces.issue(now)
    assert nonces.consume(old, now) and nonces.consume(fresh, now)
    later = now + 120  # the old one would now be refused as too old: its row can go
    from datetime import UTC, datetime

    assert nonces.sweep(datetime.fromtimestamp(later, UTC)) == 1
    assert list(UsedNonce.objects.values_list("value", flat=True)) == [fresh]
    assert nonces.consume(fresh, later) is False


def test_the_worker_sweeps_expired_nonces_requests_never_do(db):
    from certdesk.acme import tasks
    from certdesk.core import queue

    assert queue.PERIODIC["acme.used_nonce_sweep"].func is tasks.used_nonce_sweep
    long_ago = time.time() - 2 * LIFETIME
    for _ in range(600):  # no request pays for a sweep, however many come
        assert nonces.consume(nonces.issue(long_ago), long_ago)
    assert UsedNonce.objects.count() == 600
    assert queue.run_periodic("acme.used_nonce_sweep") == "done"
    assert UsedNonce.objects.count() == 0


def test_replay_refused_across_two_client_sessions(acme_client, acme_account_physics, acme_account_univ,
                                                   account_keys):
    from django.test import Client as HttpClient

    from .conftest import ALGS, Client

    first = acme_client("p256")
    assert first.register(acme_account_physics).status_code == 201
    # Another ACME client: its own key, account and HTTP session.
    second = Client(HttpClient(), account_keys["p384"], ALGS["p384"])
    assert second.register(acme_account_univ).status_code == 201
    nonce = second.nonce()
    assert first.post(first.kid, None, nonce=nonce).status_code == 200  # used by the first client
    replay = second.post(second.kid, None, nonce=nonce)
    assert problem(replay)[0] == "badNonce" and replay["Replay-Nonce"]
    again = first.post(first.kid, None, nonce=nonce)
    assert problem(again)[0] == "badNonce"
    fresh = second.post(second.kid, None, nonce=replay["Replay-Nonce"])  # the refusal's nonce works
    assert fresh.status_code == 200


def test_expired_and_tampered_nonces_over_http(acme_client, acme_account_physics):
    c = acme_client("p256")
    assert c.register(acme_account_physics).status_code == 201
    expired = nonces.issue(time.time() - LIFETIME - 10)
    assert problem(c.post(c.kid, None, nonce=expired)) == (
        "badNonce", "The JWS nonce is missing, unknown, expired or already used.")
    assert problem(c.post(c.kid, None, nonce=_tamper(c.nonce(), 30)))[0] == "badNonce"
    assert c.post(c.kid, None).status_code == 200


def test_another_process_nonce_is_accepted_once(db):
    """Nothing lives in a process: a nonce from another process (same SECRET_KEY) works once here."""
    env = {**os.environ, "CERTDESK_SECRET_KEY": settings.SECRET_KEY, "DJANGO_SETTINGS_MODULE": "certdesk.settings"}
    code = "import django; django.setup(); from certdesk.acme import nonces; print(nonces.issue())"
    value = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                           timeout=60).stdout.strip().splitlines()[-1]
    assert nonces.consume(value) is True
    assert nonces.consume(value) is False


def test_redis_cache_records_used_nonces(redis_cache, db):
    assert nonces.uses_cache()
    value = nonces.issue()
    assert nonces.consume(value) is True
    assert nonces.consume(value) is False
    assert UsedNonce.objects.count() == 0  # nothing in the database
    keys = redis_cache.keys("*" + nonces.CACHE_PREFIX + value)
    assert len(keys) == 1
    ttl = redis_cache.ttl(keys[0])
    assert LIFETIME - 5 < ttl <= LIFETIME + nonces.CLOCK_SKEW.total_seconds() + 1
    assert nonces.consume(nonces.issue(time.time() - LIFETIME - 1)) is False
    assert nonces.consume(_tamper(nonces.issue(), 40)) is False


def test_redis_concurrent_consumers_accept_a_nonce_once(redis_cache, db):
    value = nonces.issue()
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def consume():
        barrier.wait()
        results.append(nonces.consume(value))

    threads = [threading.Thread(target=consume) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_redis_over_http(redis_cache, acme_client, acme_account_physics):
    c = acme_client("p256")
    assert c.register(acme_account_physics).status_code == 201
    nonce = c.nonce()
    assert c.post(c.kid, None, nonce=nonce).status_code == 200
    assert problem(c.post(c.kid, None, nonce=nonce))[0] == "badNonce"
    assert UsedNonce.objects.count() == 0


def test_unreachable_store_answers_a_problem_not_a_500(settings, acme_client, acme_account_physics):
    c = acme_client("p256")
    assert c.register(acme_account_physics).status_code == 201
    nonce = c.nonce()
    settings.CACHES = {"default": {"BACKEND": nonces.REDIS_BACKEND, "LOCATION": "redis://127.0.0.1:1/7",
                                   "OPTIONS": {"socket_connect_timeout": 0.5}}}
    response = c.post(c.kid, None, nonce=nonce)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert problem(response) == ("serverInternal", "The replay-nonce store is unavailable; try again shortly.")
    assert response["Replay-Nonce"]
