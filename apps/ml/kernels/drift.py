"""Population stability index (PSI) of a live sample against a reference sample.

Bins are the reference's deciles (`bins` quantiles; repeated edges merged), open at both ends so
every live value falls in one; e_i and a_i are the reference's and the live sample's shares per bin,
floored at EPS so an empty bin gives a large but finite term:
    PSI = sum_i (a_i - e_i) ln(a_i / e_i).
Rules of thumb: < 0.1 stable, 0.1-0.25 a moderate shift, > 0.25 a large one. NaN when either sample
has no finite value.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-4


def psi(reference, live, *, bins: int = 10) -> float:
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(live, dtype=float)
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if ref.size == 0 or cur.size == 0:
        return float("nan")
    inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    # searchsorted over the inner edges: bin k holds edges[k-1] <= x < edges[k].
    e = np.bincount(np.searchsorted(inner, ref, side="right"), minlength=inner.size + 1) / ref.size
    a = np.bincount(np.searchsorted(inner, cur, side="right"), minlength=inner.size + 1) / cur.size
    e, a = np.maximum(e, EPS), np.maximum(a, EPS)
    return float(np.sum((a - e) * np.log(a / e)))
