"""A quadratic program in OSQP's form, built straight from `Constraints` (no cvxpy compilation):

    minimize 1/2 x'Px + q'x  subject to  l <= Ax <= u

over x = [w, g, s]: the N weights, then (only when needed) g >= |w| for gross leverage of a long-short
portfolio and s >= |w - current| for turnover and linear transaction costs. Every stated constraint
is one or more linear rows: per-asset bounds (an identity block), the budget or net-exposure range,
gross leverage (sum g, or sum w when long-only), sector and industry ranges, turnover (sum s), and
the method's own rows (a target return). Costs are the linear term rates's.

cvxpy spent most of a 500-asset minimum variance compiling the problem (canonicalization of the
quadratic form, every named block); these matrices take a few milliseconds. The names stay with the
cvxpy builder (problem.py), which the fallback and the infeasibility report use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .problem import Constraints, _check_lengths


@dataclass(frozen=True)
class Objective:
    """minimize w'Hw + c'w + costs, plus linear rows lo <= a'w <= hi of the method's own
    (name, a, lo, hi). A method that maximizes states the negated objective and sets `maximize`, so
    the reported objective value is in its own sense, as cvxpy's would be."""

    hessian: np.ndarray  # (N, N) H, symmetric PSD
    linear: np.ndarray | None = None  # (N,) c
    rows: tuple[tuple[str, np.ndarray, float, float], ...] = ()
    maximize: bool = False  # the method states a maximization: its objective value is -(this one)


@dataclass(frozen=True)
class QP:
    P: sp.csc_matrix  # upper triangle of the Hessian over x
    q: np.ndarray
    A: sp.csc_matrix
    l: np.ndarray  # noqa: E741 - OSQP's name
    u: np.ndarray
    n: int  # x[:n] are the weights
    lower: np.ndarray  # (N,) weight bounds, the rows the answer is clipped to
    upper: np.ndarray
    rows: dict[str, int]  # the method's own rows by name -> row index (the frontier updates its target)
    gross: bool  # x holds g
    current: np.ndarray | None  # the current weights when x holds s
    maximize: bool = False

    def seed(self, weights: np.ndarray) -> np.ndarray:
        """A starting point for x from weights alone: the auxiliaries at their least values."""
        w = np.asarray(weights, dtype=float)
        parts = [w] + ([np.abs(w)] if self.gross else [])
        if self.current is not None:
            parts.append(np.abs(w - self.current))
        return np.concatenate(parts)

    def hessian_times(self, x: np.ndarray) -> np.ndarray:
        """P x with P whole (it is stored as its upper triangle)."""
        return self.P @ x + self.P.T @ x - self.P.diagonal() * x

    def objective(self, x: np.ndarray) -> float:
        """The objective in the method's own sense (cvxpy's problem.value)."""
        value = 0.5 * float(x @ self.hessian_times(x)) + float(self.q @ x)
        return -value if self.maximize else value

    def tighten(self, x: np.ndarray) -> np.ndarray:
        """x with the weights clipped to their bounds and the auxiliaries at their least values,
        g = |w| and s = |w - current|: polishing leaves them ~1e-9 off where they are not unique,
        and at their least they meet their rows exactly, never raise the sums capped (gross
        leverage, turnover), and never raise the objective (the costs on s are nonnegative)."""
        x = np.array(x, dtype=float)
        w = x[: self.n] = np.clip(x[: self.n], self.lower, self.upper)
        start = self.n
        if self.gross:
            x[start : start + self.n] = np.abs(w)
            start += self.n
        if self.current is not None:
            x[start : start + self.n] = np.abs(w - self.current)
        return x


def _needs_gross(c: Constraints) -> bool:
    return c.gross_leverage is not None and not c.long_only


def _needs_trade(c: Constraints, n: int) -> bool:
    rates = c.costs(n)
    return c.max_turnover is not None or (rates is not None and bool(np.any(rates)))


def _membership(labels, caps) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows (G, N), lo (G,), hi (G,)) of group ranges; validation of the labels is problem.py's."""
    groups = list(caps)
    labels = np.asarray(labels)
    rows = (labels[None, :] == np.asarray(groups)[:, None]).astype(float)
    lo = np.array([-np.inf if caps[g][0] is None else caps[g][0] for g in groups], dtype=float)
    hi = np.array([np.inf if caps[g][1] is None else caps[g][1] for g in groups], dtype=float)
    return rows, lo, hi


def expressible(constraints: Constraints) -> bool:
    """Whether the constraints are all linear rows here: everything but min position / max names
    (binaries) and caps naming groups no asset has (problem.py raises its message for those)."""
    c = constraints
    if c.needs_integer:
        return False
    for labels, caps in ((c.sectors, c.sector_caps), (c.industries, c.industry_caps)):
        if caps and (labels is None or set(caps) - set(np.asarray(labels).tolist())):
            return False
    return True


def build(constraints: Constraints, n: int, objective: Objective) -> QP:
    """The QP of `objective` under `constraints` (module docstring); `expressible` must hold."""
    c = constraints
    _check_lengths(c, n)
    gross, trade = _needs_gross(c), _needs_trade(c, n)
    size = n * (1 + gross + trade)
    g0, s0 = n, n * (1 + gross)  # first index of g and of s
    eye = sp.identity(n, format="csr")

    def wide(block: sp.spmatrix, start: int = 0) -> sp.csr_matrix:
        """An (k, n) block over w, g or s placed in the (k, size) row space of x."""
        k = block.shape[0]
        parts = [sp.csr_matrix((k, start)), sp.csr_matrix(block), sp.csr_matrix((k, size - start - n))]
        return sp.hstack([p for p in parts if p.shape[1]], format="csr")

    blocks, lo, hi = [], [], []

    def add(block, low, high):
        blocks.append(block)
        lo.append(np.broadcast_to(np.asarray(low, dtype=float), block.shape[0]))
        hi.append(np.broadcast_to(np.asarray(high, dtype=float), block.shape[0]))

    lower, upper = c.bounds(n)
    add(wide(eye), lower, upper)
    ones = sp.csr_matrix(np.ones((1, n)))
    if c.net_exposure is None:
        if c.budget is not None:
            add(wide(ones), c.budget, c.budget)
    else:
        net_lo, net_hi = c.net_exposure
        add(wide(ones), -np.inf if net_lo is None else net_lo, np.inf if net_hi is None else net_hi)
    if c.gross_leverage is not None:
        if gross:  # g - w >= 0, g + w >= 0, sum g <= L
            add(wide(eye, g0) - wide(eye), 0.0, np.inf)
            add(wide(eye, g0) + wide(eye), 0.0, np.inf)
            add(wide(ones, g0), -np.inf, c.gross_leverage)
        else:  # long-only: |w| = w
            add(wide(ones), -np.inf, c.gross_leverage)
    for labels, caps in ((c.sectors, c.sector_caps), (c.industries, c.industry_caps)):
        if caps:
            members, group_lo, group_hi = _membership(labels, caps)
            add(wide(sp.csr_matrix(members)), group_lo, group_hi)
    w0 = c.current(n)
    if trade:  # s - w >= -w0, s + w >= w0: s >= |w - w0|
        add(wide(eye, s0) - wide(eye), -w0, np.inf)
        add(wide(eye, s0) + wide(eye), w0, np.inf)
        if c.max_turnover is not None:
            add(wide(ones, s0), -np.inf, c.max_turnover)
    rows = {}
    for name, a, row_lo, row_hi in objective.rows:
        rows[name] = sum(b.shape[0] for b in blocks)
        add(wide(sp.csr_matrix(np.asarray(a, dtype=float)[None, :])), row_lo, row_hi)

    hessian = np.asarray(objective.hessian, dtype=float)
    # 1/2 x'Px = w'Hw: P = 2H (symmetrized), zero over the auxiliaries
    P = sp.block_diag([sp.csc_matrix(hessian + hessian.T), sp.csc_matrix((size - n, size - n))])
    q = np.zeros(size)
    if objective.linear is not None:
        q[:n] = objective.linear
    rates = c.costs(n)
    if trade and rates is not None:
        q[s0:] = rates
    return QP(
        P=sp.triu(P, format="csc"),
        q=q,
        A=sp.vstack(blocks, format="csc"),
        l=np.concatenate(lo),
        u=np.concatenate(hi),
        n=n,
        lower=lower,
        upper=upper,
        rows=rows,
        gross=gross,
        current=w0 if trade else None,
        maximize=objective.maximize,
    )


def row_bounds(qp: QP, updates: Sequence[tuple[str, float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """l and u with the named rows set to new (lo, hi): a frontier point's target."""
    low, high = qp.l.copy(), qp.u.copy()
    for name, row_lo, row_hi in updates:
        low[qp.rows[name]], high[qp.rows[name]] = row_lo, row_hi
    return low, high
