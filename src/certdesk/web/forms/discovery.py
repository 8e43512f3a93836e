"""Discovery forms: they check shape; discovery.targets and discovery.services check the rules
(targets, ports, allowed networks, the probe cap), shown next to the field they name."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from certdesk.discovery.models import Schedule
from certdesk.discovery.services import TIMEOUT_RANGE

from .accounts import organization_choices

SCHEDULE_CHOICES = [(Schedule.NONE.value, _("None (run by hand)")), (Schedule.DAILY.value, _("Daily")),
                    (Schedule.WEEKLY.value, _("Weekly"))]
SCHEDULE_LABELS = dict(SCHEDULE_CHOICES)
MANAGED_CHOICES = [("", _("All")), ("managed", _("Managed by certdesk")), ("unmanaged", _("Not managed"))]
EXPIRING_CHOICES = [("", _("Any")), ("0", _("Expired")), ("30", _("Within 30 days")), ("60", _("Within 60 days")),
                    ("90", _("Within 90 days"))]
PAGE_SIZES = (25, 50, 100)


class TaskForm(forms.Form):
    organization = forms.TypedChoiceField(label=_("Organization or department"), coerce=int)
    name = forms.CharField(label=_("Name"), max_length=128)
    targets = forms.CharField(
        label=_("Targets"), max_length=50_000,
        help_text=_("IP addresses, CIDR ranges and host names, one a line or separated by commas "
                    "(for example 192.0.2.10, 192.0.2.0/24, 2001:db8::/120, www.example.org). Host names are sent "
                    "as SNI."),
        widget=forms.Textarea(attrs={"rows": 5, "autocapitalize": "none", "spellcheck": "false"}))
    ports = forms.CharField(label=_("Ports"), max_length=1024, required=False, initial="443",
                            help_text=_("Ports and ranges separated by commas, for example 443, 8443, 9000-9010. "
                                        "Empty: 443."),
                            widget=forms.TextInput(attrs={"spellcheck": "false"}))
    schedule = forms.ChoiceField(label=_("Schedule"), choices=SCHEDULE_CHOICES, initial=Schedule.NONE.value)
    timeout = forms.IntegerField(label=_("Timeout (seconds)"), min_value=TIMEOUT_RANGE[0], max_value=TIMEOUT_RANGE[1],
                                 initial=5, help_text=_("How long to wait for each connection and TLS handshake."))

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [("", "—")] + organization_choices(organizations)

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("name", "targets", "ports", "schedule", "timeout")}


class TaskFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        help_text=_("Part of a task name or of a target."))
    org = forms.TypedChoiceField(label=_("Organization or department"), required=False, coerce=int,
                                 empty_value=None)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [("", _("All"))] + organization_choices(organizations)

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {"q": (data.get("q") or "").strip(), "org": data.get("org")}


class DiscoveredFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        help_text=_("Part of a name, subject or issuer, or the start of the SHA-256 fingerprint."))
    task = forms.TypedChoiceField(label=_("Discovery task"), required=False, coerce=int, empty_value=None)
    managed = forms.ChoiceField(label=_("Management"), required=False, choices=MANAGED_CHOICES)
    expiring = forms.ChoiceField(label=_("Expiry"), required=False, choices=EXPIRING_CHOICES)

    def __init__(self, *args, tasks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].choices = [("", _("All"))] + [(t.pk, t.name) for t in tasks]

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        managed = {"managed": True, "unmanaged": False}.get(data.get("managed") or "")
        expiring = data.get("expiring")
        return {"search": (data.get("q") or "").strip(), "task_id": data.get("task"), "managed": managed,
                "expiring_days": int(expiring) if expiring not in (None, "") else None}


class ImportForm(forms.Form):
    organization = forms.TypedChoiceField(label=_("Organization or department"), coerce=int)
    comments = forms.CharField(label=_("Comments"), required=False, max_length=1024,
                               widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [("", "—")] + organization_choices(organizations)
