"""Settings → Email Notifications forms: shape only; certdesk.notifications.services decides."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from certdesk.notifications import types
from certdesk.notifications.types import Recipient

ALL_ORGANIZATIONS = ""


def type_choices() -> list[tuple[str, str]]:
    return [(t.code, f"{t.label} ({t.code})") for t in types.TYPES]


def scope_choices(org_choices, *, mrao: bool) -> list[tuple[str, str]]:
    head = [(ALL_ORGANIZATIONS, _("All organizations (ALL ORG)"))] if mrao else []
    return head + [(str(pk), label) for pk, label in org_choices]


class RuleForm(forms.Form):
    type = forms.ChoiceField(label=_("Notification type"))
    organization = forms.ChoiceField(label=_("Organization or department"), required=False,
                                     help_text=_("An organization's notification also covers its departments."))
    description = forms.CharField(label=_("Description"), required=False, max_length=256)
    notify_roles = forms.MultipleChoiceField(label=_("Notify"), required=False, widget=forms.CheckboxSelectMultiple,
                                             choices=[(r, Recipient.LABELS[r]) for r in Recipient.ALL])
    extra_recipients = forms.CharField(label=_("Other email addresses"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 3}),
                                       help_text=_("One per line, or separated by commas."))
    days_before = forms.CharField(label=_("Days before expiry"), required=False, max_length=60,
                                  help_text=_("Expiry notifications only, e.g. 30, 15. Empty: the type's default."))
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args, org_choices=(), mrao: bool = False, builtin: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = type_choices()
        self.fields["organization"].choices = scope_choices(org_choices, mrao=mrao)
        if builtin:
            for name in ("type", "organization"):
                self.fields[name].disabled = True

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "type": data["type"], "description": data["description"], "notify_roles": data["notify_roles"],
            "extra_recipients": data["extra_recipients"], "days_before": data["days_before"],
            "enabled": data["enabled"],
        }


class TemplateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=250)
    body = forms.CharField(label=_("Body"), widget=forms.Textarea(attrs={"rows": 14}), max_length=20000)


class WebhookForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500, help_text=_("https:// address that receives a signed "
                                                                      "JSON POST for each event."))
    organization = forms.ChoiceField(label=_("Organization or department"), required=False)
    types = forms.MultipleChoiceField(label=_("Types"), required=False, widget=forms.CheckboxSelectMultiple,
                                      help_text=_("None chosen: every type."))
    description = forms.CharField(label=_("Description"), required=False, max_length=256)

    def __init__(self, *args, org_choices=(), mrao: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = scope_choices(org_choices, mrao=mrao)
        self.fields["types"].choices = [(t.code, t.label) for t in types.TYPES]
