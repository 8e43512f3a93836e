"""Django auth backend: sessions load admins by id; logins go through accounts.services."""
from django.contrib.auth.backends import BaseBackend

from .models import Admin


class AdminBackend(BaseBackend):
    def authenticate(self, request, **kwargs):
        # Portal and API log in through accounts.services.authenticate, which needs the
        # customer and applies the rate limit; Django's own login path is not used.
        return None

    def get_user(self, user_id):
        return Admin.objects.select_related("customer").filter(pk=user_id, is_active=True).first()
