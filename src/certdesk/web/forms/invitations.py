"""Forms of client-certificate invitations: the admin's "Send invitation" (person page) and the
invited person's page (key type and passphrase)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from certdesk.certificates import escrow

KEY_TYPE_LABELS = {"RSA-2048": _("RSA 2048 bits"), "RSA-3072": _("RSA 3072 bits"), "EC-P-256": _("EC P-256")}


class InvitationSendForm(forms.Form):
    profile = forms.TypedChoiceField(label=_("Certificate type"), coerce=int)
    term = forms.TypedChoiceField(label=_("Term (days)"), coerce=int)

    def __init__(self, *args, profiles=(), terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [(p.pk, p.name) for p in profiles]
        self.fields["term"].choices = [(t, str(t)) for t in terms]


class InvitationRedeemForm(forms.Form):
    """The passphrase twice: never rendered back, never stored."""

    key_type = forms.ChoiceField(label=_("Key type"))
    passphrase = forms.CharField(
        label=_("Passphrase"), strip=False, max_length=escrow.MAX_PASSPHRASE,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Your PKCS#12 file is encrypted with it; you will need it to install the certificate. At least "
                    "8 characters."))
    passphrase_again = forms.CharField(label=_("Passphrase (again)"), strip=False, max_length=escrow.MAX_PASSPHRASE,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, key_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key_type"].choices = [(k, KEY_TYPE_LABELS[k]) for k in key_types]

    def clean(self):
        data = super().clean()
        first, again = data.get("passphrase"), data.get("passphrase_again")
        if first and len(first) < escrow.MIN_PASSPHRASE:
            self.add_error("passphrase", _("The passphrase must be at least %(min)s characters long.")
                           % {"min": escrow.MIN_PASSPHRASE})
        elif first and again is not None and first != again:
            self.add_error("passphrase_again", _("The two passphrases differ."))
        return data
