"""The verbs of discovery: add, change and delete scan tasks, start a run, run it (the worker),
start the scheduled runs, and file a discovered certificate in the SSL inventory.

Who may: accounts.policy (MRAO; RAO/DRAO of SSL certificates for their organizations and
departments). Scans never run in a web request: `start_run` records a queued run and enqueues it
after commit; the worker's `execute_run` does the network part without holding a transaction, then
writes what it saw in one.
"""
from __future__ import annotations

import hashlib
import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterator

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core import audit, queue, validators
from certdesk.core.actor import Actor, Interface
from certdesk.core.errors import DomainError
from certdesk.core.i18n import msg
from certdesk.tenancy.models import Organization

from . import scanner, targets as targets_module
from .errors import DiscoveryInvalid, RunPending
from .models import DiscoveredCertificate, DiscoveredLocation, DiscoveryRun, DiscoveryTask, RunStatus, Schedule

logger = logging.getLogger("certdesk.discovery")

NAME_LENGTH = 128
TIMEOUT_RANGE = (1, 30)
FAILURE_SAMPLES = 200
# A run queued or running for this long beyond the longest its task can take (`longest_run`) is
# taken for lost with its worker: a new one may start.
PENDING_STALE = timedelta(hours=6)
SCHEDULE_PERIODS = {Schedule.DAILY: timedelta(days=1), Schedule.WEEKLY: timedelta(days=7)}
AUDITED = ("name", "organization", "targets", "ports", "schedule", "timeout")
BATCH = 500


# ---------------------------------------------------------------------------
# Cleaning


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "name" in values:
        cleaned["name"] = validators.plain_text(values["name"], field="name", label=msg("Name"), required=True,
                                                max_length=NAME_LENGTH)
    if "targets" in values:
        parsed = targets_module.parse_targets(values["targets"])
        cleaned["targets"] = targets_module.format_targets(parsed)
        cleaned["_targets"] = parsed
    if "ports" in values:
        ports = targets_module.parse_ports(values["ports"])
        cleaned["ports"] = targets_module.format_ports(ports)
        cleaned["_ports"] = ports
    if "schedule" in values:
        schedule = str(values["schedule"] or Schedule.NONE).strip().upper()
        if schedule not in Schedule.values:
            raise DiscoveryInvalid(msg("Schedule must be NONE, DAILY or WEEKLY."), field="schedule")
        cleaned["schedule"] = schedule
    if "timeout" in values:
        try:
            timeout = int(values["timeout"])
        except (TypeError, ValueError):
            timeout = 0
        if isinstance(values["timeout"], bool) or not TIMEOUT_RANGE[0] <= timeout <= TIMEOUT_RANGE[1]:
            raise DiscoveryInvalid(msg("The timeout is a number of seconds from %(low)s to %(high)s.",
                                       low=TIMEOUT_RANGE[0], high=TIMEOUT_RANGE[1]), field="timeout")
        cleaned["timeout"] = timeout
    return cleaned


def _probe_count(task_targets: str, ports: str) -> int:
    count = targets_module.probe_count(targets_module.parse_targets(task_targets), targets_module.parse_ports(ports))
    targets_module.check_probe_cap(count)
    return count


def _save(task: DiscoveryTask, **kwargs) -> None:
    try:
        with transaction.atomic():
            task.save(**kwargs)
    except IntegrityError:
        raise DiscoveryInvalid(msg("A discovery task named “%(name)s” already exists in %(organization)s.",
                                   name=task.name, organization=str(task.organization)), field="name") from None


# ---------------------------------------------------------------------------
# Tasks


@transaction.atomic
def create_task(actor: Actor, organization: Organization, *, name: str, targets: str, ports: str = "443",
                schedule: str = Schedule.NONE, timeout: int = 5) -> DiscoveryTask:
    """Add a scan task to an organization or department in the actor's SSL scope."""
    policy.require(actor, Perm.MANAGE_DISCOVERY, organization)
    values = _clean({"name": name, "targets": targets, "ports": ports, "schedule": schedule, "timeout": timeout})
    count = targets_module.probe_count(values.pop("_targets"), values.pop("_ports"))
    targets_module.check_probe_cap(count)
    task = DiscoveryTask(customer_id=organization.customer_id, organization=organization, probe_count=count,
                         created_by=actor.label[:200], **values)
    _save(task)
    audit.record(actor, "discovery.task_created", task, customer=organization.customer,
                 after=audit.snapshot(task, AUDITED))
    return task


def _locked(task: DiscoveryTask) -> DiscoveryTask:
    from .errors import DiscoveryTaskNotFound

    locked = DiscoveryTask.objects.select_for_update().select_related("organization", "customer").filter(
        pk=task.pk).first()
    if locked is None:
        raise DiscoveryTaskNotFound("Discovery task not found.")
    return locked


@transaction.atomic
def update_task(actor: Actor, task: DiscoveryTask, *, organization: Organization | None = None,
                **changes: Any) -> DiscoveryTask:
    """Change the fields given (name, targets, ports, schedule, timeout) and move the task to
    `organization` when given (the actor must manage discovery there too)."""
    task = _locked(task)
    policy.require(actor, Perm.MANAGE_DISCOVERY, task.organization)
    unknown = set(changes) - {"name", "targets", "ports", "schedule", "timeout"}
    if unknown:
        raise DiscoveryInvalid(msg("Unknown discovery task field(s): %(fields)s.", fields=", ".join(sorted(unknown))))
    if organization is not None and organization.pk != task.organization_id:
        policy.require(actor, Perm.MANAGE_DISCOVERY, organization)
        task.organization = organization
    before = audit.snapshot(task, AUDITED)
    values = _clean(changes)
    values.pop("_targets", None)
    values.pop("_ports", None)
    for name, value in values.items():
        setattr(task, name, value)
    task.probe_count = _probe_count(task.targets, task.ports)
    _save(task)
    after = audit.snapshot(task, AUDITED)
    changed = audit.diff(before, after)
    if changed:
        audit.record(actor, "discovery.task_updated", task, customer=task.customer, changes=changed)
    return task


@transaction.atomic
def delete_task(actor: Actor, task: DiscoveryTask) -> None:
    """Delete a task, its runs and where it saw certificates; certificates no task sees any more go too
    (an imported one stays in the SSL inventory)."""
    task = _locked(task)
    policy.require(actor, Perm.MANAGE_DISCOVERY, task.organization)
    seen = list(task.locations.values_list("discovered_id", flat=True).distinct())
    audit.record(actor, "discovery.task_deleted", task, customer=task.customer, name=task.name,
                 organization=task.organization_id)
    task.delete()
    for start in range(0, len(seen), BATCH):
        DiscoveredCertificate.objects.filter(pk__in=seen[start:start + BATCH], locations__isnull=True).delete()


# ---------------------------------------------------------------------------
# Runs


def longest_run(task: DiscoveryTask) -> timedelta:
    """The longest a run of the task may take: every probe waiting its timeout twice (connect, then
    handshake), `DISCOVERY_CONCURRENCY` at a time."""
    rounds = -(-max(task.probe_count, 1) // max(1, settings.DISCOVERY_CONCURRENCY))
    return timedelta(seconds=rounds * task.timeout * 2)


def _pending(task: DiscoveryTask, now: datetime):
    """Its runs waiting or in progress; one older than the longest the task can take (plus
    PENDING_STALE for the queue) was lost with its worker and no longer blocks a new run."""
    stale = PENDING_STALE + longest_run(task)
    return task.runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING], queued_at__gt=now - stale)


def _queue_run(task: DiscoveryTask, *, requested_by: str, scheduled: bool, now: datetime) -> DiscoveryRun:
    from . import tasks

    run = DiscoveryRun.objects.create(task=task, status=RunStatus.QUEUED, scheduled=scheduled,
                                      requested_by=requested_by[:200], queued_at=now)
    queue.enqueue_on_commit(tasks.run_discovery, run.pk)
    return run


@transaction.atomic
def start_run(actor: Actor, task: DiscoveryTask) -> DiscoveryRun:
    """"Run now": queue a run for the worker (refused while one is waiting or in progress)."""
    task = _locked(task)
    policy.require(actor, Perm.MANAGE_DISCOVERY, task.organization)
    now = timezone.now()
    if _pending(task, now).exists():
        raise RunPending(msg("A run of “%(name)s” is already queued or in progress.", name=task.name))
    run = _queue_run(task, requested_by=actor.label, scheduled=False, now=now)
    audit.record(actor, "discovery.run_queued", task, customer=task.customer, run=run.pk)
    return run


def start_due_runs(now: datetime | None = None) -> int:
    """Queue a run of every scheduled task whose period has passed since its last run (the periodic
    job). Idempotent: a task with a pending run, or run within its period, is left alone."""
    now = now or timezone.now()
    started = 0
    for schedule, period in SCHEDULE_PERIODS.items():
        due = (DiscoveryTask.objects.filter(schedule=schedule)
               .exclude(last_run_at__gt=now - period)
               .values_list("pk", flat=True).order_by("pk"))
        for task_id in list(due):
            with transaction.atomic():
                task = DiscoveryTask.objects.select_for_update().filter(pk=task_id).first()
                if task is None or _pending(task, now).exists():
                    continue
                # Counted as run from now on, so the next offer in this period does not queue it again.
                DiscoveryTask.objects.filter(pk=task.pk).update(last_run_at=now)
                _queue_run(task, requested_by="system:schedule", scheduled=True, now=now)
                started += 1
    return started


@dataclass
class _Seen:
    der: bytes
    locations: list[scanner.ProbeResult] = field(default_factory=list)


def _probes(task: DiscoveryTask, failures: list[dict]) -> Iterator[scanner.Probe]:
    """Every ip × port of the task, host names resolved now; addresses outside the allowed networks
    (a host name resolving outside them, or a setting narrowed since the task was saved) are failures."""
    ports = targets_module.parse_ports(task.ports)
    for line in task.target_list:
        target = targets_module.parse_target(line)
        if target.network is not None:
            if not targets_module.allowed(target.network):
                failures.append({"ip": target.text, "port": None, "host": "",
                                 "error": "outside the networks discovery may scan"})
                continue
            for ip in targets_module.addresses(target.network):
                for port in ports:
                    yield scanner.Probe(ip, port)
            continue
        try:
            resolved = scanner.resolve(target.host)
        except OSError as exc:
            failures.append({"ip": "", "port": None, "host": target.host,
                             "error": f"host name not resolved: {exc.strerror or exc}"[:500]})
            continue
        for ip in resolved:
            network = targets_module.host_network(ip)
            if not targets_module.allowed(network):
                failures.append({"ip": ip, "port": None, "host": target.host,
                                 "error": "outside the networks discovery may scan"})
                continue
            for port in ports:
                yield scanner.Probe(ip, port, target.host)


def execute_run(run_id: int) -> str:
    """Run a queued run (the worker). "skipped" when it is not queued (already taken, or gone)."""
    now = timezone.now()
    if not DiscoveryRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING,
                                                                                  started_at=now):
        return "skipped"
    run = DiscoveryRun.objects.select_related("task", "task__customer", "task__organization").get(pk=run_id)
    task = run.task
    failures: list[dict] = []
    failure_count = 0
    probes = 0
    seen: dict[str, _Seen] = {}
    try:
        # One more than the cap is enough to refuse a task whose host names resolve to too many addresses.
        resolved_probes = list(itertools.islice(_probes(task, failures), settings.DISCOVERY_MAX_PROBES + 1))
        failure_count = len(failures)
        targets_module.check_probe_cap(len(resolved_probes))
        for result in scanner.scan(resolved_probes, timeout=task.timeout, concurrency=settings.DISCOVERY_CONCURRENCY):
            probes += 1
            if result.ok:
                digest = hashlib.sha256(result.der).hexdigest()
                seen.setdefault(digest, _Seen(result.der)).locations.append(result)
            else:
                failure_count += 1
                if len(failures) < FAILURE_SAMPLES:
                    failures.append({"ip": result.probe.ip, "port": result.probe.port, "host": result.probe.host,
                                     "error": result.error})
    except DomainError as err:
        _finish_failed(run, str(err), failures, probes)
        return "failed"
    except Exception as exc:  # noqa: BLE001 - recorded on the run; the worker logs it
        logger.exception("discovery run %s failed", run_id)
        _finish_failed(run, f"{type(exc).__name__}: {exc}", failures, probes)
        return "failed"
    try:
        _record(run, seen, failures[:FAILURE_SAMPLES], failure_count, probes)
    except Exception as exc:  # noqa: BLE001 - the writes rolled back; the run says why
        logger.exception("discovery run %s could not be recorded", run_id)
        _finish_failed(run, f"{type(exc).__name__}: {exc}", failures, probes)
        return "failed"
    return "done"


def _finish_failed(run: DiscoveryRun, error: str, failures: list[dict], probes: int) -> None:
    now = timezone.now()
    with transaction.atomic():
        DiscoveryRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=now, error=error[:2000],
                                                      failure_samples=failures[:FAILURE_SAMPLES], probes=probes,
                                                      failures=len(failures))
        DiscoveryTask.objects.filter(pk=run.task_id).update(last_run_at=now, last_status=RunStatus.FAILED)
        audit.record(_system(run.task), "discovery.run_failed", run.task, customer=run.task.customer, run=run.pk,
                     error=error[:500])


def _system(task: DiscoveryTask) -> Actor:
    return Actor.system(task.customer, Interface.WORKER, label="system:discovery")


# ---------------------------------------------------------------------------
# What a certificate says


def _key(cert: x509.Certificate) -> tuple[str, int | None]:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return "", None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return "", None


def describe(der: bytes) -> dict[str, Any] | None:
    """The fields discovery keeps about a certificate; None when it cannot be read as X.509."""
    try:
        cert = x509.load_der_x509_certificate(der)
        subject, issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    except (ValueError, UnsupportedAlgorithm):
        return None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in san.get_values_for_type(x509.DNSName)] + [
            str(a) for a in san.get_values_for_type(x509.IPAddress)]
    except (x509.ExtensionNotFound, ValueError):
        names = []
    try:
        cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        common_name = str(cn[0].value) if cn else ""
    except ValueError:
        common_name = ""
    algorithm, size = _key(cert)
    serial = cert.serial_number
    return {"cert": cert, "sha1": hashlib.sha1(der).hexdigest(), "serial_hex": f"{serial:040x}"[-40:] if serial >= 0
            else "", "subject": subject[:4000], "issuer": issuer[:4000], "common_name": (common_name or
            (names[0] if names else ""))[:253], "subject_alt_names": names[:500], "not_before": not_before,
            "not_after": not_after, "key_algorithm": algorithm, "key_size": size}


def _signed_by_us(cert: x509.Certificate, authorities: list) -> bool:
    issuer = cert.issuer.rfc4514_string()
    for ca in authorities:
        if ca.subject != issuer:
            continue
        try:
            cert.verify_directly_issued_by(ca.certificate())
            return True
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            continue
    return False


def _inventory_matches(customer_id: int, described: dict[str, dict]) -> dict[str, int]:
    """sha256 → id of the inventory certificate that is this certificate: same SHA-1 of the DER in
    the customer, else a certificate certdesk issued with the same issuer and serial number."""
    from certdesk.certificates.models import Certificate

    by_sha1 = {info["sha1"]: digest for digest, info in described.items()}
    found: dict[str, int] = {}
    sha1s = list(by_sha1)
    for start in range(0, len(sha1s), BATCH):
        for pk, sha1 in Certificate.objects.filter(customer_id=customer_id, sha1_hash__in=sha1s[start:start + BATCH]
                                                   ).values_list("pk", "sha1_hash"):
            found.setdefault(by_sha1[sha1], pk)
    rest = {info["serial_hex"]: digest for digest, info in described.items() if digest not in found and
            info["serial_hex"]}
    serials = list(rest)
    for start in range(0, len(serials), BATCH):
        for pk, serial, ca_subject in Certificate.objects.filter(
                customer_id=customer_id, ca__isnull=False, serial_hex__in=serials[start:start + BATCH]
        ).values_list("pk", "serial_hex", "ca__subject"):
            digest = rest[serial]
            if described[digest]["issuer"] == ca_subject:
                found.setdefault(digest, pk)
    return found


_KEYS = ("id", "sha256", "certificate_id")


def _record(run: DiscoveryRun, seen: dict[str, _Seen], failures: list[dict], failure_count: int,
            probes: int) -> None:
    from certdesk.ca.models import CertificateAuthority

    task = run.task
    now = timezone.now()
    described: dict[str, dict] = {}
    for digest, item in seen.items():
        info = describe(item.der)
        if info is None:
            failure_count += len(item.locations)
            for result in item.locations[:max(0, FAILURE_SAMPLES - len(failures))]:
                failures.append({"ip": result.probe.ip, "port": result.probe.port, "host": result.probe.host,
                                 "error": "the certificate sent cannot be read as X.509"})
            continue
        described[digest] = info
    endpoints = sum(len(seen[d].locations) for d in described)
    authorities = list(CertificateAuthority.objects.all())
    with transaction.atomic():
        existing = {}
        digests = list(described)
        for start in range(0, len(digests), BATCH):
            existing.update({d.sha256: d for d in DiscoveredCertificate.objects.select_for_update().filter(
                customer_id=task.customer_id, sha256__in=digests[start:start + BATCH]).only(*_KEYS)})
        unmatched = {d: info for d, info in described.items()
                     if d not in existing or existing[d].certificate_id is None}
        matches = _inventory_matches(task.customer_id, unmatched)
        new = []
        for digest, info in described.items():
            if digest in existing:
                continue
            new.append(DiscoveredCertificate(
                customer_id=task.customer_id, sha256=digest, der=seen[digest].der, first_seen=now, last_seen=now,
                chain_verified=_signed_by_us(info["cert"], authorities), certificate_id=matches.get(digest),
                **{k: v for k, v in info.items() if k != "cert"}))
        # A run of another task may have just added the same certificate: theirs is kept, ours skipped.
        DiscoveredCertificate.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
        for start in range(0, len(digests), BATCH):
            existing.update({d.sha256: d for d in DiscoveredCertificate.objects.filter(
                customer_id=task.customer_id, sha256__in=digests[start:start + BATCH]).only(*_KEYS)})
        seen_ids = [existing[digest].pk for digest in described]
        for start in range(0, len(seen_ids), BATCH):
            DiscoveredCertificate.objects.filter(pk__in=seen_ids[start:start + BATCH]).update(last_seen=now)
        linked = [existing[d] for d in described if existing[d].certificate_id is None and d in matches]
        for row in linked:
            row.certificate_id = matches[row.sha256]
        DiscoveredCertificate.objects.bulk_update(linked, ["certificate"], batch_size=BATCH)
        _record_locations(task, {digest: existing[digest].pk for digest in described}, seen, now)
        DiscoveryRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE, finished_at=now, probes=probes, endpoints=endpoints, certificates=len(described),
            new_certificates=len(new), failures=failure_count, failure_samples=failures[:FAILURE_SAMPLES])
        DiscoveryTask.objects.filter(pk=task.pk).update(
            last_run_at=run.started_at or now, last_status=RunStatus.DONE, last_endpoints=endpoints,
            last_certificates=len(described), last_failures=failure_count)
        audit.record(_system(task), "discovery.run_finished", task, customer=task.customer, run=run.pk,
                     probes=probes, endpoints=endpoints, certificates=len(described), new_certificates=len(new),
                     failures=failure_count)


def _record_locations(task: DiscoveryTask, ids: dict[str, int], seen: dict[str, _Seen], now: datetime) -> None:
    current = {(loc.discovered_id, loc.ip, loc.port, loc.host): loc for loc in DiscoveredLocation.objects.filter(
        task=task, discovered_id__in=list(ids.values()))} if len(ids) <= BATCH else {
        (loc.discovered_id, loc.ip, loc.port, loc.host): loc for loc in DiscoveredLocation.objects.filter(task=task)}
    create, again, changed = [], [], []
    for digest, discovered_id in ids.items():
        for result in seen[digest].locations:
            key = (discovered_id, result.probe.ip, result.probe.port, result.probe.host)
            row = current.get(key)
            version, cipher = result.tls_version[:16], result.cipher[:128]
            if row is None:
                row = DiscoveredLocation(discovered_id=discovered_id, task=task, ip=result.probe.ip,
                                         port=result.probe.port, host=result.probe.host, first_seen=now,
                                         last_seen=now, tls_version=version, cipher=cipher)
                current[key] = row
                create.append(row)
            elif row.pk is not None:
                again.append(row.pk)
                if (row.tls_version, row.cipher) != (version, cipher):
                    row.tls_version, row.cipher = version, cipher
                    changed.append(row)
    DiscoveredLocation.objects.bulk_create(create, batch_size=BATCH)
    # Seen again: one UPDATE per batch; the TLS parameters only where the server changed them.
    for start in range(0, len(again), BATCH):
        DiscoveredLocation.objects.filter(pk__in=again[start:start + BATCH]).update(last_seen=now)
    DiscoveredLocation.objects.bulk_update(changed, ["tls_version", "cipher"], batch_size=BATCH)


# ---------------------------------------------------------------------------
# Import into the SSL inventory


def import_discovered(actor: Actor, discovered: DiscoveredCertificate, organization: Organization, *,
                      comments: str = ""):
    """File an unmanaged discovered certificate in the SSL inventory of an organization or department in
    the actor's scope, through the one import service (requestedVia "Discovery")."""
    from certdesk.certificates import imports

    if discovered.certificate_id is not None:
        raise DiscoveryInvalid(msg("This certificate is already in the SSL inventory."), field="organization")
    pem = discovered.x509().public_bytes(serialization.Encoding.PEM).decode("ascii")
    with transaction.atomic():
        certificate = imports.import_certificate(actor, organization=organization, certificate_text=pem,
                                                 comments=comments, requested_via=imports.DISCOVERED)
        DiscoveredCertificate.objects.filter(pk=discovered.pk).update(certificate=certificate)
        discovered.certificate = certificate
        audit.record(actor, "discovery.certificate_imported", discovered, customer=organization.customer,
                     certificate=certificate.pk, organization=organization.pk, sha256=discovered.sha256)
    return certificate

