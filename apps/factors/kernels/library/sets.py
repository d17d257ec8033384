"""Every factor set of the library by name: set name -> (factor name -> formula)."""

from __future__ import annotations

from .alpha101 import ALPHA101
from .alpha158 import ALPHA158

LIBRARY: dict[str, dict[str, str]] = {"alpha158": ALPHA158, "alpha101": ALPHA101}
