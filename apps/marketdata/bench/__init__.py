"""`manage.py bench marketdata`: bulk bar loading and panel reads (bars.py)."""

from .bars import run

__all__ = ["run"]
