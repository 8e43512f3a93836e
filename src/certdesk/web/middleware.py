"""Portal access rules applied to every request: the actor, forced password change,
sessions of admins that may no longer use the portal (disabled, API only, or outside an IP
access-control list), language/time zone, and the CSP."""
from __future__ import annotations

import time
import zoneinfo
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from certdesk.accounts import access
from certdesk.core.actor import Actor, Interface
from certdesk.core.net import client_ip

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'self'",
    "object-src 'none'",
])

# Portal pages an admin whose password must change may still reach.
PASSWORD_CHANGE_EXEMPT = frozenset({"password-change", "logout", "set-language"})
LOGIN_PAGES = frozenset({"home", "login", "customer-login", "set-language"})
# Session key holding the time (epoch seconds) of the admin's last portal request (idle timeout).
LAST_SEEN_KEY = "certdesk_last_seen"


def _login_url(request) -> str:
    """The login page, with ?next= back to the page the admin was on (for HTMX: the page
    around the fragment, from HX-Current-URL; for a form POST: nothing, the POST is lost)."""
    login = reverse(settings.LOGIN_URL)
    if request.headers.get("HX-Request"):
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        target = current.path + (f"?{current.query}" if current.query else "")
        if current.netloc and current.netloc != request.get_host():
            target = ""
    elif request.method in ("GET", "HEAD"):
        target = request.get_full_path()
    else:
        target = ""
    if not target.startswith("/") or target.startswith("//"):
        return login
    return f"{login}?{urlencode({'next': target}, safe='/')}"


def _idle_too_long(request) -> bool:
    """Sliding idle timeout (CERTDESK_SESSION_TIMEOUT minutes): stamp this request, and say
    whether the previous one was longer ago than the timeout."""
    now = int(time.time())
    last = request.session.get(LAST_SEEN_KEY)
    request.session[LAST_SEEN_KEY] = now
    return isinstance(last, int) and now - last > settings.SESSION_TIMEOUT_MINUTES * 60


def _portal_redirect(request, url: str) -> HttpResponse:
    """A redirect HTMX follows as a full page load (a plain 302 would be swapped into a fragment)."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class PortalAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = None
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        # Only portal pages: the REST API, ACME and /ca/ authenticate their own way (or not at all).
        if match is None or match.app_name != "web" or match.url_name == "dcv-email-confirm":  # public page
            return None
        user = request.user

        if not user.is_authenticated:
            # A session pointing at an admin that no longer loads (disabled or deleted: the
            # backend only returns enabled admins) is dropped rather than left lying around.
            if SESSION_KEY in request.session:
                request.session.flush()
                if match.url_name not in LOGIN_PAGES:
                    messages.warning(request, _("Your session has ended. Please log in again."))
                    return _portal_redirect(request, _login_url(request))
            elif request.headers.get("HX-Request") and match.url_name not in LOGIN_PAGES:
                # A fragment asked for after the session expired: the whole page goes to the
                # login, which brings the admin back to it.
                return _portal_redirect(request, _login_url(request))
            return None

        if _idle_too_long(request):
            logout(request)
            if match.url_name in LOGIN_PAGES:
                return None
            messages.warning(request, _("Your session expired after %(minutes)d minutes without activity. "
                                        "Please log in again.") % {"minutes": settings.SESSION_TIMEOUT_MINUTES})
            return _portal_redirect(request, _login_url(request))

        if not user.is_active or user.api_only:
            logout(request)
            if user.api_only:
                messages.error(request, _("This account may only use the REST API."))
            else:
                messages.warning(request, _("Your session has ended. Please log in again."))
            return _portal_redirect(request, reverse(settings.LOGIN_URL))

        ip = client_ip(request)
        if not access.address_allowed(user, ip):
            # An IP access-control list binds this admin and the address is outside it (issue 6):
            # the live session ends, whatever page it was on.
            logout(request)
            messages.error(request, _("Access to this account is not allowed from your address (%(ip)s).")
                           % {"ip": ip or "?"})
            return _portal_redirect(request, reverse(settings.LOGIN_URL))

        request.actor = Actor.for_admin(user, Interface.PORTAL, ip=ip)
        self._activate_preferences(request, user)

        if user.must_change_password and match.url_name not in PASSWORD_CHANGE_EXEMPT:
            return _portal_redirect(request, reverse("web:password-change"))
        return None

    @staticmethod
    def _activate_preferences(request, admin) -> None:
        """The admin's saved language and time zone win over the browser's."""
        if admin.language and admin.language in dict(settings.LANGUAGES):
            translation.activate(admin.language)
            request.LANGUAGE_CODE = admin.language
        if admin.time_zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(admin.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass
