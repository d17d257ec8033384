"""Volatility forecasts of a volatility model (VolatilityBundle) for one symbol over 1..h bars.

The bundle keeps, per symbol, arch's fitted parameters and sigma² of the bar after the last fitted
return (`last_ts`). A forecast first moves that state over the returns that arrived since
(marketdata's adjusted close-to-close returns at the bundle's interval, bars after `last_ts`),
bar by bar with the stored parameters (`VolatilityBundle.advance`, no refit); then:

- garch, gjr: the h-step path in closed form from the moved state
  (kernels/volatility.vol_forecast_from_state: arch's analytic forecast, without the history);
- egarch: one step is the moved state; beyond, arch simulates (there is no closed form): the
  return history since the version's training start goes to kernels/volatility.vol_forecast with the
  stored parameters (fixed, not refitted), 1,000 paths seeded with 0 so an answer repeats.

The answer: per-period variance and volatility for steps 1..h, the h-period total (variance of the
sum of the h returns, and its square root), and the annualized volatility over the horizon,
sqrt(total / h x periods per year): 252 daily bars, 52 weekly, 12 monthly, and for intraday bars
252 sessions of 6.5 hours (a US equity year).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from apps.marketdata import facade as marketdata

from ..kernels.volatility import VolFit, vol_forecast, vol_forecast_from_state
from .history import returns_from, returns_since, utc
from .serving import PredictionInputError, Served

SIMULATIONS = 1000
SEED = 0
_PERIODS_PER_YEAR = {"1d": 252.0, "1w": 52.0, "1mo": 12.0}
_SESSION_SECONDS_PER_YEAR = 252 * 6.5 * 3600


@dataclass(frozen=True)
class VolatilityForecast:
    served: Served
    symbol: str
    horizon: int
    interval: str
    variance: np.ndarray  # (h,) per-period variance of steps 1..h, decimal return² per bar
    vol: np.ndarray  # (h,) its square root
    total_variance: float  # variance of the h-bar return
    total_vol: float
    annualized_vol: float
    method: str  # "analytic" (closed form from the state) or "simulation" (arch, egarch beyond 1 step)
    as_of: pd.Timestamp | None  # bar of the last return in the state (None: the bundle gives none)
    new_returns: int  # returns since the fit that moved the state


def periods_per_year(interval: str) -> float:
    if interval in _PERIODS_PER_YEAR:
        return _PERIODS_PER_YEAR[interval]
    return _SESSION_SECONDS_PER_YEAR / marketdata.interval_length(interval).total_seconds()


def _symbol(bundle, symbol: str) -> str:
    for candidate in (symbol, symbol.strip().upper()):
        if candidate in bundle.params:
            return candidate
    fitted = sorted(bundle.params)
    shown = ", ".join(fitted[:20]) + (f" and {len(fitted) - 20} more" if len(fitted) > 20 else "")
    raise PredictionInputError({"symbol": f"the model was not fitted on {symbol!r}; it was on: {shown}"})


def volatility_forecast(served: Served, *, symbol: str, horizon: int) -> VolatilityForecast:
    """Forecast `horizon` bars ahead for `symbol` (see the module docstring). PredictionInputError on
    "symbol" for a symbol the model was not fitted on, or on "horizon" when an EGARCH path has too
    little history to simulate from."""
    bundle = served.bundle
    key = _symbol(bundle, symbol)
    new = returns_since(key, bundle.interval, bundle.last_ts.get(key))
    as_of = new.index[-1] if len(new) else (utc(bundle.last_ts[key]) if bundle.last_ts.get(key) else None)
    state = bundle.advance(key, new.to_numpy(dtype=float))
    method = "analytic"
    if bundle.kind in ("garch", "gjr"):
        path = vol_forecast_from_state(bundle.kind, bundle.params[key], state, horizon)
        variance = path.variance
    elif horizon == 1:
        variance = np.array([state])
    else:
        method = "simulation"
        history = returns_from(key, bundle.interval, served.train_start)
        fit = VolFit(
            kind=bundle.kind,
            dist=bundle.dist,
            mean=bundle.mean,
            params=bundle.params[key],
            next_variance=state,
            n_obs=len(history),
            loglikelihood=math.nan,
            aic=math.nan,
            bic=math.nan,
            converged=True,
        )
        try:
            variance = vol_forecast(history, fit, horizon, simulations=SIMULATIONS, seed=SEED).variance
        except ValueError as exc:
            raise PredictionInputError({"horizon": f"an EGARCH forecast beyond one bar: {exc}"}) from None
    total = float(variance.sum())
    return VolatilityForecast(
        served=served,
        symbol=key,
        horizon=int(horizon),
        interval=bundle.interval,
        variance=variance,
        vol=np.sqrt(variance),
        total_variance=total,
        total_vol=math.sqrt(total),
        annualized_vol=math.sqrt(total / horizon * periods_per_year(bundle.interval)),
        method=method,
        as_of=as_of,
        new_returns=len(new),
    )
