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
