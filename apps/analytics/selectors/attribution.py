"""Attribution for one portfolio, one module per method (`attribution_brinson`, `attribution_factor`,
`attribution_contribution`; the stored book's side in `attribution_stored`, input checks in
`attribution_inputs`): shape the request's data (or the stored returns) into arrays, call the
attribution kernels, and answer plain JSON-ready dicts. Bad input raises a ValidationError keyed
by the field at fault (the API answers 400 with it).

Windows: `start` inclusive, `end` exclusive, a bare date as `end` includes that day (as everywhere
in the API). Period data given in the body is keyed by date; a period counts when its date falls
in the window.
"""

from __future__ import annotations

from .attribution_brinson import brinson_attribute
from .attribution_contribution import contribution_attribute
from .attribution_factor import factor_attribute

METHODS = ("brinson", "factor", "contribution")

__all__ = ["METHODS", "brinson_attribute", "contribution_attribute", "factor_attribute"]
