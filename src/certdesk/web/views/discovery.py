"""Discovery menu (seed 000 "Discovery (Découverte)"): scan tasks over the organization's networks
and the certificates they found.

Tasks: list (search, organization filter, server-side paging; HTMX refreshes the table only), add,
the task's page with its last runs, edit, delete (the confirmation helper), "Run now" (queues a run
for the worker: no scan ever runs in a web request). Discovered certificates: list (filter by task,
managed or not, expiry; search), a certificate's page with its locations and the import into the
SSL inventory. Who sees what: accounts.policy (MRAO; RAO/DRAO of SSL certificates).
"""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core.errors import DomainError
from certdesk.discovery import queries, services
from certdesk.discovery.models import DiscoveryTask, RunStatus

from ..forms.discovery import (PAGE_SIZES, SCHEDULE_LABELS, DiscoveredFilterForm, ImportForm, TaskFilterForm,
                               TaskForm)
from ..labels import translated
from ..paging import CappedPaginator
from .base import apply_error, confirmation, is_htmx, portal_view

PAGE_SIZE = 50
TASK_TABLE = "discovery-task-table"
CERTIFICATE_TABLE = "discovery-certificate-table"
RUN_STATUS_LABELS = {RunStatus.QUEUED: _l("Queued"), RunStatus.RUNNING: _l("Running"), RunStatus.DONE: _l("Done"),
                     RunStatus.FAILED: _l("Failed")}
NO_ROLE = _l("Discovery tasks are managed by MRAOs and by RAO/DRAO admins of SSL certificates: you hold no SSL role.")


def _org_label(org) -> str:
    return f"{org.parent.name} / {org.name}" if org.parent_id else org.name


def _organizations(actor) -> list:
    return list(queries.discovery_organizations(actor))


def _page_size(request: HttpRequest) -> int:
    try:
        if int(request.GET.get("size", "")) in PAGE_SIZES:
            return int(request.GET["size"])
    except ValueError:
        pass
    return PAGE_SIZE


def _target(organizations: list, org_id: int | None):
    return next((o for o in organizations if o.pk == org_id), None)


def _no_role(request: HttpRequest) -> HttpResponse:
    return render(request, "web/portal/error.html", {"title": _("Not allowed"), "text": NO_ROLE}, status=403)


# ---------------------------------------------------------------------------
# Tasks


@portal_view
def task_list(request: HttpRequest, actor) -> HttpResponse:
    organizations = _organizations(actor)
    form = TaskFilterForm(request.GET or None, organizations=organizations)
    values = form.values()
    tasks = queries.visible_tasks(actor, search=values["q"], organization_id=values["org"])
    page = CappedPaginator(tasks, _page_size(request)).get_page(request.GET.get("page"))
    rows = [{"task": t, "organization": _org_label(t.organization),
             "schedule": SCHEDULE_LABELS.get(t.schedule, t.schedule),
             "status": RUN_STATUS_LABELS.get(t.last_status, "")} for t in page.object_list]
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {"form": form, "rows": rows, "page": page, "query": urlencode(query), "filtered": bool(query),
               "invalid": bool(request.GET) and not form.is_valid(), "can_create": bool(organizations)}
    if is_htmx(request) and request.headers.get("HX-Target") == TASK_TABLE:
        return render(request, "web/discovery/_partials/task_table.html", context)
    return render(request, "web/discovery/task_list.html", context)


@portal_view
def task_create(request: HttpRequest, actor) -> HttpResponse:
    organizations = _organizations(actor)
    if not organizations:
        return _no_role(request)
    status = 200
    if request.method == "POST":
        form = TaskForm(request.POST, organizations=organizations)
        if form.is_valid():
            organization = _target(organizations, form.cleaned_data["organization"])
            try:
                task = services.create_task(actor, organization, **form.service_values())
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("Discovery task %(name)s added.") % {"name": task.name})
                return redirect("web:discovery-detail", pk=task.pk)
        status = 400
    else:
        initial = {"organization": organizations[0].pk} if len(organizations) == 1 else {}
        form = TaskForm(initial=initial, organizations=organizations)
    return render(request, "web/discovery/task_create.html", {"form": form}, status=status)


@portal_view
def task_detail(request: HttpRequest, actor, pk) -> HttpResponse:
    task = queries.get_task(actor, pk)
    runs = [{"run": run, "status": RUN_STATUS_LABELS.get(run.status, run.status)}
            for run in queries.recent_runs(task)]
    finished = [row["run"] for row in runs if row["run"].status in (RunStatus.DONE, RunStatus.FAILED)]
    context = {
        "task": task, "organization": _org_label(task.organization), "runs": runs,
        "schedule": SCHEDULE_LABELS.get(task.schedule, task.schedule),
        "last_failures": finished[0].failure_samples if finished else [],
        # While a run waits or works, the runs panel refreshes itself (HTMX polling, no script).
        "pending": any(row["run"].status in (RunStatus.QUEUED, RunStatus.RUNNING) for row in runs),
        "can_manage": policy.can(actor, Perm.MANAGE_DISCOVERY, task.organization),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "discovery-runs":
        return render(request, "web/discovery/_partials/task_runs.html", context)
    return render(request, "web/discovery/task_detail.html", context)


def _initial(task: DiscoveryTask) -> dict:
    return {"organization": task.organization_id, "name": task.name, "targets": task.targets,
            "ports": task.ports, "schedule": task.schedule, "timeout": task.timeout}


@portal_view
def task_edit(request: HttpRequest, actor, pk) -> HttpResponse:
    task = queries.get_task(actor, pk)
    policy.require(actor, Perm.MANAGE_DISCOVERY, task.organization)
    organizations = _organizations(actor)
    status = 200
    if request.method == "POST":
        form = TaskForm(request.POST, organizations=organizations)
        if form.is_valid():
            organization = _target(organizations, form.cleaned_data["organization"])
            try:
                services.update_task(actor, task, organization=organization, **form.service_values())
            except DomainError as err:
                apply_error(form, err)
            else:
                messages.success(request, _("Discovery task saved."))
                return redirect("web:discovery-detail", pk=task.pk)
        status = 400
    else:
        form = TaskForm(initial=_initial(task), organizations=organizations)
    return render(request, "web/discovery/task_edit.html", {"form": form, "task": task}, status=status)


@require_POST
@portal_view
def task_delete(request: HttpRequest, actor, pk) -> HttpResponse:
    task = queries.get_task(actor, pk)
    policy.require(actor, Perm.MANAGE_DISCOVERY, task.organization)
    if (asked := confirmation(request, _l("Delete this discovery task?"),
                              _l("Its runs and the places where it saw certificates are deleted. Certificates "
                                 "already imported stay in the SSL inventory."), _l("Delete task"))):
        return asked
    name = task.name
    services.delete_task(actor, task)
    messages.success(request, _("Discovery task %(name)s deleted.") % {"name": name})
    return redirect("web:discovery-list")


@require_POST
@portal_view
def task_run(request: HttpRequest, actor, pk) -> HttpResponse:
    task = queries.get_task(actor, pk)
    try:
        services.start_run(actor, task)
    except DomainError as err:
        if err.status in (403, 404):
            raise
        messages.error(request, translated(err.message))
    else:
        messages.success(request, _("The scan of %(name)s is queued: the worker runs it in the background; this "
                                    "page follows its progress.") % {"name": task.name})
    return redirect("web:discovery-detail", pk=task.pk)


# ---------------------------------------------------------------------------
# Discovered certificates


@portal_view
def certificate_list(request: HttpRequest, actor) -> HttpResponse:
    tasks = list(queries.visible_tasks(actor).select_related(None).only("id", "name"))
    form = DiscoveredFilterForm(request.GET or None, tasks=tasks)
    found = queries.visible_discovered(actor, **form.values()).select_related("certificate")
    page = CappedPaginator(found, _page_size(request)).get_page(request.GET.get("page"))
    items = list(page.object_list)
    counts = queries.location_counts(actor, [d.pk for d in items])
    rows = [{"discovered": d, "locations": counts.get(d.pk, 0)} for d in items]
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {"form": form, "rows": rows, "page": page, "query": urlencode(query), "filtered": bool(query),
               "invalid": bool(request.GET) and not form.is_valid()}
    if is_htmx(request) and request.headers.get("HX-Target") == CERTIFICATE_TABLE:
        return render(request, "web/discovery/_partials/certificate_table.html", context)
    return render(request, "web/discovery/certificate_list.html", context)


def _certificate_context(actor, discovered, form=None) -> dict:
    organizations = _organizations(actor)
    can_import = discovered.certificate_id is None and bool(organizations)
    if form is None and can_import:
        locations = queries.locations(actor, discovered)
        task_orgs = {loc.task.organization_id for loc in locations}
        initial = next((o.pk for o in organizations if o.pk in task_orgs), None)
        form = ImportForm(initial={"organization": initial}, organizations=organizations)
    return {"discovered": discovered, "locations": queries.locations(actor, discovered), "form": form,
            "can_import": can_import,
            "can_view_certificate": discovered.certificate is not None and policy.can(
                actor, Perm.VIEW_SSL, discovered.certificate)}


@portal_view
def certificate_detail(request: HttpRequest, actor, pk) -> HttpResponse:
    discovered = queries.get_discovered(actor, pk)
    return render(request, "web/discovery/certificate_detail.html", _certificate_context(actor, discovered))


@require_POST
@portal_view
def certificate_import(request: HttpRequest, actor, pk) -> HttpResponse:
    discovered = queries.get_discovered(actor, pk)
    organizations = _organizations(actor)
    form = ImportForm(request.POST, organizations=organizations)
    if form.is_valid():
        organization = _target(organizations, form.cleaned_data["organization"])
        try:
            certificate = services.import_discovered(actor, discovered, organization,
                                                     comments=form.cleaned_data["comments"])
        except DomainError as err:
            if err.status == 404 and err.field is None:
                raise
            apply_error(form, err, {"cert": "organization"})
        else:
            messages.success(request, _("The certificate is now in the SSL inventory."))
            return redirect("web:certificate-detail", pk=certificate.pk)
    return render(request, "web/discovery/certificate_detail.html",
                  _certificate_context(actor, discovered, form), status=400)
