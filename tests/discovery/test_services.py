"""Tasks: what is accepted and refused (targets, ports, allowed networks, the probe cap), who may
add and see them, and the import of a discovered certificate into the SSL inventory."""
from __future__ import annotations

import ipaddress

import pytest
from cryptography.hazmat.primitives import serialization

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.certificates.models import Certificate
from certdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from certdesk.discovery import queries, services, targets
from certdesk.discovery.errors import OutsideAllowedNetworks, TooManyProbes
from certdesk.discovery.models import DiscoveredCertificate, DiscoveredLocation, DiscoveryTask

from ..conftest import actor_for
from .conftest import ports_of

pytestmark = pytest.mark.django_db


def test_targets_and_ports_are_normalized(mrao_actor, physics):
    task = services.create_task(mrao_actor, physics, name=" Lab ", targets="127.0.0.1, [::1]\n127.0.0.8/29 ::1 "
                                "LocalHost.", ports="8443 443,9000-9002, 443")
    assert task.name == "Lab"
    assert task.target_list == ["127.0.0.1", "::1", "127.0.0.8/29", "localhost"]
    assert task.ports == "443,8443,9000-9002"
    assert task.probe_count == (1 + 1 + 8 + 1) * 5


def test_ports_default_to_443(mrao_actor, physics):
    assert services.create_task(mrao_actor, physics, name="x", targets="127.0.0.1", ports="").ports == "443"


@pytest.mark.parametrize("value, field, text", [
    ("", "targets", "Give at least one target"),
    ("127.0.0.300", "targets", "“127.0.0.300” is not an IP address, a CIDR range or a host name."),
    ("127.0.0.0/33", "targets", "is not a valid CIDR range"),
    ("bad_name!", "targets", "is not an IP address"),
    ("192.0.2.1", "targets", "192.0.2.1 is outside the networks discovery may scan (127.0.0.0/8, ::1/128)."),
    ("10.0.0.0/8", "targets", "outside the networks discovery may scan"),
    ("2001:db8::1", "targets", "outside the networks discovery may scan"),
])
def test_bad_targets_are_refused_with_the_field_named(mrao_actor, physics, value, field, text):
    with pytest.raises(InvalidInput) as err:
        services.create_task(mrao_actor, physics, name="x", targets=value, ports="443")
    assert err.value.field == field and text in err.value.message
    assert not DiscoveryTask.objects.exists()


@pytest.mark.parametrize("value, text", [
    ("0", "Port 0 is out of range"), ("65536", "Port 65536 is out of range"), ("https", "“https” is not a port"),
    ("9000-8000", "reversed"), ("1-2-3", "is not a port"), ("-5", "is not a port"),
])
def test_bad_ports_are_refused(mrao_actor, physics, value, text):
    with pytest.raises(InvalidInput) as err:
        services.create_task(mrao_actor, physics, name="x", targets="127.0.0.1", ports=value)
    assert err.value.field == "ports" and text in err.value.message


@pytest.mark.parametrize("timeout", [0, 31, "soon", True])
def test_bad_timeouts_are_refused(mrao_actor, physics, timeout):
    with pytest.raises(InvalidInput) as err:
        services.create_task(mrao_actor, physics, name="x", targets="127.0.0.1", timeout=timeout)
    assert err.value.field == "timeout"


def test_bad_schedule_is_refused(mrao_actor, physics):
    with pytest.raises(InvalidInput) as err:
        services.create_task(mrao_actor, physics, name="x", targets="127.0.0.1", schedule="hourly")
    assert err.value.field == "schedule"


def test_probe_cap_refuses_with_the_count(mrao_actor, physics):
    # 127.0.0.0/16 × 2 ports = 131,072 probes > 65,536
    with pytest.raises(TooManyProbes) as err:
        services.create_task(mrao_actor, physics, name="x", targets="127.0.0.0/16", ports="443,8443")
    assert err.value.message == ("This task would make 131072 probes (addresses × ports): at most 65536 are allowed. "
                                 "Narrow the ranges or the ports, or split the task.")
    ok = services.create_task(mrao_actor, physics, name="ok", targets="127.0.0.0/16", ports="443")
    assert ok.probe_count == 65536


def test_the_allowed_networks_default_to_any(settings):
    from certdesk import settings as project

    assert [str(n) for n in project.DISCOVERY_ALLOWED_NETWORKS] == ["0.0.0.0/0", "::/0"]
    assert targets.allowed(ipaddress.ip_network("192.0.2.0/24"), project.DISCOVERY_ALLOWED_NETWORKS)


def test_duplicate_names_in_one_organization_are_refused(mrao_actor, physics, chemistry):
    services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1")
    services.create_task(mrao_actor, chemistry, name="LAN", targets="127.0.0.1")
    with pytest.raises(InvalidInput) as err:
        services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.2")
    assert err.value.field == "name"


def test_update_revalidates_and_moves_within_scope(mrao_actor, physics, chemistry, drao_physics):
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1")
    with pytest.raises(OutsideAllowedNetworks):
        services.update_task(mrao_actor, task, targets="192.0.2.1")
    task.refresh_from_db()
    assert task.targets == "127.0.0.1"
    services.update_task(mrao_actor, task, ports="443,8443", targets="127.0.0.0/30")
    task.refresh_from_db()
    assert (task.ports, task.probe_count) == ("443,8443", 8)
    with pytest.raises(NotFound):  # the DRAO of Physics cannot move it to Chemistry
        services.update_task(actor_for(drao_physics), task, organization=chemistry)


# ---------------------------------------------------------------------------
# Scope


def test_drao_sees_and_adds_tasks_of_its_department_only(mrao_actor, physics, chemistry, drao_physics,
                                                         drao_chemistry, rao_univ):
    services.create_task(mrao_actor, physics, name="phys", targets="127.0.0.1")
    services.create_task(mrao_actor, chemistry, name="chem", targets="127.0.0.2")
    drao = actor_for(drao_physics)
    assert [t.name for t in queries.visible_tasks(drao)] == ["phys"]
    assert [t.name for t in queries.visible_tasks(actor_for(rao_univ))] == ["chem", "phys"]
    chem = DiscoveryTask.objects.get(name="chem")
    with pytest.raises(NotFound):
        queries.get_task(drao, chem.pk)
    with pytest.raises(NotFound):
        services.create_task(drao, chemistry, name="x", targets="127.0.0.1")
    with pytest.raises(NotFound):
        services.delete_task(drao, chem)
    assert [o.name for o in queries.discovery_organizations(drao)] == ["Physics"]


def test_admins_without_an_ssl_role_do_not_manage_discovery(mrao_actor, univ):
    from certdesk.accounts import services as accounts

    from ..conftest import PASSWORD

    smime = accounts.create_admin(mrao_actor, login="rao_smime", email="smime@admins.example", forename="S",
                                  surname="Mime", password=PASSWORD, credentials=[{"role": "RAO_SMIME",
                                                                                   "orgId": univ.pk}],
                                  privileges=[], must_change_password=False)
    actor = actor_for(smime)
    with pytest.raises(PermissionDenied) as err:
        services.create_task(actor, univ, name="x", targets="127.0.0.1")
    assert "no SSL role" in err.value.message
    assert not policy.can(actor, Perm.VIEW_DISCOVERY, univ)
    assert list(queries.visible_tasks(actor)) == []


def test_other_customers_never_see_tasks_or_certificates(mrao_actor, physics, other_mrao, lan):
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1", ports=ports_of(lan))
    run = services.start_run(mrao_actor, task)
    services.execute_run(run.pk)
    other = actor_for(other_mrao)
    assert list(queries.visible_tasks(other)) == []
    assert list(queries.visible_discovered(other)) == []


def test_discovered_certificates_follow_the_scope_of_the_tasks_that_saw_them(mrao_actor, physics, chemistry,
                                                                             drao_physics, drao_chemistry, lan):
    one = services.create_task(mrao_actor, physics, name="phys", targets="127.0.0.1",
                               ports=str(lan["unmanaged"].port))
    two = services.create_task(mrao_actor, chemistry, name="chem", targets="127.0.0.1",
                               ports=str(lan["managed"].port))
    for task in (one, two):
        services.execute_run(services.start_run(mrao_actor, task).pk)
    phys = [d.common_name for d in queries.visible_discovered(actor_for(drao_physics))]
    chem = [d.common_name for d in queries.visible_discovered(actor_for(drao_chemistry))]
    assert phys == ["intranet.example.org"] and chem == ["www.physics.example.org"]
    managed = queries.visible_discovered(mrao_actor, managed=True)
    assert [d.common_name for d in managed] == ["www.physics.example.org"]
    assert [d.common_name for d in queries.visible_discovered(mrao_actor, managed=False)] == ["intranet.example.org"]
    assert [d.common_name for d in queries.visible_discovered(mrao_actor, search="wiki.example")] == [
        "intranet.example.org"]
    assert list(queries.visible_discovered(mrao_actor, expiring_days=30)) == []
    assert len(queries.visible_discovered(mrao_actor, expiring_days=90)) == 2
    with pytest.raises(NotFound):
        queries.get_discovered(actor_for(drao_physics), DiscoveredCertificate.objects.get(
            common_name="www.physics.example.org").pk)


def test_deleting_a_task_removes_what_only_it_saw(mrao_actor, physics, chemistry, lan):
    one = services.create_task(mrao_actor, physics, name="one", targets="127.0.0.1", ports=ports_of(lan))
    two = services.create_task(mrao_actor, chemistry, name="two", targets="127.0.0.1",
                               ports=str(lan["unmanaged"].port))
    for task in (one, two):
        services.execute_run(services.start_run(mrao_actor, task).pk)
    services.delete_task(mrao_actor, one)
    assert [d.common_name for d in DiscoveredCertificate.objects.all()] == ["intranet.example.org"]
    assert DiscoveredLocation.objects.count() == 1


# ---------------------------------------------------------------------------
# Import


def test_import_files_an_unmanaged_certificate_requested_via_discovery(mrao_actor, physics, rao_univ, lan,
                                                                       unmanaged_pair):
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1",
                                ports=str(lan["unmanaged"].port))
    services.execute_run(services.start_run(mrao_actor, task).pk)
    found = DiscoveredCertificate.objects.get()
    cert = services.import_discovered(actor_for(rao_univ), found, physics, comments="found on the LAN")
    assert (cert.requested_via, cert.organization_id, cert.status, cert.comments) == (
        "Discovery", physics.pk, "ISSUED", "found on the LAN")
    assert cert.subject_alt_names == ["intranet.example.org", "wiki.example.org"]
    assert bytes(cert.der) == unmanaged_pair[0].public_bytes(serialization.Encoding.DER)
    found.refresh_from_db()
    assert found.certificate_id == cert.pk
    with pytest.raises(InvalidInput):
        services.import_discovered(mrao_actor, found, physics)
    assert Certificate.objects.filter(requested_via="Discovery").count() == 1


def test_import_outside_scope_is_refused_and_writes_nothing(mrao_actor, physics, chemistry, drao_physics, lan):
    task = services.create_task(mrao_actor, physics, name="LAN", targets="127.0.0.1",
                                ports=str(lan["unmanaged"].port))
    services.execute_run(services.start_run(mrao_actor, task).pk)
    found = DiscoveredCertificate.objects.get()
    with pytest.raises(NotFound):
        services.import_discovered(actor_for(drao_physics), found, chemistry)
    found.refresh_from_db()
    assert found.certificate_id is None
    assert not Certificate.objects.filter(requested_via="Discovery").exists()
