"""Template helpers of the portal: `can` (to hide buttons), accessible widgets, status badges."""
from __future__ import annotations

from django import template
from django.utils.html import format_html

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm

from ..labels import translated

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, perm: str, obj=None) -> bool:
    """`{% can "edit_organization" org as allowed %}`: whether to show a button (services decide anyway)."""
    request = context.get("request")
    actor = getattr(request, "actor", None)
    if actor is None:
        return False
    return policy.can(actor, Perm(perm), obj)


@register.filter
def a11y(bound_field):
    """Render a widget that points at its help text and error message, and says when it is invalid."""
    attrs = {}
    described = []
    if bound_field.help_text:
        described.append(f"{bound_field.auto_id}_help")
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
        described.append(f"{bound_field.auto_id}_error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return bound_field.as_widget(attrs=attrs)


STATUS_CLASSES = {
    "VALIDATED": "validated",
    "PENDING": "pending",
    "NOT_VALIDATED": "not_validated",
    "REJECTED": "rejected",
}


@register.simple_tag
def status_badge(value: str, label: str = "") -> str:
    """A badge with the status in words (colour is never the only signal)."""
    css = STATUS_CLASSES.get(str(value), "neutral")
    return format_html('<span class="badge {}">{}</span>', css, translated(label or str(value)))


@register.filter
def tr(value) -> str:
    """Translate a string that comes from the core (labels kept in web/labels.py)."""
    return translated(value)


@register.filter
def role_label(credential) -> str:
    """The role label and its organization or department, e.g. "RAO – SSL @ Universite de Lyon"."""
    from certdesk.accounts.roles import ROLE_LABELS, Role

    try:
        label = translated(ROLE_LABELS[Role(credential.role)])
    except (ValueError, KeyError):
        label = credential.role
    if credential.organization_id is None:
        return label
    return f"{label} @ {credential.organization}"
