"""Domain, delegation and DCV forms (Domains menu): they check shape; domains.services checks rules."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from certdesk.domains.states import DcvMethod

from .accounts import organization_choices

CERT_TYPE_CHOICES = [("SSL", _("SSL")), ("SMIME", _("Client certificate")), ("CodeSign", _("Code Signing"))]
STATE_CHOICES = [("", _("All")), ("active", _("Active")), ("suspended", _("Suspended"))]
DELEGATION_CHOICES = [("", _("All")), ("requested", _("Requested")), ("active", _("Approved"))]
METHOD_LABELS = {
    DcvMethod.EMAIL: _("Email"),
    DcvMethod.CNAME: _("DNS CNAME"),
    DcvMethod.TXT: _("DNS TXT"),
    DcvMethod.TXT_PERSIST: _("DNS TXT (persistent value)"),
    DcvMethod.HTTP: _("HTTP file"),
    DcvMethod.HTTPS: _("HTTPS file"),
}
METHOD_HELP = {
    DcvMethod.EMAIL: _("A validation email to admin@, hostmaster@… of the domain."),
    DcvMethod.CNAME: _("Publish a CNAME record with random names."),
    DcvMethod.TXT: _("Publish a TXT record with a random value."),
    DcvMethod.TXT_PERSIST: _("Publish a lasting TXT record: later revalidations need no new record."),
    DcvMethod.HTTP: _("Serve a file under /.well-known/pki-validation/ (not for wildcard domains)."),
    DcvMethod.HTTPS: _("Serve a file under /.well-known/pki-validation/ over HTTPS (not for wildcard domains)."),
}
DELEGATION_ROWS = 3


def _types_field(label=None, required=False):
    return forms.MultipleChoiceField(label=label or _("Certificate types"), choices=CERT_TYPE_CHOICES,
                                     required=required, widget=forms.CheckboxSelectMultiple)


class DomainFilterForm(forms.Form):
    q = forms.CharField(label=_("Domain name"), required=False, max_length=253)
    state = forms.ChoiceField(label=_("State"), choices=STATE_CHOICES, required=False)
    delegation = forms.ChoiceField(label=_("Delegation status"), choices=DELEGATION_CHOICES, required=False)
    org = forms.TypedChoiceField(label=_("Organization or department"), required=False, coerce=int,
                                 empty_value=None)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [("", _("All"))] + organization_choices(organizations)

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {"q": (data.get("q") or "").strip(), "state": data.get("state") or "",
                "delegation": data.get("delegation") or "", "org": data.get("org")}


class DomainCreateForm(forms.Form):
    """A domain and up to three delegations (organization or department × certificate types)."""

    name = forms.CharField(label=_("Domain"), max_length=1000,
                           help_text=_("For example univ-example.fr, or *.univ-example.fr for a wildcard domain."))
    description = forms.CharField(label=_("Description"), max_length=256, required=False)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + organization_choices(organizations)
        self.organizations = {o.pk: o for o in organizations}
        for row in range(1, DELEGATION_ROWS + 1):
            self.fields[f"org_{row}"] = forms.TypedChoiceField(
                label=_("Organization or department (delegation %(row)s)") % {"row": row}, choices=choices,
                required=False, coerce=int, empty_value=None)
            self.fields[f"types_{row}"] = _types_field(
                label=_("Certificate types (delegation %(row)s)") % {"row": row})

    def rows(self):
        return [(self[f"org_{row}"], self[f"types_{row}"]) for row in range(1, DELEGATION_ROWS + 1)]

    def clean(self):
        data = super().clean()
        found = False
        for row in range(1, DELEGATION_ROWS + 1):
            org, types = data.get(f"org_{row}"), data.get(f"types_{row}")
            if org is not None and not types:
                self.add_error(f"types_{row}", _("Choose at least one certificate type."))
            if org is None and types:
                self.add_error(f"org_{row}", _("Choose the organization or department."))
            found = found or org is not None
        if not found and not self.errors:
            self.add_error("org_1", _("Delegate the domain to at least one organization or department."))
        return data

    def delegations(self):
        out = []
        for row in range(1, DELEGATION_ROWS + 1):
            org_id = self.cleaned_data.get(f"org_{row}")
            if org_id is not None:
                out.append((self.organizations[org_id], self.cleaned_data[f"types_{row}"]))
        return out


class DelegationAddForm(forms.Form):
    organization = forms.TypedChoiceField(label=_("Organization or department"), coerce=int)
    cert_types = _types_field(required=True)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {o.pk: o for o in organizations}
        self.fields["organization"].choices = [("", "—")] + organization_choices(organizations)


class DomainEditForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=256, required=False)
    contact_emails = forms.CharField(
        label=_("Extra addresses for email DCV"), required=False, max_length=2000,
        help_text=_("Besides admin@, administrator@, hostmaster@, postmaster@ and webmaster@. Separate several "
                    "addresses with commas."))

    def __init__(self, *args, with_contacts: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_contacts:
            del self.fields["contact_emails"]


class DcvMethodForm(forms.Form):
    method = forms.ChoiceField(label=_("Validation method"), widget=forms.RadioSelect)

    def __init__(self, *args, methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [(m, METHOD_LABELS[DcvMethod(m)]) for m in methods]


class DcvEmailForm(forms.Form):
    email = forms.ChoiceField(label=_("Send the validation email to"), widget=forms.RadioSelect)

    def __init__(self, *args, emails=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].choices = [(e, e) for e in emails]


class DcvEmailCodeForm(forms.Form):
    """The public page of the validation email: the code the email carries."""

    code = forms.CharField(label=_("Validation code"), max_length=32, strip=True,
                           help_text=_("The code in the validation email, for example 1234-5678."),
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                         "spellcheck": "false"}))


class DelegationDecisionForm(forms.Form):
    organizations = forms.TypedMultipleChoiceField(label=_("Delegations"), coerce=int,
                                                   widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, delegations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizations"].choices = [(d.organization_id, str(d.organization)) for d in delegations]


class DcvMethodsForm(forms.Form):
    methods = forms.MultipleChoiceField(
        label=_("Enabled DCV methods"), widget=forms.CheckboxSelectMultiple,
        choices=[(m.value, METHOD_LABELS[m]) for m in DcvMethod],
        help_text=_("Admins of every organization can use only these methods. The CA/Browser Forum phases email "
                    "out for public TLS certificates by March 2028."))
