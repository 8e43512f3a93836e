"""Portal: Settings → Email Notifications, email templates with preview, webhooks, Reports →
Notifications and the bell (an HTMX fragment, no inline script)."""
from __future__ import annotations

import pytest

from certdesk.notifications import notify, types
from certdesk.notifications.models import EmailTemplate, NotificationRule, Webhook

from ..web.conftest import BACKEND, parse_page


@pytest.fixture
def login(client):
    def _login(admin):
        client.force_login(admin, backend=BACKEND)
        return client

    return _login


def _checked_page(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    page = parse_page(html)
    assert page.inline_scripts == 0 and not page.event_attributes and not page.unlabelled(), (
        page.event_attributes, page.unlabelled())
    return html


def test_settings_links_to_email_notifications(login, mrao2):
    html = login(mrao2).get("/settings/").content.decode()
    assert 'href="/settings/notifications/"' in html


def test_list_shows_the_built_in_notifications(login, mrao2, django_assert_max_num_queries):
    client = login(mrao2)
    client.get("/settings/notifications/")
    with django_assert_max_num_queries(12):
        html = _checked_page(client.get("/settings/notifications/"))
    assert "ALL ORG - SSL Certificate Awaiting Approval" in html and "ALL ORG - DCV Expiration XX days" in html


def test_rao_adds_a_notification_for_a_department(login, rao_univ, physics):
    client = login(rao_univ)
    _checked_page(client.get("/settings/notifications/new/"))
    response = client.post("/settings/notifications/new/", {
        "type": "SSLExpiration", "organization": str(physics.pk), "description": "Physics reminders",
        "notify_roles": ["DRAO", "REQUESTER"], "extra_recipients": "pki@physics.univ-lyon.example\n",
        "days_before": "60, 30", "enabled": "on"})
    assert response.status_code == 302
    rule = NotificationRule.objects.get(description="Physics reminders")
    assert (rule.organization_id, rule.notify_roles, rule.days_before) == (physics.pk, ["REQUESTER", "DRAO"], [60, 30])
    assert rule.extra_recipients == ["pki@physics.univ-lyon.example"]
    client.post(f"/settings/notifications/{rule.pk}/toggle/")
    rule.refresh_from_db()
    assert rule.enabled is False
    response = client.post(f"/settings/notifications/{rule.pk}/edit/", {
        "type": "SSLExpiration", "organization": str(physics.pk), "description": "Physics reminders",
        "notify_roles": [], "extra_recipients": "", "days_before": "", "enabled": "on"})
    html = response.content.decode()
    assert response.status_code == 200 and "at least one recipient" in html


def test_rao_cannot_add_all_org_notifications(login, rao_univ):
    response = login(rao_univ).post("/settings/notifications/new/", {
        "type": "SSLRevoked", "organization": "", "notify_roles": ["RAO"], "enabled": "on"})
    assert response.status_code == 200  # "" is not one of the RAO's choices: the form refuses it
    assert not NotificationRule.objects.filter(builtin=False).exists()


def test_template_edit_preview_refusal_and_save(login, rao_univ, univ):
    client = login(rao_univ)
    url = f"/settings/notifications/templates/SSLIssued/fr/?organization={univ.pk}"
    _checked_page(client.get("/settings/notifications/templates/"))
    html = _checked_page(client.get(url))
    assert "Votre certificat SSL pour" in html  # the built-in French text to start from
    preview = client.post(url, {"action": "preview", "subject": "Prêt : {{ common_name }}",
                                "body": "Liens :\n{{ download_links }}"}).content.decode()
    assert "Prêt : www.univ-lyon.example" in preview and "https://certdesk.example.org/d/1234/pem" in preview
    refused = client.post(url, {"action": "save", "subject": "x", "body": "{{ secret_key }}"}).content.decode()
    assert "unknown variable &#x27;secret_key&#x27;" in refused and not EmailTemplate.objects.exists()
    saved = client.post(url, {"action": "save", "subject": "Prêt : {{ common_name }}", "body": "Liens"})
    assert saved.status_code == 302
    assert EmailTemplate.objects.get().organization_id == univ.pk
    assert client.get("/settings/notifications/templates/NoSuchType/fr/").status_code == 404


def test_webhook_page(login, rao_univ, univ):
    client = login(rao_univ)
    _checked_page(client.get("/settings/notifications/webhooks/"))
    client.post("/settings/notifications/webhooks/", {"url": "https://hooks.univ-lyon.example/certdesk",
                                                      "organization": str(univ.pk), "types": ["SSLRevoked"]})
    hook = Webhook.objects.get()
    assert hook.types == ["SSLRevoked"] and len(hook.secret) == 64
    assert hook.secret in client.get("/settings/notifications/webhooks/").content.decode()
    response = client.post("/settings/notifications/webhooks/",
                           {"url": "ftp://x.example", "organization": str(univ.pk)})
    assert "http:// or https://" in response.content.decode()


def test_reports_list_the_notification_log(login, mrao2, rao_univ, physics, django_assert_max_num_queries):
    for n in range(3):
        notify(types.SSL_REVOKED, organization=physics, context={"common_name": f"h{n}.example"})
    client = login(rao_univ)
    assert 'href="/reports/notifications/"' in client.get("/reports/").content.decode()
    with django_assert_max_num_queries(10):
        html = _checked_page(client.get("/reports/notifications/"))
    assert "SSL certificate revoked: h2.example" in html and "PENDING" in html
    assert "h1.example" not in _checked_page(client.get("/reports/notifications/", {"status": "SENT"}))


def test_bell_shows_the_latest_notifications(login, rao_univ, physics):
    client = login(rao_univ)
    page = client.get("/dashboard/").content.decode()
    assert 'hx-get="/notifications/bell/"' in page and 'hx-trigger="load"' in page
    notify(types.SSL_AWAITING_APPROVAL, organization=physics, context={"common_name": "new.example"})
    fragment = client.get("/notifications/bell/", headers={"HX-Request": "true"}).content.decode()
    assert "SSL certificate awaiting approval: new.example" in fragment and 'class="bell-count"' in fragment
    assert parse_page(fragment).inline_scripts == 0
    after = client.post("/notifications/bell/read/", headers={"HX-Request": "true"}).content.decode()
    assert 'class="bell-count"' not in after and "new.example" in after


def test_pages_speak_french(login, mrao2):
    html = login(mrao2).get("/settings/notifications/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Notifications par courriel" in html and "Ajouter une notification" in html


def test_french_catalogue_is_compiled_next_to_its_source():
    from pathlib import Path

    import certdesk.notifications

    folder = Path(certdesk.notifications.__file__).parent / "locale" / "fr" / "LC_MESSAGES"
    po, mo = folder / "django.po", folder / "django.mo"
    assert mo.stat().st_mtime >= po.stat().st_mtime - 5 and "#, fuzzy" not in po.read_text()


def test_deleting_a_notification_or_a_webhook_asks_first(login, rao_univ, univ, physics, drao_physics):
    client = login(rao_univ)
    client.post("/settings/notifications/new/", {
        "type": "SSLExpiration", "organization": str(physics.pk), "description": "Physics reminders",
        "notify_roles": ["DRAO"], "days_before": "30", "enabled": "on"})
    rule = NotificationRule.objects.get(description="Physics reminders")
    client.post("/settings/notifications/webhooks/", {"url": "https://hooks.univ-lyon.example/certdesk",
                                                      "organization": str(univ.pk), "types": ["SSLRevoked"]})
    hook = Webhook.objects.get()
    for url, model, obj, question in ((f"/settings/notifications/{rule.pk}/delete/", NotificationRule, rule,
                                       "Delete this notification?"),
                                      (f"/settings/notifications/webhooks/{hook.pk}/delete/", Webhook, hook,
                                       "Delete this webhook?")):
        html = _checked_page(client.post(url))
        assert question in html and model.objects.filter(pk=obj.pk).exists()
        assert client.post(url, {"confirmed": "1"}).status_code == 302
        assert not model.objects.filter(pk=obj.pk).exists()
