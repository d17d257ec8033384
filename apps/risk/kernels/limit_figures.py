"""The per-book figures the limit kernel (limits.py) measures limits against: the book flattened to
its held positions, whole-book sums, per-bucket sums (sector, industry, currency), the largest
position, ADV ratios, FX contributions and the scenario VaR/ES, each computed once on first use.
Pure numpy/scipy, no Django."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from . import catalog
from .var_levels import historical_var_es_levels

if TYPE_CHECKING:
    from .limits import Book, Limits

_VAR_ES_TYPES = [catalog.TYPE_CODES.index("var_limit"), catalog.TYPE_CODES.index("expected_shortfall_limit")]


class Groups:
    """Sums per (portfolio, bucket) for one bucket kind, as dense (P, G) arrays over the G distinct
    non-negative codes of the universe (one bincount each: the (P,N) @ (N,G) one-hot product)."""

    def __init__(self, codes_n: np.ndarray, m: Measures, extra_codes: np.ndarray | None = None):
        codes_n = np.asarray(codes_n, dtype=np.int64)
        known = codes_n[codes_n >= 0]
        if extra_codes is not None:
            known = np.concatenate([known, extra_codes[extra_codes >= 0]])
        self.codes = np.unique(known)
        self.size = g = len(self.codes)
        compact = np.where(codes_n >= 0, np.searchsorted(self.codes, codes_n), -1)
        ge = compact[m.cols]
        ok = ge >= 0
        key = m.rows[ok] * g + ge[ok]
        n = m.p * g

        def dense(weights=None):
            return np.bincount(key, weights, minlength=n).reshape(m.p, g)

        self.held = dense() > 0
        self.gross = dense(m.absv[ok])
        self.net = dense(m.v[ok])
        self.short = dense(m.shortv[ok])

    def index(self, codes: np.ndarray) -> np.ndarray:
        """Compact index of each code, -1 where the universe has no such code."""
        if self.size == 0:
            return np.full(len(codes), -1)
        i = np.minimum(np.searchsorted(self.codes, codes), self.size - 1)
        return np.where(self.codes[i] == codes, i, -1)

    @staticmethod
    def gather(arr: np.ndarray, rows: np.ndarray, gidx: np.ndarray) -> np.ndarray:
        """arr[row, g] per limit; 0 for a code the universe does not have."""
        if arr.shape[1] == 0:
            return np.zeros(len(rows))
        return np.where(gidx >= 0, arr[rows, np.maximum(gidx, 0)], 0.0)

    def largest(self, arr: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per portfolio the max of arr over masked buckets and its code (lowest on ties); 0, -1 if none."""
        if self.size == 0:
            return np.zeros(arr.shape[0]), np.full(arr.shape[0], -1)
        masked = np.where(mask, arr, -np.inf)
        pos = np.argmax(masked, axis=1)
        best = masked[np.arange(arr.shape[0]), pos]
        none = ~mask.any(axis=1)
        return np.where(none, 0.0, best), np.where(none, -1, self.codes[pos])


def _csr(x, shape) -> sparse.csr_matrix:
    return sparse.csr_matrix(x, dtype=float, shape=shape)


class Measures:
    """The book flattened to its held positions (CSR order: by portfolio, then column), with the
    figures the limit types need, each computed on first use."""

    def __init__(self, book: Book):
        self.book = book
        self.nav = np.asarray(book.nav, dtype=float)
        self.p, self.n = p, n = len(self.nav), len(book.sector)
        if sparse.issparse(book.quantities) or sparse.issparse(book.values):
            # Quantities and values may have different sparsity patterns: adding them as the real and
            # imaginary parts of one complex matrix aligns them on the union (a held position).
            both = _csr(book.quantities, (p, n)).astype(complex) + 1j * _csr(book.values, (p, n))
            both = sparse.csr_matrix(both)
            both.sum_duplicates()
            both.eliminate_zeros()
            both.sort_indices()
            self.indptr = both.indptr.astype(np.int64)
            self.cols = both.indices.astype(np.int64)
            self.q, self.v = both.data.real.copy(), both.data.imag.copy()
        else:
            # Dense books (a check, a small batch): the same union and CSR order straight from numpy
            # (row-major nonzero), without building sparse matrices.
            q = np.asarray(book.quantities, dtype=float).reshape(p, n)
            v = np.asarray(book.values, dtype=float).reshape(p, n)
            rows, self.cols = np.nonzero((q != 0) | (v != 0))
            self.cols = self.cols.astype(np.int64)
            self.indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=p))]).astype(np.int64)
            self.q, self.v = q[rows, self.cols], v[rows, self.cols]
        self.rows = np.repeat(np.arange(p, dtype=np.int64), np.diff(self.indptr))
        self.absv = np.abs(self.v)
        self.shortv = np.where(self.v < 0, self.absv, 0.0)
        self.keys = self.rows * n + self.cols  # ascending (CSR canonical order)
        self._var_es: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @cached_property
    def gross(self):
        return np.bincount(self.rows, self.absv, minlength=self.p)

    @cached_property
    def net(self):
        return np.abs(np.bincount(self.rows, self.v, minlength=self.p))

    @cached_property
    def short(self):
        return np.bincount(self.rows, self.shortv, minlength=self.p)

    @cached_property
    def sector(self):
        return Groups(self.book.sector, self)

    @cached_property
    def industry(self):
        return Groups(self.book.industry, self)

    @cached_property
    def currency(self):
        return Groups(self.book.currency, self, np.asarray(self.book.base_currency, dtype=np.int64))

    @cached_property
    def foreign(self):
        """(P, G) True for the currencies other than each portfolio's base."""
        c = self.currency
        return c.codes[None, :] != np.asarray(self.book.base_currency, dtype=np.int64)[:, None]

    @cached_property
    def largest_position(self):
        return self.segment_max(self.absv)

    @cached_property
    def adv_ratio(self):
        adv = np.asarray(self.book.adv, dtype=float)[self.cols]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.abs(self.q) / np.where(adv > 0, adv, np.nan)
        return np.where(self.q == 0, 0.0, ratio)

    @cached_property
    def fx_contrib(self):
        """(P, G) |net exposure| × daily vol of each held non-base currency (0 elsewhere)."""
        c = self.currency
        vol = np.full((self.p, c.size), np.nan)
        if self.book.fx_vol is not None:
            fx = np.asarray(self.book.fx_vol, dtype=float)
            known = c.codes < fx.shape[1]
            vol[:, known] = fx[:, c.codes[known]]
        return np.where(c.held & self.foreign, np.abs(c.net) * vol, 0.0)

    def var_es(self, lim: Limits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """VaR and ES of every var/es limit (its portfolio, confidence and horizon), with each limit's
        index into them (-1 for other types). Each portfolio's scenarios are sorted once for all the
        confidences its limits use (var_levels.py); both types share the figures."""
        if self._var_es is None:
            sel = np.flatnonzero(np.isin(lim.type, _VAR_ES_TYPES))
            ports, at_port = np.unique(lim.row[sel], return_inverse=True)
            levels, at_level = np.unique(lim.confidence[sel], return_inverse=True)
            pnl = np.asarray(self.book.scenario_pnl, dtype=float)
            var, es = historical_var_es_levels(pnl if ports.size == len(pnl) else pnl[ports], levels)
            scale = np.sqrt(lim.horizon_days[sel])
            where = np.full(len(lim.row), -1, dtype=np.int64)
            where[sel] = np.arange(sel.size)
            self._var_es = (var[at_port, at_level] * scale, es[at_port, at_level] * scale, where)
        return self._var_es

    def segment_max(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per portfolio the max of x over its positions (NaN ignored) and that column (lowest on
        ties): 0, -1 for an empty book; NaN, -1 when every entry is NaN."""
        best = np.zeros(self.p)
        col = np.full(self.p, -1, dtype=np.int64)
        nonempty = np.diff(self.indptr) > 0
        if nonempty.any():
            best[nonempty] = np.fmax.reduceat(x, self.indptr[:-1][nonempty])
            hit = np.flatnonzero(x == best[self.rows])
            first = hit[np.r_[True, self.rows[hit][1:] != self.rows[hit][:-1]]] if hit.size else hit
            col[self.rows[first]] = self.cols[first]
        return best, col

    def lookup(self, x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """x at the position (row, column) per limit; 0 where the portfolio does not hold it."""
        if self.keys.size == 0:
            return np.zeros(len(rows))
        want = rows * self.n + cols
        i = np.minimum(np.searchsorted(self.keys, want), self.keys.size - 1)
        found = (self.keys[i] == want) & (cols >= 0) & (cols < self.n)
        return np.where(found, x[i], 0.0)
