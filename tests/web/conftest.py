"""Portal fixtures: logged-in clients, and a few admins only the portal tests need."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from certdesk.accounts import services as accounts

from ..conftest import PASSWORD

BACKEND = "certdesk.accounts.backends.AdminBackend"


@pytest.fixture
def login_as(client):
    """Log a client in as an admin (session only; the login form has its own tests)."""

    def _login(admin, *, the_client=None):
        c = the_client or client
        c.force_login(admin, backend=BACKEND)
        return c

    return _login


@pytest.fixture
def mrao_client(client, mrao, login_as):
    return login_as(mrao)


@pytest.fixture
def api_robot(mrao_actor, physics):
    """Seed 001: a DRAO account with "Web API Use Only" for a department."""
    return accounts.create_admin(
        mrao_actor, login="robot_physics", email="robot@physics.univ-lyon.example", forename="Api",
        surname="Robot", password=PASSWORD, credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}],
        privileges=[], type="API", must_change_password=False,
    )


@pytest.fixture
def drao_creator(mrao_actor, physics):
    """A DRAO of Physics allowed to create peer admins (allowCreate)."""
    return accounts.create_admin(
        mrao_actor, login="drao_creator", email="creator@physics.univ-lyon.example", forename="Cora",
        surname="Creator", password=PASSWORD, credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}],
        privileges=["allowCreate", "allowEdit"], must_change_password=False,
    )


@pytest.fixture
def newcomer(mrao_actor, univ):
    """An admin just created with an initial password: must change it at first login."""
    return accounts.create_admin(
        mrao_actor, login="newcomer", email="new@univ-lyon.example", forename="Nouveau", surname="Venu",
        password=PASSWORD, credentials=[{"role": "RAO_SSL", "orgId": univ.pk}], privileges=[],
    )


class PageParser(HTMLParser):
    """Collects what the accessibility and CSP checks look at."""

    def __init__(self):
        super().__init__()
        self.inline_scripts = 0
        self.event_attributes: list[str] = []
        self.style_attributes = 0
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.label_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name.lower().startswith("on"):
                self.event_attributes.append(f"<{tag} {name}>")
            if name.lower() == "style":
                self.style_attributes += 1
            if name.lower().startswith("hx-on"):
                self.event_attributes.append(f"<{tag} {name}>")
        if tag == "script":
            # A JSON data block (json_script) is never run, so the CSP does not concern it.
            if not attrs.get("src") and attrs.get("type") != "application/json":
                self.inline_scripts += 1
        if tag == "label":
            self.label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea"):
            kind = (attrs.get("type") or "").lower()
            if kind not in ("hidden", "submit", "button", "reset"):
                self.controls.append({"tag": tag, "attrs": attrs, "inside_label": self.label_depth > 0})

    def handle_endtag(self, tag):
        if tag == "label" and self.label_depth:
            self.label_depth -= 1

    def unlabelled(self) -> list[str]:
        out = []
        for control in self.controls:
            attrs = control["attrs"]
            if control["inside_label"] or attrs.get("aria-label") or attrs.get("aria-labelledby"):
                continue
            if attrs.get("id") and attrs["id"] in self.label_for:
                continue
            out.append(f"<{control['tag']} name={attrs.get('name')}>")
        return out


def parse_page(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def login_post(client, login, password=PASSWORD, **extra):
    return client.post("/login/", {"username": login, "password": password, **extra})


__all__ = ["PASSWORD", "parse_page", "login_post"]
