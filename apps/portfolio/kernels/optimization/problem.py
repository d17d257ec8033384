"""Portfolio constraints as data (`Constraints`) and the builder that turns them into named cvxpy
constraints over a weight vector (`formulate`).

Weights are fractions of the portfolio's value (0.05 = 5 %); long positions positive, short
negative. Unless `net_exposure` says otherwise they sum to `budget` (1: fully invested). Every
scalar constraint carries a name a portfolio manager can read ("sector cap Technology <= 0.2",
"min weight AAPL >= 0.05", "sum of weights = 1"), so an infeasible problem can name its conflict
(infeasibility.py). Constraints the user did not state (auxiliary variables, the links between a
position and its "held" binary) are structural: never named, never relaxed.

A homogeneous formulation (maximum Sharpe, maximum diversification: Cornuejols-Tütüncü) works in
scaled weights y = kappa * w with kappa >= 0 a variable: every constraint a'w <= b becomes
a'y <= b * kappa, and w = y / kappa afterwards.

Minimum position size and a maximum number of names are mixed-integer: a binary per asset and side
says "held"; |w_i| <= M_i * held_i with M_i a finite bound on |w_i| (`big_m`). Without binaries
(`integer=False`) they are left out: the continuous relaxation the heuristic starts from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import cvxpy as cp
import numpy as np

Sense = Literal["<=", ">=", "=="]
Caps = Mapping[str, tuple[float | None, float | None]]


@dataclass(frozen=True)
class Constraints:
    """What a portfolio must satisfy. Per-asset arrays are (N,) in the order of the covariance;
    scalars apply to every asset. Turnover and costs are against `current_weights` (zeros: from
    cash). `names` only label the messages (default "asset 0", "asset 1", ...)."""

    long_only: bool = True
    lower: float | Sequence[float] | None = None  # per-asset lower bounds (long_only floors them at 0)
    upper: float | Sequence[float] | None = None  # per-asset upper bounds
    budget: float | None = 1.0  # sum of weights, when net_exposure is None
    net_exposure: tuple[float | None, float | None] | None = None  # range for the sum of weights
    gross_leverage: float | None = None  # sum |w_i| <= this
    sectors: Sequence[str] | None = None  # (N,) sector label per asset
    sector_caps: Caps = field(default_factory=dict)  # {sector: (min, max)} of the net sector weight
    industries: Sequence[str] | None = None
    industry_caps: Caps = field(default_factory=dict)
    current_weights: Sequence[float] | None = None
    max_turnover: float | None = None  # sum |w_i - current_i| (buys plus sells) <= this
    transaction_costs: float | Sequence[float] | None = None  # linear cost rate per unit of weight traded
    min_position: float | None = None  # |w_i| >= this when asset i is held
    max_names: int | None = None  # at most this many assets held
    names: Sequence[str] | None = None

    @property
    def needs_integer(self) -> bool:
        return bool(self.min_position) or self.max_names is not None

    def asset_names(self, n: int) -> list[str]:
        return list(self.names) if self.names is not None else [f"asset {i}" for i in range(n)]

    def bounds(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) as (N,) arrays, -inf / +inf where unbounded."""
        lo = np.full(n, -np.inf) if self.lower is None else np.broadcast_to(np.asarray(self.lower, float), n)
        hi = np.full(n, np.inf) if self.upper is None else np.broadcast_to(np.asarray(self.upper, float), n)
        return (np.maximum(lo, 0.0) if self.long_only else lo.copy()), hi.copy()

    def current(self, n: int) -> np.ndarray:
        return np.zeros(n) if self.current_weights is None else np.asarray(self.current_weights, float)

    def costs(self, n: int) -> np.ndarray | None:
        if self.transaction_costs is None:
            return None
        return np.broadcast_to(np.asarray(self.transaction_costs, float), n).copy()


@dataclass(frozen=True)
class Block:
    """A family of named scalar constraints expr[i] <sense> bound[i] (* scale when homogeneous)."""

    names: tuple[str, ...]
    expr: cp.Expression  # (k,)
    sense: Sense
    bound: np.ndarray | cp.Parameter  # (k,)
    scale: cp.Expression | None = None
    shown: np.ndarray | None = None  # the numbers the names show, when not `bound` (min position)
    relax_weight: float = 1.0  # what a unit of slack costs in the smallest relaxation

    def rhs(self, mask: np.ndarray | None = None) -> cp.Expression:
        bound = self.bound if mask is None else self.bound[mask]
        return bound if self.scale is None else bound * self.scale

    def constraints(self, mask: np.ndarray | None = None, slack: cp.Expression | None = None) -> list:
        """The cvxpy constraints of the elements in `mask` (all when None), each loosened by its
        entry of `slack` (nonnegative) when given."""
        expr = self.expr if mask is None else self.expr[mask]
        rhs = self.rhs(mask)
        if slack is None:
            return (
                [expr <= rhs]
                if self.sense == "<="
                else [expr >= rhs]
                if self.sense == ">="
                else [expr == rhs]
            )
        if self.sense == "<=":
            return [expr <= rhs + slack]
        if self.sense == ">=":
            return [expr >= rhs - slack]
        return [expr <= rhs + slack, expr >= rhs - slack]

    def shown_values(self) -> np.ndarray:
        """The limit each name states, the number a relaxation moves."""
        value = self.bound.value if isinstance(self.bound, cp.Parameter) else self.bound
        value = value if self.shown is None else self.shown
        return np.broadcast_to(np.asarray(value, dtype=float), (len(self.names),))


@dataclass(frozen=True)
class Formulation:
    """A weight vector, its named constraint blocks and the structural constraints they rely on."""

    w: cp.Variable  # weights, or scaled weights y in a homogeneous formulation
    scale: cp.Variable | None  # kappa of a homogeneous formulation
    blocks: tuple[Block, ...]
    structural: tuple = ()
    cost: cp.Expression | float = 0.0  # linear transaction cost (times kappa when homogeneous)
    integer: bool = False
    held: tuple = ()  # the "held long" and "held short" binaries (N,), when integer

    def held_signs(self) -> np.ndarray:
        """(N,) +1 held long, -1 held short, 0 not held, from the binaries of a solved MIP."""
        signs = np.zeros(self.w.shape[0])
        for var, sign in zip(self.held, (1.0, -1.0), strict=False):
            signs[np.asarray(var.value) > 0.5] = sign
        return signs

    def constraints(self) -> list:
        return [c for b in self.blocks for c in b.constraints()] + list(self.structural)

    def extend(self, blocks: Sequence[Block] = (), structural: Sequence = ()) -> Formulation:
        return dataclasses.replace(
            self, blocks=self.blocks + tuple(blocks), structural=self.structural + tuple(structural)
        )

    def weights(self) -> np.ndarray:
        w = np.asarray(self.w.value, dtype=float)
        return w / float(self.scale.value) if self.scale is not None else w


def big_m(constraints: Constraints, n: int) -> np.ndarray | None:
    """A finite bound M_i on |w_i| implied by the constraints, or None when some asset has none."""
    lo, hi = constraints.bounds(n)
    m = np.maximum(np.abs(lo), np.abs(hi))
    limits = [constraints.gross_leverage] if constraints.gross_leverage else []
    if constraints.long_only:
        net = constraints.net_exposure
        limits.append(constraints.budget if net is None else (net[1] if net[1] is not None else np.inf))
    if limits:
        m = np.minimum(m, min(x for x in limits if x is not None))
    return m if np.isfinite(m).all() else None


def bound_names(constraints: Constraints, names: Sequence[str]) -> tuple[list[str], list[str], np.ndarray]:
    """(lower names, upper names, by_long_only): "long only X" where long-only is what bounds the
    asset below (by_long_only True), "min weight X >= 0.01" / "max weight X <= 0.1" otherwise."""
    n = len(names)
    lo, hi = constraints.bounds(n)
    stated = np.full(n, -np.inf) if constraints.lower is None else np.broadcast_to(constraints.lower, n)
    by_long_only = constraints.long_only & (np.asarray(stated, dtype=float) <= 0)
    low = [
        f"long only {a}" if z else f"min weight {a} >= {b:g}"
        for a, z, b in zip(names, by_long_only, lo, strict=True)
    ]
    return low, [f"max weight {a} <= {b:g}" for a, b in zip(names, hi, strict=True)], by_long_only


def _cap_blocks(kind: str, labels, caps: Caps, w, scale) -> list[Block]:
    if not caps:
        return []
    if labels is None:
        raise ValueError(f"{kind} caps need a {kind} label per asset")
    labels = np.asarray(labels)
    unknown = sorted(set(caps) - set(labels.tolist()))
    if unknown:
        raise ValueError(f"{kind} caps name {kind}s no asset has: {unknown}")
    groups = list(caps)
    membership = (labels[None, :] == np.asarray(groups)[:, None]).astype(float)
    blocks = []
    for pos, sense, word in ((1, "<=", "cap"), (0, ">=", "floor")):
        idx = [i for i, g in enumerate(groups) if caps[g][pos] is not None]
        if idx:
            bound = np.array([caps[groups[i]][pos] for i in idx], dtype=float)
            names = tuple(f"{kind} {word} {groups[i]} {sense} {b:g}" for i, b in zip(idx, bound, strict=True))
            blocks.append(Block(names, membership[idx] @ w, sense, bound, scale))
    return blocks


def _check_lengths(c: Constraints, n: int) -> None:
    per_asset = {
        "names": c.names,
        "sectors": c.sectors,
        "industries": c.industries,
        "current_weights": c.current_weights,
        "lower": c.lower,
        "upper": c.upper,
        "transaction_costs": c.transaction_costs,
    }
    for field_name, value in per_asset.items():
        if value is not None and np.ndim(value) > 0 and len(value) != n:
            raise ValueError(f"{field_name} has {len(value)} entries for {n} assets")


def formulate(
    constraints: Constraints,
    n: int,
    *,
    homogeneous: bool = False,
    integer: bool = True,
    support: np.ndarray | None = None,
    loose_m: bool = False,
) -> Formulation:
    """Named cvxpy constraints for `constraints` over N weights.

    `homogeneous` builds them over scaled weights (module docstring). `integer=False` leaves out the
    min-position and max-names constraints (the continuous relaxation). `support` (N,) bool restricts
    the problem to those assets (the others held at 0): the heuristic's restricted problems.

    `loose_m` multiplies the big-M bounds by 10 (at least 10): the links then restrict no weight a
    stated constraint does not, so an infeasibility analysis that drops a bound is not misled by
    the link still enforcing it."""
    c = constraints
    names = c.asset_names(n)
    _check_lengths(c, n)
    w = cp.Variable(n, name="w")
    kappa = cp.Variable(nonneg=True, name="kappa") if homogeneous else None
    one = kappa if homogeneous else 1.0
    blocks: list[Block] = []
    structural: list = []

    lo, hi = c.bounds(n)
    low_names, high_names, by_long_only = bound_names(c, names)
    finite = np.isfinite(lo)
    # long-only and the budget define the portfolio; a relaxation moves them only as a last resort
    for idx, weight in (
        (np.flatnonzero(finite & by_long_only), 10.0),
        (np.flatnonzero(finite & ~by_long_only), 1.0),
    ):
        if idx.size:
            blocks.append(
                Block(tuple(low_names[i] for i in idx), w[idx], ">=", lo[idx], kappa, relax_weight=weight)
            )
    high_idx = np.flatnonzero(np.isfinite(hi))
    if high_idx.size:
        blocks.append(Block(tuple(high_names[i] for i in high_idx), w[high_idx], "<=", hi[high_idx], kappa))

    total = cp.reshape(cp.sum(w), (1,), order="C")
    if c.net_exposure is None:
        if c.budget is not None:
            budget = np.array([c.budget])
            blocks.append(
                Block((f"sum of weights = {c.budget:g}",), total, "==", budget, kappa, relax_weight=10.0)
            )
    else:
        net_lo, net_hi = c.net_exposure
        if net_lo is not None:
            blocks.append(Block((f"net exposure >= {net_lo:g}",), total, ">=", np.array([net_lo]), kappa))
        if net_hi is not None:
            blocks.append(Block((f"net exposure <= {net_hi:g}",), total, "<=", np.array([net_hi]), kappa))
    if c.gross_leverage is not None:
        gross = cp.reshape(cp.norm1(w), (1,), order="C")
        blocks.append(
            Block(
                (f"gross leverage <= {c.gross_leverage:g}",), gross, "<=", np.array([c.gross_leverage]), kappa
            )
        )
    blocks += _cap_blocks("sector", c.sectors, c.sector_caps, w, kappa)
    blocks += _cap_blocks("industry", c.industries, c.industry_caps, w, kappa)

    w0 = c.current(n)
    trade = w - w0 * one
    if c.max_turnover is not None:
        turnover = cp.reshape(cp.norm1(trade), (1,), order="C")
        blocks.append(
            Block((f"turnover <= {c.max_turnover:g}",), turnover, "<=", np.array([c.max_turnover]), kappa)
        )
    rates = c.costs(n)
    cost = rates @ cp.abs(trade) if rates is not None and np.any(rates) else 0.0

    has_integer = integer and c.needs_integer
    if has_integer and homogeneous:
        raise ValueError("a homogeneous formulation cannot hold min position / max names binaries")
    if has_integer:
        m = big_m(c, n)
        if m is not None and loose_m:
            m = 10.0 * np.maximum(m, 1.0)
        if m is None:
            raise ValueError(
                "min position / max names need a finite bound on every weight (bounds or leverage)"
            )
        held_long = cp.Variable(n, boolean=True, name="held_long")
        held_short = None if c.long_only else cp.Variable(n, boolean=True, name="held_short")
        # held_i = 0 forces w_i = 0; M_i is a bound w_i respects anyway, so held_i = 1 costs nothing
        structural.append(w <= cp.multiply(m, held_long))
        held = cp.sum(held_long)
        short_m = 0.0
        if held_short is not None:
            structural += [w >= -cp.multiply(m, held_short), held_long + held_short <= 1]
            held = held + cp.sum(held_short)
            short_m = cp.multiply(m, held_short)
        if c.min_position:
            mp, shown = c.min_position, np.full(n, c.min_position)
            # held long: w_i >= mp; the M_i term switches the row off for a short position
            long_names = tuple(f"min position {a} >= {mp:g} if held" for a in names)
            blocks.append(Block(long_names, w - mp * held_long + short_m, ">=", np.zeros(n), shown=shown))
            if held_short is not None:
                short_names = tuple(f"min short size {a} >= {mp:g} if held short" for a in names)
                short_expr = -w - mp * held_short + cp.multiply(m, held_long)
                blocks.append(Block(short_names, short_expr, ">=", np.zeros(n), shown=shown))
        if c.max_names is not None:
            count = cp.reshape(held, (1,), order="C")
            blocks.append(
                Block((f"max names <= {c.max_names}",), count, "<=", np.array([float(c.max_names)]))
            )
    if support is not None:
        outside = np.flatnonzero(~np.asarray(support, dtype=bool))
        if outside.size:
            structural.append(w[outside] == 0)
    held_vars = (
        (held_long,) if has_integer and held_short is None else (held_long, held_short) if has_integer else ()
    )
    return Formulation(w, kappa, tuple(blocks), tuple(structural), cost, has_integer, held_vars)


def violations(constraints: Constraints, weights: np.ndarray, *, tol: float = 1e-6) -> list[str]:
    """Names of the stated constraints `weights` break by more than `tol` (a solution checked after
    an inaccurate solve or a heuristic)."""
    c, w = constraints, np.asarray(weights, dtype=float)
    n = w.size
    names = c.asset_names(n)
    lo, hi = c.bounds(n)
    low_names, high_names, _ = bound_names(c, names)
    out = [low_names[i] for i in np.flatnonzero(w < lo - tol)]
    out += [high_names[i] for i in np.flatnonzero(w > hi + tol)]
    total = w.sum()
    if c.net_exposure is None and c.budget is not None and abs(total - c.budget) > tol:
        out.append(f"sum of weights = {c.budget:g}")
    if c.net_exposure is not None:
        net_lo, net_hi = c.net_exposure
        if net_lo is not None and total < net_lo - tol:
            out.append(f"net exposure >= {net_lo:g}")
        if net_hi is not None and total > net_hi + tol:
            out.append(f"net exposure <= {net_hi:g}")
    if c.gross_leverage is not None and np.abs(w).sum() > c.gross_leverage + tol:
        out.append(f"gross leverage <= {c.gross_leverage:g}")
    for kind, labels, caps in (
        ("sector", c.sectors, c.sector_caps),
        ("industry", c.industries, c.industry_caps),
    ):
        for group, (g_lo, g_hi) in caps.items():
            exposure = w[np.asarray(labels) == group].sum()
            if g_hi is not None and exposure > g_hi + tol:
                out.append(f"{kind} cap {group} <= {g_hi:g}")
            if g_lo is not None and exposure < g_lo - tol:
                out.append(f"{kind} floor {group} >= {g_lo:g}")
    if c.max_turnover is not None and np.abs(w - c.current(n)).sum() > c.max_turnover + tol:
        out.append(f"turnover <= {c.max_turnover:g}")
    held = np.abs(w) > tol
    if c.min_position and not c.long_only:
        small = held & (np.abs(w) < c.min_position - tol)
        out += [
            f"min position {names[i]} >= {c.min_position:g} if held" for i in np.flatnonzero(small & (w > 0))
        ]
        out += [
            f"min short size {names[i]} >= {c.min_position:g} if held short"
            for i in np.flatnonzero(small & (w < 0))
        ]
    elif c.min_position:
        out += [
            f"min position {names[i]} >= {c.min_position:g} if held"
            for i in np.flatnonzero(held & (np.abs(w) < c.min_position - tol))
        ]
    if c.max_names is not None and held.sum() > c.max_names:
        out.append(f"max names <= {c.max_names}")
    return out
