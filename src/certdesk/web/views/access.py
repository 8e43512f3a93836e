"""Settings → Access Control (IP access-control lists, Web API secret keys) and Settings → API access
(the admin's own API tokens and client certificate), issue 6 and seed 001."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from certdesk.accounts import access, policy
from certdesk.accounts.policy import Perm
from certdesk.core.errors import DomainError, NotFound
from certdesk.tenancy.queries import get_organization, visible_organizations

from ..labels import translated
from .base import apply_error, no_store, portal_view, confirmation

CUSTOMER_SCOPE = "customer"


class AclEntryForm(forms.Form):
    scope = forms.ChoiceField(label=gettext_lazy("Organization or department"))
    network = forms.CharField(label=gettext_lazy("Network (CIDR)"), max_length=64,
                              help_text=gettext_lazy("IPv4 or IPv6, e.g. 195.98.237.2/32 or 2001:db8::/48."))
    description = forms.CharField(label=gettext_lazy("Description"), max_length=128, required=False)

    def __init__(self, *args, scopes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [(_scope_key(s), _scope_label(s)) for s in scopes]


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=64,
                           help_text=gettext_lazy("What the token is for, e.g. renewal script on host X."))
    days = forms.IntegerField(label=gettext_lazy("Expires after (days)"), required=False, min_value=1,
                              max_value=access.MAX_TOKEN_DAYS, initial=365,
                              help_text=gettext_lazy("Leave empty for a token that does not expire."))


class CertificateForm(forms.Form):
    serial = forms.CharField(label=gettext_lazy("Certificate serial number (hex)"), max_length=128, required=False,
                             help_text=gettext_lazy("Of the TLS client certificate you will present on /private/api; "
                                                    "empty removes it."))


def _scope_key(scope) -> str:
    return CUSTOMER_SCOPE if scope is None else str(scope.pk)


def _scope_label(scope) -> str:
    return _("All MRAO accounts (customer)") if scope is None else str(scope)


def _scope_from(actor, key: str):
    if key == CUSTOMER_SCOPE:
        return None
    return get_organization(actor, key)


def _access_context(actor, form: AclEntryForm | None = None) -> dict:
    scopes = access.manageable_scopes(actor)
    lists = [{"scope": s, "key": _scope_key(s), "label": _scope_label(s),
              "entries": list(access.acl_entries(actor.customer, s))} for s in scopes]
    web_api = [org for org in visible_organizations(actor).order_by("name")
               if policy.can(actor, Perm.EDIT_ORGANIZATION, org)]
    web_api.sort(key=lambda o: (o.organization.name.lower(), o.parent_id is not None, o.name.lower()))
    own = access.acls_binding(actor.admin)
    return {
        "lists": lists,
        # Empty lists are named in one line, not drawn as one empty table each (hundreds on a large network).
        "unrestricted_lists": [acl["label"] for acl in lists if not acl["entries"]],
        "form": form or AclEntryForm(scopes=scopes),
        "web_api": web_api,
        "own_acls": sorted({n for networks in own.values() for n in networks}),
        "your_address": actor.ip,
    }


@portal_view
def access_control(request: HttpRequest, actor) -> HttpResponse:
    form = None
    if request.method == "POST":
        form = AclEntryForm(request.POST, scopes=access.manageable_scopes(actor))
        if form.is_valid():
            try:
                scope = _scope_from(actor, form.cleaned_data["scope"])
                entry = access.add_acl_entry(actor, scope, form.cleaned_data["network"],
                                             description=form.cleaned_data["description"])
            except NotFound:
                raise
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("%(network)s added to the access control list of %(scope)s.")
                                 % {"network": entry.network, "scope": _scope_label(scope)})
                return redirect("web:access-control")
    return render(request, "web/accounts/access_control.html", _access_context(actor, form))


@require_POST
@portal_view
def access_control_remove(request: HttpRequest, actor, pk) -> HttpResponse:
    entry = access.get_acl_entry(actor, pk)
    # the question only to who may answer it; a refusal comes from the service, as before
    if policy.can(actor, Perm.MANAGE_ACCESS_CONTROL, entry.organization) and (asked := confirmation(request, _l("Remove this network?"), _l("Admins connecting from it are refused once no other entry of the list allows them."), _l("Remove network"))):
        return asked
    try:
        access.remove_acl_entry(actor, entry)
    except NotFound:
        raise
    except DomainError as err:
        messages.error(request, translated(err.message))
    else:
        messages.success(request, _("%(network)s removed.") % {"network": entry.network})
    return redirect("web:access-control")


@require_POST
@portal_view
def web_api_secret(request: HttpRequest, actor, pk) -> HttpResponse:
    org = get_organization(actor, pk)
    policy.require(actor, Perm.EDIT_ORGANIZATION, org)  # as the service does: a refusal comes before the question
    if (request.POST.get("action") == "clear" or request.POST.get("replacing") == "1") and (asked := confirmation(
            request, _l("Change the Web API secret key?"),
            _l("Robots that send the current key are refused until they are given the new one."), _l("Change the key"))):
        return asked
    if request.POST.get("action") == "clear":
        access.clear_web_api_secret(actor, org)
        messages.success(request, _("The Web API secret key of %(org)s was removed.") % {"org": org})
        return redirect("web:access-control")
    secret = access.generate_web_api_secret(actor, org)
    # Shown once, never stored in a message or a cached page.
    return no_store(render(request, "web/accounts/web_api_secret_done.html", {"org": org, "secret": secret}))


def _tokens_context(actor, token_form=None, certificate_form=None) -> dict:
    return {
        "tokens": list(access.own_tokens(actor)),
        "token_form": token_form or TokenForm(),
        "certificate_form": certificate_form or CertificateForm(
            initial={"serial": actor.admin.certificate_serial_number}),
    }


@portal_view
def api_tokens(request: HttpRequest, actor) -> HttpResponse:
    form = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                token, raw = access.create_api_token(actor, name=form.cleaned_data["name"],
                                                     days=form.cleaned_data["days"])
            except DomainError as err:
                apply_error(form, err)
            else:
                return no_store(render(request, "web/accounts/api_token_done.html", {"token": token, "raw": raw}))
    return render(request, "web/accounts/api_tokens.html", _tokens_context(actor, token_form=form))


@require_POST
@portal_view
def api_token_revoke(request: HttpRequest, actor, pk) -> HttpResponse:
    token = access.get_own_token(actor, pk)
    if (asked := confirmation(request, _l("Revoke this API token?"), _l("Programs that use it are refused at once. A revoked token cannot be used again."), _l("Revoke token"))):
        return asked
    token = access.revoke_api_token(actor, token)
    messages.success(request, _("The API token %(name)s was revoked.") % {"name": token.name})
    return redirect("web:api-tokens")


@require_POST
@portal_view
def client_certificate(request: HttpRequest, actor) -> HttpResponse:
    form = CertificateForm(request.POST)
    if form.is_valid():
        try:
            admin = access.set_own_certificate_serial(actor, form.cleaned_data["serial"])
        except DomainError as err:
            apply_error(form, err, {"certificateSerialNumber": "serial"})
        else:
            if admin.certificate_serial_number:
                messages.success(request, _("Client certificate %(serial)s registered.")
                                 % {"serial": admin.certificate_serial_number})
            else:
                messages.success(request, _("Client certificate removed."))
            return redirect("web:api-tokens")
    return render(request, "web/accounts/api_tokens.html", _tokens_context(actor, certificate_form=form))
