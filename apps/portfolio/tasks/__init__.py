"""Portfolio engine tasks (each module imported so the worker registers it)."""

from . import health, optimize

__all__ = ["health", "optimize"]
