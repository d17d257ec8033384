"""Forward returns, computed once per price panel and kept in the evaluation cache.

Every analysis of a request (and of the next request over the same data) reads the same forward
returns: K factors analysed together, the correlation's daily ICs, a synthesis, a screen of thousands
of candidates. They are computed from the adjusted close once and kept in the process's PanelCache
(FACTORS_CACHE_BYTES, with the factor values) under the fingerprint of the close they came from, so a
changed price (a new bar, a correction) is a different key, never a stale answer.
"""

from __future__ import annotations

import numpy as np

from ..kernels.analysis import forward_returns
from .evaluation import panel_cache


def forward_returns_cached(close: np.ndarray, *, fingerprint: str, longest: int) -> np.ndarray:
    """`forward_returns(close, 1..longest)`: (longest, T, N), read-only. `fingerprint` identifies
    `close` exactly (the evaluation's fingerprint of the close field over the same rows)."""
    key = ("forward", fingerprint, close.shape, int(longest))
    cache = panel_cache()
    found = cache.get(key)
    if found is not None:
        return found
    fwd = forward_returns(close, tuple(range(1, int(longest) + 1)))
    cache.put(key, fwd)
    return fwd
