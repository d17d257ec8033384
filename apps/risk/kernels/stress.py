"""Stress tests: turn a scenario into one return shock per instrument, then into P&L per position.

A scenario is expressed in the units a risk manager thinks in (this stock -30 %, the energy sector
-15 %, EUR -10 % against the base currency, the market factor -20 %) and is resolved here, once, into
a (N,) vector of instrument returns in the portfolio's base currency, so applying it to thousands of
books is one sparse-dense product.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse


def _codes(codes: Sequence | None, n: int, name: str) -> np.ndarray:
    if codes is None:
        raise ValueError(f"{name} is needed to apply shocks by {name.removesuffix('_codes')}")
    arr = np.asarray(codes, dtype=object)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have one entry per instrument ({n}), got shape {arr.shape}")
    return arr


def _check_shock(value: float, label: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value < -1:
        raise ValueError(f"shock {label} must be a finite return of at least -1 (-100 %), got {value}")
    return value


def instrument_shocks(
    n_instruments: int,
    *,
    by_instrument: Mapping[int, float] | None = None,
    by_sector: Mapping[str, float] | None = None,
    by_currency: Mapping[str, float] | None = None,
    sector_codes: Sequence[str | None] | None = None,
    currency_codes: Sequence[str | None] | None = None,
    factor_betas: np.ndarray | None = None,
    factor_shocks: np.ndarray | None = None,
    base_currency: str | None = None,
) -> np.ndarray:
    """(N,) return of each instrument, in base currency, under one scenario.

    How the parts combine, for instrument i:
    1. local price shock p_i = by_instrument[i] if i is named (keys are column indices 0..N-1),
       else by_sector[sector_codes[i]] if its sector is named, else 0. An instrument shock replaces
       its sector's shock: it is the analyst's view of that name.
    2. factor part: p_i += Σ_k factor_betas[i, k] · factor_shocks[k] (always added, also to a named
       instrument: factors are a different driver than the idiosyncratic view). The local return is
       then floored at -1, a price cannot fall below zero.
    3. currency: with f = by_currency[currency_codes[i]] the return of the instrument's quote
       currency against the base currency, the base-currency return is (1 + p_i)(1 + f) - 1. An
       instrument without a currency shock (or quoted in the base currency) keeps p_i. A shock keyed
       by `base_currency` is ignored — a currency does not move against itself — so one scenario
       can be applied to books in different base currencies, resolving it once per base.
    Named shocks must be returns ≥ -1.
    """
    n = int(n_instruments)
    local = np.zeros(n)
    if by_sector:
        sectors = _codes(sector_codes, n, "sector_codes")
        for code, shock in by_sector.items():
            local[sectors == code] = _check_shock(shock, f"for sector {code!r}")
    if by_instrument:
        for col, shock in by_instrument.items():
            if not 0 <= int(col) < n:
                raise ValueError(f"instrument column {col} is outside 0..{n - 1}")
            local[int(col)] = _check_shock(shock, f"for instrument column {col}")
    if (factor_betas is None) != (factor_shocks is None):
        raise ValueError("factor_betas and factor_shocks go together")
    if factor_betas is not None:
        betas = np.asarray(factor_betas, dtype=float).reshape(n, -1)
        f = np.asarray(factor_shocks, dtype=float).reshape(-1)
        if betas.shape[1] != f.shape[0]:
            raise ValueError(f"factor_betas have {betas.shape[1]} factors, factor_shocks {f.shape[0]}")
        local += np.nan_to_num(betas) @ f
    local = np.maximum(local, -1.0)
    if not by_currency:
        return local
    currencies = _codes(currency_codes, n, "currency_codes")
    fx = np.zeros(n)
    for code, shock in by_currency.items():
        if code != base_currency:
            fx[currencies == code] = _check_shock(shock, f"for currency {code!r}")
    return (1 + local) * (1 + fx) - 1


def stress_pnl(values, shocks: np.ndarray):
    """P&L of each position and of each book under `shocks` (N,): values (P, N) are the positions'
    signed market values in base currency (negative = short, so a short gains when the price falls),
    dense or scipy.sparse (most books hold few of the N instruments). P&L_pn = values_pn × shock_n.

    Returns (per_position (P, N), totals (P,)); per_position is sparse CSR when values are sparse."""
    shocks = np.asarray(shocks, dtype=float).reshape(-1)
    if sparse.issparse(values):
        if values.shape[1] != shocks.shape[0]:
            raise ValueError(f"values have {values.shape[1]} instruments, shocks {shocks.shape[0]}")
        per_position = sparse.csr_matrix(values.multiply(shocks[None, :]))
        return per_position, np.asarray(values @ shocks).reshape(-1)
    values = np.atleast_2d(np.asarray(values, dtype=float))
    if values.shape[1] != shocks.shape[0]:
        raise ValueError(f"values have {values.shape[1]} instruments, shocks {shocks.shape[0]}")
    per_position = values * shocks
    return per_position, per_position.sum(axis=1)


def historical_replay_shocks(prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) shocks replaying a stored window: each instrument's cumulative return from its first to
    its last finite price in the window (prices (T, N), rows in time order, in the base currency
    when the replay should include currency moves). Using the first/last *finite* price lets a
    holiday on the window's first or last day not drop an instrument.

    An instrument with fewer than two finite prices, or a non-positive starting price, cannot be
    replayed: its shock is 0 and it is flagged in the returned `missing` (N,) boolean array, so the
    caller can report which positions the replay left unshocked."""
    p = np.asarray(prices, dtype=float)
    if p.ndim != 2:
        raise ValueError("prices must be a (T, N) matrix")
    if p.shape[0] == 0:
        return np.zeros(p.shape[1]), np.ones(p.shape[1], dtype=bool)
    finite = np.isfinite(p)
    count = finite.sum(axis=0)
    t = p.shape[0]
    first = np.argmax(finite, axis=0)
    last = t - 1 - np.argmax(finite[::-1], axis=0)
    cols = np.arange(p.shape[1])
    start, end = p[first, cols], p[last, cols]
    missing = (count < 2) | ~(start > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shocks = np.where(missing, 0.0, end / np.where(missing, 1.0, start) - 1)
    return shocks, missing
