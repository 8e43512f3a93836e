"""Forms of Enrollment → SSL web forms (portal) and of the public self-enrollment page.

They check shape only (types, sizes, a readable CSR file); the services check the rules."""
from __future__ import annotations

import base64

from django import forms
from django.utils.translation import gettext_lazy as _

CSR_FILE_MAX_BYTES = 64 * 1024


def organization_label(org) -> str:
    return f"{org.parent.name} › {org.name}" if org.parent_id else org.name


class WebFormAccountForm(forms.Form):
    """Create or edit an SSL web form account (SCM "Create SSL Web Form Account")."""

    name = forms.CharField(label=_("Name"), max_length=128,
                           help_text=_("For example: Camford University SSL self-enrollment."))
    organization = forms.TypedChoiceField(label=_("Organization or department"), coerce=int)
    profiles = forms.TypedMultipleChoiceField(
        label=_("Assigned certificate profiles"), coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=_("The certificate types users may request with this form. The EV Anchor (validation only) "
                    "is never offered."))
    auto_approve = forms.BooleanField(
        label=_("Automatically approve requests"), required=False,
        help_text=_("Requests are issued without a RAO or DRAO approving them. EV certificates always need "
                    "approval."))
    allow_auto_renew = forms.BooleanField(label=_("Allow auto renew SSL certificates"), required=False)
    access_code = forms.CharField(
        label=_("Access code"), required=False, min_length=8, max_length=128, strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The shared secret users enter on the form, at least 8 characters. Leave empty to generate "
                    "one. It is shown once, then only its hash is kept."))

    def __init__(self, *args, organizations, profiles, with_code: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [("", "—")] + [(o.pk, organization_label(o)) for o in organizations]
        self.fields["profiles"].choices = [(p.pk, p.name) for p in profiles]
        if not with_code:
            del self.fields["access_code"]


class AccessCodeForm(forms.Form):
    """Regenerate (or set) a web form's access code."""

    access_code = forms.CharField(
        label=_("New access code"), required=False, min_length=8, max_length=128, strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Leave empty to generate one. The old code stops working at once."))


class EnrollAccessForm(forms.Form):
    """Step 1 of the public form: who asks, and the shared access code."""

    email = forms.CharField(label=_("Your email address"), max_length=254,
                            widget=forms.EmailInput(attrs={"autocomplete": "email"}),
                            help_text=_("Where the certificate and news of your request are sent."))
    access_code = forms.CharField(label=_("Access code"), max_length=128, strip=False,
                                  widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
                                  help_text=_("Given to you by your certificate administrator."))


class EnrollRequestForm(forms.Form):
    """Step 2 of the public form: the certificate request."""

    profile = forms.TypedChoiceField(label=_("Certificate type"), coerce=int)
    term = forms.TypedChoiceField(label=_("Term (days)"), coerce=int)
    csr = forms.CharField(
        label=_("CSR"), required=False, max_length=CSR_FILE_MAX_BYTES,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "monospace"}),
        help_text=_("Paste the certificate signing request (PEM, starting with -----BEGIN CERTIFICATE REQUEST-----), "
                    "or upload it below."))
    csr_file = forms.FileField(label=_("Or upload the CSR file"), required=False)
    subject_alt_names = forms.CharField(
        label=_("Additional domain names"), required=False, max_length=8000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_("Optional, separated by commas or spaces. Every name must belong to a domain of this "
                    "organization."))
    comments = forms.CharField(label=_("Comments"), required=False, max_length=1024,
                               widget=forms.Textarea(attrs={"rows": 3}))
    auto_renew = forms.BooleanField(label=_("Renew automatically before expiry"), required=False)

    def __init__(self, *args, profiles, terms, allow_auto_renew: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [(p.pk, p.name) for p in profiles]
        self.fields["term"].choices = [(t, str(t)) for t in terms]
        if len(profiles) == 1:
            self.fields["profile"].initial = profiles[0].pk
        if terms:
            self.fields["term"].initial = max(terms)
        if not allow_auto_renew:
            del self.fields["auto_renew"]

    def clean(self):
        data = super().clean()
        upload = data.get("csr_file")
        if upload:
            if upload.size > CSR_FILE_MAX_BYTES:
                self.add_error("csr_file", _("This file is too large for a CSR."))
                return data
            raw = upload.read(CSR_FILE_MAX_BYTES + 1)
            try:
                data["csr"] = raw.decode("ascii")
            except UnicodeDecodeError:
                if raw[:1] == b"\x30":  # DER: the pipeline reads base64 or PEM
                    data["csr"] = base64.b64encode(raw).decode()
                else:
                    self.add_error("csr_file", _("This file is not a CSR (PEM or DER)."))
                    return data
        if not (data.get("csr") or "").strip() and "csr" not in self.errors and "csr_file" not in self.errors:
            self.add_error("csr", _("Paste the CSR or upload its file."))
        return data
