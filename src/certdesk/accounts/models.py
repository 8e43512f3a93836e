"""Admins (MRAO/RAO/DRAO), their credentials (role x scope) and privileges."""
from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q

from certdesk.tenancy.models import Customer, Organization

from .roles import Level, Privilege, Role


class AdminType(models.TextChoices):
    STANDARD = "STANDARD", "Standard (portal and API)"
    API = "API", "Web API Use Only"


class AdminManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, login):  # pragma: no cover - the backend looks admins up by customer
        return self.get(login=login)


class Admin(AbstractBaseUser):
    """An administrator of one customer. Logins are unique per customer, as in SCM."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="admins")
    login = models.CharField(max_length=128)
    email = models.EmailField(max_length=254)
    forename = models.CharField(max_length=64)
    surname = models.CharField(max_length=64)
    telephone = models.CharField(max_length=32, blank=True, default="")
    type = models.CharField(max_length=16, choices=AdminType.choices, default=AdminType.STANDARD)
    is_active = models.BooleanField(default=True)
    must_change_password = models.BooleanField(default=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    privileges = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=8, blank=True, default="")
    time_zone = models.CharField(max_length=64, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Serial (hex, upper case, no leading zeros) of the TLS client certificate this admin may
    # authenticate with on /private/api (SCM `certificateSerialNumber`, shown as `authCert`).
    certificate_serial_number = models.CharField(max_length=64, blank=True, default="")

    USERNAME_FIELD = "login"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email", "forename", "surname"]

    objects = AdminManager()

    class Meta:
        ordering = ["login"]
        constraints = [models.UniqueConstraint(fields=["customer", "login"], name="admin_login_unique_in_customer")]

    def __str__(self) -> str:
        return self.login

    @property
    def full_name(self) -> str:
        return f"{self.forename} {self.surname}".strip()

    @property
    def api_only(self) -> bool:
        return self.type == AdminType.API

    def privilege_set(self) -> frozenset[Privilege]:
        out = set()
        for name in self.privileges or []:
            try:
                out.add(Privilege(name))
            except ValueError:
                continue
        return frozenset(out)

    def has_privilege(self, privilege: Privilege) -> bool:
        return privilege.value in (self.privileges or [])

    def credential_list(self) -> list["Credential"]:
        cache = getattr(self, "_credential_cache", None)
        if cache is None:
            prefetched = getattr(self, "_prefetched_objects_cache", {}).get("credentials")
            if prefetched is not None:
                cache = list(prefetched)
            else:
                cache = list(self.credentials.select_related("organization", "organization__parent"))
            self._credential_cache = cache
        return cache

    def forget_credentials(self) -> None:
        self.__dict__.pop("_credential_cache", None)
        getattr(self, "_prefetched_objects_cache", {}).pop("credentials", None)

    @property
    def is_mrao(self) -> bool:
        return any(c.role == Role.MRAO.value for c in self.credential_list())

    @property
    def top_level(self) -> Level | None:
        levels = [Role(c.role).level for c in self.credential_list()]
        if not levels:
            return None
        from .roles import LEVEL_RANK

        return min(levels, key=lambda lv: LEVEL_RANK[lv])

    @property
    def level_label(self) -> str:
        level = self.top_level
        return {Level.CUSTOMER: "MRAO", Level.ORGANIZATION: "RAO", Level.DEPARTMENT: "DRAO"}.get(level, "—")


class Credential(models.Model):
    """A role held on a scope: MRAO on the customer, RAO_x on an organization, DRAO_x on a department."""

    admin = models.ForeignKey(Admin, on_delete=models.CASCADE, related_name="credentials")
    role = models.CharField(max_length=16, choices=[(r.value, r.label) for r in Role])
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="credentials"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["admin", "role", "organization"], name="credential_unique"),
            models.UniqueConstraint(
                fields=["admin", "role"], condition=Q(organization__isnull=True), name="credential_unique_mrao"
            ),
        ]

    def __str__(self) -> str:
        return self.role if self.organization_id is None else f"{self.role}@{self.organization}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class LoginFailure(models.Model):
    """Failed login attempts, kept in the database so every process sees them (rate limit)."""

    customer_uri = models.CharField(max_length=64)
    login = models.CharField(max_length=128)
    ip = models.CharField(max_length=64, blank=True, default="")
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["customer_uri", "login", "at"]), models.Index(fields=["ip", "at"])]


# ---------------------------------------------------------------------------
# API fences (issue 6): IP access-control lists, per-admin API tokens, shared rate counters.


class AccessControlEntry(models.Model):
    """One network (CIDR) of an IP access-control list (seed 001, step 3).

    An ACL sits on the customer (`organization` empty: binds MRAO credentials), on an organization
    (binds the RAO credentials held on it) or on a department (binds its DRAO credentials). An admin
    is let in only from an address inside every ACL that binds one of its credentials; scopes
    without entries do not restrict.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="access_control_entries")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="access_control_entries"
    )
    network = models.CharField(max_length=64, help_text="Normalized CIDR, e.g. 192.0.2.0/24 or 2001:db8::/48")
    description = models.CharField(max_length=128, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(Admin, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "network"], name="acl_entry_unique"),
            models.UniqueConstraint(fields=["customer", "network"], condition=Q(organization__isnull=True),
                                    name="acl_entry_unique_customer"),
        ]
        indexes = [models.Index(fields=["customer", "organization"])]

    def __str__(self) -> str:
        return self.network


class ApiToken(models.Model):
    """A per-admin API token (`Authorization: Bearer <token>`): shown once, stored as a SHA-256 digest."""

    admin = models.ForeignKey(Admin, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64)
    prefix = models.CharField(max_length=16, help_text="The first characters, to tell tokens apart")
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class RateCounter(models.Model):
    """Requests counted per bucket (an account or an address) and fixed time window, shared by
    every process through the database (ARCHITECTURE: no module-level state)."""

    bucket = models.CharField(max_length=160)
    window_start = models.BigIntegerField(help_text="Start of the window, in seconds since the epoch")
    hits = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bucket", "window_start"], name="rate_counter_unique")]
        indexes = [models.Index(fields=["window_start"])]
