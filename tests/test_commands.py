"""The set-up commands a newcomer runs: bootstrap and demo, both idempotent."""
from django.core.management import call_command

from certdesk.accounts.models import Admin
from certdesk.core import audit
from certdesk.domains.models import Domain
from certdesk.tenancy.models import Organization


def test_bootstrap_then_demo_twice(db, monkeypatch, capsys):
    monkeypatch.setenv("CERTDESK_BOOTSTRAP_CUSTOMER", "renater")
    monkeypatch.setenv("CERTDESK_BOOTSTRAP_PASSWORD", "Given-By-The-Operator-1")
    monkeypatch.setenv("CERTDESK_DEMO_PASSWORD", "Demo-Password-For-All-1")
    call_command("bootstrap")
    call_command("bootstrap")
    out = capsys.readouterr().out
    assert "Created customer 'renater'" in out and "already exist; nothing changed" in out
    admin = Admin.objects.get(customer__uri="renater", login="admin")
    assert admin.is_mrao and not admin.must_change_password and admin.check_password("Given-By-The-Operator-1")

    call_command("demo")
    call_command("demo")
    org = Organization.objects.get(name="Universite de Demo", parent=None)
    assert org.is_validated() and org.departments.count() == 2
    assert {a.login: a.level_label for a in Admin.objects.filter(customer__uri="renater")} == {
        "admin": "MRAO", "rao": "RAO", "drao": "DRAO", "api-robot": "DRAO"}
    assert Admin.objects.get(login="api-robot").api_only
    assert Domain.objects.filter(customer=org.customer).count() == 3
    assert audit.verify().ok


def test_the_demo_organization_can_hold_client_certificates(db, monkeypatch):
    """Client certificates carry the organization's registration number (S/MIME BR
    organizationIdentifier): the demo organization has one, so its client certificates can be issued."""
    from django.utils import timezone

    from certdesk.certificates import profiles as profile_data
    from certdesk.certificates import smime
    from certdesk.certificates.models import Profile

    monkeypatch.setenv("CERTDESK_BOOTSTRAP_CUSTOMER", "renater")
    monkeypatch.setenv("CERTDESK_DEMO_PASSWORD", "Demo-Password-For-All-1")
    call_command("bootstrap")
    call_command("demo")
    org = Organization.objects.get(name="Universite de Demo", parent=None)
    spec = profile_data.SEEDED_SMIME_PROFILES[0]
    values = profile_data.smime_profile_defaults(spec)
    profile, _ = Profile.objects.get_or_create(customer=None, kind="SMIME", name=values.pop("name"), defaults=values)
    smime.check_organization(org, profile, timezone.now())  # refuses an organization without one
