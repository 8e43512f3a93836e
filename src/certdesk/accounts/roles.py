"""Roles (role x certificate type x scope level) and privileges, with SCM's names.

Privilege names are the SCM REST API's (`../shared/spec/scm-rest-api.md` §2); the
labels are what the portal shows, as in the SCM "Privileges" list.
"""
from __future__ import annotations

from enum import Enum

from certdesk.tenancy.models import CertType


class Level(str, Enum):
    CUSTOMER = "customer"
    ORGANIZATION = "organization"
    DEPARTMENT = "department"


class Role(str, Enum):
    MRAO = "MRAO"
    RAO_SSL = "RAO_SSL"
    RAO_SMIME = "RAO_SMIME"
    RAO_CS = "RAO_CS"
    DRAO_SSL = "DRAO_SSL"
    DRAO_SMIME = "DRAO_SMIME"
    DRAO_CS = "DRAO_CS"

    @property
    def level(self) -> Level:
        if self is Role.MRAO:
            return Level.CUSTOMER
        return Level.ORGANIZATION if self.value.startswith("RAO_") else Level.DEPARTMENT

    @property
    def cert_type(self) -> str | None:
        """The certificate type the role covers; None for MRAO (all types)."""
        return {"SSL": CertType.SSL, "SMIME": CertType.SMIME, "CS": CertType.CODESIGN}.get(self.value.split("_")[-1])

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.MRAO: "MRAO (all organizations)",
    Role.RAO_SSL: "RAO – SSL",
    Role.RAO_SMIME: "RAO – Client certificates",
    Role.RAO_CS: "RAO – Code Signing",
    Role.DRAO_SSL: "DRAO – SSL",
    Role.DRAO_SMIME: "DRAO – Client certificates",
    Role.DRAO_CS: "DRAO – Code Signing",
}

ROLE_FOR = {
    (Level.ORGANIZATION, CertType.SSL): Role.RAO_SSL,
    (Level.ORGANIZATION, CertType.SMIME): Role.RAO_SMIME,
    (Level.ORGANIZATION, CertType.CODESIGN): Role.RAO_CS,
    (Level.DEPARTMENT, CertType.SSL): Role.DRAO_SSL,
    (Level.DEPARTMENT, CertType.SMIME): Role.DRAO_SMIME,
    (Level.DEPARTMENT, CertType.CODESIGN): Role.DRAO_CS,
}

LEVEL_RANK = {Level.CUSTOMER: 0, Level.ORGANIZATION: 1, Level.DEPARTMENT: 2}


class Privilege(str, Enum):
    ALLOW_CREATE = "allowCreate"
    ALLOW_EDIT = "allowEdit"
    ALLOW_DELETE = "allowDelete"
    ALLOW_DCV = "allowDCV"
    ALLOW_MANAGE_DOMAINS = "allowManageDomains"
    APPROVE_DOMAIN_DELEGATION = "approveDomainDelegation"
    AUTO_APPROVE_CERTIFICATES = "autoApproveCertificates"
    SSL_MANAGE = "sslManage"
    SSL_APPROVE = "sslApprove"
    CLIENT_CERT_KEY_RECOVERY = "clientCertKeyRecovery"
    ADD_DEPARTMENTS = "addDepartments"
    EDIT_DEPARTMENTS = "editDepartments"
    ORG_VALIDATION_MANAGER = "orgValidationManager"

    @property
    def label(self) -> str:
        return PRIVILEGE_LABELS[self]


PRIVILEGE_LABELS = {
    Privilege.ALLOW_CREATE: "Allow creating of peer admin users",
    Privilege.ALLOW_EDIT: "Allow editing of peer admin users (and resetting their password)",
    Privilege.ALLOW_DELETE: "Allow deleting of peer admin users",
    Privilege.ALLOW_DCV: "Allow DCV",
    Privilege.ALLOW_MANAGE_DOMAINS: "Allow domain creation",
    Privilege.APPROVE_DOMAIN_DELEGATION: "Allow domain delegation approval",
    Privilege.AUTO_APPROVE_CERTIFICATES: "Allow SSL auto approve",
    Privilege.SSL_MANAGE: "Allow SSL details changing",
    Privilege.SSL_APPROVE: "Allow SSL approve",
    Privilege.CLIENT_CERT_KEY_RECOVERY: "Allow key recovery of client certificates",
    Privilege.ADD_DEPARTMENTS: "Allow adding departments",
    Privilege.EDIT_DEPARTMENTS: "Allow editing departments",
    Privilege.ORG_VALIDATION_MANAGER: "Organization validation manager",
}

# Deprecated SCM names accepted on input and mapped to today's.
PRIVILEGE_ALIASES = {"allowSslAutoApprove": Privilege.AUTO_APPROVE_CERTIFICATES}

_ADMIN = {Privilege.ALLOW_CREATE, Privilege.ALLOW_EDIT, Privilege.ALLOW_DELETE}
_DOMAINS = {Privilege.ALLOW_DCV, Privilege.ALLOW_MANAGE_DOMAINS, Privilege.APPROVE_DOMAIN_DELEGATION}

# Exactly the privileges that may be granted together with each role.
PRIVILEGES_BY_ROLE: dict[Role, frozenset[Privilege]] = {
    Role.MRAO: frozenset(Privilege),
    Role.RAO_SSL: frozenset(
        _ADMIN | _DOMAINS | {Privilege.AUTO_APPROVE_CERTIFICATES, Privilege.SSL_MANAGE, Privilege.SSL_APPROVE,
                             Privilege.ADD_DEPARTMENTS, Privilege.EDIT_DEPARTMENTS}
    ),
    Role.RAO_SMIME: frozenset(
        _ADMIN | _DOMAINS | {Privilege.CLIENT_CERT_KEY_RECOVERY, Privilege.ADD_DEPARTMENTS, Privilege.EDIT_DEPARTMENTS}
    ),
    Role.RAO_CS: frozenset(_ADMIN | _DOMAINS | {Privilege.ADD_DEPARTMENTS, Privilege.EDIT_DEPARTMENTS}),
    Role.DRAO_SSL: frozenset(_ADMIN | _DOMAINS | {Privilege.AUTO_APPROVE_CERTIFICATES, Privilege.SSL_MANAGE,
                                                  Privilege.SSL_APPROVE}),
    Role.DRAO_SMIME: frozenset(_ADMIN | _DOMAINS | {Privilege.CLIENT_CERT_KEY_RECOVERY}),
    Role.DRAO_CS: frozenset(_ADMIN | _DOMAINS),
}


# Privileges a role carries by itself on the organizations it covers, whatever the admin's list says
# (SCM: approving SSL requests comes with MRAO and RAO SSL; a DRAO SSL needs sslApprove granted).
ROLE_PRIVILEGES: dict[Role, frozenset[Privilege]] = {
    Role.RAO_SSL: frozenset({Privilege.SSL_APPROVE}),
}


def parse_role(value: str) -> Role | None:
    try:
        return Role(str(value).strip().upper())
    except ValueError:
        return None


def parse_privilege(value: str) -> Privilege | None:
    if value in PRIVILEGE_ALIASES:
        return PRIVILEGE_ALIASES[value]
    try:
        return Privilege(value)
    except ValueError:
        return None
