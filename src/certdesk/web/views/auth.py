"""Logging in and out, the own-password change (also the forced one) and the language switch."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from certdesk.accounts import services as accounts
from certdesk.accounts.errors import InvalidCredentials
from certdesk.core.actor import Actor, Interface
from certdesk.core.errors import DomainError
from certdesk.core.net import client_ip
from certdesk.tenancy.models import Customer

from ..forms.auth import LoginForm, PasswordChangeForm
from ..labels import translated
from .base import apply_error, portal_view, safe_next

BACKEND = "certdesk.accounts.backends.AdminBackend"


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    return redirect("web:login")


def _customer_mode(uri: str | None) -> tuple[str, str, bool]:
    """How the customer is chosen: from the URL, implied (only one), or typed. Also: any customer at all?"""
    if uri:
        return "hidden", uri, True
    uris = list(Customer.objects.values_list("uri", flat=True)[:2])
    if len(uris) == 1:
        return "implied", uris[0], True
    return "field", "", bool(uris)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request: HttpRequest, uri: str | None = None) -> HttpResponse:
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"), reverse("web:dashboard"))
    if request.user.is_authenticated and request.method != "POST":
        return redirect(next_url)
    mode, implied_uri, any_customer = _customer_mode(uri)

    if request.method == "POST":
        form = LoginForm(request.POST, customer_mode=mode)
        if form.is_valid():
            customer_uri = implied_uri if mode != "field" else form.cleaned_data["customer"]
            try:
                admin = accounts.authenticate(customer_uri, form.cleaned_data["username"],
                                              form.cleaned_data["password"], ip=client_ip(request))
            except InvalidCredentials as err:
                form.add_error(None, translated(err.message))
            else:
                if admin.api_only:
                    form.add_error(None, _("This account may only use the REST API."))
                else:
                    auth_login(request, admin, backend=BACKEND)
                    response = redirect(next_url)
                    if admin.language in dict(settings.LANGUAGES):
                        _set_language_cookie(response, admin.language)
                    return response
    else:
        form = LoginForm(initial={"customer": implied_uri}, customer_mode=mode)

    return render(request, "web/accounts/login.html", {
        "form": form, "customer_uri": uri or "", "next": next_url if next_url != reverse("web:dashboard") else "",
        "no_customer": not any_customer, "customer_mode": mode,
    })


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, _("You have been logged out."))
    return redirect("web:login")


@sensitive_post_parameters("current_password", "new_password", "confirm_password")
@never_cache
@portal_view
def password_change(request: HttpRequest, actor) -> HttpResponse:
    forced = actor.admin.must_change_password
    if request.method == "POST":
        form = PasswordChangeForm(request.POST)
        if form.is_valid():
            try:
                admin = accounts.change_own_password(actor, form.cleaned_data["new_password"],
                                                     current_password=form.cleaned_data["current_password"])
            except DomainError as err:
                apply_error(form, err, {"password": "new_password"})
            else:
                update_session_auth_hash(request, admin)
                messages.success(request, _("Your password has been changed."))
                return redirect("web:dashboard")
    else:
        form = PasswordChangeForm()
    return render(request, "web/accounts/password_change.html", {"form": form, "forced": forced})


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE or settings.SESSION_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
    )


def set_language(request: HttpRequest) -> HttpResponse:
    """The English/Français switch: a cookie for everyone, and the admin's saved preference."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    language = request.POST.get("language", "")
    response = redirect(safe_next(request, request.POST.get("next"), reverse("web:home")))
    if language not in dict(settings.LANGUAGES):
        return response
    _set_language_cookie(response, language)
    if request.user.is_authenticated and request.user.language != language:
        accounts.set_own_preferences(Actor.for_admin(request.user, Interface.PORTAL, ip=client_ip(request)),
                                     language=language)
    return response
