"""Risk measures of one stored book: VaR / ES by four methods with the per-position decomposition,
and the rolling backtest of a VaR method against the book's own history.

Conventions shared by everything here (and by selectors/stress.py, which imports the helpers):
- The book is today's holdings (hC's `book_load`): signed market values in the portfolio's base
  currency. Its history is *holdings-based*: today's positions × each past day's instrument returns,
  the usual historical-simulation P&L (no past trades, no cash).
- Instrument returns are daily simple returns of adjusted closes in the instrument's own currency
  (FX moves belong to the fx_risk limit); the last `window` rows ending at the latest stored bar.
  A missing return (an instrument without a bar that day) counts as no move (0), so every method
  sees the same complete (T, N) matrix.
- Losses are positive. Percentages are fractions of NAV (0.02 = 2 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

from apps.marketdata import facade as marketdata
from apps.platform.numbers import finite_or_none
from apps.platform.timestamps import iso_date_or_utc
from apps.portfolio import facade as portfolio_facade

from ..kernels import var as var_kernels

METHODS = ("historical", "normal", "cornish_fisher", "monte_carlo")
BACKTEST_METHODS = ("historical", "normal", "cornish_fisher")
COVARIANCES = ("sample", "ledoit_wolf")
DEFAULT_WINDOW = 250
MAX_SIMULATIONS = 200_000
MIN_OBSERVATIONS = 20  # fewer daily returns than this make any tail estimate meaningless
# Monte Carlo draws paths × instruments float64 at once in the API process: 25M cells ≈ 200 MB.
MC_MAX_CELLS = 25_000_000
COMPONENT_METHOD = "normal"  # the Euler decomposition is of the normal parametric VaR (see _components)


@dataclass(frozen=True)
class PortfolioBook:
    """One portfolio's book as the measures need it, columns = instruments held (quantity ≠ 0)."""

    code: str
    base_currency: str
    nav: float
    symbols: list[str]
    quantities: np.ndarray  # (N,) signed units
    values: np.ndarray  # (N,) signed market value in base currency
    prices: np.ndarray  # (N,) latest close in the instrument's currency
    currencies: list[str]  # (N,) quote currency of each instrument
    sectors: list[str]  # (N,) "" when unknown
    unpriced: list[str]  # held symbols without a price or FX rate: valued 0 here, listed in answers


def _dense_row(matrix) -> np.ndarray:
    row = matrix[0]
    if hasattr(row, "toarray"):
        row = row.toarray()
    return np.asarray(row, dtype=float).reshape(-1)


def portfolio_book(*, portfolio: str) -> PortfolioBook:
    """The stored book by portfolio code (or id), valued by the risk core's `book_load` so these
    figures use the same values and NAV as the limits. Unknown portfolio: ValidationError."""
    from .book import book_load  # the risk core's loader (hC)

    info = portfolio_facade.portfolio_get(portfolio)
    if info is None:
        raise ValidationError({"portfolio": f"unknown portfolio {portfolio!r}"})
    loaded = book_load(portfolio_ids=[info.id])
    quantities = _dense_row(loaded.book.quantities)
    raw_values = _dense_row(loaded.book.values)
    prices = np.asarray(loaded.prices, dtype=float).reshape(-1)
    held = np.flatnonzero(quantities != 0)
    symbols = [loaded.symbols[j] for j in held]
    unpriced = [loaded.symbols[j] for j in held if not np.isfinite(raw_values[j])]
    values = np.nan_to_num(raw_values, nan=0.0, posinf=0.0, neginf=0.0)
    attrs = marketdata.instruments_by_symbols(symbols)
    return PortfolioBook(
        code=info.code,
        base_currency=info.base_currency,
        nav=float(np.asarray(loaded.book.nav, dtype=float).reshape(-1)[0]),
        symbols=symbols,
        quantities=quantities[held],
        values=values[held],
        prices=prices[held],
        currencies=[attrs[s].currency if s in attrs else info.base_currency for s in symbols],
        sectors=[attrs[s].sector if s in attrs else "" for s in symbols],
        unpriced=unpriced,
    )


def returns_history(*, symbols: list[str], window: int, fill: bool = True) -> pd.DataFrame:
    """The last `window` daily simple returns (adjusted closes) of `symbols`, ending at the latest
    stored bar of any of them; columns in the order given, NaN → 0 unless `fill` is False (see the
    module docstring).
    Only a calendar slice wide enough for `window` trading days is read (≈ 1.5 calendar days per
    trading day plus slack), not the whole history."""
    if not symbols:
        return pd.DataFrame(columns=symbols, dtype=float)
    stamps = [t for t in marketdata.latest_prices(symbols).attrs.get("ts", {}).values() if pd.notna(t)]
    if not stamps:
        return pd.DataFrame(columns=symbols, dtype=float)
    latest = max(pd.Timestamp(t) for t in stamps)
    start = latest - pd.Timedelta(days=int(window * 1.5) + 20)
    panel = marketdata.return_panel(symbols, start=start, end=latest + pd.Timedelta(seconds=1))
    panel = panel.reindex(columns=symbols).tail(window).astype(float)
    return panel.fillna(0.0) if fill else panel


def check_confidence(confidence: float, field: str = "confidence") -> float:
    c = float(confidence)
    if not (0.0 < c < 1.0) or not math.isfinite(c):
        raise ValidationError({field: "must be strictly between 0 and 1 (e.g. 0.99)"})
    return c


def _check_params(*, method, confidence, horizon_days, window, simulations, covariance) -> None:
    errors = {}
    if method not in METHODS:
        errors["method"] = f"unknown method {method!r}; one of {', '.join(METHODS)}"
    try:
        check_confidence(confidence)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not 1 <= int(horizon_days) <= 250:
        errors["horizon_days"] = "must be between 1 and 250"
    if not MIN_OBSERVATIONS <= int(window) <= 5000:
        errors["window"] = f"must be between {MIN_OBSERVATIONS} and 5000 days"
    if not 100 <= int(simulations) <= MAX_SIMULATIONS:
        errors["simulations"] = f"must be between 100 and {MAX_SIMULATIONS}"
    if covariance not in COVARIANCES:
        errors["covariance"] = f"unknown estimator {covariance!r}; one of {', '.join(COVARIANCES)}"
    if errors:
        raise ValidationError(errors)


def _window_info(returns: pd.DataFrame, requested: int) -> dict:
    index = returns.index
    return {
        "requested_days": int(requested),
        "observations": int(len(index)),
        "start": iso_date_or_utc(index[0]) if len(index) else None,
        "end": iso_date_or_utc(index[-1]) if len(index) else None,
        "returns": "daily simple returns of adjusted closes, local currency; a missing day counts as 0",
    }


def _history(book: PortfolioBook, window: int, field: str = "window") -> pd.DataFrame:
    returns = returns_history(symbols=book.symbols, window=window)
    if book.symbols and len(returns) < MIN_OBSERVATIONS:
        raise ValidationError(
            {field: f"only {len(returns)} daily returns stored for this book; need {MIN_OBSERVATIONS}"}
        )
    return returns


def _pct(amount: float, nav: float) -> float | None:
    return float(amount / nav) if nav > 0 and math.isfinite(amount) else None


def _moments(pnl: np.ndarray) -> tuple[float, float]:
    """Skew and excess kurtosis of the P&L, bias-corrected (pandas' .skew()/.kurt() convention)."""
    if len(pnl) < 4 or np.std(pnl) == 0:
        return 0.0, 0.0
    return float(stats.skew(pnl, bias=False)), float(stats.kurtosis(pnl, fisher=True, bias=False))


def _estimate(method, values, r, pnl, cov, confidence, horizon, simulations, seed) -> tuple[float, float]:
    """(VaR, ES) of one book by `method`; see `var_calculate` for each method's inputs."""
    if method == "historical":
        v, e = var_kernels.historical_var_es(pnl, confidence, horizon)
    elif method == "monte_carlo":
        v, e = var_kernels.monte_carlo_var_es(
            values, cov, confidence, horizon, simulations=simulations, seed=seed, mean=r.mean(axis=0)
        )
    else:
        std = math.sqrt(max(float(values @ cov @ values), 0.0))
        skew, kurt = _moments(pnl) if method == "cornish_fisher" else (None, None)
        v, e = var_kernels.parametric_var_es(
            float(pnl.mean()), std, confidence, horizon, method=method, skew=skew, excess_kurtosis=kurt
        )
    return float(np.ravel(v)[0]), float(np.ravel(e)[0])


def _components(values, r, cov, confidence, horizon) -> tuple[float, np.ndarray, np.ndarray]:
    """Euler decomposition of the normal parametric VaR -(h·μ_p) + z√h·σ_p (z > 0). The kernel
    gives the zero-mean part; the mean term -h·vᵀm is linear in v, so its Euler share is
    -h·v_i·m_i and the marginal VaR shifts by -h·m_i. Components then sum to the normal VaR."""
    var0, marginal, _ = var_kernels.component_var(values, cov, confidence, horizon)
    m = r.mean(axis=0)
    marginal = marginal[0] - horizon * m
    return float(var0[0] - horizon * float(values @ m)), marginal, values * marginal


def var_calculate(
    *,
    portfolio: str,
    method: str = "historical",
    confidence: float = 0.99,
    horizon_days: int = 1,
    window: int = DEFAULT_WINDOW,
    simulations: int = 10_000,
    seed: int = 42,
    covariance: str = "sample",
    book: PortfolioBook | None = None,
) -> dict:
    """VaR and ES of the stored book, JSON-ready. Inputs per method (pnl = returns @ values):
    - historical: the empirical quantile / tail mean of pnl (√h scaling);
    - normal: mean of pnl, σ = √(vᵀΣv) with Σ the `covariance` estimate (sample Σ gives exactly
      the pnl's ddof=1 standard deviation);
    - cornish_fisher: as normal, plus the pnl's skew and excess kurtosis (bias-corrected);
    - monte_carlo: N(m, Σ) instrument returns (m the sample means), `simulations` paths, `seed`.
    Per position: marginal and component VaR of the normal parametric VaR (they sum to it), and for
    the historical method the scenario contributions that sum to the historical VaR and ES."""
    _check_params(
        method=method,
        confidence=confidence,
        horizon_days=horizon_days,
        window=window,
        simulations=simulations,
        covariance=covariance,
    )
    book = book or portfolio_book(portfolio=portfolio)
    if method == "monte_carlo" and int(simulations) * len(book.symbols) > MC_MAX_CELLS:
        most = MC_MAX_CELLS // len(book.symbols)
        raise ValidationError(
            {"simulations": f"at most {most} paths for a book of {len(book.symbols)} instruments"}
        )
    returns = _history(book, window)
    values = book.values
    r = returns.to_numpy(dtype=float)
    base = {
        "portfolio": book.code,
        "currency": book.base_currency,
        "nav": finite_or_none(book.nav),
        "unpriced": book.unpriced,
        "method": method,
        "confidence": float(confidence),
        "horizon_days": int(horizon_days),
        "covariance": covariance if method != "historical" else None,
        "simulations": int(simulations) if method == "monte_carlo" else None,
        "seed": int(seed) if method == "monte_carlo" else None,
        "window": _window_info(returns, window),
    }
    if not book.symbols:
        zero = {"var": 0.0, "es": 0.0, "var_pct_nav": _pct(0.0, book.nav), "es_pct_nav": _pct(0.0, book.nav)}
        return {**base, **zero, "components": {"method": COMPONENT_METHOD, "var": 0.0}, "positions": []}
    pnl = r @ values
    cov = var_kernels.covariance(r, method=covariance)
    var, es = _estimate(method, values, r, pnl, cov, confidence, horizon_days, simulations, seed)
    comp_var, marginal, component = _components(values, r, cov, confidence, horizon_days)
    positions = [
        {
            "symbol": sym,
            "quantity": float(book.quantities[j]),
            "value": float(values[j]),
            "weight": _pct(float(values[j]), book.nav),
            "marginal_var": float(marginal[j]),
            "component_var": float(component[j]),
            "component_share": float(component[j] / comp_var) if comp_var else None,
        }
        for j, sym in enumerate(book.symbols)
    ]
    if method == "historical":
        _, _, var_c, es_c = var_kernels.historical_component_var_es(values, r, confidence, horizon_days)
        for j, row in enumerate(positions):
            row["historical_var_contribution"] = float(var_c[0, j])
            row["historical_es_contribution"] = float(es_c[0, j])
    return {
        **base,
        "var": finite_or_none(var),
        "es": finite_or_none(es),
        "var_pct_nav": _pct(var, book.nav),
        "es_pct_nav": _pct(es, book.nav),
        "components": {
            "method": COMPONENT_METHOD,
            "description": "Euler decomposition of the normal parametric VaR (with the sample mean) "
            "at the same confidence, horizon and covariance; components sum to `var`.",
            "var": comp_var,
        },
        "positions": positions,
    }


def pnl_history(*, book: PortfolioBook, window: int = DEFAULT_WINDOW) -> pd.Series:
    """Holdings-based daily P&L of the book over the window (what the historical VaR reads)."""
    returns = returns_history(symbols=book.symbols, window=window)
    return pd.Series(returns.to_numpy(dtype=float) @ book.values, index=returns.index, name="pnl")


def _rolling_var(method: str, windows: np.ndarray, confidence: float) -> np.ndarray:
    """One-day VaR forecast from each row of `windows` (forecasts × window), vectorized."""
    if method == "historical":
        return var_kernels.historical_var_es(windows, confidence, 1.0)[0]
    mean, std = windows.mean(axis=1), windows.std(axis=1, ddof=1)
    if method == "normal":
        return var_kernels.parametric_var_es(mean, std, confidence, 1.0)[0]
    flat = std == 0
    skew = np.where(flat, 0.0, np.nan_to_num(stats.skew(windows, axis=1, bias=False)))
    kurt = np.where(flat, 0.0, np.nan_to_num(stats.kurtosis(windows, axis=1, fisher=True, bias=False)))
    return var_kernels.parametric_var_es(
        mean, std, confidence, 1.0, method="cornish_fisher", skew=skew, excess_kurtosis=kurt
    )[0]


def backtest_calculate(
    *,
    portfolio: str,
    method: str = "historical",
    confidence: float = 0.99,
    window: int = DEFAULT_WINDOW,
    observations: int = DEFAULT_WINDOW,
    significance: float = 0.05,
) -> dict:
    """Rolling one-day VaR backtest of the book's holdings-based P&L: for each of the last
    `observations` days t, VaR_t is estimated from the `window` days before t only, and day t is an
    exception when pnl_t < -VaR_t. Kupiec (POF) and Christoffersen (independence, conditional
    coverage) statistics with p-values; a test rejects when its p-value < `significance`."""
    errors = {}
    if method not in BACKTEST_METHODS:
        errors["method"] = f"unknown method {method!r}; one of {', '.join(BACKTEST_METHODS)}"
    try:
        check_confidence(confidence)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not MIN_OBSERVATIONS <= int(window) <= 5000:
        errors["window"] = f"must be between {MIN_OBSERVATIONS} and 5000 days"
    if not MIN_OBSERVATIONS <= int(observations) <= 5000:
        errors["observations"] = f"must be between {MIN_OBSERVATIONS} and 5000 days"
    if errors:
        raise ValidationError(errors)
    book = portfolio_book(portfolio=portfolio)
    if not book.symbols:
        raise ValidationError({"portfolio": "the book holds no position to backtest"})
    pnl = pnl_history(book=book, window=window + observations)
    if len(pnl) < window + MIN_OBSERVATIONS:
        raise ValidationError(
            {"observations": f"{len(pnl)} days stored; need window + at least {MIN_OBSERVATIONS}"}
        )
    used = min(int(observations), len(pnl) - window)
    series = pnl.to_numpy()[-(window + used) :]
    realized = series[window:]
    forecasts = _rolling_var(method, sliding_window_view(series[:-1], window), confidence)
    result = var_kernels.var_backtest(realized, forecasts, confidence)
    exceptions = np.flatnonzero(realized < -forecasts)
    dates = pnl.index[-used:]

    def verdict(p: float) -> str:
        # No transition at all (e.g. a single observation) leaves the independence test undefined.
        if not math.isfinite(p):
            return "undefined"
        return "reject" if p < significance else "accept"

    tests = {
        "kupiec": (result["pof_lr"], result["pof_p"]),
        "christoffersen_independence": (result["ind_lr"], result["ind_p"]),
        "christoffersen_conditional_coverage": (result["cc_lr"], result["cc_p"]),
    }
    tests = {
        k: {"lr": finite_or_none(lr), "p_value": finite_or_none(p), "verdict": verdict(float(p))}
        for k, (lr, p) in tests.items()
    }
    return {
        "portfolio": book.code,
        "currency": book.base_currency,
        "method": method,
        "confidence": float(confidence),
        "window": int(window),
        "observations": int(result["observations"]),
        "start": iso_date_or_utc(dates[0]),
        "end": iso_date_or_utc(dates[-1]),
        "exceptions": int(result["exceptions"]),
        "rate": finite_or_none(result["rate"]),
        "expected_rate": float(result["expected_rate"]),
        "significance": significance,
        "tests": tests,
        "verdict": "reject" if any(t["verdict"] == "reject" for t in tests.values()) else "accept",
        "exception_days": [
            {"date": iso_date_or_utc(dates[i]), "pnl": float(realized[i]), "var": float(forecasts[i])}
            for i in exceptions
        ],
    }
