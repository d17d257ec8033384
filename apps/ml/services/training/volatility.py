"""Training a volatility model (GARCH, GJR, EGARCH through `arch`): one fit per symbol on its daily
simple returns over the window (kernels/volatility.py), stored as a VolatilityBundle of each
symbol's parameters, its conditional variance for the next bar and the bar its returns end at.

Each symbol's metrics are the full fit's log-likelihood, AIC, BIC and convergence, and a hold-out
check (kernels/evaluation.py `vol_holdout`): the model fitted on the first 80 % of the returns
forecasts the variance of each of the last 20 % one step ahead (filtering with the fitted
parameters, no refit), scored by QLIKE and MSE against the squared residual, next to a constant
forecast (the fitted part's variance). The stored parameters are the fit on every return: the
hold-out judges the method, the version uses all the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from django.core.exceptions import ValidationError

from ...kernels.bundles import VolatilityBundle
from ...kernels.evaluation import vol_holdout
from ...kernels.volatility import vol_fit
from ...selectors.training_data import INTERVAL, return_series
from .fitted import Fitted, iso
from .params import TrainRequest

HOLDOUT_FRACTION = 0.2
MIN_FIT_RETURNS = 100  # kernels/volatility.py refuses fewer
MIN_RETURNS = math.ceil(MIN_FIT_RETURNS / (1 - HOLDOUT_FRACTION))  # the hold-out's fit needs 100 too


def volatility_train(req: TrainRequest, report: Callable[[float, str], None]) -> Fitted:
    report(2, "reading returns")
    series = return_series(symbols=req.symbols, start=req.start, end=req.end)
    short = {s: len(r) for s, r in series.items() if len(r) < MIN_RETURNS}
    if short:
        listed = ", ".join(f"{s} ({n})" for s, n in short.items())
        raise ValidationError(
            {"start": f"too few daily returns in the window for {listed}; each symbol needs {MIN_RETURNS}"}
        )
    dist, mean = req.resolved["dist"], req.resolved["mean"]
    params, next_variance, last_ts, per_symbol = {}, {}, {}, {}
    for i, (symbol, r) in enumerate(series.items()):
        report(5 + 90 * i / len(series), f"fitting {symbol}")
        values = r.to_numpy(dtype=float)
        full = vol_fit(values, req.estimator, dist=dist, mean=mean)
        params[symbol] = full.params
        next_variance[symbol] = full.next_variance
        last_ts[symbol] = iso(r.index[-1])
        per_symbol[symbol] = {
            "n_obs": full.n_obs,
            "loglik": full.loglikelihood,
            "aic": full.aic,
            "bic": full.bic,
            "converged": full.converged,
            "next_variance": full.next_variance,
            "holdout": vol_holdout(values, req.estimator, dist=dist, mean=mean, fraction=HOLDOUT_FRACTION),
        }
    holdouts = [m["holdout"] for m in per_symbol.values()]
    bundle = VolatilityBundle(
        kind=req.estimator,
        dist=dist,
        mean=mean,
        interval=INTERVAL,
        params=params,
        next_variance=next_variance,
        last_ts=last_ts,
    )
    metrics = {
        "symbols": per_symbol,
        "holdout_fraction": HOLDOUT_FRACTION,
        "mean": {
            k: float(np.mean([h[k] for h in holdouts]))
            for k in ("qlike", "mse", "qlike_constant", "mse_constant")
        },
    }
    starts = [r.index[0] for r in series.values()]
    ends = [r.index[-1] for r in series.values()]
    return Fitted(
        bundle=bundle,
        hyperparameters=dict(req.resolved),
        metrics=metrics,
        train_start=min(starts),
        train_end=max(ends),
    )
