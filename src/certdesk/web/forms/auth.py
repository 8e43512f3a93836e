"""Login and own-password forms (shape only; accounts.services decides)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    customer = forms.CharField(
        label=_("Customer"), max_length=64, required=False,
        help_text=_("Your customer URI, as in the address /customer/<uri>/."),
        widget=forms.TextInput(attrs={"autocomplete": "organization", "autocapitalize": "none",
                                      "spellcheck": "false"}),
    )
    username = forms.CharField(
        label=_("Username"), max_length=128,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false",
                                      "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"), max_length=256, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, customer_mode: str = "field", **kwargs):
        """customer_mode: "field" (typed), "hidden" (from /customer/<uri>/) or "implied" (one customer)."""
        super().__init__(*args, **kwargs)
        self.customer_mode = customer_mode
        if customer_mode == "field":
            self.fields["customer"].required = True
            self.fields["customer"].widget.attrs["autofocus"] = True
            self.fields["username"].widget.attrs.pop("autofocus", None)
        else:
            self.fields["customer"].widget = forms.HiddenInput()


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"), strip=False, max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"), strip=False, max_length=256,
        help_text=_("At least 10 characters; not a common password, not only digits, not like your login or name."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm_password = forms.CharField(
        label=_("Confirm the new password"), strip=False, max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        new, confirm = data.get("new_password"), data.get("confirm_password")
        if new and confirm and new != confirm:
            self.add_error("confirm_password", _("The two new passwords differ."))
        return data
