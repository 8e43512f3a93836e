"""Certificates → SSL Certificates forms: the list filters (the shared GET contract), the request
wizard and the actions on one certificate. They check shape; certificates.services checks rules."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from certdesk.certificates.services import REVOCATION_REASONS
from certdesk.certificates.states import Status

from .accounts import organization_choices

# SCM's status words (seed 000, seed 004), as the list and the badges show them.
STATUS_LABELS = {
    Status.REQUESTED: pgettext_lazy("certificate status", "Requested"),
    Status.APPLIED: pgettext_lazy("certificate status", "Applied"),
    Status.ISSUED: pgettext_lazy("certificate status", "Issued"),
    Status.DECLINED: pgettext_lazy("certificate status", "Declined"),
    Status.INVALID: pgettext_lazy("certificate status", "Invalid"),
    Status.REVOKED: pgettext_lazy("certificate status", "Revoked"),
    Status.EXPIRED: pgettext_lazy("certificate status", "Expired"),
    Status.REPLACED: pgettext_lazy("certificate status", "Replaced"),
}
STATUS_CSS = {
    Status.REQUESTED: "warn", Status.APPLIED: "pending", Status.ISSUED: "ok", Status.DECLINED: "off",
    Status.INVALID: "off", Status.REVOKED: "off", Status.EXPIRED: "neutral", Status.REPLACED: "neutral",
}
# SCM `requestedVia` values (certificates.services.REQUESTED_VIA, ENROLLMENT_FORM).
REQUESTED_VIA_CHOICES = [
    ("", _("All")),
    ("Client Admin", _("Client Admin (portal)")),
    ("Web API", _("Web API")),
    ("ACME", _("ACME")),
    ("Enrollment Form", _("Enrollment Form")),
]
# Sortable columns: indexed ones only (the list must stay fast with a million certificates).
SORT_COLUMNS = {"id": "id", "expires": "not_after"}
# Other names links may use for the same columns (model field names, SCM words).
SORT_ALIASES = {"id": "id", "requested": "id", "created": "id", "ssl_id": "id", "sslid": "id",
                "expires": "expires", "not_after": "expires", "notafter": "expires", "expiry": "expires"}
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
MAX_EXPIRES_IN = 3650

# RFC 5280 §5.3.1 reasons an admin may give (services.REVOCATION_REASONS), in words.
REVOCATION_REASON_LABELS = {
    0: _("Unspecified"),
    1: _("Key compromise"),
    3: _("Affiliation changed"),
    4: _("Superseded"),
    5: _("Cessation of operation"),
}
CSR_MAX_BYTES = 64 * 1024
CSR_HELP = _("PEM (-----BEGIN CERTIFICATE REQUEST-----). The subject comes from the organization or department, "
             "never from the CSR.")


class CertificateFilterForm(forms.Form):
    """GET parameters of `/certificates/` (the contract dashboards and reports link with)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=253,
                        help_text=_("Common name, subject alternative name, serial number or id."))
    status = forms.MultipleChoiceField(label=_("Status"), required=False, widget=forms.CheckboxSelectMultiple,
                                       choices=list(STATUS_LABELS.items()))
    profile = forms.TypedChoiceField(label=_("Profile"), required=False, coerce=int, empty_value=None)
    org = forms.TypedChoiceField(label=_("Organization or department"), required=False, coerce=int,
                                 empty_value=None)
    expires_in = forms.IntegerField(label=_("Expires within (days)"), required=False, min_value=0,
                                    max_value=MAX_EXPIRES_IN)
    awaiting = forms.ChoiceField(label=_("Awaiting my approval"), required=False,
                                 choices=[("", _("All")), ("me", _("Awaiting my approval"))])
    requested_via = forms.ChoiceField(label=_("Requested via"), required=False, choices=REQUESTED_VIA_CHOICES)
    acme_account = forms.IntegerField(label=_("ACME account"), required=False, min_value=1,
                                      widget=forms.HiddenInput)
    sort = forms.CharField(label=_("Sort"), required=False, max_length=40, widget=forms.HiddenInput)
    size = forms.TypedChoiceField(label=_("Rows per page"), required=False, coerce=int, empty_value=None,
                                  choices=[(str(n), str(n)) for n in PAGE_SIZES], initial=DEFAULT_PAGE_SIZE)

    def __init__(self, data=None, *args, organizations=(), profiles=(), **kwargs):
        if data is not None and not data.get("size"):
            data = data.copy()
            data["size"] = str(DEFAULT_PAGE_SIZE)  # so the select shows the size in use
        super().__init__(data, *args, **kwargs)
        self.fields["org"].choices = [("", _("All"))] + organization_choices(organizations)
        self.fields["profile"].choices = [("", _("All"))] + [(p.pk, p.name) for p in profiles]

    def clean_sort(self) -> str:
        """A sortable column (`-` for descending) or ''. Columns without an index are not offered
        (a million rows would be sorted on each request): the list then keeps its default order and
        says so (`sort_refused`), rather than failing a link that asked for them."""
        raw = (self.cleaned_data.get("sort") or "").strip()
        self.sort_refused = ""
        key = SORT_ALIASES.get(raw.lstrip("-").lower())
        if raw and key is None:
            self.sort_refused = raw
            return ""
        return f"-{key}" if key and raw.startswith("-") else (key or "")

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "q": (data.get("q") or "").strip(),
            "status": list(data.get("status") or []),
            "profile": data.get("profile"),
            "org": data.get("org"),
            "expires_in": data.get("expires_in"),
            "awaiting": data.get("awaiting") == "me",
            "requested_via": data.get("requested_via") or "",
            "acme_account": data.get("acme_account"),
            "sort": data.get("sort") or "",
            "sort_refused": getattr(self, "sort_refused", ""),
            "size": data.get("size") or DEFAULT_PAGE_SIZE,
        }


class StampedForm(forms.Form):
    """Every action carries the certificate's `modified` stamp as shown: a changed certificate
    refuses the stale form instead of acting on what the admin did not see."""

    modified = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)


class ApproveForm(StampedForm):
    message = forms.CharField(label=_("Message"), required=False, max_length=512)


class DeclineForm(StampedForm):
    reason = forms.CharField(label=_("Reason"), max_length=512, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Sent to the requester."))


class RevokeForm(StampedForm):
    reason_code = forms.TypedChoiceField(
        label=_("Reason (RFC 5280)"), coerce=int,
        choices=[(code, f"{REVOCATION_REASON_LABELS[code]} ({name})") for code, name in REVOCATION_REASONS.items()])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=512,
                              widget=forms.Textarea(attrs={"rows": 3}))


class CsrField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}))
        kwargs.setdefault("max_length", CSR_MAX_BYTES)
        super().__init__(**kwargs)


def _read_upload(upload) -> str:
    if upload.size > CSR_MAX_BYTES:
        raise forms.ValidationError(_("The file is too large for a CSR."))
    try:
        return upload.read().decode("utf-8")
    except UnicodeDecodeError:  # a binary (DER) file
        raise forms.ValidationError(_("Upload the CSR as a PEM text file (.csr or .pem).")) from None


class CsrInputMixin:
    """A CSR pasted into the text area or uploaded as a .csr/.pem file (the file wins)."""

    def clean_csr_from_inputs(self, *, required: bool) -> str:
        upload = self.cleaned_data.get("csr_file")
        text = (self.cleaned_data.get("csr") or "").strip()
        if upload is not None:
            try:
                text = _read_upload(upload).strip()
            except forms.ValidationError as err:
                self.add_error("csr_file", err)
                return ""
        if required and not text:
            self.add_error("csr", _("Paste the CSR or upload its file."))
        return text


def _csr_file_field():
    return forms.FileField(label=_("or upload the CSR file"), required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": ".csr,.pem,.txt,.req"}))


class ReplaceForm(CsrInputMixin, StampedForm):
    csr = CsrField(label=_("New CSR"), required=False, help_text=CSR_HELP)
    csr_file = _csr_file_field()
    common_name = forms.CharField(label=_("Common name"), required=False, max_length=253,
                                  help_text=_("Leave empty to keep the current one."))
    sans = forms.CharField(label=_("Subject alternative names"), required=False, max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("One per line or separated by commas. Leave empty to keep the current ones."))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=512)

    def clean(self):
        data = super().clean()
        data["csr"] = self.clean_csr_from_inputs(required=True)
        return data


class RenewForm(CsrInputMixin, StampedForm):
    csr = CsrField(label=_("New CSR (optional)"), required=False,
                   help_text=_("Leave empty to renew with the same key (the current CSR)."))
    csr_file = _csr_file_field()

    def clean(self):
        data = super().clean()
        data["csr"] = self.clean_csr_from_inputs(required=False)
        return data


class EditForm(StampedForm):
    comments = forms.CharField(label=_("Comments"), required=False, max_length=1024,
                               widget=forms.Textarea(attrs={"rows": 3}))
    external_requester = forms.CharField(label=_("External requester"), required=False, max_length=1024,
                                         help_text=_("Email addresses, separated by commas."))
    auto_renew = forms.BooleanField(label=_("Auto-renew"), required=False)
    days_before = forms.IntegerField(label=_("Days before expiration"), min_value=1, max_value=365, initial=30,
                                     help_text=_("When the automatic renewal is requested."))


class RequestForm(CsrInputMixin, forms.Form):
    """The request wizard (Certificates → SSL Certificates → Add): one page, in SCM's order."""

    organization = forms.TypedChoiceField(label=_("Organization or department"), coerce=int)
    profile = forms.TypedChoiceField(label=_("Profile"), coerce=int,
                                     help_text=_("The certificate type. EV Anchor is a validation only: no "
                                                 "certificate is issued."))
    anchor_confirmed = forms.BooleanField(
        label=_("I want an EV anchor (validation only, no certificate is issued)"), required=False)
    term = forms.TypedChoiceField(label=_("Term (days)"), coerce=int)
    csr = CsrField(label=_("CSR"), required=False, help_text=CSR_HELP)
    csr_file = _csr_file_field()
    common_name = forms.CharField(label=_("Common name"), required=False, max_length=253,
                                  help_text=_("Leave empty to take it from the CSR."))
    sans = forms.CharField(label=_("Additional names (SANs)"), required=False, max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("One per line or separated by commas (multi-domain profiles)."))
    external_requester = forms.CharField(label=_("External requester"), required=False, max_length=1024,
                                         help_text=_("Email addresses of the people you request it for, "
                                                     "separated by commas."))
    comments = forms.CharField(label=_("Comments"), required=False, max_length=1024,
                               widget=forms.Textarea(attrs={"rows": 3}))
    auto_renew = forms.BooleanField(label=_("Auto-renew"), required=False)
    days_before = forms.IntegerField(label=_("Days before expiration"), min_value=1, max_value=365, initial=30,
                                     help_text=_("When the automatic renewal is requested."))

    def __init__(self, *args, organizations=(), profiles=(), terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {o.pk: o for o in organizations}
        self.profiles = {p.pk: p for p in profiles}
        self.fields["organization"].choices = [("", "—")] + organization_choices(organizations)
        regular = [(p.pk, p.name) for p in profiles if not p.validation_only]
        anchors = [(p.pk, p.name) for p in profiles if p.validation_only]
        choices = [("", "—")] + regular
        if anchors:
            choices.append((_("Validation only"), anchors))
        self.fields["profile"].choices = choices
        self.fields["term"].choices = [("", "—")] + [(t, str(t)) for t in terms]
        if not anchors:
            del self.fields["anchor_confirmed"]

    def clean(self):
        data = super().clean()
        profile = self.profiles.get(data.get("profile"))
        if profile is not None and profile.validation_only and not data.get("anchor_confirmed"):
            self.add_error("anchor_confirmed", _("%(profile)s is a validation only: tick the box to request it "
                                                 "on purpose, or choose another profile.") % {"profile": profile})
        data["csr"] = self.clean_csr_from_inputs(required=True)
        return data
