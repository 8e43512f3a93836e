"""Persons forms: they check shape; persons.services checks rules (delegated domain, duplicates)."""
from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from certdesk.persons.models import ValidationType

from .accounts import organization_choices

VALIDATION_TYPE_CHOICES = [(ValidationType.STANDARD.value, _("Standard")), (ValidationType.HIGH.value, _("High"))]
VALIDATION_TYPE_LABELS = dict(VALIDATION_TYPE_CHOICES)
PAGE_SIZES = (25, 50, 100)


class PersonFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        help_text=_("Part of a name or of an email address."))
    org = forms.TypedChoiceField(label=_("Organization or department"), required=False, coerce=int,
                                 empty_value=None)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [("", _("All"))] + organization_choices(organizations)

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {"q": (data.get("q") or "").strip(), "org": data.get("org")}


def _text(label, max_length, *, required=False, help_text="", attrs=None):
    return forms.CharField(label=label, max_length=max_length, required=required, help_text=help_text,
                           widget=forms.TextInput(attrs=attrs or {}))


class PersonForm(forms.Form):
    """Add (no `modified`) or edit a person; `modified` is the version the form was shown from."""

    organization = forms.TypedChoiceField(label=_("Organization or department"), coerce=int)
    email = forms.CharField(label=_("Email"), max_length=254,
                            help_text=_("Its domain must be delegated to the organization or department for client "
                                        "certificates."),
                            widget=forms.EmailInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                                           "spellcheck": "false"}))
    first_name = _text(_("First name"), 64, required=True)
    middle_name = _text(_("Middle name"), 64)
    last_name = _text(_("Last name"), 64, required=True)
    common_name = _text(_("Common name"), 64, help_text=_("Left empty: the first name and the last name."))
    validation_type = forms.ChoiceField(label=_("Validation type"), choices=VALIDATION_TYPE_CHOICES,
                                        initial=ValidationType.STANDARD.value)
    phone = _text(_("Phone"), 32, attrs={"type": "tel", "autocomplete": "off"})
    secondary_emails = forms.CharField(label=_("Secondary emails"), required=False, max_length=5000,
                                       help_text=_("Separate several addresses with commas or new lines."),
                                       widget=forms.Textarea(attrs={"rows": 3}))
    eppn = _text(_("EPPN"), 256, help_text=_("eduPersonPrincipalName given by the identity provider, e.g. "
                                            "jdupont@univ-example.fr."),
                 attrs={"autocapitalize": "none", "spellcheck": "false"})
    upn = _text(_("UPN"), 256, help_text=_("Microsoft User Principal Name, e.g. jdupont@univ-example.fr."),
                attrs={"autocapitalize": "none", "spellcheck": "false"})
    modified = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [("", "—")] + organization_choices(organizations)

    def clean_secondary_emails(self) -> list[str]:
        return [part for part in re.split(r"[\s,;]+", self.cleaned_data.get("secondary_emails") or "") if part]

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("email", "first_name", "middle_name", "last_name", "common_name",
                                              "validation_type", "phone", "secondary_emails", "eppn", "upn")}
