"""Refusals of the discovery services: bad targets or ports (-1601, naming the field), a task over
the probe cap or outside the allowed networks, a task or discovered certificate not found."""
from certdesk.core.errors import Conflict, InvalidInput, NotFound


class DiscoveryInvalid(InvalidInput):
    """A field of a discovery task breaks a rule (name, targets, ports, timeout, schedule)."""


class TooManyProbes(InvalidInput):
    """The targets times the ports exceed settings.DISCOVERY_MAX_PROBES."""


class OutsideAllowedNetworks(InvalidInput):
    """A target lies outside settings.DISCOVERY_ALLOWED_NETWORKS."""


class DiscoveryTaskNotFound(NotFound):
    pass


class DiscoveredCertificateNotFound(NotFound):
    code = -124


class RunPending(Conflict):
    """The task already has a run waiting or in progress."""
