"""Permissions, once: who may do which action on which object, for which certificate type.

The portal, the REST API and ACME all ask here. Out of scope answers exactly like
missing (NotFound), so ids of other tenants, organizations or departments cannot be
probed; in scope but not allowed is PermissionDenied.
"""
from __future__ import annotations

from enum import Enum
from typing import Iterable

from django.db.models import Q, QuerySet

from certdesk.core.actor import Actor, Interface
from certdesk.core.errors import NotFound, PermissionDenied
from certdesk.certificates.models import Certificate
from certdesk.core.i18n import msg
from certdesk.domains.models import Delegation, Domain
from certdesk.persons.models import Person
from certdesk.tenancy.models import Organization

from .models import Admin, Credential
from .roles import LEVEL_RANK, ROLE_PRIVILEGES, Level, Privilege, Role


class Perm(str, Enum):
    VIEW_ORGANIZATION = "view_organization"
    CREATE_ORGANIZATION = "create_organization"
    EDIT_ORGANIZATION = "edit_organization"
    EDIT_EV_DETAILS = "edit_ev_details"
    DELETE_ORGANIZATION = "delete_organization"
    CREATE_DEPARTMENT = "create_department"
    EDIT_DEPARTMENT = "edit_department"
    SUBMIT_VALIDATION = "submit_validation"
    DECIDE_VALIDATION = "decide_validation"
    VIEW_ADMIN = "view_admin"
    CREATE_ADMIN = "create_admin"
    EDIT_ADMIN = "edit_admin"
    DELETE_ADMIN = "delete_admin"
    RESET_PASSWORD = "reset_password"
    VIEW_AUDIT = "view_audit"
    # domains, delegations and DCV (issue 3)
    VIEW_DOMAIN = "view_domain"
    CREATE_DOMAIN = "create_domain"
    EDIT_DOMAIN = "edit_domain"
    DELETE_DOMAIN = "delete_domain"
    SUSPEND_DOMAIN = "suspend_domain"
    EDIT_DOMAIN_CONTACTS = "edit_domain_contacts"
    DELEGATE_DOMAIN = "delegate_domain"
    APPROVE_DELEGATION = "approve_delegation"
    MANAGE_DCV = "manage_dcv"
    CONFIGURE_DCV = "configure_dcv"
    # SSL certificates (issue 4)
    REQUEST_SSL = "request_ssl"
    APPROVE_SSL = "approve_ssl"
    DECLINE_SSL = "decline_ssl"
    REVOKE_SSL = "revoke_ssl"
    RENEW_SSL = "renew_ssl"
    VIEW_SSL = "view_ssl"
    EDIT_SSL = "edit_ssl"
    # IP access-control lists (issue 6)
    MANAGE_ACCESS_CONTROL = "manage_access_control"
    # ACME accounts (issue 5): an SSL role on the organization or department
    VIEW_ACME_ACCOUNT = "view_acme_account"
    MANAGE_ACME_ACCOUNT = "manage_acme_account"
    # SSL self-enrollment web form accounts (issue 4): an SSL role on the organization or department
    MANAGE_WEB_FORM = "manage_web_form"
    # Persons (future holders of client certificates): a client-certificate role on their organization
    VIEW_PERSON = "view_person"
    MANAGE_PERSON = "manage_person"
    # Client (S/MIME) certificates: requested by whoever manages the person's organization/department's
    # persons; the other certificate verbs are the SSL ones above, scoped by the certificate's kind
    REQUEST_SMIME = "request_smime"
    # Downloading an escrowed private key (PKCS #12): MRAO, the admin who requested the certificate, or
    # an admin with "Allow key recovery of client certificates" (clientCertKeyRecovery) in scope
    RECOVER_KEY = "recover_key"
    # Discovery tasks and what they found (seed 000 "Discovery"): an SSL role on the organization
    # or department the task belongs to (MRAO: the whole customer)
    VIEW_DISCOVERY = "view_discovery"
    MANAGE_DISCOVERY = "manage_discovery"


# ---------------------------------------------------------------------------
# Scope helpers


def _credentials(actor: Actor) -> list[Credential]:
    if actor.admin is None:
        return []
    return actor.admin.credential_list()


def is_mrao(actor: Actor) -> bool:
    return actor.admin is not None and actor.admin.is_mrao


def _has_privilege(actor: Actor, privilege: Privilege) -> bool:
    return actor.admin is not None and actor.admin.has_privilege(privilege)


def organization_ids(actor: Actor, cert_type: str | None = None) -> set[int] | None:
    """Ids of the organizations and departments the actor covers (None = the whole customer).

    With `cert_type`, only roles for that certificate type count.
    """
    if actor.admin is None or is_mrao(actor):
        return None
    key = ("org_ids", cert_type)
    if key in actor._cache:
        return actor._cache[key]
    ids: set[int] = set()
    rao_orgs: set[int] = set()
    for cred in _credentials(actor):
        role = cred.role_enum
        if cert_type is not None and role.cert_type != cert_type:
            continue
        if role.level is Level.ORGANIZATION:
            rao_orgs.add(cred.organization_id)
            ids.add(cred.organization_id)
        elif role.level is Level.DEPARTMENT:
            ids.add(cred.organization_id)
    if rao_orgs:
        ids.update(Organization.objects.filter(parent_id__in=rao_orgs).values_list("id", flat=True))
    actor._cache[key] = ids
    return ids


def scope(actor: Actor, qs: QuerySet, *, field: str = "", cert_type: str | None = None) -> QuerySet:
    """Filter any queryset to the actor's customer and organizations/departments.

    `field` is the path from the model to its Organization ("" for Organization itself,
    "organization" for a model with an organization FK).
    """
    prefix = f"{field}__" if field else ""
    if actor.customer is None:
        return qs.none()
    qs = qs.filter(**{f"{prefix}customer": actor.customer})
    ids = organization_ids(actor, cert_type)
    if ids is None:
        return qs
    return qs.filter(**{f"{prefix}id__in": ids})


def covers(actor: Actor, org: Organization, *, cert_type: str | None = None, min_level: Level | None = None) -> bool:
    """Whether the actor holds a role on `org` (or its parent), optionally of a type/level."""
    if actor.customer is None or org.customer_id != actor.customer.pk:
        return False
    if actor.admin is None:
        return True
    for cred in _credentials(actor):
        role = cred.role_enum
        if cert_type is not None and role.cert_type is not None and role.cert_type != cert_type:
            continue
        if min_level is not None and LEVEL_RANK[role.level] > LEVEL_RANK[min_level]:
            continue
        if role is Role.MRAO:
            return True
        if role.level is Level.ORGANIZATION and cred.organization_id in (org.pk, org.parent_id):
            return True
        if role.level is Level.DEPARTMENT and cred.organization_id == org.pk:
            return True
    return False


def _admin_within(actor: Actor, target: Admin) -> bool:
    """Every credential of `target` lies inside what the actor administers."""
    if actor.customer is None or target.customer_id != actor.customer.pk:
        return False
    if actor.admin is None or is_mrao(actor):
        return True
    creds = target.credential_list()
    if not creds:
        return False
    for cred in creds:
        role = cred.role_enum
        if role is Role.MRAO:
            return False
        org = cred.organization
        if role.level is Level.ORGANIZATION and not covers(actor, org, min_level=Level.ORGANIZATION):
            return False
        if role.level is Level.DEPARTMENT and not covers(actor, org):
            return False
    return True


def _admin_visible(actor: Actor, target: Admin) -> bool:
    if actor.customer is None or target.customer_id != actor.customer.pk:
        return False
    if actor.admin is not None and actor.admin.pk == target.pk:
        return True
    if actor.admin is None or is_mrao(actor):
        return True
    ids = organization_ids(actor)
    return any(c.organization_id in ids for c in target.credential_list())


def visible_admins(actor: Actor, qs: QuerySet | None = None) -> QuerySet:
    qs = Admin.objects.all() if qs is None else qs
    if actor.customer is None:
        return qs.none()
    qs = qs.filter(customer=actor.customer)
    if actor.admin is None or is_mrao(actor):
        return qs
    ids = organization_ids(actor)
    return qs.filter(Q(credentials__organization_id__in=ids) | Q(pk=actor.admin.pk)).distinct()


# ---------------------------------------------------------------------------
# Domains: visible through their delegations (issue 3)


def scope_domains(actor: Actor, qs: QuerySet | None = None) -> QuerySet:
    """Domains of the actor's customer delegated (in any status) to one of its organizations/departments."""
    qs = Domain.objects.all() if qs is None else qs
    if actor.customer is None:
        return qs.none()
    qs = qs.filter(customer=actor.customer)
    ids = organization_ids(actor)
    if ids is None:
        return qs
    return qs.filter(pk__in=Delegation.objects.filter(organization_id__in=ids).values("domain_id"))


def domain_visible(actor: Actor, domain: Domain) -> bool:
    if actor.customer is None or domain.customer_id != actor.customer.pk:
        return False
    ids = organization_ids(actor)
    return ids is None or domain.delegations.filter(organization_id__in=ids).exists()


def approves_delegation_to(actor: Actor, org: Organization) -> bool:
    """An MRAO, or a RAO of the organization (or of the department's organization) with approveDomainDelegation."""
    if actor.customer is None or org.customer_id != actor.customer.pk:
        return False
    if actor.admin is None or is_mrao(actor):
        return True
    return covers(actor, org, min_level=Level.ORGANIZATION) and _has_privilege(
        actor, Privilege.APPROVE_DOMAIN_DELEGATION
    )


def _require_domain(actor: Actor, perm: Perm, domain: Domain, delegation: Delegation | None = None) -> None:
    if not domain_visible(actor, domain):
        raise NotFound("Domain not found.", code=-701)
    mrao = actor.admin is None or is_mrao(actor)
    if perm is Perm.VIEW_DOMAIN:
        return
    if perm in (Perm.DELETE_DOMAIN, Perm.SUSPEND_DOMAIN, Perm.EDIT_DOMAIN_CONTACTS):
        if not mrao:
            raise PermissionDenied("Only an MRAO can do this to a domain.")
        return
    if perm in (Perm.EDIT_DOMAIN, Perm.DELEGATE_DOMAIN):
        if not mrao and not _has_privilege(actor, Privilege.ALLOW_MANAGE_DOMAINS):
            raise PermissionDenied("You do not have the privilege to manage domains (allowManageDomains).")
        if delegation is not None and not covers(actor, delegation.organization):
            raise PermissionDenied("This delegation is to an organization or department outside your scope.")
        return
    if perm is Perm.APPROVE_DELEGATION:
        if delegation is not None and approves_delegation_to(actor, delegation.organization):
            return
        raise PermissionDenied("Only an MRAO, or a RAO of the organization with the domain delegation approval "
                               "privilege (approveDomainDelegation), can approve or reject this delegation.")
    if perm is Perm.MANAGE_DCV:
        if not mrao and not _has_privilege(actor, Privilege.ALLOW_DCV):
            raise PermissionDenied("You do not have the DCV privilege (allowDCV).")
        return
    raise PermissionDenied("Not allowed.")


# ---------------------------------------------------------------------------
# API fences (issue 6): who edits IP access-control lists, and the Web API switches


def _require_access_control(actor: Actor, obj: Organization | None, mrao: bool) -> None:
    """An ACL is edited from above the admins it fences, never by them: the customer's and an
    organization's by an MRAO, a department's by an MRAO or a RAO of its organization (seed 001,
    step 3). A DRAO edits none; a RAO cannot loosen its own organization's."""
    if obj is None:
        if not mrao:
            raise PermissionDenied("Only an MRAO can edit the access control list of the customer.")
        return
    if not isinstance(obj, Organization) or not covers(actor, obj):
        raise NotFound("Organization not found.", code=-1023)
    if mrao:
        return
    if obj.is_department and covers(actor, obj, min_level=Level.ORGANIZATION):
        return
    raise PermissionDenied("Only an MRAO, or a RAO of the organization for one of its departments, can edit "
                           "this access control list.")


# Org/department flag that lets each certificate type be handled through the REST API (spec §2).
API_FLAGS = {"SSL": "ssl_certs_api_enabled", "SMIME": "client_certs_api_enabled"}
API_FLAG_NAMES = {"SSL": "sslCertsApiEnabled", "SMIME": "clientCertsApiEnabled"}


def _through_api(actor: Actor) -> bool:
    return actor.admin is not None and actor.interface == Interface.API


def api_enabled(org: Organization, cert_type: str) -> bool:
    flag = API_FLAGS.get(cert_type)
    return flag is None or bool(getattr(org, flag))


def require_api_enabled(actor: Actor, organization: Organization, cert_type: str, *,
                        secret_key: str | None = None) -> None:
    """Refuse, through the REST API, an operation on `cert_type` certificates of an organization or
    department whose Web API is not enabled for that type (sslCertsApiEnabled /
    clientCertsApiEnabled), or with a secret key that is not its own (seed 001 "Web API ... Secret
    Key"; checked only when the client sends one). The portal, ACME and the worker are not concerned.

    Call it after the scope check, with the organization or department the certificate belongs
    (or will belong) to, and with the target too when an operation moves a certificate."""
    if not _through_api(actor):
        return
    if not api_enabled(organization, cert_type):
        raise PermissionDenied(msg("%(cert_type)s certificates cannot be handled through the API for "
                                   "%(organization)s: its Web API is not enabled (%(flag)s).",
                                   cert_type=cert_type, organization=organization, flag=API_FLAG_NAMES[cert_type]))
    if secret_key not in (None, ""):
        from .access import web_api_secret_matches  # access builds on this module

        if not web_api_secret_matches(organization, secret_key):
            raise PermissionDenied(msg("Wrong Web API secret key for %(organization)s.", organization=organization))


def scope_api_enabled(actor: Actor, qs: QuerySet, cert_type: str, *, field: str = "organization") -> QuerySet:
    """Narrow a list read through the API to organizations/departments with the Web API enabled
    for `cert_type` (after `scope`); unchanged for the portal and for types without a flag."""
    flag = API_FLAGS.get(cert_type)
    if flag is None or not _through_api(actor):
        return qs
    prefix = f"{field}__" if field else ""
    return qs.filter(**{f"{prefix}{flag}": True})


def api_enabled_anywhere(actor: Actor, cert_type: str) -> bool:
    """Whether some organization or department in the actor's scope has the Web API enabled for
    `cert_type` (the early refusal of an admin fenced into organizations without it)."""
    flag = API_FLAGS.get(cert_type)
    if flag is None or not _through_api(actor):
        return True
    return scope(actor, Organization.objects.filter(**{flag: True}), cert_type=cert_type).exists()


# ---------------------------------------------------------------------------
# SSL certificates (issue 4): scoped by the certificate's organization/department and type


SSL_PERMS = frozenset({Perm.REQUEST_SSL, Perm.APPROVE_SSL, Perm.DECLINE_SSL, Perm.REVOKE_SSL, Perm.RENEW_SSL,
                       Perm.VIEW_SSL, Perm.EDIT_SSL})


def certificate_visible(actor: Actor, cert: Certificate) -> bool:
    """MRAO: all of the customer; RAO_SSL: its organization and departments; DRAO_SSL: its department."""
    if actor.customer is None or cert.customer_id != actor.customer.pk:
        return False
    return covers(actor, cert.organization, cert_type=cert.kind)


def _require_certificate(actor: Actor, perm: Perm, cert: Certificate) -> None:
    if not certificate_visible(actor, cert):
        raise NotFound("Certificate not found.", code=-124)
    if perm is Perm.RECOVER_KEY:
        if (actor.admin is None or is_mrao(actor) or cert.requester_id == actor.admin.pk
                or _has_privilege(actor, Privilege.CLIENT_CERT_KEY_RECOVERY)):
            return
        raise PermissionDenied("Only an MRAO, the admin who requested the certificate, or an admin allowed to "
                               "recover keys of client certificates (clientCertKeyRecovery) can download its "
                               "private key.")
    if perm not in SSL_PERMS:
        raise PermissionDenied("Not allowed.")
    if cert.kind == "SMIME":
        return  # a client-certificate role on the certificate's organization/department (checked above)
    if perm is Perm.EDIT_SSL and actor.admin is not None and not is_mrao(actor) and not _has_privilege(
            actor, Privilege.SSL_MANAGE):
        raise PermissionDenied("You do not have the privilege to change certificate details (sslManage).")
    if perm in (Perm.APPROVE_SSL, Perm.DECLINE_SSL) and not approves_certificates_of(actor, cert.organization):
        raise PermissionDenied("You do not have the privilege to approve or decline SSL requests (sslApprove).",
                               code=-3)


def approves_certificates_of(actor: Actor, org: Organization) -> bool:
    """Approving (and declining) SSL requests: an MRAO, a RAO SSL of the organization (the role carries
    it, roles.ROLE_PRIVILEGES), or an admin granted sslApprove (a DRAO SSL of the department). SCM's
    `sslApprove`; "SSL auto approve" alone does not let an admin approve requests (issue 6)."""
    if actor.admin is None or is_mrao(actor):
        return True
    if _has_privilege(actor, Privilege.SSL_APPROVE):
        return True
    return covers(actor, org, cert_type="SSL", min_level=Level.ORGANIZATION)


def _require_ssl_request(actor: Actor, org: Organization) -> None:
    if not covers(actor, org):
        raise NotFound("Organization not found.", code=-1023)
    if not covers(actor, org, cert_type="SSL"):
        raise PermissionDenied(msg("You have no SSL role for %(org)s.", org=org))


# ---------------------------------------------------------------------------
# Persons: client-certificate administration (MRAO; RAO SMIME: its organization and departments;
# DRAO SMIME: its department). SSL and code-signing roles neither see nor manage persons.


def scope_persons(actor: Actor, qs: QuerySet | None = None) -> QuerySet:
    """Persons of the actor's customer in the organizations/departments of its client-certificate roles."""
    qs = Person.objects.all() if qs is None else qs
    if actor.customer is None:
        return qs.none()
    qs = qs.filter(customer=actor.customer)
    ids = organization_ids(actor, "SMIME")
    return qs if ids is None else qs.filter(organization_id__in=ids)


def person_visible(actor: Actor, person: Person) -> bool:
    if actor.customer is None or person.customer_id != actor.customer.pk:
        return False
    return covers(actor, person.organization, cert_type="SMIME")


def _require_person_organization(actor: Actor, org: Organization) -> None:
    """Adding a person to `org`, or moving one there."""
    if not covers(actor, org):
        raise NotFound("Organization not found.", code=-1023)
    if not covers(actor, org, cert_type="SMIME"):
        raise PermissionDenied(msg("You have no client certificate role for %(organization)s: persons are managed "
                                   "by MRAOs and by RAO/DRAO admins of client certificates.", organization=str(org)))


# ---------------------------------------------------------------------------
# Discovery: scan tasks of an organization or department, seen and run by its SSL admins


def scope_discovery(actor: Actor, qs: QuerySet, *, field: str = "organization") -> QuerySet:
    """Discovery rows (tasks, or what reaches a task's organization through `field`) of the
    organizations/departments where the actor holds an SSL role (MRAO: the whole customer)."""
    return scope(actor, qs, field=field, cert_type="SSL")


def _require_discovery(actor: Actor, org: Organization) -> None:
    if not covers(actor, org):
        raise NotFound("Organization not found.", code=-1023)
    if not covers(actor, org, cert_type="SSL"):
        raise PermissionDenied(msg("You have no SSL role for %(organization)s: discovery tasks are managed by MRAOs "
                                   "and by RAO/DRAO admins of SSL certificates.", organization=str(org)))


# ---------------------------------------------------------------------------
# Granting roles and privileges


def can_grant_role(actor: Actor, role: Role, org: Organization | None) -> bool:
    """An admin grants only roles inside its own scope and of a type it holds itself."""
    if actor.customer is None:
        return False
    if actor.admin is None or is_mrao(actor):
        if role is Role.MRAO:
            return org is None
        return org is not None and org.customer_id == actor.customer.pk and (
            (role.level is Level.ORGANIZATION) == (org.parent_id is None)
        )
    if role is Role.MRAO or org is None or org.customer_id != actor.customer.pk:
        return False
    if role.level is Level.ORGANIZATION:
        if org.parent_id is not None or not actor.customer.rao_can_create_rao:
            return False
        return any(c.role == role.value and c.organization_id == org.pk for c in _credentials(actor))
    # DRAO on a department: a RAO of the same type on its organization, or a peer DRAO.
    if org.parent_id is None:
        return False
    same_type_rao = role.value.replace("DRAO_", "RAO_")
    return any(
        (c.role == same_type_rao and c.organization_id == org.parent_id)
        or (c.role == role.value and c.organization_id == org.pk)
        for c in _credentials(actor)
    )


def can_grant_privileges(actor: Actor, privileges: Iterable[Privilege]) -> bool:
    if actor.admin is None:
        return True
    held = set(actor.admin.privilege_set())
    for cred in _credentials(actor):
        held |= ROLE_PRIVILEGES.get(cred.role_enum, frozenset())
    return all(p in held for p in privileges)


# ---------------------------------------------------------------------------
# The single question


def can(actor: Actor, perm: Perm, obj=None) -> bool:
    try:
        require(actor, perm, obj)
    except (NotFound, PermissionDenied):
        return False
    return True


def require(actor: Actor, perm: Perm, obj=None) -> None:
    """Raise NotFound when `obj` is outside the actor's scope, PermissionDenied when not allowed."""
    if actor.customer is None:
        raise PermissionDenied("No customer selected.")
    system = actor.admin is None
    mrao = system or is_mrao(actor)

    if perm in (Perm.CREATE_ORGANIZATION,):
        if not mrao:
            raise PermissionDenied("Only an MRAO can create organizations.")
        return

    if perm is Perm.VIEW_AUDIT:
        if actor.admin is not None and actor.admin.top_level is None:
            raise PermissionDenied("You are not allowed to view the audit log.")
        return

    if perm in (Perm.CREATE_ADMIN,):
        if not system and not _has_privilege(actor, Privilege.ALLOW_CREATE):
            raise PermissionDenied("You do not have the privilege to create admins (allowCreate).", code=-219)
        return

    if perm is Perm.CREATE_DOMAIN and obj is None:
        if not mrao and not _has_privilege(actor, Privilege.ALLOW_MANAGE_DOMAINS):
            raise PermissionDenied("You do not have the privilege to add domains (allowManageDomains).")
        return

    if perm is Perm.MANAGE_ACCESS_CONTROL:
        _require_access_control(actor, obj, mrao)
        return

    if perm is Perm.CONFIGURE_DCV:
        if not mrao:
            raise PermissionDenied("Only an MRAO can choose the DCV methods of the customer.")
        return

    if isinstance(obj, Certificate):
        _require_certificate(actor, perm, obj)
        return

    if perm in (Perm.VIEW_ACME_ACCOUNT, Perm.MANAGE_ACME_ACCOUNT) and isinstance(obj, Organization):
        # An ACME account requests SSL certificates for its organization or department: whoever may
        # request them there (RAO/DRAO SSL, MRAO) manages its ACME accounts.
        _require_ssl_request(actor, obj)
        return

    if perm is Perm.MANAGE_WEB_FORM and isinstance(obj, Organization):
        # A web form requests SSL certificates for its organization or department: whoever may
        # request them there (RAO/DRAO SSL, MRAO) manages its web form accounts (seed 003 §7.4.2).
        _require_ssl_request(actor, obj)
        return

    if perm is Perm.REQUEST_SSL and isinstance(obj, Organization):
        _require_ssl_request(actor, obj)
        return

    if isinstance(obj, Person):
        if not person_visible(actor, obj):
            raise NotFound("Person not found.", code=-105)
        if perm not in (Perm.VIEW_PERSON, Perm.MANAGE_PERSON):
            raise PermissionDenied("Not allowed.")
        return

    if perm in (Perm.VIEW_PERSON, Perm.MANAGE_PERSON, Perm.REQUEST_SMIME) and isinstance(obj, Organization):
        _require_person_organization(actor, obj)
        return

    if perm in (Perm.VIEW_DISCOVERY, Perm.MANAGE_DISCOVERY) and isinstance(obj, Organization):
        _require_discovery(actor, obj)
        return

    if isinstance(obj, Delegation):
        _require_domain(actor, perm, obj.domain, obj)
        return

    if isinstance(obj, Domain):
        _require_domain(actor, perm, obj)
        return

    if isinstance(obj, Organization):
        if not covers(actor, obj):
            raise NotFound("Organization not found.", code=-1023)
        if perm is Perm.VIEW_ORGANIZATION:
            return
        if perm in (Perm.EDIT_ORGANIZATION, Perm.EDIT_EV_DETAILS, Perm.DELETE_ORGANIZATION,
                    Perm.SUBMIT_VALIDATION, Perm.DECIDE_VALIDATION):
            if obj.is_department and perm is Perm.EDIT_ORGANIZATION:
                perm = Perm.EDIT_DEPARTMENT
            elif not mrao:
                raise PermissionDenied("Only an MRAO can do this to an organization.")
            else:
                return
        if perm is Perm.CREATE_DEPARTMENT:
            if obj.is_department:
                raise PermissionDenied("Departments cannot have departments.", code=-1021)
            if mrao:
                return
            if covers(actor, obj, min_level=Level.ORGANIZATION) and _has_privilege(actor, Privilege.ADD_DEPARTMENTS):
                return
            raise PermissionDenied("You are not allowed to add departments to this organization.")
        if perm is Perm.EDIT_DEPARTMENT:
            if mrao:
                return
            if covers(actor, obj.organization, min_level=Level.ORGANIZATION) and _has_privilege(
                actor, Privilege.EDIT_DEPARTMENTS
            ):
                return
            raise PermissionDenied("You are not allowed to edit this department.")
        if perm is Perm.DELEGATE_DOMAIN:
            # Delegating a domain to this organization/department (it is in scope: checked above).
            if mrao or _has_privilege(actor, Privilege.ALLOW_MANAGE_DOMAINS):
                return
            raise PermissionDenied("You do not have the privilege to manage domains (allowManageDomains).")
        if perm is Perm.APPROVE_DELEGATION:
            if approves_delegation_to(actor, obj):
                return
            raise PermissionDenied("You cannot approve domain delegations to this organization or department.")
        raise PermissionDenied("Not allowed.")

    if isinstance(obj, Admin):
        if not _admin_visible(actor, obj):
            raise NotFound("Admin not found.", code=-14)
        if perm is Perm.VIEW_ADMIN:
            return
        needed = {
            Perm.EDIT_ADMIN: Privilege.ALLOW_EDIT,
            Perm.RESET_PASSWORD: Privilege.ALLOW_EDIT,
            Perm.DELETE_ADMIN: Privilege.ALLOW_DELETE,
        }.get(perm)
        if needed is None:
            raise PermissionDenied("Not allowed.")
        if actor.admin is not None and actor.admin.pk == obj.pk:
            raise PermissionDenied("You cannot change your own roles, status or password this way.", code=-220)
        if not system and not _has_privilege(actor, needed):
            raise PermissionDenied(msg("You do not have the privilege to do this (%(needed)s).",
                                       needed=needed.value), code=-219)
        if not _admin_within(actor, obj):
            raise PermissionDenied("This admin has roles outside your scope.", code=-220)
        return

    raise PermissionDenied("Not allowed.")
