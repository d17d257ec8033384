"""Training a regime model: a Gaussian HMM (hmmlearn) or a Markov-switching regression
(statsmodels), one model for all the symbols asked, stored as a RegimeBundle with its states ordered
calmest first and each symbol's filtered state probabilities at its last bar.

Observations (selectors/training_data.py `regime_observations`):
- hmm: the members of a feature set as known at each bar's close when one is given; otherwise the
  bar's simple return of the adjusted close alone (input "return"), the same input the Markov model
  reads, so a predictor advances either kind with the next bar's return. Returns plus a realized
  volatility would give steadier states, but a rolling window is one more definition a predictor
  must recompute identically bar by bar; a feature set (the demo's has vol_yz_20 and ret_1) is the
  place for such inputs, with the feature store computing them once for training and prediction.
  The HMM is fitted on standardized inputs (kernels/regime_states.py; the bundle keeps the center
  and scale, and standardizes raw observations itself), every symbol's series a sequence of its
  own (`lengths`).
- markov: returns. statsmodels fits one series, so the symbols' returns are joined end to end: each
  join adds one transition that did not happen (a handful against thousands of bars).

Metrics: log-likelihood, AIC, BIC, convergence, the share of bars whose most likely filtered state is
each state, and each state's expected duration in bars (1 / (1 - P[k, k])).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from django.core.exceptions import ValidationError

from ...kernels.bundles import RegimeBundle
from ...kernels.regime_states import expected_durations, hmm_fit_standardized, ms_fit_ordered, state_names
from ...selectors.training_data import INTERVAL, regime_observations
from .fitted import Fitted, iso
from .params import TrainRequest

MIN_OBSERVATIONS = 100  # per symbol


def regime_train(req: TrainRequest, report: Callable[[float, str], None]) -> Fitted:
    report(2, "reading observations")
    inputs, observations = regime_observations(
        symbols=req.symbols, start=req.start, end=req.end, feature_set=req.feature_set
    )
    short = {s: len(o) for s, o in observations.items() if len(o) < MIN_OBSERVATIONS}
    if short:
        listed = ", ".join(f"{s} ({n})" for s, n in short.items())
        raise ValidationError(
            {
                "start": f"too few observations in the window for {listed}; each symbol needs {MIN_OBSERVATIONS}"
            }
        )
    X = np.concatenate([o.to_numpy(dtype=float) for o in observations.values()])
    lengths = [len(o) for o in observations.values()]
    report(20, f"fitting {req.estimator} on {len(X)} observations")
    p = req.resolved
    try:
        if req.estimator == "hmm":
            fit = hmm_fit_standardized(
                X,
                p["n_states"],
                seed=req.seed,
                covariance_type=p["covariance_type"],
                n_iter=p["n_iter"],
                lengths=lengths,
            )
            k = p["n_states"]
        else:
            fit = ms_fit_ordered(X[:, 0], p["n_regimes"], switching_variance=p["switching_variance"])
            k = p["n_regimes"]
    except ValueError as exc:  # e.g. a constant input, or fewer observations than states
        raise ValidationError(
            {"hyperparameters": f"the model cannot be fitted on these data: {exc}"}
        ) from None
    report(85, "filtering each symbol")
    names = state_names(k)
    model = RegimeBundle(
        method=req.estimator,
        params=fit.params,
        inputs=tuple(inputs),
        state_names=names,
        interval=INTERVAL,
        center=fit.center,
        scale=fit.scale,
    )
    last, last_ts, share = {}, {}, np.zeros(k)
    for symbol, o in observations.items():
        obs = o.to_numpy(dtype=float)
        probs = model.filter(obs if req.estimator == "hmm" else obs[:, 0])
        last[symbol] = probs[-1]
        last_ts[symbol] = iso(o.index[-1])
        share += np.bincount(probs.argmax(axis=1), minlength=k)
    bundle = dataclasses.replace(model, last_probabilities=last, last_ts=last_ts)
    metrics = {
        "loglik": fit.loglikelihood,
        "aic": fit.aic,
        "bic": fit.bic,
        "n_params": fit.n_params,
        "n_obs": fit.n_obs,
        "converged": fit.converged,
        "states": list(names),
        "state_share": dict(zip(names, (share / share.sum()).tolist(), strict=True)),
        "expected_duration": dict(zip(names, expected_durations(fit.params.transmat).tolist(), strict=True)),
        "last_probabilities": {s: dict(zip(names, v.tolist(), strict=True)) for s, v in last.items()},
        "inputs": list(inputs),
    }
    return Fitted(
        bundle=bundle,
        hyperparameters=dict(p),
        metrics=metrics,
        train_start=min(o.index[0] for o in observations.values()),
        train_end=max(o.index[-1] for o in observations.values()),
    )
