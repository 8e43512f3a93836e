"""Notification fixtures: a real SMTP server on loopback, jobs run where they are queued."""
from __future__ import annotations

import pytest

from certdesk.core import queue

from .servers import SmtpServer, WebhookServer


@pytest.fixture(autouse=True)
def _immediate_queue(settings):
    """Queued jobs run at once in the test process (the worker's own tests start real workers)."""
    previous = queue.huey.immediate
    queue.huey.immediate = True
    settings.NOTIFICATION_RETRY_SECONDS = 60
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    settings.NOTIFICATION_MAX_ATTEMPTS = 4
    settings.SMTP_TIMEOUT = 5
    settings.EMAIL_FROM = "certdesk@certdesk.example"
    yield
    queue.huey.immediate = previous


@pytest.fixture
def smtp_server(settings):
    server = SmtpServer().start()
    settings.SMTP_URL = server.url
    yield server
    server.stop()


@pytest.fixture
def webhook_server():
    server = WebhookServer().start()
    yield server
    server.stop()
