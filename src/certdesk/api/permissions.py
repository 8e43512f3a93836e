"""The DRF permission bridge: an authenticated admin actor, whose password need not change first.

Object rules live in accounts.policy and are applied by the services; this class only says
whether the request may reach a view at all, from two view attributes (see base.ScmView):

- `api_cert_type` ("SSL", "SMIME"): the view handles certificates of that type, so an admin
  none of whose organizations/departments has the Web API enabled for it (sslCertsApiEnabled /
  clientCertsApiEnabled) is refused at once; the view still calls
  `policy.require_api_enabled(actor, org, type)` on the object's own organization;
- `token_auth_refused` (True, or the methods concerned): the view changes how the admin gets in
  (password, tokens), which an API token alone must not do (a leaked token must not become a
  takeover of the account).
"""
from __future__ import annotations

from rest_framework.permissions import BasePermission

from certdesk.accounts import policy
from certdesk.accounts.errors import PasswordChangeRequired
from certdesk.core.actor import Actor
from certdesk.core.errors import PermissionDenied

from .authentication import TOKEN, auth_method

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
        refused = getattr(view, "token_auth_refused", False)
        if refused and auth_method(request) == TOKEN and (refused is True or request.method in refused):
            raise PermissionDenied("This cannot be done with an API token: authenticate with your login and "
                                   "password (or client certificate).")
        cert_type = getattr(view, "api_cert_type", None)
        if cert_type and not policy.api_enabled_anywhere(actor, cert_type):
            flag = policy.API_FLAG_NAMES.get(cert_type, cert_type)
            raise PermissionDenied(f"{cert_type} certificates cannot be handled through the API: no organization "
                                   f"or department you administer has its Web API enabled ({flag}).")
        return True
