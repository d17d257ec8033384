"""Platform tasks (autodiscovery imports this package). They route to the platform queue by name."""

from . import health, jobs  # noqa: F401
