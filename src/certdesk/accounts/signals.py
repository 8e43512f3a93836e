"""Account events, for other apps to react to (notifications: "new admin created", issue 7).

Sent once the transaction that caused them commits, with `sender=Admin` and keyword arguments:

- admin_created(admin_id, customer_id, created_by_id)    the new admin is told its account exists
"""
from __future__ import annotations

from django.dispatch import Signal

admin_created = Signal()
