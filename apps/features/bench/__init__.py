"""`python manage.py bench features`: the TA-Lib catalogue through the batched kernel against a
plain TA-Lib loop (catalogue.py)."""

from .catalogue import run

__all__ = ["run"]
