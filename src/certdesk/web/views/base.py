"""What every portal view shares: login required, the actor, DomainError turned into a page or a form error."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from certdesk.core.errors import DomainError, NotFound, PermissionDenied

from ..labels import translated


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def error_page(request: HttpRequest, err: DomainError | None, *, status: int) -> HttpResponse:
    """404 and 403 pages. Out of scope reads exactly like missing (no id guessing)."""
    if status == 404:
        title, text = _("Not found"), _("This page does not exist, or it is outside what you administer.")
    else:
        title, text = _("Not allowed"), translated(err.message) if err else _("You are not allowed to do this.")
    return render(request, "web/portal/error.html", {"title": title, "text": text}, status=status)


def portal_view(view: Callable) -> Callable:
    """Decorate a view `view(request, actor, ...)`: require a logged-in admin, pass its actor,
    and answer NotFound with 404 and PermissionDenied with 403. Other DomainErrors are the
    view's to show next to a form field (see `apply_error`)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        actor = getattr(request, "actor", None)
        if actor is None or not request.user.is_authenticated:
            if is_htmx(request):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse(settings.LOGIN_URL)
                return response
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, actor, *args, **kwargs)
        except NotFound as err:
            return error_page(request, err, status=404)
        except PermissionDenied as err:
            return error_page(request, err, status=403)

    return wrapper


def apply_error(form: forms.Form, err: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Show a service refusal next to the field it names, or at the top of the form."""
    field = (aliases or {}).get(err.field or "", err.field)
    message = translated(err.message)
    if field and field in form.fields:
        form.add_error(field, message)
    else:
        form.add_error(None, message)


def safe_next(request: HttpRequest, value: str | None, default: str) -> str:
    """A `next` target only when it is a local path on this site."""
    if value and value.startswith("/") and not value.startswith("//") and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return default


def no_store(response: HttpResponse) -> HttpResponse:
    """For pages that show a secret once: never cached, never kept in history snapshots."""
    response["Cache-Control"] = "no-store, max-age=0"
    response["Pragma"] = "no-cache"
    return response


CONFIRM_FIELD = "confirmed"


def confirmation(request: HttpRequest, title, text, button) -> HttpResponse | None:
    """A destructive POST asks first: without `confirmed=1`, the confirmation (a dialog for HTMX, a
    page otherwise) that posts the same fields again with `confirmed=1`; None once confirmed. Call it
    after the object was found and the policy checked: out of scope stays 404, not allowed 403."""
    if request.method != "POST" or request.POST.get(CONFIRM_FIELD) == "1":
        return None
    fields = [(key, value) for key, values in request.POST.lists()
              if key not in ("csrfmiddlewaretoken", CONFIRM_FIELD) for value in values]
    referer = request.headers.get("Referer", "")
    back = referer if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}) else ""
    context = {"title": title, "text": text, "button": button, "action": request.get_full_path(),
               "fields": fields, "back": back or reverse("web:dashboard")}
    template = "web/portal/_partials/confirm.html" if is_htmx(request) else "web/portal/confirm.html"
    return render(request, template, context)
