"""Admin forms (Settings → Admins): shape only; accounts.services decides who may grant what."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from certdesk.accounts import policy
from certdesk.accounts.models import Admin, AdminType
from certdesk.accounts.roles import PRIVILEGE_LABELS, ROLE_LABELS, Privilege, Role
from certdesk.core.actor import Actor
from certdesk.tenancy.models import Organization

from ..labels import translated


class RoleRowForm(forms.Form):
    """One credential: a role on an organization or department (none for MRAO)."""

    role = forms.ChoiceField(label=_("Role"), required=False)
    organization = forms.TypedChoiceField(label=_("Organization or department"), required=False, coerce=int,
                                          empty_value=None)

    def __init__(self, *args, org_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "—")] + [(r.value, translated(ROLE_LABELS[r])) for r in Role]
        self.fields["organization"].choices = [("", _("— (none: MRAO)"))] + list(org_choices)

    def credential(self) -> dict | None:
        role = self.cleaned_data.get("role")
        if not role or self.cleaned_data.get("DELETE"):
            return None
        return {"role": role, "orgId": self.cleaned_data.get("organization")}


def role_formset_class(extra: int):
    """Roles as rows; `extra` empty rows let an admin add roles without JavaScript."""
    return forms.formset_factory(RoleRowForm, extra=extra, can_delete=True, max_num=50, absolute_max=50)


def organization_choices(organizations) -> list[tuple[int, str]]:
    """Organizations with their departments right below them (one query, done by the caller)."""
    orgs = list(organizations)
    tops = sorted((o for o in orgs if o.parent_id is None), key=lambda o: o.name.lower())
    children: dict[int, list[Organization]] = {}
    orphans = []
    top_ids = {o.pk for o in tops}
    for o in orgs:
        if o.parent_id is not None:
            if o.parent_id in top_ids:
                children.setdefault(o.parent_id, []).append(o)
            else:
                orphans.append(o)
    choices = []
    for top in tops:
        choices.append((top.pk, top.name))
        for dept in sorted(children.get(top.pk, []), key=lambda o: o.name.lower()):
            choices.append((dept.pk, f"{top.name} / {dept.name}"))
    for dept in sorted(orphans, key=lambda o: (o.parent.name.lower(), o.name.lower())):
        choices.append((dept.pk, f"{dept.parent.name} / {dept.name}"))
    return choices


class AdminForm(forms.Form):
    login = forms.CharField(label=_("Login"), max_length=128,
                            help_text=_("3 to 128 characters: letters, digits and . _ @ + -"),
                            widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                                          "spellcheck": "false"}))
    email = forms.EmailField(label=_("Email"), max_length=254)
    forename = forms.CharField(label=_("Forename"), max_length=64)
    surname = forms.CharField(label=_("Surname"), max_length=64)
    telephone = forms.CharField(label=_("Telephone"), max_length=32, required=False,
                                widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    password = forms.CharField(
        label=_("Initial password"), strip=False, max_length=256,
        help_text=_("The new admin must change it at first login. At least 10 characters."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    api_only = forms.BooleanField(
        label=_("Web API Use Only"), required=False,
        help_text=_("For robots using the REST API: this account cannot log in to the portal."),
    )
    privileges = forms.MultipleChoiceField(label=_("Privileges"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    # Not rendered as an input: the roles table below the form carries the credentials, and
    # this field only holds the service's refusals about them so they show next to that table.
    credentials = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, actor: Actor, editing: Admin | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.editing = editing
        self.fields["privileges"].choices = [(p.value, translated(PRIVILEGE_LABELS[p])) for p in Privilege]
        if editing is not None:
            del self.fields["password"]
            self.fields["login"].disabled = True
            self.fields["login"].help_text = ""
        # Privileges the actor does not hold are shown greyed out, as in SCM: they cannot be granted.
        self.grantable = {p.value for p in Privilege if policy.can_grant_privileges(actor, [p])}

    @classmethod
    def initial_from(cls, admin: Admin) -> dict:
        return {
            "login": admin.login, "email": admin.email, "forename": admin.forename, "surname": admin.surname,
            "telephone": admin.telephone, "api_only": admin.api_only, "privileges": list(admin.privileges or []),
        }

    def privilege_rows(self) -> list[dict]:
        selected = set(self["privileges"].value() or [])
        rows = []
        for i, (value, label) in enumerate(self.fields["privileges"].choices):
            rows.append({
                "value": value, "label": label, "id": f"{self['privileges'].auto_id}_{i}",
                "checked": value in selected, "disabled": value not in self.grantable,
            })
        return rows

    def privileges_for_service(self) -> list[str]:
        """Chosen privileges, plus those the target holds that this actor cannot touch (greyed out, so a
        browser does not send them back). Anything else sent is left to the service to refuse."""
        chosen = list(self.cleaned_data.get("privileges", []))
        if self.editing is not None:
            chosen += [p for p in self.editing.privileges or [] if p not in self.grantable and p not in chosen]
        return chosen

    def profile_values(self) -> dict:
        data = self.cleaned_data
        values = {
            "email": data["email"], "forename": data["forename"], "surname": data["surname"],
            "telephone": data.get("telephone", ""),
            "type": AdminType.API.value if data.get("api_only") else AdminType.STANDARD.value,
        }
        if self.editing is None:
            values["login"] = data["login"]
        return values


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        label=_("New password"), strip=False, max_length=256, required=False,
        help_text=_("Leave empty to generate one. It is shown once; the admin must change it at next login."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
