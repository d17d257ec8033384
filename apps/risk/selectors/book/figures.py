"""Values, NAV, scenario P&L, drawdowns and turnover from quantities, prices and FX: numpy over
the (P, N) book, dense or CSR (see the package docstring for the definitions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

SPARSE_CELLS = 2_000_000  # (P, N) matrices above this many cells are CSR, below dense


def name_codes(names: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Distinct non-empty names (sorted) and each name's code, -1 for empty."""
    uniq = sorted({n for n in names if n})
    index = {n: i for i, n in enumerate(uniq)}
    return uniq, np.asarray([index.get(n, -1) for n in names], dtype=np.int64)


def matrix(rows: np.ndarray, cols: np.ndarray, data: np.ndarray, shape: tuple[int, int]):
    return matrix_entries(rows, cols, data, shape)[0]


def matrix_entries(rows: np.ndarray, cols: np.ndarray, data: np.ndarray, shape: tuple[int, int]):
    """The matrix (dense, or CSR above SPARSE_CELLS cells) and its non-zero entries as `entries`
    would give them (row-major, the same order as np.nonzero): known here without a pass over a
    dense (P, N) matrix (4-5 ms for 500 x 2,000 books)."""
    m = sparse.csr_matrix((data, (rows, cols)), shape=shape, dtype=float)
    m.sum_duplicates()  # canonical: each row's columns sorted, as np.nonzero orders them
    m.eliminate_zeros()
    found = entries(m)
    return (m if shape[0] * shape[1] > SPARSE_CELLS else m.toarray()), found


def _product(rows: np.ndarray, cols: np.ndarray, data: np.ndarray, shape, dense: np.ndarray) -> np.ndarray:
    """The (P, N) matrix of these entries @ `dense` (N, K), through CSR whatever form the book keeps:
    a portfolio holds a few of the N instruments, so the sparse product does nnz x K multiply-adds
    where a dense one does P x N x K (500 x 2,000 books over 250 scenarios: 4 ms against 9.5 ms)."""
    m = sparse.csr_matrix((data, (rows, cols)), shape=shape, dtype=float)
    return np.asarray(m @ np.ascontiguousarray(dense), dtype=float)


def entries(m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, data) of the non-zero entries of a dense or CSR matrix."""
    if sparse.issparse(m):
        coo = m.tocoo()
        return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
    rows, cols = np.nonzero(m)
    return rows, cols, m[rows, cols]


@dataclass(frozen=True)
class Frame:
    """The pieces a Book is derived from (kept so checks can re-derive it after orders)."""

    quantities: object  # (P, N) dense or CSR
    cash: np.ndarray
    prices: np.ndarray
    fx_table: np.ndarray
    base_code: np.ndarray
    ccy_code: np.ndarray
    held: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # entries(quantities) when known


def derive(
    f: Frame, *, returns: np.ndarray, closes: np.ndarray, close_ts: pd.DatetimeIndex, as_of, windows
) -> tuple[object, np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    """values, NAV, scenario P&L and drawdowns of the quantities `f` holds."""
    p, n = len(f.cash), len(f.prices)
    rows, cols, q = f.held if f.held is not None else entries(f.quantities)
    fx_entry = f.fx_table[f.ccy_code[cols], f.base_code[rows]]
    unit_value = fx_entry * f.prices[cols]
    values = matrix(rows, cols, q * unit_value, (p, n))
    nav = np.bincount(rows, q * unit_value, minlength=p) + f.cash
    scenario = _product(rows, cols, q * unit_value, (p, n), returns.T) if returns.shape[0] else None
    drawdown = {}
    if closes.shape[0] and as_of is not None:
        path = _product(rows, cols, q * fx_entry, (p, n), closes.T) + f.cash[:, None]  # NAV at past closes
        for w in windows:
            keep = close_ts > as_of - pd.Timedelta(days=w)
            peak = np.fmax(nav, path[:, keep].max(axis=1)) if keep.any() else nav
            with np.errstate(divide="ignore", invalid="ignore"):
                drawdown[w] = np.where(peak > 0, np.maximum(0.0, 1.0 - nav / peak), np.nan)
    else:
        drawdown = {w: np.full(p, np.nan) for w in windows}
    return values, nav, scenario, drawdown


def turnover_figures(traded, p, ccy_of, bases, fx_table, cindex, windows, now) -> dict[int, np.ndarray]:
    out = {w: np.zeros(p) for w in windows}
    if not len(traded):
        return out
    rate = np.asarray(
        [
            fx_table[cindex[ccy_of[s]], cindex[bases[r]]] if s in ccy_of else np.nan
            for r, s in zip(traded["row"], traded["symbol"], strict=True)
        ]
    )
    notional = np.abs(traded["quantity"].to_numpy(float) * traded["price"].to_numpy(float)) * rate
    ts = traded["timestamp"]
    for w in windows:
        keep = (ts >= now - pd.Timedelta(days=w)).to_numpy()
        out[w] = np.bincount(traded["row"].to_numpy()[keep], notional[keep], minlength=p)
    return out
