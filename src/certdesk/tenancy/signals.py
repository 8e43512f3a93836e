"""Organization events, for the notifications app to turn into emails. Sent by the worker's daily
revalidation reminder job (tenancy.reminders) inside its transaction (core.events.emit), with
`sender=Organization` and the keyword arguments `organization_id`, `customer_id`, `expires` (the
validation's expiry), `level` (OV_SSL / EV_SSL), plus those listed:

- validation_expiring(days)     60, 30 and 7 days before the organization validation expires
- validation_expired()          once it has expired (issue 7: "organization revalidation reminders")
"""
from __future__ import annotations

from django.dispatch import Signal

validation_expiring = Signal()
validation_expired = Signal()
