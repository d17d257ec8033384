"""Hyperparameter search with Optuna over a model kind's space, on time-ordered validation.

`search` runs an Optuna study (TPE sampler seeded with `seed`, one trial at a time so the sequence
is reproducible) minimising the objective

    score(params) = mean over the given (train, test) splits of metric(y[test], ŷ[test]),

ŷ from `estimators.fit(kind, params, X[train], y[train], seed)`; metric "mse" (mean squared error)
or "mae". The splits come from `apps.ml.kernels.validation` (purged walk-forward or k-fold), so a
trial never scores on data its training labels overlap.

The search space is `estimators.KINDS[kind].space`, less the hyperparameters held `fixed`: an int
or float is drawn in its closed range (log scale where the space says so), a bool from {False,
True}; a nullable one (a forest's max_depth) is searched in its range only, None being its default.

Budget: `n_trials`, `timeout` (seconds, checked by Optuna after each trial, so the last trial runs
to its end), or both (whichever ends first). A trial whose fit fails (ValueError, LightGBM error) or
scores NaN is kept with state "FAIL" and no score. Every trial is returned: number, params, score,
state, duration; the best is the completed trial with the lowest score (the first one on a tie).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import optuna

from apps.ml.kernels import estimators

Metric = Literal["mse", "mae"]
METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "mse": lambda y, p: float(np.mean((y - p) ** 2)),
    "mae": lambda y, p: float(np.mean(np.abs(y - p))),
}

# The search returns every trial; Optuna's INFO line per trial would only repeat it in a worker's log.
optuna.logging.set_verbosity(optuna.logging.WARNING)


@dataclass(frozen=True)
class TrialRecord:
    number: int
    params: dict[str, Any]  # the searched hyperparameters of this trial
    score: float | None  # None unless state is "COMPLETE"
    state: str  # "COMPLETE" or "FAIL"
    duration: float  # seconds


@dataclass(frozen=True)
class SearchResult:
    kind: str
    metric: str
    trials: tuple[TrialRecord, ...]
    best_number: int
    best_score: float
    best_params: dict[str, Any]  # complete: defaults, then `fixed`, then the best trial's


def search(
    kind: str,
    X,
    y,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    seed: int,
    n_trials: int | None = None,
    timeout: float | None = None,
    metric: Metric = "mse",
    fixed: dict[str, Any] | None = None,
    n_jobs: int = 1,
    on_trial: Callable[[TrialRecord], None] | None = None,
) -> SearchResult:
    """Search `kind`'s hyperparameters (see the module docstring). `on_trial` is called after each
    trial (job progress). Raises ValueError on a bad argument or when no trial completes."""
    fixed = dict(fixed or {})
    base = estimators.hyperparams_resolve(kind, fixed)
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    if n_trials is None and timeout is None:
        raise ValueError("give a budget: n_trials, timeout or both")
    if (n_trials is not None and n_trials < 1) or (timeout is not None and timeout <= 0):
        raise ValueError("n_trials must be at least 1 and timeout positive")
    if not splits:
        raise ValueError("no validation splits")
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    space = [p for p in estimators.KINDS[kind].space if p.name not in fixed]
    score_of = METRICS[metric]

    def objective(trial: optuna.Trial) -> float:
        params = {**base, **{p.name: _suggest(trial, p) for p in space}}
        scores = [
            score_of(
                y[test],
                estimators.predict(
                    estimators.fit(kind, params, X[train], y[train], seed, n_jobs=n_jobs), X[test]
                ),
            )
            for train, test in splits
        ]
        return float(np.mean(scores))

    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=int(seed)))
    callbacks = [lambda _study, trial: on_trial(_record(trial))] if on_trial else None
    study.optimize(
        objective,
        n_trials=n_trials,
        timeout=timeout,
        n_jobs=1,
        catch=(ValueError, FloatingPointError, lgb.basic.LightGBMError),
        callbacks=callbacks,
    )
    trials = tuple(_record(t) for t in study.trials)
    complete = [t for t in trials if t.state == "COMPLETE"]
    if not complete:
        raise ValueError(f"no trial completed out of {len(trials)}")
    best = min(complete, key=lambda t: t.score)  # min keeps the first of equal scores
    return SearchResult(
        kind=kind,
        metric=metric,
        trials=trials,
        best_number=best.number,
        best_score=best.score,
        best_params={**base, **best.params},
    )


def _suggest(trial: optuna.Trial, p: estimators.Hyperparam):
    if p.type == "bool":
        return trial.suggest_categorical(p.name, [False, True])
    if p.type == "int":
        return trial.suggest_int(p.name, int(p.low), int(p.high), log=p.log)
    return trial.suggest_float(p.name, float(p.low), float(p.high), log=p.log)


def _record(trial: optuna.trial.FrozenTrial) -> TrialRecord:
    complete = trial.state == optuna.trial.TrialState.COMPLETE
    return TrialRecord(
        number=trial.number,
        params=dict(trial.params),
        score=float(trial.value) if complete else None,
        state=trial.state.name,
        duration=trial.duration.total_seconds() if trial.duration is not None else 0.0,
    )
