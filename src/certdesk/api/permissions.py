"""The DRF permission bridge: an authenticated admin actor, whose password need not change first.

Object rules live in accounts.policy and are applied by the services; this class only says
whether the request may reach a view at all.
"""
from __future__ import annotations

from rest_framework.permissions import BasePermission

from certdesk.accounts.errors import PasswordChangeRequired
from certdesk.core.actor import Actor

PASSWORD_CHANGE_FIRST = (
    "Your password must be changed before using the API: "
    'POST /api/admin/v1/changepassword with {"newPassword": "..."}.'
)


class IsAdminActor(BasePermission):
    def has_permission(self, request, view) -> bool:
        # request.auth is the actor ScmHeaderAuthentication built (request.actor may be the
        # portal middleware's, from a session cookie: never trusted here).
        actor = request.auth
        if not isinstance(actor, Actor) or actor.admin is None:
            return False
        if actor.admin.must_change_password and not getattr(view, "allowed_while_password_expired", False):
            # 401 with SCM code -213 (certdesk-decisions "Tenancy and admins over the API").
            raise PasswordChangeRequired(PASSWORD_CHANGE_FIRST)
        return True
