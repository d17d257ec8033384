"""Evaluates checked formulas over a (T, N) panel, computing each distinct sub-expression once.

Sharing: nodes with the same `key` (across every formula of one call) are computed once; with a
`PanelCache`, operator results are also looked up and stored under `(context, digest)`, so a later
call over the same data (same `context`) reuses them. A cache hit stops the walk: the sub-tree
under it is neither fetched nor computed.

Memory: each intermediate result is dropped as soon as the last node that reads it has run
(reference counts over the planned nodes), so evaluating many formulas at once holds only what is
still needed plus the results.

Arguments reach kernels as `OperatorSpec` describes: series -> (T, N) float64 (a number broadcast
read-only with `np.broadcast_to`, no copy), number -> float, window -> int, group -> (T, N) int64.
Field panels are fetched once per call and handed on as read-only views. Kernels run under
`np.errstate(all="ignore")`: division by zero and NaN comparisons are their documented NaN
semantics, not warnings. Results are read-only (they may be shared between formulas and with the
cache); copy one before writing into it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from ..operators.spec import UNBOUNDED, ArgKind
from .cache import PanelCache
from .canonical import Apply, Checked, CheckedNode, Const, FieldRef
from .errors import FormulaError

FieldSource = Callable[[str], np.ndarray]


def evaluate(
    trees: Sequence[Checked],
    *,
    fields: FieldSource,
    shape: tuple[int, int],
    cache: PanelCache | None = None,
    context: str = "",
) -> list[np.ndarray]:
    """One read-only (T, N) float64 result per tree, in order. `fields(name)` answers a field's
    panel (name without `$`; series as float, group fields as integer labels with -1 (or NaN) for
    unknown) of exactly `shape`. `context` names the data the panels come from (universe, dates,
    data version): cached results are only reused under the same context."""
    shape = (int(shape[0]), int(shape[1]))
    plan = _Plan(cache, context, shape)
    for tree in trees:
        plan.visit(tree.root)
    values, consumers = plan.values, plan.consumers
    pinned = {tree.root.key for tree in trees}

    for node in plan.order:
        if isinstance(node, FieldRef):
            values[node.key] = _field_panel(fields, node, shape)
            continue
        args = [_argument(arg, kind, values, shape) for arg, kind in zip(node.args, node.kinds, strict=True)]
        with np.errstate(all="ignore"):
            raw = node.spec.kernel(*args)
        del args
        values[node.key] = result = _checked_result(raw, node, shape)
        if cache is not None:
            cache.put((context, node.digest), result)
        for arg in node.args:
            if isinstance(arg, Const):
                continue
            consumers[arg.key] -= 1
            if consumers[arg.key] == 0 and arg.key not in pinned:
                del values[arg.key]

    return [_root_value(tree.root, values, shape) for tree in trees]


class _Plan:
    """The nodes of one call to compute, children first and each once, with how many planned nodes
    read each result; cache hits go straight into `values` and their sub-trees are not visited.

    A class rather than a recursive closure inside evaluate(): such a closure refers to itself, and
    that reference cycle kept every panel of the call, its results included, alive until the cyclic
    garbage collector ran (hundreds of MB between collections at 500 x 2,520, and each new result
    written to fresh pages the kernel had to fault in)."""

    __slots__ = ("cache", "context", "shape", "values", "order", "consumers", "planned")

    def __init__(self, cache: PanelCache | None, context: str, shape: tuple[int, int]) -> None:
        self.cache, self.context, self.shape = cache, context, shape
        self.values: dict[str, np.ndarray] = {}
        self.order: list[FieldRef | Apply] = []
        self.consumers: Counter[str] = Counter()
        self.planned: set[str] = set()

    def visit(self, node: CheckedNode) -> None:
        if isinstance(node, Const) or node.key in self.planned:
            return
        self.planned.add(node.key)
        if self.cache is not None and isinstance(node, Apply):
            hit = self.cache.get((self.context, node.digest))
            if hit is not None and hit.shape == self.shape:
                self.values[node.key] = hit
                return
        if isinstance(node, Apply):
            for arg in node.args:
                if not isinstance(arg, Const):
                    self.consumers[arg.key] += 1
                    self.visit(arg)
        self.order.append(node)


def history_rows(trees: Sequence[Checked]) -> int | None:
    """Rows of data the newest output row of every tree needs (max lookback + 1), or None when one
    of them depends on the whole history (an UNBOUNDED operator such as an exponential average)."""
    if any(tree.lookback == UNBOUNDED for tree in trees):
        return None
    return max((tree.lookback for tree in trees), default=0) + 1


def evaluate_tail(
    trees: Sequence[Checked],
    *,
    fields: FieldSource,
    shape: tuple[int, int],
    cache: PanelCache | None = None,
    context: str = "",
) -> list[np.ndarray]:
    """The newest row (N,) of each tree, for incremental updates, computed from only the last
    `history_rows(trees)` rows of the panels (all of them when a tree is UNBOUNDED or the panel is
    shorter). Equal to the last row of `evaluate` over the full panel, because row t of an operator
    depends only on rows t - lookback .. t. A caller that loads data itself can ask `history_rows`
    first and pass panels of just that height. Cached results are kept apart from full-panel ones
    (the context is suffixed with the height)."""
    total, width = int(shape[0]), int(shape[1])
    needed = history_rows(trees)
    rows = total if needed is None else min(needed, total)
    if rows == total:
        results = evaluate(trees, fields=fields, shape=(total, width), cache=cache, context=context)
    else:

        def tail(name: str) -> np.ndarray:
            return np.asarray(fields(name))[-rows:]

        results = evaluate(
            trees, fields=tail, shape=(rows, width), cache=cache, context=f"{context}|tail:{rows}"
        )
    return [result[-1].copy() for result in results]


def require_history(trees: Sequence[Checked], rows: int) -> None:
    """Raise FormulaError "window longer than the data (needs N rows, has T)" when a formula would
    be NaN everywhere because a chain of windows needs more than `rows` rows, pointing at the
    innermost operator where the need first reaches `rows`. UNBOUNDED operators need only what
    they are given (an exponential average starts at the first row), so they count as 0 here."""
    for tree in trees:
        memo: dict[str, int] = {}
        node = tree.root
        if _finite_lookback(node, memo) < rows:
            continue
        # Descend while an argument alone already needs too much: the error points at the cause.
        while isinstance(node, Apply):
            deeper = [a for a in node.args if isinstance(a, Apply) and _finite_lookback(a, memo) >= rows]
            if not deeper:
                break
            node = deeper[0]
        needs = _finite_lookback(node, memo) + 1
        raise FormulaError(
            f"window longer than the data (needs {needs} rows, has {rows})",
            node.span.start,
            node.span.length,
            tree.source,
        )


def _finite_lookback(node: CheckedNode, memo: dict[str, int]) -> int:
    if not isinstance(node, Apply):
        return 0
    if node.key not in memo:
        own = node.spec.lookback(node.params())
        own = 0 if own == UNBOUNDED else int(own)
        memo[node.key] = own + max((_finite_lookback(a, memo) for a in node.args), default=0)
    return memo[node.key]


def _field_panel(fields: FieldSource, node: FieldRef, shape: tuple[int, int]) -> np.ndarray:
    raw = np.asarray(fields(node.name))
    if raw.shape != shape:
        raise ValueError(f"field ${node.name} has shape {raw.shape}, expected {shape}")
    if node.kind == "group":
        if raw.dtype.kind == "f":
            panel = np.where(np.isnan(raw), -1, raw).astype(np.int64)
        else:
            panel = raw.astype(np.int64, copy=False)
    else:
        panel = raw.astype(np.float64, copy=False)
    view = panel.view()  # read-only without touching the caller's array flags
    view.setflags(write=False)
    return view


def _argument(
    arg: CheckedNode, kind: ArgKind, values: dict[str, np.ndarray], shape: tuple[int, int]
) -> object:
    if isinstance(arg, Const):
        if kind == "window":
            return int(arg.value)
        if kind == "number":
            return float(arg.value)
        if kind == "group":
            return np.broadcast_to(np.int64(arg.value), shape)
        return np.broadcast_to(np.float64(arg.value), shape)
    return values[arg.key]


def _checked_result(raw: object, node: Apply, shape: tuple[int, int]) -> np.ndarray:
    result = np.asarray(raw, dtype=np.float64)
    if result.shape != shape:
        raise ValueError(f"operator {node.spec.name} returned shape {result.shape}, expected {shape}")
    result.setflags(write=False)
    return result


def _root_value(root: CheckedNode, values: dict[str, np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    if isinstance(root, Const):
        constant = np.full(shape, float(root.value))
        constant.setflags(write=False)
        return constant
    return values[root.key]
