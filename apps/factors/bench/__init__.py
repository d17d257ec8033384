"""`python manage.py bench factors`: correlation against numpy and pandas, the Alpha158-style
formula mix against pandas rolling, in memory and over stored bars (suite.py)."""

from .suite import run

__all__ = ["run"]
