"""Every limit of many portfolios evaluated in one vectorized pass (pure numpy/scipy, no Django).

The book is P portfolios over a universe of N instruments (sparse or dense (P, N) matrices); the
limits are L parallel arrays. The figures follow the descriptions in `catalog.LIMIT_TYPES`:

- max_position: |value| of one instrument; concentration_limit: |value| / gross exposure of the
  portfolio (gross 0 → 0); adv_limit: |quantity| / ADV (ADV NaN or ≤ 0 → unknown; a zero quantity
  is 0 whatever the ADV).
- gross_exposure Σ|v|, net_exposure |Σv|, short_exposure Σ|v| over v < 0: the whole book, or the
  instruments of one sector / industry / quote currency (base currency included here).
- sector_concentration Σ|v| and industry_exposure |Σv| of one sector / industry.
- currency_exposure |Σv| of the instruments quoted in one currency; the portfolio's base currency
  has none (a limit scoped to the base currency measures 0).
- fx_risk Σ over held non-base currencies c of |Σv_c| × fx_vol[p, c] × z(confidence) × √horizon,
  z = norm.ppf; a currency scope keeps only that currency. No fx_vol, or a NaN vol for a held
  currency → unmeasurable.
- var_limit / expected_shortfall_limit: `historical_var_es` of the portfolio's scenario P&L at the
  limit's confidence and horizon; no scenarios → unmeasurable.
- turnover_limit / drawdown: `Book.turnover[window]` / `Book.drawdown[window]` (missing → NaN).
- leverage: gross / NAV.

Portfolio scope on the per-bucket types (max_position, concentration_limit, adv_limit,
sector_concentration, industry_exposure, currency_exposure) takes the largest bucket the portfolio
holds and reports it in `Evaluation.bucket` (ties: the lowest column / code; nothing held: value 0
and bucket -1; adv_limit when no held position has a known ADV: NaN). Sector and industry code -1
(unknown) and negative currency codes belong to no bucket: they count in the whole-book figures
only. A position is held when its quantity or its value is non-zero. A scoped bucket the portfolio
does not hold measures 0.

Units are trusted (validated when the limit is saved): "pct_nav" divides the money figure by NAV
(NAV ≤ 0 → NaN), "absolute" and "ratio" keep the figure. Status: NaN → no_data (3); value ≥ breach
→ breach (2); value ≥ warn (warn not NaN) → warn (1); else ok (0) — reaching a threshold counts.
A (type, scope) pair the catalog does not allow measures NaN.

The per-book figures (held positions, bucket sums, VaR/ES) live in limit_figures.py.

Cost: one pass over the non-zero positions plus (P, G) arrays per bucket kind (G = distinct codes
of sectors, industries or currencies), so memory is O(nnz + P × G).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.stats import norm

from . import catalog
from .limit_figures import Groups as _Groups
from .limit_figures import Measures as _Measures

TYPE = {code: i for i, code in enumerate(catalog.TYPE_CODES)}
SCOPE = {s: i for i, s in enumerate(catalog.SCOPES)}
UNIT = {u: i for i, u in enumerate(catalog.UNITS)}
OK, WARN, BREACH, NO_DATA = 0, 1, 2, 3
_PORTFOLIO, _INSTRUMENT = SCOPE["portfolio"], SCOPE["instrument"]
_KIND_OF_SCOPE = {SCOPE["sector"]: "sector", SCOPE["industry"]: "industry", SCOPE["currency"]: "currency"}


@dataclass(frozen=True)
class Book:
    """P portfolios over a universe of N instruments. Matrices may be numpy (P, N) or scipy.sparse CSR."""

    quantities: np.ndarray | sparse.csr_matrix  # (P, N) signed units held (short < 0)
    values: np.ndarray | sparse.csr_matrix  # (P, N) signed market value in each portfolio's base currency
    nav: np.ndarray  # (P,) NAV in base currency (positions + cash)
    base_currency: np.ndarray  # (P,) int code of the portfolio's base currency
    sector: np.ndarray  # (N,) int code, -1 unknown
    industry: np.ndarray  # (N,) int code, -1 unknown
    currency: np.ndarray  # (N,) int code of the instrument's quote currency
    adv: np.ndarray  # (N,) average daily volume in units, NaN unknown
    scenario_pnl: np.ndarray | None = None  # (P, T) one-day P&L scenarios in base ccy (historical sim.)
    fx_vol: np.ndarray | None = None  # (P, C) daily vol of currency c vs portfolio p's base (0 at base)
    turnover: dict[int, np.ndarray] = field(default_factory=dict)  # window_days -> (P,) traded notional
    drawdown: dict[int, np.ndarray] = field(default_factory=dict)  # window_days -> (P,) drawdown >= 0


@dataclass(frozen=True)
class Limits:
    """L limits as parallel arrays."""

    row: np.ndarray  # (L,) int: the Book row (portfolio) the limit applies to
    type: np.ndarray  # (L,) int index into catalog.TYPE_CODES
    scope: np.ndarray  # (L,) int index into catalog.SCOPES
    bucket: np.ndarray  # (L,) int: instrument column / sector / industry / currency code; -1 portfolio
    warn: np.ndarray  # (L,) float threshold, NaN = no warn level
    breach: np.ndarray  # (L,) float threshold (> 0)
    unit: np.ndarray  # (L,) int index into catalog.UNITS
    confidence: np.ndarray  # (L,) float, for var/es/fx_risk (e.g. 0.99)
    horizon_days: np.ndarray  # (L,) float, for var/es/fx_risk (e.g. 1.0)
    window_days: np.ndarray  # (L,) int, for turnover/drawdown (key into Book.turnover / Book.drawdown)


@dataclass(frozen=True)
class Evaluation:
    value: np.ndarray  # (L,) figure in the limit's unit; NaN when unmeasurable
    utilization: np.ndarray  # (L,) value / breach threshold; NaN when value is NaN
    status: np.ndarray  # (L,) int8: 0 ok, 1 warn, 2 breach, 3 no_data (catalog.STATUSES)
    bucket: np.ndarray  # (L,) int: the largest bucket for portfolio-scoped per-bucket types, else the limit's


def limits_from_records(records: list[dict]) -> Limits:
    """Limits from dicts {row, type, scope, bucket, warn, breach, unit, confidence, horizon_days,
    window_days}; type/scope/unit by name or index, warn None = no warn level."""

    def col(key, default, lookup=None, dtype=float):
        out = []
        for r in records:
            x = r.get(key, default)
            x = default if x is None else x
            out.append(lookup[x] if lookup is not None and isinstance(x, str) else x)
        return np.asarray(out, dtype=dtype)

    return Limits(
        row=col("row", 0, dtype=np.int64),
        type=col("type", 0, TYPE, np.int64),
        scope=col("scope", "portfolio", SCOPE, np.int64),
        bucket=col("bucket", -1, dtype=np.int64),
        warn=col("warn", np.nan),
        breach=col("breach", np.nan),
        unit=col("unit", "absolute", UNIT, np.int64),
        confidence=col("confidence", 0.99),
        horizon_days=col("horizon_days", 1.0),
        window_days=col("window_days", 1, dtype=np.int64),
    )


def _safe_div(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def _per_instrument(m: _Measures, lim: Limits, idx, entry_x, book_max, scale=None):
    """Portfolio scope → the largest entry (and its column); instrument scope → that entry."""
    rows, scope = lim.row[idx], lim.scope[idx]
    value, bucket = np.full(len(idx), np.nan), lim.bucket[idx].copy()
    best, col = book_max
    at = scope == _PORTFOLIO
    value[at], bucket[at] = best[rows[at]], col[rows[at]]
    at = scope == _INSTRUMENT
    value[at] = m.lookup(entry_x, rows[at], bucket[at])
    if scale is not None:
        s = scale[rows]  # gross 0 → 0 (value × 0 keeps a NaN)
        value = np.where(s > 0, value / np.where(s > 0, s, 1.0), value * 0.0)
    return value, bucket


def _per_group(
    m: _Measures,
    lim: Limits,
    idx,
    pick,
    *,
    book=None,
    kinds=("sector", "industry", "currency"),
    largest=None,
    foreign_only=False,
):
    """Portfolio scope → the whole-book figure `book` (P,) or the largest bucket of kind `largest`;
    a sector / industry / currency scope → that bucket's figure `pick(groups)` (P, G).
    `foreign_only` drops each portfolio's base currency from the currency buckets."""
    rows, scope = lim.row[idx], lim.scope[idx]
    value, bucket = np.full(len(idx), np.nan), lim.bucket[idx].copy()
    at = scope == _PORTFOLIO
    if largest is not None:
        g = getattr(m, largest)
        mask = g.held & m.foreign if foreign_only else g.held
        best, code = g.largest(pick(g), mask)
        value[at], bucket[at] = best[rows[at]], code[rows[at]]
    elif book is not None:
        value[at] = book[rows[at]]
    for s, kind in _KIND_OF_SCOPE.items():
        at = scope == s
        if kind in kinds and at.any():
            g = getattr(m, kind)
            figure = np.where(m.foreign, pick(g), 0.0) if foreign_only else pick(g)
            value[at] = g.gather(figure, rows[at], g.index(bucket[at]))
    return value, bucket


def _fx_risk(m: _Measures, lim: Limits, idx):
    rows, scope = lim.row[idx], lim.scope[idx]
    value, bucket = np.full(len(idx), np.nan), lim.bucket[idx].copy()
    contrib = m.fx_contrib
    at = scope == _PORTFOLIO
    value[at] = contrib.sum(axis=1)[rows[at]]
    at = scope == SCOPE["currency"]
    value[at] = m.currency.gather(contrib, rows[at], m.currency.index(bucket[at]))
    with np.errstate(invalid="ignore"):
        z = norm.ppf(lim.confidence[idx]) * np.sqrt(lim.horizon_days[idx])
    return value * z, bucket


def _var_es(m: _Measures, lim: Limits, idx, which: int):
    value = np.full(len(idx), np.nan)
    ok = lim.scope[idx] == _PORTFOLIO
    if m.book.scenario_pnl is not None and ok.any():
        var_es = m.var_es(lim)
        value[ok] = var_es[which][var_es[2][idx[ok]]]
    return value, lim.bucket[idx].copy()


def _window(m: _Measures, lim: Limits, idx, series: dict[int, np.ndarray]):
    value = np.full(len(idx), np.nan)
    ok = lim.scope[idx] == _PORTFOLIO
    windows = lim.window_days[idx]
    for w in np.unique(windows[ok]):
        arr = series.get(int(w))
        if arr is not None:
            at = ok & (windows == w)
            value[at] = np.asarray(arr, dtype=float)[lim.row[idx][at]]
    return value, lim.bucket[idx].copy()


def _portfolio_only(m: _Measures, lim: Limits, idx, figure):
    value = np.where(lim.scope[idx] == _PORTFOLIO, figure[lim.row[idx]], np.nan)
    return value, lim.bucket[idx].copy()


def _abs_net(g: _Groups) -> np.ndarray:
    return np.abs(g.net)


_HANDLERS = {
    "max_position": lambda m, lim, i: _per_instrument(m, lim, i, m.absv, m.largest_position),
    "concentration_limit": lambda m, lim, i: _per_instrument(
        m, lim, i, m.absv, m.largest_position, scale=m.gross
    ),
    "adv_limit": lambda m, lim, i: _per_instrument(m, lim, i, m.adv_ratio, m.segment_max(m.adv_ratio)),
    "gross_exposure": lambda m, lim, i: _per_group(m, lim, i, lambda g: g.gross, book=m.gross),
    "net_exposure": lambda m, lim, i: _per_group(m, lim, i, _abs_net, book=m.net),
    "short_exposure": lambda m, lim, i: _per_group(m, lim, i, lambda g: g.short, book=m.short),
    "sector_concentration": lambda m, lim, i: _per_group(
        m, lim, i, lambda g: g.gross, kinds=("sector",), largest="sector"
    ),
    "industry_exposure": lambda m, lim, i: _per_group(
        m, lim, i, _abs_net, kinds=("industry",), largest="industry"
    ),
    "currency_exposure": lambda m, lim, i: _per_group(
        m, lim, i, _abs_net, kinds=("currency",), largest="currency", foreign_only=True
    ),
    "fx_risk": _fx_risk,
    "var_limit": lambda m, lim, i: _var_es(m, lim, i, 0),
    "expected_shortfall_limit": lambda m, lim, i: _var_es(m, lim, i, 1),
    "turnover_limit": lambda m, lim, i: _window(m, lim, i, m.book.turnover),
    "drawdown": lambda m, lim, i: _window(m, lim, i, m.book.drawdown),
    "leverage": lambda m, lim, i: _portfolio_only(m, lim, i, _safe_div(m.gross, m.nav)),
}


def evaluate(book: Book, limits: Limits) -> Evaluation:
    """Value, utilization, status and bucket of every limit (see the module docstring)."""
    m = _Measures(book)
    n_lim = len(limits.row)
    value = np.full(n_lim, np.nan)
    bucket = np.asarray(limits.bucket, dtype=np.int64).copy()
    for code, handler in _HANDLERS.items():
        idx = np.flatnonzero(limits.type == TYPE[code])
        if idx.size == 0:
            continue
        value[idx], bucket[idx] = handler(m, limits, idx)
    pct = limits.unit == UNIT["pct_nav"]
    value[pct] = _safe_div(value[pct], m.nav[limits.row[pct]])
    breach = np.asarray(limits.breach, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        status = np.where(value >= breach, BREACH, np.where(value >= limits.warn, WARN, OK)).astype(np.int8)
        utilization = value / breach
    status[np.isnan(value)] = NO_DATA
    return Evaluation(value=value, utilization=utilization, status=status, bucket=bucket)
