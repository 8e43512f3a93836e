"""Organization, department and validation forms: they check shape; tenancy.services checks rules."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from certdesk.core.validators import COUNTRY_CODES
from certdesk.tenancy.models import Organization
from certdesk.tenancy.services import EV_BUSINESS_CATEGORIES

COUNTRY_CHOICES = [("", "—")] + [(code, code) for code in sorted(COUNTRY_CODES)]

ADDRESS_FIELDS = ("address1", "address2", "address3", "city", "state_province", "postal_code", "country")
EV_FIELD_NAMES = (
    "ev_jurisdiction_country", "ev_jurisdiction_state", "ev_jurisdiction_locality",
    "ev_business_category", "ev_registration_number", "ev_incorporation_date",
)


def _text(label, max_length, *, required=False, help_text=""):
    return forms.CharField(label=label, max_length=max_length, required=required, help_text=help_text)


def emails_initial(emails) -> str:
    return ", ".join(emails or [])


class OrganizationForm(forms.Form):
    name = _text(_("Name"), 64, required=True,
                 help_text=_("Goes into certificates (O=): plain ASCII letters, e.g. 'Universite' not 'Université'."))
    secondary_name = _text(_("Secondary name"), 64)
    alias = _text(_("Alias"), 64)
    academic_code = _text(_("Academic code"), 128, help_text=_("SCHAC home organization, e.g. univ-lyon.fr."))
    address1 = _text(_("Street"), 128)
    address2 = _text(_("Address line 2"), 128)
    address3 = _text(_("Address line 3"), 128)
    city = _text(_("Locality (city)"), 128)
    state_province = _text(_("State or province"), 128)
    postal_code = _text(_("Postal code"), 40)
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES, required=False,
                                help_text=_("ISO 3166 two-letter code, e.g. FR or GB."))
    contact_emails = forms.CharField(label=_("Contact emails"), required=False, max_length=2000,
                                     help_text=_("Separate several addresses with commas."),
                                     widget=forms.TextInput(attrs={"inputmode": "email"}))
    ssl_certs_api_enabled = forms.BooleanField(label=_("SSL certificates API enabled"), required=False)
    client_certs_api_enabled = forms.BooleanField(label=_("Client certificates API enabled"), required=False)
    # EV details (MRAO only)
    ev_jurisdiction_country = forms.ChoiceField(label=_("Jurisdiction country"), choices=COUNTRY_CHOICES,
                                                required=False)
    ev_jurisdiction_state = _text(_("Jurisdiction state or province"), 128)
    ev_jurisdiction_locality = _text(_("Jurisdiction locality"), 128)
    ev_business_category = forms.ChoiceField(
        label=_("Business category"), required=False,
        choices=[("", "—")] + [(c, c) for c in EV_BUSINESS_CATEGORIES],
    )
    ev_registration_number = _text(_("Registration number"), 128)
    ev_incorporation_date = forms.DateField(label=_("Date of incorporation"), required=False,
                                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, with_ev: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.with_ev = with_ev
        if not with_ev:
            for name in EV_FIELD_NAMES:
                del self.fields[name]

    @classmethod
    def initial_from(cls, org: Organization) -> dict:
        initial = {name: getattr(org, name) for name in cls.base_fields if name != "contact_emails"}
        initial["contact_emails"] = emails_initial(org.contact_emails)
        return initial

    def main_fields(self):
        return [self[n] for n in ("name", "secondary_name", "alias", "academic_code")]

    def address_fields(self):
        return [self[n] for n in ADDRESS_FIELDS]

    def ev_fields(self):
        return [self[n] for n in EV_FIELD_NAMES if n in self.fields]

    def values(self) -> dict:
        """What the service receives (every field, so an edit can also clear one)."""
        return dict(self.cleaned_data)


class DepartmentForm(forms.Form):
    name = _text(_("Name"), 64, required=True,
                 help_text=_("Goes into certificates (OU=): plain ASCII letters."))
    contact_emails = forms.CharField(label=_("Contact emails"), required=False, max_length=2000,
                                     help_text=_("Separate several addresses with commas."),
                                     widget=forms.TextInput(attrs={"inputmode": "email"}))
    ssl_certs_api_enabled = forms.BooleanField(label=_("SSL certificates API enabled"), required=False)
    client_certs_api_enabled = forms.BooleanField(label=_("Client certificates API enabled"), required=False)

    @classmethod
    def initial_from(cls, dept: Organization) -> dict:
        return {
            "name": dept.name,
            "contact_emails": emails_initial(dept.contact_emails),
            "ssl_certs_api_enabled": dept.ssl_certs_api_enabled,
            "client_certs_api_enabled": dept.client_certs_api_enabled,
        }

    def values(self) -> dict:
        return dict(self.cleaned_data)


class RejectValidationForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=512, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Told to the other MRAOs and kept in the validation history."))
