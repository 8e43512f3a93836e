"""Browser tests (issue 8): Playwright drives Debian's Chromium headless (/usr/bin/chromium, never
a browser build Playwright would download) against a live certdesk server the test starts.

Screenshots of the main pages go to the pytest temporary directory (`e2e-screenshots`), or to
$CERTDESK_E2E_ARTIFACTS; with CERTDESK_E2E_UPDATE_SCREENSHOTS=1 they also replace the ones in
docs/screenshots/ that the README shows.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore

from certdesk.accounts import services as accounts
from certdesk.web.middleware import LAST_SEEN_KEY
from tests.conftest import PASSWORD, actor_for
from tests.domains.conftest import (  # noqa: F401 - loopback DNS server and the domain settings
    _dns_server,
    _domain_settings,
    dns,
)

CHROMIUM = os.environ.get("CERTDESK_CHROMIUM", "/usr/bin/chromium")
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDE = {"width": 1280, "height": 860}
NARROW = {"width": 390, "height": 844}


def _unavailable_reason() -> str | None:
    if not Path(CHROMIUM).is_file():
        return (f"Debian's Chromium is not installed ({CHROMIUM} is missing): `make test` installs it with "
                "apt-get when run as root; otherwise run `apt-get install chromium`")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module.

    While Playwright's sync API runs, the main thread has a running asyncio loop, which makes
    Django refuse ORM calls from it (SynchronousOnlyOperation); the tests' own ORM calls are
    plain synchronous code, so the guard is lifted for as long as the browser lives, and only then.
    """
    reason = _unavailable_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    # Waits are expectations that retry until they hold; their limit (5 s by default for expect)
    # only decides how long a failure takes to show, so a busy machine gets a wide one.
    expect.set_options(timeout=30_000)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        runner = sync_playwright().start()
        try:
            chromium = runner.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--disable-gpu", "--disable-dev-shm-usage"])
            yield chromium
            chromium.close()
        finally:
            runner.stop()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    wanted = os.environ.get("CERTDESK_E2E_ARTIFACTS", "").strip()
    if wanted:
        path = Path(wanted)
        path.mkdir(parents=True, exist_ok=True)
        return path
    # Not mktemp: the report tests import these fixtures too, so two session fixtures share it.
    path = tmp_path_factory.getbasetemp() / "e2e-screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _serialized_server_class():
    from django.test.testcases import LiveServerThread

    base = LiveServerThread.server_class

    class SerializedWSGIServer(base):
        """Django's threaded test server, answering one request at a time.

        The in-memory test database is one SQLite connection shared with the server thread
        (pytest-django's connections_override); a browser fires requests in parallel (the page,
        the bell fragment, static files), and two requests using that one connection at once
        fail with "database table is locked". A lock around the application keeps them in turn
        while connections stay threaded (a browser's idle pre-connected sockets never block).
        """

        def set_app(self, application):
            lock = threading.Lock()

            def one_at_a_time(environ, start_response):
                with lock:
                    return application(environ, start_response)

            super().set_app(one_at_a_time)

    class SerializedLiveServerThread(LiveServerThread):
        server_class = SerializedWSGIServer

    return SerializedLiveServerThread


@pytest.fixture(scope="session")
def _e2e_live_server(django_db_setup):
    """A live server for the browser tests, started after the test database exists so it shares
    it (as tests/api/test_e2e_cert_manager.py does with pytest-django's live_server)."""
    from pytest_django.live_server_helper import LiveServer

    helper = LiveServer("localhost", start=False)
    plain = helper.thread
    helper.thread = _serialized_server_class()(
        plain.host, static_handler=plain.static_handler, connections_override=plain.connections_override, port=0)
    helper.thread.daemon = True
    helper.start()
    yield helper
    helper.stop()


@pytest.fixture
def server(_e2e_live_server, transactional_db):
    """The live server's base URL; the test's data is committed so the server sees it."""
    return _e2e_live_server.url


class Portal:
    """A browser tab on the live portal, with the few moves every flow needs."""

    def __init__(self, page, base_url: str, artifacts: Path):
        self.page = page
        self.base = base_url
        self.artifacts = artifacts
        self.csp_violations: list[str] = []
        self.page_errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda err: self.page_errors.append(str(err)))

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.csp_violations.append(text)

    def goto(self, path: str):
        return self.page.goto(self.base + path)

    def login(self, login: str, password: str = PASSWORD) -> None:
        if "/login/" not in self.page.url and "/customer/" not in self.page.url:
            self.goto("/login/")
        self.page.get_by_label("Username", exact=True).fill(login)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_load_state()

    def logout(self) -> None:
        self.page.locator("form[action='/logout/']").get_by_role("button").click()  # any language
        self.page.wait_for_load_state()

    def menu(self, label: str) -> None:
        # a top-level entry (Reports has a "Certificates" of its own below)
        nav = self.page.get_by_role("navigation", name="Main menu")
        nav.locator(":scope > ul > li > a").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).click()
        self.page.wait_for_load_state()

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        """Save a PNG of the page as a test artifact (and into docs/screenshots when asked)."""
        self.page.wait_for_load_state("networkidle")
        path = self.artifacts / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
        if os.environ.get("CERTDESK_E2E_UPDATE_SCREENSHOTS", "").strip() in {"1", "true", "yes"}:
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
        return path

    def session_cookie(self) -> str:
        cookies = {c["name"]: c["value"] for c in self.page.context.cookies()}
        return cookies[django_settings.SESSION_COOKIE_NAME]

    def idle_for(self, seconds: int) -> None:
        """Make the server believe the admin's last request was `seconds` ago (once the page's
        own requests, like the bell, are done: each one saves the session)."""
        self.page.wait_for_load_state("networkidle")
        store = SessionStore(session_key=self.session_cookie())
        store[LAST_SEEN_KEY] = int(time.time()) - seconds
        store.save()


def _open(browser, server, artifacts, viewport, locale="en-GB"):
    context = browser.new_context(viewport=viewport, locale=locale, accept_downloads=True,
                                  device_scale_factor=1)
    context.set_default_timeout(30_000)  # actions wait for their element; the limit only ends a failure
    page = context.new_page()
    return context, Portal(page, server, artifacts)


@pytest.fixture
def portal(browser, server, artifacts):
    context, portal = _open(browser, server, artifacts, WIDE)
    yield portal
    context.close()
    assert portal.csp_violations == [], portal.csp_violations
    assert portal.page_errors == [], portal.page_errors


@pytest.fixture
def narrow_portal(browser, server, artifacts):
    context, portal = _open(browser, server, artifacts, NARROW)
    yield portal
    context.close()
    assert portal.csp_violations == [], portal.csp_violations


@pytest.fixture
def newcomer(mrao_actor, univ):
    """An RAO just created by the MRAO with an initial password: must change it at first login."""
    return accounts.create_admin(
        mrao_actor, login="newcomer", email="new@univ-lyon.example", forename="Nadia", surname="Nouvelle",
        password=PASSWORD, credentials=[{"role": "RAO_SSL", "orgId": univ.pk}],
        privileges=["allowManageDomains", "allowDCV"],
    )


__all__ = ["PASSWORD", "actor_for", "Portal", "NARROW", "WIDE"]
