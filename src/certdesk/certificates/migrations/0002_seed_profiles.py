"""Seed the shared SSL profiles of seed 003 §7.1 (names as certdesk-decisions "SSL" gives them)."""
from django.db import migrations

# Frozen copy of certdesk.certificates.profiles.SEEDED_PROFILES at the time of this migration:
# later edits to the module must not change what an old migration inserts.
DEFAULTS = {
    "kind": "SSL", "validation_level": "OV", "terms": [47, 100, 200, 365, 398],
    "key_types": {"RSA": ["2048", "3072", "4096"], "EC": ["P-256", "P-384"]},
    "max_sans": 0, "wildcard": "FORBIDDEN", "auto_www_san": False, "signature_algorithm": "SHA384withRSA",
    "ou_allowed": False, "extra_policy_oids": [], "validation_only": False, "description": "",
}
PROFILES = [
    {"name": "OV SSL", "max_sans": 0, "auto_www_san": True,
     "description": "A certificate for a single hostname, with www.{hostname} added automatically as a SAN "
                    "(or the bare name when the hostname starts with www.)."},
    {"name": "OV Multi-Domain", "max_sans": 250,
     "description": "A certificate for the specified hostname and a set of optional SANs."},
    {"name": "Unified Communications", "max_sans": 100,
     "description": "Multi-name certificate usually needed for specific purposes such as Exchange servers."},
    {"name": "Wildcard SSL", "max_sans": 0, "wildcard": "REQUIRED",
     "description": "A certificate for one wildcard name such as *.example.org."},
    {"name": "EV SSL", "validation_level": "EV", "max_sans": 0, "auto_www_san": True,
     "description": "Extended validation for a single hostname, with www.{hostname} added automatically. "
                    "Needs an issued EV anchor covering the names and a second admin's approval."},
    {"name": "EV Multi-Domain", "validation_level": "EV", "max_sans": 250,
     "description": "Extended validation for the specified hostname and optional SANs. Needs an issued EV "
                    "anchor covering the names and a second admin's approval."},
    {"name": "IGTF Multi-Domain", "max_sans": 100, "terms": [200, 365, 395],
     "extra_policy_oids": ["1.2.840.113612.5.2.2.1"],
     "description": "OV certificate for the hostname and optional SANs, for interoperation with IGTF "
                    "(grid) services only."},
    {"name": "EV Anchor", "validation_level": "EV", "max_sans": 250, "validation_only": True, "terms": [365],
     "description": "Validation only (no certificate is signed): lists the domains under which EV "
                    "certificates may be issued. Keep one active per organization; a second admin approves."},
]


def seed(apps, schema_editor):
    Profile = apps.get_model("certificates", "Profile")
    for position, spec in enumerate(PROFILES, start=1):
        values = {**DEFAULTS, **spec}
        name = values.pop("name")
        Profile.objects.get_or_create(customer=None, kind=values["kind"], name=name,
                                      defaults={**values, "position": position})


def unseed(apps, schema_editor):
    Profile = apps.get_model("certificates", "Profile")
    Profile.objects.filter(customer=None, name__in=[p["name"] for p in PROFILES], certificates__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("certificates", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
