"""`python manage.py bench risk`: the limit kernel against its per-portfolio reference, the monitor
and check timings on a bench database, and breach latency through real workers (see suite.py)."""

from .suite import run

__all__ = ["run"]
