"""Email templates: a safe language refused with the reason at save, preview, per-organization
overrides in English and French."""
from __future__ import annotations

import pytest

from certdesk.core.errors import NotFound, PermissionDenied
from certdesk.notifications import notify, services, templating, types
from certdesk.notifications.errors import NotificationRefused
from certdesk.notifications.models import EmailTemplate, OutboxMessage

from ..conftest import actor_for

ALLOWED = types.get("SSLIssued").variables


@pytest.mark.parametrize("body, reason", [
    ("Hello {{ recipient_name }", "line 1: '{{' is not closed"),
    ("Hello\n{{ recipient_name }}\nsee {{ password }}", "line 3: unknown variable 'password'"),
    ("{{ common_name|upper }}", "is not a variable name"),
    ("{{ customer.admins }}", "is not a variable name"),
    ("{% for a in b %}x{% endfor %}", "Template tags"),
    ("{# note #}", "Template comments"),
    ("done }}", "'}}' has no opening '{{'"),
])
def test_bad_templates_are_refused_with_the_reason(body, reason):
    with pytest.raises(templating.TemplateRefused) as err:
        templating.check("Subject", body, ALLOWED)
    assert reason in err.value.message
    assert err.value.field == "body"


def test_unknown_variable_in_the_subject_names_the_known_ones():
    with pytest.raises(templating.TemplateRefused) as err:
        templating.check("Certificate {{ cn }}", "ok", ALLOWED)
    assert err.value.field == "subject" and "common_name" in err.value.message and "'cn'" in err.value.message


def test_rendering_never_runs_code():
    subject, body = templating.check("{{ common_name }}", "{{ download_links }}", ALLOWED)
    evil = "{{ 7*7 }} {% debug %} <script>"
    assert templating.render(body, {"download_links": evil}) == evil
    assert templating.render_subject(subject, {"common_name": "a\r\nBcc: victim@example"}) == "a Bcc: victim@example"


def test_preview_uses_sample_values():
    subject, body = services.preview("SSLIssued", "Ready: {{ common_name }}", "Get it: {{ download_links }}")
    assert subject == "Ready: www.univ-lyon.example"
    assert "https://certdesk.example.org/d/1234/pem" in body


def test_saving_a_bad_template_is_refused_and_nothing_is_stored(mrao_actor):
    with pytest.raises(templating.TemplateRefused) as err:
        services.save_template(mrao_actor, type="SSLIssued", language="en", subject="x",
                               body="{{ nope }}")
    assert "unknown variable 'nope'" in err.value.message
    assert not EmailTemplate.objects.exists()


def test_french_organization_template_is_used_for_french_admins(univ, physics, rao_univ, mrao_actor):
    from certdesk.accounts import services as accounts

    accounts.set_own_preferences(actor_for(rao_univ), language="fr")
    services.save_template(actor_for(rao_univ), organization=univ, type="SSLRevoked", language="fr",
                           subject="[Lyon] Révocation de {{ common_name }}",
                           body="Motif : {{ reason }}\nDépartement : {{ department }}\n")
    services.save_template(mrao_actor, type="SSLRevoked", language="en", subject="[All] {{ common_name }} revoked",
                           body="Reason: {{ reason }}\n")
    event = notify(types.SSL_REVOKED, organization=physics,
                   context={"common_name": "w.example", "reason": "superseded"})
    french = OutboxMessage.objects.get(event=event, recipient=rao_univ.email)
    assert french.language == "fr" and french.subject == "[Lyon] Révocation de w.example"
    assert french.body == "Motif : superseded\nDépartement : Physics\n"
    english = OutboxMessage.objects.filter(event=event, language="en").first()
    assert english.subject == "[All] w.example revoked"


def test_built_in_french_text_when_nothing_is_overridden(physics, rao_univ):
    from certdesk.accounts import services as accounts

    accounts.set_own_preferences(actor_for(rao_univ), language="fr")
    event = notify(types.DCV_EXPIRATION, organization=physics, days=15,
                   context={"domain": "univ-lyon.example", "days": 15, "dcv_expires": "2026-04-01"})
    message = OutboxMessage.objects.get(event=event, recipient=rao_univ.email)
    assert message.subject == "La DCV de univ-lyon.example expire dans 15 jours"
    assert "Bonjour Rachel Orga" in message.body


def test_reset_goes_back_to_the_level_above(mrao_actor, univ, rao_univ):
    services.save_template(actor_for(rao_univ), organization=univ, type="SSLIssued", language="en",
                           subject="Org {{ common_name }}", body="Org body")
    assert services.current_template(univ.customer, univ, "SSLIssued", "en")[2] == "organization"
    services.reset_template(actor_for(rao_univ), organization=univ, type="SSLIssued", language="en")
    assert services.current_template(univ.customer, univ, "SSLIssued", "en")[2] == "built-in"


def test_who_may_change_templates(mrao_actor, univ, physics, rao_univ, drao_physics, rao_other):
    with pytest.raises(PermissionDenied):
        services.save_template(actor_for(rao_univ), type="SSLIssued", language="en", subject="s", body="b")
    with pytest.raises(NotificationRefused):
        services.save_template(actor_for(drao_physics), organization=physics, type="SSLIssued", language="en",
                               subject="s", body="b")
    with pytest.raises(NotFound):
        services.save_template(actor_for(rao_other), organization=univ, type="SSLIssued", language="en",
                               subject="s", body="b")
