"""`python manage.py bench ml`: batch and API prediction, and LightGBM training time (suite.py)."""

from .suite import run

__all__ = ["run"]
