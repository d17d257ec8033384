"""Screening's scoring: the daily rank IC of many formulas against one forward-return panel.

A rank IC does not change when the factor goes through a map that keeps each date's order (cs_rank,
cs_zscore, cs_demean, cs_scale by a positive number): cs_rank(X) scores exactly as X. Such outer
maps are peeled off and each distinct core is evaluated and ranked once (the generated catalogue
writes X, cs_rank(X) and cs_zscore(X) side by side). Cores are evaluated in batches (one `evaluate`
call each: consecutive entries share their inner expressions, computed once), and a batch's ICs come
from one `rank_ic_many`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np

from .analysis.ic import rank_ic_many
from .expressions import PanelCache, evaluate
from .expressions.canonical import Apply, Checked, Const

BATCH = 200
# Cross-sectional maps that keep every date's order of the values (ties stay ties).
_ORDER_KEEPING = frozenset({"cs_rank", "cs_zscore", "cs_demean"})


def order_core(checked: Checked) -> Checked:
    """`checked` without its outer order-keeping maps: the formula whose rank IC it has."""
    node = checked.root
    while isinstance(node, Apply) and (
        node.spec.name in _ORDER_KEEPING
        or (node.spec.name == "cs_scale" and isinstance(node.args[1], Const) and node.args[1].value > 0)
    ):
        node = node.args[0]
    return checked if node is checked.root else Checked(source="", root=node)


def rank_ic_scores(
    formulas: Sequence[Checked],
    *,
    fields: Callable[[str], np.ndarray],
    shape: tuple[int, int],
    window: slice,
    fwd: np.ndarray,
    cache: PanelCache | None = None,
    context: Hashable = "",
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(ics, row): ics (D, T) the daily rank IC of each distinct core over the rows `window` of the
    panel, against fwd (T, N); row (K,) the row of ics scoring each formula. `progress(done, K)`."""
    cores = [order_core(c) for c in formulas]
    distinct = list({c.key: c for c in cores}.values())
    row_of = {c.key: j for j, c in enumerate(distinct)}
    ics = np.full((len(distinct), fwd.shape[0]), np.nan)
    for k in range(0, len(distinct), BATCH):
        batch = distinct[k : k + BATCH]
        values = evaluate(batch, fields=fields, shape=shape, cache=cache, context=context)
        ics[k : k + len(batch)] = rank_ic_many(np.stack([v[window] for v in values]), fwd)
        if progress is not None:
            progress(len(formulas) * min(k + BATCH, len(distinct)) // len(distinct), len(formulas))
    return ics, np.array([row_of[c.key] for c in cores], dtype=np.int64)
