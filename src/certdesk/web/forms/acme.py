"""ACME account forms (Enrollments → ACME accounts): they check shape; acme.services checks rules
(scope, delegated and validated domains, unique names)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .accounts import organization_choices

STATUS_CHOICES = [("", _("All")), ("pending", _("Pending")), ("valid", _("Valid")), ("suspended", _("Suspended"))]


def domain_choices(domains) -> list[tuple[str, str]]:
    return [(d.name, d.unicode_name) for d in domains]


class AcmeFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=128)
    endpoint = forms.ChoiceField(label=_("ACME server"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    org = forms.TypedChoiceField(label=_("Organization or department"), required=False, coerce=int,
                                 empty_value=None)

    def __init__(self, *args, endpoints=(), organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["endpoint"].choices = [("", _("All"))] + [(e.name, e.name) for e in endpoints]
        self.fields["org"].choices = [("", _("All"))] + organization_choices(organizations)

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {"q": (data.get("q") or "").strip(), "endpoint": data.get("endpoint") or "",
                "status": data.get("status") or "", "org": data.get("org")}


class AcmeAccountCreateForm(forms.Form):
    """Seed 002: the endpoint (OV, DV…), the organization then its department, a name, and the
    domains of that scope the account may use."""

    endpoint = forms.ChoiceField(label=_("ACME server"),
                                 help_text=_("OV: certificates for the bound, validated domains at once. "
                                             "DV: each name is checked by an ACME challenge."))
    name = forms.CharField(label=_("Name"), max_length=128,
                           help_text=_("For example the name of the server or service that will use it."))
    organization = forms.TypedChoiceField(label=_("Organization or department"), coerce=int, empty_value=None)
    domains = forms.MultipleChoiceField(label=_("Domains"), required=False, widget=forms.CheckboxSelectMultiple,
                                        help_text=_("The delegated, validated domains of the organization or "
                                                    "department the account may request certificates for."))

    def __init__(self, *args, endpoints=(), organizations=(), domains=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["endpoint"].choices = [(e.name, f"{e.name} — {e.get_validation_type_display()}")
                                           for e in endpoints]
        self.fields["organization"].choices = [("", "—")] + organization_choices(organizations)
        self.fields["domains"].choices = domain_choices(domains)


class AcmeRenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=128)


class AcmeBindForm(forms.Form):
    domains = forms.MultipleChoiceField(label=_("Domains to bind"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, domains=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domains"].choices = domain_choices(domains)
