"""`python manage.py bench features`: the TA-Lib catalogue against a plain TA-Lib loop, the store's
compute, write and incremental update (suite.py)."""

from .suite import run

__all__ = ["run"]
