"""Volatility models through `arch`: GARCH(1,1), GJR-GARCH(1,1,1), EGARCH(1,1,1); fit, h-step
forecasts, and a per-bar update of the conditional variance from stored parameters.

Units. Callers pass simple (or log) returns as decimals (0.01 = 1 %). `arch`'s optimiser is tuned
for returns in percent, so each kernel hands `arch_model` the returns times `SCALE` = 100 and the
fitted parameters are arch's, in percent units (omega in %², mu in %). Variances and volatilities
going out (`VolFit.next_variance`, `VolForecast`, `vol_update`) are back in decimal units: variance
in return² per period (÷ 100²), volatility its square root (÷ 100), per period of the input
(daily bars give daily variance).

Models (`KINDS`): a constant mean (or zero) r_t = mu + eps_t, eps_t = sigma_t z_t, z_t of `dist`
("normal", "t", "skewt"), and
- garch:  sigma²_t = omega + alpha eps²_{t-1} + beta sigma²_{t-1}
- gjr:    sigma²_t = omega + (alpha + gamma 1[eps_{t-1} < 0]) eps²_{t-1} + beta sigma²_{t-1}
- egarch: ln sigma²_t = omega + alpha (|e_{t-1}| - sqrt(2/pi)) + gamma e_{t-1} + beta ln sigma²_{t-1},
          e = eps / sigma (arch centres |e| by sqrt(2/pi) whatever the distribution).

`vol_forecast` rebuilds the model on the return history with the stored parameters (`arch`'s
`fix`, no refit) and asks `arch` for the forecast: analytic for garch and gjr; EGARCH has no
analytic forecast beyond one step, so there it simulates `simulations` paths, drawing the shocks
from the model's distribution seeded with `seed` (arch's way: `model.distribution = Normal(seed=)`). `vol_update` is the recursion above written in numpy for the new bar of many
instruments at once: from sigma²_{t+1} (known at t) and the return at t+1 it gives sigma²_{t+2},
without `arch` or the history (arch additionally clips variances to bounds from the sample, which
only binds on degenerate series). `vol_forecast_from_state` continues that state h steps ahead in
closed form for garch and gjr (arch's analytic forecast, without the history): what a prediction uses
once the stored state has been moved to the latest bar.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from arch import arch_model
from arch.univariate import Normal, SkewStudent, StudentsT

SCALE = 100.0
KINDS: dict[str, dict] = {
    "garch": {"vol": "GARCH", "p": 1, "o": 0, "q": 1},
    "gjr": {"vol": "GARCH", "p": 1, "o": 1, "q": 1},
    "egarch": {"vol": "EGARCH", "p": 1, "o": 1, "q": 1},
}
DISTS = {"normal": Normal, "t": StudentsT, "skewt": SkewStudent}
MEANS = {"constant": "Constant", "zero": "Zero"}
Mean = Literal["constant", "zero"]


@dataclass(frozen=True)
class VolFit:
    kind: str
    dist: str
    mean: str
    params: dict[str, float]  # arch's names and percent units: mu, omega, alpha[1], gamma[1], beta[1], nu...
    next_variance: float  # sigma² for the bar after the last one fitted, decimal units
    n_obs: int
    loglikelihood: float
    aic: float
    bic: float
    converged: bool


@dataclass(frozen=True)
class VolForecast:
    variance: np.ndarray  # (h,) per-period variance for steps 1..h ahead, decimal units
    vol: np.ndarray  # (h,) its square root

    @property
    def total_variance(self) -> float:
        """Variance of the h-period sum of returns (for an h-day risk horizon)."""
        return float(self.variance.sum())


def vol_fit(returns, kind: str, *, dist: str = "normal", mean: Mean = "constant") -> VolFit:
    """Fit `kind` by maximum likelihood with `arch` on decimal `returns` (scaled to percent)."""
    res = _model(returns, kind, dist, mean).fit(disp="off", show_warning=False)
    next_var = res.forecast(horizon=1, reindex=False).variance.to_numpy()[-1, 0]
    return VolFit(
        kind=kind,
        dist=dist,
        mean=mean,
        params={k: float(v) for k, v in res.params.items()},
        next_variance=float(next_var) / SCALE**2,
        n_obs=int(res.nobs),
        loglikelihood=float(res.loglikelihood),
        aic=float(res.aic),
        bic=float(res.bic),
        converged=res.convergence_flag == 0,
    )


def vol_forecast(
    returns, fit: VolFit, horizon: int, *, simulations: int = 1000, seed: int = 0
) -> VolForecast:
    """Variance forecasts 1..`horizon` steps after the last of `returns`, from `fit`'s parameters
    (not refitted; `returns` may extend past the fitted sample). EGARCH beyond one step simulates
    `simulations` paths seeded with `seed`."""
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")
    model = _model(returns, fit.kind, fit.dist, fit.mean)
    if fit.kind == "egarch" and horizon > 1:
        model.distribution = DISTS[fit.dist](seed=int(seed))
        fc = model.fix(pd.Series(fit.params)).forecast(
            horizon=horizon, method="simulation", simulations=simulations, reindex=False
        )
    else:
        fc = model.fix(pd.Series(fit.params)).forecast(horizon=horizon, reindex=False)
    variance = fc.variance.to_numpy()[-1] / SCALE**2
    return VolForecast(variance=variance, vol=np.sqrt(variance))


def vol_update(kind: str, params: Mapping[str, object], variance, returns) -> np.ndarray:
    """sigma²_{t+2} from sigma²_{t+1} (`variance`, decimal) and the return at t+1 (decimal), for
    many instruments at once: each of `params` (arch's names) and the arrays broadcast together."""
    if kind not in KINDS:
        raise ValueError(f"unknown volatility model {kind!r}; one of: {', '.join(KINDS)}")
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    s2 = np.asarray(variance, dtype=float) * SCALE**2
    eps = np.asarray(returns, dtype=float) * SCALE - p.get("mu", 0.0)
    omega, alpha, beta = p["omega"], p["alpha[1]"], p["beta[1]"]
    if kind == "egarch":
        e = eps / np.sqrt(s2)
        log_s2 = omega + alpha * (np.abs(e) - np.sqrt(2 / np.pi)) + p["gamma[1]"] * e + beta * np.log(s2)
        return np.exp(log_s2) / SCALE**2
    gamma = p.get("gamma[1]", 0.0)
    return (omega + (alpha + gamma * (eps < 0)) * eps**2 + beta * s2) / SCALE**2


def vol_forecast_from_state(
    kind: str, params: Mapping[str, object], next_variance: float, horizon: int
) -> VolForecast:
    """Variance forecasts 1..`horizon` steps ahead from sigma² of the next bar (`next_variance`,
    decimal; e.g. `vol_update`'s result) and the stored parameters, for garch and gjr, in closed form:

        E[sigma²_{k+1}] = omega + phi E[sigma²_k],   phi = alpha + gamma / 2 + beta,
        so E[sigma²_k] = phi^(k-1) sigma²_1 + omega (1 + phi + ... + phi^(k-2)).

    This is arch's analytic forecast (a shock is negative half the time: arch's gamma / 2 whatever
    the distribution) started from the same state, so it equals arch's forecast on the history that
    led to `next_variance`, without that history. EGARCH has no closed form beyond one step
    (`vol_forecast` simulates it): ValueError."""
    if kind not in ("garch", "gjr"):
        raise ValueError(f"no closed-form multi-step forecast for {kind!r}; use vol_forecast")
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")
    omega = float(params["omega"])
    phi = float(params["alpha[1]"]) + 0.5 * float(params.get("gamma[1]", 0.0)) + float(params["beta[1]"])
    powers = phi ** np.arange(horizon, dtype=float)
    geometric = np.concatenate(([0.0], np.cumsum(powers[:-1])))  # 1 + phi + ... + phi^(k-2)
    variance = (powers * float(next_variance) * SCALE**2 + omega * geometric) / SCALE**2
    return VolForecast(variance=variance, vol=np.sqrt(variance))


def _model(returns, kind: str, dist: str, mean: str):
    if kind not in KINDS:
        raise ValueError(f"unknown volatility model {kind!r}; one of: {', '.join(KINDS)}")
    if dist not in DISTS:
        raise ValueError(f"unknown distribution {dist!r}; one of: {', '.join(DISTS)}")
    if mean not in MEANS:
        raise ValueError(f"unknown mean {mean!r}; one of: {', '.join(MEANS)}")
    r = returns * SCALE if isinstance(returns, pd.Series) else np.asarray(returns, dtype=float) * SCALE
    if not np.isfinite(np.asarray(r)).all():
        raise ValueError("returns must be finite (drop the first NaN of a pct_change)")
    if len(r) < 100:
        raise ValueError(f"a volatility model needs at least 100 returns, got {len(r)}")
    return arch_model(r, mean=MEANS[mean], dist=dist, **KINDS[kind])
