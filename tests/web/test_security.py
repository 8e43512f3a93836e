"""Portal security settings (issue 8): CSRF on every POST, cookie flags (Secure behind TLS,
HttpOnly, SameSite), the sliding session idle timeout with its way back to the page, and the
headers every portal page carries (CSP without inline script, framing, referrer)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from certdesk.web.middleware import LAST_SEEN_KEY

from .conftest import PASSWORD, login_post, parse_page

# Surfaces that do not use the session cookie: they authenticate every request themselves
# (SCM header credentials, API tokens, JWS) or are public read-only PKI endpoints.
COOKIELESS_PREFIXES = ("api/", "private/api/", "acme/", "ca/", "ocsp")
SAMPLE_ARGS = {"pk": "1", "validation_pk": "1", "org_pk": "1", "uri": "renater", "token": "abc",
               "type_code": "x", "language": "en", "slug": "x", "shard": "0", "request": "x"}


def _patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _sample_path(route: str) -> str:
    """A concrete path for a route like `domains/<int:pk>/edit/`."""
    def fill(match):
        name = match.group(1).split(":")[-1]
        return SAMPLE_ARGS.get(name, "1")

    return "/" + re.sub(r"<([^>]+)>", fill, route)


def cookie_session_paths() -> list[str]:
    paths = []
    for route, _ in _patterns(get_resolver()):
        if route.startswith(COOKIELESS_PREFIXES) or "(?P" in route or route.startswith("^"):
            continue
        paths.append(_sample_path(route))
    return sorted(set(paths))


# ---------------------------------------------------------------------------
# CSRF


def test_every_portal_path_is_found():
    paths = cookie_session_paths()
    assert "/login/" in paths and "/domains/1/dcv/submit/" in paths and "/settings/admins/1/disable/" in paths
    assert not any(p.startswith(("/api/", "/acme/")) for p in paths)


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "mrao"])
def test_every_post_without_a_csrf_token_is_refused(logged_in, mrao, login_as):
    strict = Client(enforce_csrf_checks=True)
    if logged_in:
        login_as(mrao, the_client=strict)
    accepted = []
    for path in cookie_session_paths():
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = strict.post(path, {"language": "fr", "username": "mrao", "password": PASSWORD}, **headers)
            if response.status_code != 403:
                accepted.append((path, headers, response.status_code))
    assert accepted == []
    if logged_in:
        assert strict.get("/dashboard/").status_code == 200  # still logged in: no POST went through


def test_a_post_with_the_token_from_the_page_is_accepted(mrao):
    strict = Client(enforce_csrf_checks=True)
    token = strict.get("/login/").context["csrf_token"]
    response = strict.post("/login/", {"username": "mrao", "password": PASSWORD, "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    # HTMX sends the token as the X-CSRFToken header the page puts on <body hx-headers>.
    html = strict.get("/dashboard/").content.decode()
    header_token = json.loads(html.split("hx-headers='", 1)[1].split("'", 1)[0])["X-CSRFToken"]
    response = strict.post("/language/", {"language": "fr", "next": "/dashboard/"}, HTTP_X_CSRFTOKEN=header_token)
    assert response.status_code == 302


def test_a_foreign_origin_is_refused_even_with_a_token(mrao, settings):
    strict = Client(enforce_csrf_checks=True)
    token = strict.get("/login/").context["csrf_token"]
    response = strict.post("/login/", {"username": "mrao", "password": PASSWORD, "csrfmiddlewaretoken": str(token)},
                           HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403


# ---------------------------------------------------------------------------
# Cookies


def test_session_and_csrf_cookies_are_httponly_and_samesite(client, mrao):
    client.get("/login/")
    response = login_post(client, "mrao")
    session_cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session_cookie["httponly"] and session_cookie["samesite"] == "Lax"
    assert int(session_cookie["max-age"]) == django_settings.SESSION_TIMEOUT_MINUTES * 60
    csrf_cookie = client.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf_cookie["httponly"] and csrf_cookie["samesite"] == "Lax"
    language = client.post("/language/", {"language": "fr", "next": "/dashboard/"}).cookies["django_language"]
    assert language["samesite"] == "Lax"


def _settings_with(env: dict[str, str], tmp_path) -> dict:
    """Import certdesk.settings in a fresh interpreter with these environment variables."""
    names = ["TLS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE",
             "SESSION_COOKIE_AGE", "SESSION_TIMEOUT_MINUTES", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY"]
    code = ("import json, certdesk.settings as s; "
            f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CERTDESK_")}
    clean.update({"CERTDESK_DATA_DIR": str(tmp_path), "CERTDESK_SECRET_KEY": "x" * 50, **env})
    out = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_cookies_are_secure_when_served_over_tls(tmp_path):
    plain = _settings_with({"CERTDESK_BASE_URL": "http://127.0.0.1:8000"}, tmp_path)
    assert not plain["TLS"] and not plain["SESSION_COOKIE_SECURE"] and not plain["CSRF_COOKIE_SECURE"]
    https = _settings_with({"CERTDESK_BASE_URL": "https://certdesk.univ-lyon.example"}, tmp_path)
    assert https["TLS"] and https["SESSION_COOKIE_SECURE"] and https["CSRF_COOKIE_SECURE"]
    assert https["LANGUAGE_COOKIE_SECURE"]
    # behind a TLS-terminating proxy whose base URL someone left as http: the setting says TLS
    forced = _settings_with({"CERTDESK_BASE_URL": "http://certdesk.internal", "CERTDESK_TLS": "true"}, tmp_path)
    assert forced["SESSION_COOKIE_SECURE"] and forced["CSRF_COOKIE_SECURE"]
    assert https["SESSION_COOKIE_HTTPONLY"] and https["CSRF_COOKIE_HTTPONLY"]


def test_session_timeout_is_in_minutes_with_a_default_of_30(tmp_path):
    default = _settings_with({}, tmp_path)
    assert default["SESSION_TIMEOUT_MINUTES"] == 30 and default["SESSION_COOKIE_AGE"] == 1800
    custom = _settings_with({"CERTDESK_SESSION_TIMEOUT": "5"}, tmp_path)
    assert custom["SESSION_TIMEOUT_MINUTES"] == 5 and custom["SESSION_COOKIE_AGE"] == 300


def test_secure_cookies_are_sent_with_the_secure_flag(client, mrao, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client.get("/login/", secure=True)
    response = client.post("/login/", {"username": "mrao", "password": PASSWORD}, secure=True)
    assert response.cookies[settings.SESSION_COOKIE_NAME]["secure"]
    assert client.cookies[settings.CSRF_COOKIE_NAME]["secure"]


# ---------------------------------------------------------------------------
# Session idle timeout


def _age_session(client, seconds: int) -> None:
    """Pretend the admin's last request was `seconds` ago (the stamp the middleware keeps)."""
    store = SessionStore(session_key=client.cookies[django_settings.SESSION_COOKIE_NAME].value)
    store[LAST_SEEN_KEY] = int(time.time()) - seconds
    store.save()


def test_idle_session_expires_and_login_brings_the_admin_back(client, mrao, settings):
    settings.SESSION_TIMEOUT_MINUTES = 30
    login_post(client, "mrao")
    assert client.get("/domains/").status_code == 200
    _age_session(client, 31 * 60)
    response = client.get("/domains/?status=ok&page=2")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=" + quote("/domains/?status=ok&page=2", safe="/")
    login_page = client.get(response["Location"])
    html = login_page.content.decode()
    assert "Your session expired after 30 minutes without activity." in html
    assert 'name="next" value="/domains/?status=ok&amp;page=2"' in html
    assert "_auth_user_id" not in client.session
    back = client.post("/login/", {"username": "mrao", "password": PASSWORD, "next": "/domains/?status=ok&page=2"})
    assert back.status_code == 302 and back["Location"] == "/domains/?status=ok&page=2"


def test_activity_slides_the_timeout(client, mrao, settings):
    settings.SESSION_TIMEOUT_MINUTES = 30
    login_post(client, "mrao")
    for _ in range(3):
        _age_session(client, 29 * 60)  # each request comes 29 minutes after the previous one
        assert client.get("/dashboard/").status_code == 200
    stamp = SessionStore(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)[LAST_SEEN_KEY]
    assert abs(stamp - time.time()) < 60  # this request's stamp, not one 29 minutes old


def test_expired_htmx_request_reloads_the_login_page_with_next(client, mrao, settings):
    login_post(client, "mrao")
    client.get("/dashboard/")
    _age_session(client, (settings.SESSION_TIMEOUT_MINUTES + 1) * 60)
    response = client.post("/organizations/1/validations/submit/", HTTP_HX_REQUEST="true",
                           HTTP_HX_CURRENT_URL="http://testserver/organizations/1/")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=/organizations/1/"
    # a foreign HX-Current-URL is not followed
    login_post(client, "mrao")
    client.get("/dashboard/")
    _age_session(client, (settings.SESSION_TIMEOUT_MINUTES + 1) * 60)
    response = client.get("/notifications/bell/", HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="https://evil.example/phish")
    assert response["HX-Redirect"] == "/login/"


def test_an_expired_cookie_already_gone_still_comes_back_after_login(client, mrao):
    """When the browser has dropped the cookie (same age as the timeout), the page still
    sends the admin through the login and back; a fragment reloads the page around it."""
    response = client.get("/settings/admins/")
    assert response["Location"] == "/login/?next=/settings/admins/"
    response = client.get("/notifications/bell/", HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="http://testserver/settings/admins/")
    assert response.status_code == 204 and response["HX-Redirect"] == "/login/?next=/settings/admins/"


def test_a_timed_out_session_visiting_the_login_page_just_sees_it(client, mrao, settings):
    login_post(client, "mrao")
    _age_session(client, (settings.SESSION_TIMEOUT_MINUTES + 1) * 60)
    response = client.get("/login/")
    assert response.status_code == 200 and "_auth_user_id" not in client.session


# ---------------------------------------------------------------------------
# Headers on every portal page


PAGES = ["/dashboard/", "/organizations/", "/domains/", "/domains/new/", "/reports/",
         "/reports/notifications/", "/settings/", "/settings/admins/", "/settings/admins/new/",
         "/settings/access-control/", "/settings/api-tokens/", "/settings/notifications/", "/settings/dcv/",
         "/about/", "/certificates/", "/password/change/"]


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_every_portal_page_has_a_strict_csp_and_no_inline_script(client, mrao, login_as, univ):
    responses = [("/login/", client.get("/login/"))]
    login_as(mrao)
    pages = PAGES + [f"/organizations/{univ.pk}/", f"/settings/admins/{mrao.pk}/"]
    responses += [(path, client.get(path)) for path in pages]
    for path, response in responses:
        assert response.status_code == 200, path
        csp = _directives(response["Content-Security-Policy"])
        script = csp.get("script-src", csp.get("default-src"))
        assert script == ["'self'"], (path, script)
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
        assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        page = parse_page(response.content.decode())
        assert page.inline_scripts == 0 and page.event_attributes == [], path


def test_error_and_redirect_answers_carry_the_headers_too(client, mrao, login_as):
    for response in (client.get("/dashboard/"), client.get("/no-such-page/")):
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"
    login_as(mrao)
    response = client.get("/domains/999999/")
    assert response.status_code == 404 and "frame-ancestors 'none'" in response["Content-Security-Policy"]
