"""Report tests run through the portal: its logged-in client fixtures."""
from ..web.conftest import login_as, mrao_client  # noqa: F401  (fixtures re-exported for this directory)
