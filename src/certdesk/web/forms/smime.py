"""Certificates → Client Certificates forms: the list filters, the request (an existing person or a new
one, a server-generated key or a CSR), the PKCS #12 download and the actions on one certificate.
They check shape; certificates.smime and certificates.services check the rules."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from certdesk.certificates import escrow

from .accounts import organization_choices
from .certificates import (
    ApproveForm,
    DEFAULT_PAGE_SIZE,
    MAX_EXPIRES_IN,
    PAGE_SIZES,
    STATUS_LABELS,
    CsrField,
    CsrInputMixin,
    RevokeForm,
    StampedForm,
    _csr_file_field,
)

# The keys certdesk generates (escrow.RSA_SIZES, escrow.CURVES): choice → (algorithm, size or curve).
KEY_TYPES = {
    "RSA-2048": ("RSA", "2048"),
    "RSA-3072": ("RSA", "3072"),
    "RSA-4096": ("RSA", "4096"),
    "EC-P-256": ("EC", "P-256"),
    "EC-P-384": ("EC", "P-384"),
}
KEY_TYPE_CHOICES = [
    ("RSA-2048", _("RSA 2048 bits")),
    ("RSA-3072", _("RSA 3072 bits")),
    ("RSA-4096", _("RSA 4096 bits")),
    ("EC-P-256", _("EC P-256")),
    ("EC-P-384", _("EC P-384")),
]
KEY_SOURCE_GENERATE = "generate"
KEY_SOURCE_CSR = "csr"
KEY_SOURCE_CHOICES = [
    (KEY_SOURCE_GENERATE, _("Generate the key on the server (held in escrow, downloaded as PKCS#12)")),
    (KEY_SOURCE_CSR, _("Paste a CSR (the private key stays with its holder)")),
]
# escrow.ENCRYPTION_TYPES: AES-256 by default, 3DES only for old clients.
ENCRYPTION_CHOICES = [
    ("AES256-SHA256", _("AES-256 (recommended)")),
    ("TripleDES-SHA1", _("Triple DES (only for old Windows and macOS versions)")),
]
CSR_HELP = _("PEM (-----BEGIN CERTIFICATE REQUEST-----). The subject and the email addresses come from the "
             "person and the organization, never from the CSR.")


class ClientFilterForm(forms.Form):
    """GET parameters of `/certificates/client/`."""

    q = forms.CharField(label=_("Search"), required=False, max_length=254,
                        help_text=_("Name, email address, serial number or id."))
    status = forms.MultipleChoiceField(label=_("Status"), required=False, widget=forms.CheckboxSelectMultiple,
                                       choices=list(STATUS_LABELS.items()))
    profile = forms.TypedChoiceField(label=_("Profile"), required=False, coerce=int, empty_value=None)
    org = forms.TypedChoiceField(label=_("Organization or department"), required=False, coerce=int,
                                 empty_value=None)
    expires_in = forms.IntegerField(label=_("Expires within (days)"), required=False, min_value=0,
                                    max_value=MAX_EXPIRES_IN)
    size = forms.TypedChoiceField(label=_("Rows per page"), required=False, coerce=int, empty_value=None,
                                  choices=[(str(n), str(n)) for n in PAGE_SIZES], initial=DEFAULT_PAGE_SIZE)

    def __init__(self, data=None, *args, organizations=(), profiles=(), **kwargs):
        if data is not None and not data.get("size"):
            data = data.copy()
            data["size"] = str(DEFAULT_PAGE_SIZE)
        super().__init__(data, *args, **kwargs)
        self.fields["org"].choices = [("", _("All"))] + organization_choices(organizations)
        self.fields["profile"].choices = [("", _("All"))] + [(p.pk, p.name) for p in profiles]

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "q": (data.get("q") or "").strip(),
            "status": list(data.get("status") or []),
            "profile": data.get("profile"),
            "org": data.get("org"),
            "expires_in": data.get("expires_in"),
            "size": data.get("size") or DEFAULT_PAGE_SIZE,
        }


class ClientRequestForm(CsrInputMixin, forms.Form):
    """Certificates → Client Certificates → Add. The person is the one given (from its page), else the
    one with this email in the admin's scope, else a new person added with the names below."""

    person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    email = forms.CharField(label=_("Email"), max_length=254, required=False,
                            help_text=_("An existing person is found by this address; otherwise the person is added "
                                        "with the names and the organization below. Its domain must be delegated to "
                                        "the organization or department for client certificates."),
                            widget=forms.EmailInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                                           "spellcheck": "false"}))
    first_name = forms.CharField(label=_("First name"), max_length=64, required=False,
                                 help_text=_("For a new person only."))
    last_name = forms.CharField(label=_("Last name"), max_length=64, required=False,
                                help_text=_("For a new person only."))
    organization = forms.TypedChoiceField(label=_("Organization or department"), coerce=int, required=False,
                                          empty_value=None, help_text=_("For a new person only."))
    common_name = forms.CharField(label=_("Common name"), max_length=64, required=False,
                                  help_text=_("Usually the person's full name. Left empty: the person's common name."))
    profile = forms.TypedChoiceField(label=_("Profile"), coerce=int)
    term = forms.TypedChoiceField(label=_("Term (days)"), coerce=int)
    key_source = forms.ChoiceField(label=_("Private key"), choices=KEY_SOURCE_CHOICES, initial=KEY_SOURCE_GENERATE,
                                   widget=forms.RadioSelect)
    key_type = forms.ChoiceField(label=_("Key type"), choices=KEY_TYPE_CHOICES, initial="RSA-2048", required=False,
                                 help_text=_("RSA keys are the best supported by mail clients (e.g. Outlook)."))
    csr = CsrField(label=_("CSR"), required=False, help_text=CSR_HELP)
    csr_file = _csr_file_field()
    comments = forms.CharField(label=_("Comments"), required=False, max_length=1024,
                               widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, organizations=(), profiles=(), terms=(), fixed_person=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_person = fixed_person
        self.organizations = {o.pk: o for o in organizations}
        self.fields["organization"].choices = [("", "—")] + organization_choices(organizations)
        self.fields["profile"].choices = [("", "—")] + [(p.pk, p.name) for p in profiles]
        self.fields["term"].choices = [("", "—")] + [(t, str(t)) for t in terms]
        if fixed_person is not None:
            for name in ("email", "first_name", "last_name", "organization"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        if self.fixed_person is None:
            email = (data.get("email") or "").strip()
            data["email"] = email
            if not email:
                self.add_error("email", _("Give the person's email address."))
        if data.get("key_source") == KEY_SOURCE_CSR:
            data["csr"] = self.clean_csr_from_inputs(required=True)
        else:
            data["csr"] = ""
            if not data.get("key_type"):
                self.add_error("key_type", _("Choose the type of key to generate."))
        return data

    def require_new_person_fields(self) -> bool:
        """For an email no person has: the names and the organization are needed (errors added)."""
        ok = True
        for name, text in (("first_name", _("Give the first name of the new person.")),
                           ("last_name", _("Give the last name of the new person.")),
                           ("organization", _("Choose the organization or department of the new person."))):
            value = self.cleaned_data.get(name)
            if value in (None, "") or (isinstance(value, str) and not value.strip()):
                self.add_error(name, text)
                ok = False
        return ok


class PassphraseForm(forms.Form):
    """The PKCS #12 download: the passphrase twice. Never rendered back, never stored."""

    passphrase = forms.CharField(
        label=_("Passphrase"), strip=False, min_length=escrow.MIN_PASSPHRASE, max_length=escrow.MAX_PASSPHRASE,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("The PKCS#12 file is encrypted with it: give it to the certificate's holder by another channel "
                    "than the file. At least 8 characters."))
    passphrase_again = forms.CharField(label=_("Passphrase (again)"), strip=False,
                                       max_length=escrow.MAX_PASSPHRASE,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    encryption = forms.ChoiceField(label=_("Encryption"), choices=ENCRYPTION_CHOICES, initial="AES256-SHA256")

    def clean(self):
        data = super().clean()
        first, second = data.get("passphrase"), data.get("passphrase_again")
        if first and second is not None and first != second:
            self.add_error("passphrase_again", _("The two passphrases differ: type the same passphrase twice."))
        return data


class ClientRevokeForm(RevokeForm):
    """Reason code (RFC 5280) and reason, then the confirmation."""


class RevokeAllForm(forms.Form):
    reason_code = RevokeForm.base_fields["reason_code"]
    comment = RevokeForm.base_fields["comment"]


class ClientRenewForm(CsrInputMixin, StampedForm):
    csr = CsrField(label=_("New CSR (optional)"), required=False,
                   help_text=_("Only for a certificate requested with a CSR: leave empty to keep the same key. A key "
                               "generated on the server is always replaced by a new one."))
    csr_file = _csr_file_field()

    def clean(self):
        data = super().clean()
        data["csr"] = self.clean_csr_from_inputs(required=False)
        return data


__all__ = ["ClientFilterForm", "ClientRequestForm", "PassphraseForm", "ClientRevokeForm",
           "RevokeAllForm", "ClientRenewForm", "ApproveForm", "KEY_TYPES"]
