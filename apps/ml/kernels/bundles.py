"""What a model version's artifact holds, per kind: the fitted object and everything needed to use it
without the training data (the features and their order, the horizon, the interval's calibration).

Training (services/training.py) builds a bundle and stores it as the version's artifact; prediction
loads it (checksum first, selectors/artifacts.py) and calls its methods. Each bundle is a frozen
dataclass of plain values, numpy arrays and fitted library objects, pickled with joblib; the
registry's version row repeats the headline facts (hyperparameters, metrics) for reading without
unpickling.

- PriceBundle: a return regressor (estimators.py kinds) over named features; predicts the forward
  simple return over `horizon` bars with a split-conformal interval (conformal.py) at 1 - alpha.
  Missing features are filled with the training median (`fill`), and the caller is told which.
  A sequence kind (lstm) has a `lookback` and predicts from (n, lookback, k) windows: the last
  `lookback` feature rows of each symbol (`is_sequence`); the others predict from (n, k) rows.
- VolatilityBundle: GARCH-family parameters per symbol (volatility.py, arch's percent units) and
  each symbol's conditional variance for the bar after the last fitted one; `advance` moves that
  state with new returns without refitting.
- RegimeBundle: a Gaussian HMM (on feature rows) or a Markov-switching model (on returns), with
  states ordered by volatility (state 0 the calmest) so names stay stable across refits, and each
  symbol's filtered state probabilities at its last observation; `advance` filters new observations.
  An HMM trained on standardized inputs (services/training) keeps its parameters in those units
  with the `center` and `scale` that make them (z = (x - center) / scale): `advance` and `filter`
  take raw observations and standardize them first. Mapping the Gaussians back to raw units would
  give the same probabilities in exact arithmetic, but with inputs of very different scales (a
  return next to a price level) their covariances become too ill-conditioned for scipy's density.
- SentimentBundle: "vader" (nothing fitted: the lexicon ships with vaderSentiment) or "tfidf" (a
  fitted scikit-learn Pipeline) and the labels it predicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import estimators
from .conformal import split_conformal_interval
from .regimes import HmmParams, MsParams, hmm_filter, hmm_filter_update, ms_filter, ms_filter_update
from .volatility import vol_update


@dataclass(frozen=True)
class PriceBundle:
    estimator_kind: str  # estimators.py: lightgbm, linear, forest, lstm
    estimator: Any  # fitted
    features: tuple[str, ...]  # "name@version", the columns of X in this order
    fill: tuple[float, ...]  # per feature: the training median, used where a value is missing
    target: str  # e.g. "return_5d"
    horizon: int  # bars ahead
    interval: str  # bar interval of the features and the label, e.g. "1d"
    alpha: float  # the interval misses with probability alpha: coverage 1 - alpha
    halfwidth: float  # split-conformal half-width, in return units
    lookback: int | None = None  # lstm: feature rows per window; None for row models

    @property
    def is_sequence(self) -> bool:
        return self.lookback is not None

    def matrix(self, rows: Sequence[Mapping[str, float | None]]) -> tuple[np.ndarray, np.ndarray]:
        """X (n, features) from rows {label: value}, and a (n, features) mask of the cells filled
        with the training median (a missing label, None or a non-finite value)."""
        X = np.array(
            [[np.nan if r.get(f) is None else float(r[f]) for f in self.features] for r in rows],
            dtype=float,
        ).reshape(len(rows), len(self.features))
        filled = ~np.isfinite(X)
        X = np.where(filled, np.asarray(self.fill, dtype=float)[None, :], X)
        return X, filled

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(return, lower, upper), each (n,): the point forecast and its 1 - alpha interval, from rows
        X (n, k), or windows (n, lookback, k) for a sequence model."""
        pred = estimators.predict(self.estimator, np.asarray(X, dtype=float))
        lower, upper = split_conformal_interval(pred, self.halfwidth)
        return pred, lower, upper

    @property
    def coverage(self) -> float:
        return 1.0 - self.alpha


@dataclass(frozen=True)
class VolatilityBundle:
    kind: str  # garch, gjr, egarch
    dist: str
    mean: str
    interval: str
    params: dict[str, dict[str, float]]  # symbol -> arch's parameters (percent units)
    next_variance: dict[str, float]  # symbol -> sigma² of the bar after `last_ts`, decimal units
    last_ts: dict[str, str] = field(default_factory=dict)  # symbol -> ISO time of its last return

    def advance(self, symbol: str, returns: np.ndarray) -> float:
        """sigma² for the bar after `returns` (decimal, in time order, each after the state's bar),
        from the stored parameters: no refit."""
        variance = self.next_variance[symbol]
        for r in np.asarray(returns, dtype=float):
            variance = float(
                vol_update(self.kind, self.params[symbol], np.array([variance]), np.array([r]))[0]
            )
        return variance


@dataclass(frozen=True)
class RegimeBundle:
    method: str  # hmm, markov
    params: HmmParams | MsParams
    inputs: tuple[str, ...]  # hmm: feature labels of each observation row; markov: ("return",)
    state_names: tuple[str, ...]  # by volatility, calmest first: e.g. ("calm", "turbulent")
    interval: str
    last_probabilities: dict[str, np.ndarray] = field(default_factory=dict)  # symbol -> (K,)
    last_ts: dict[str, str] = field(default_factory=dict)
    center: np.ndarray | None = None  # hmm: params are of (x - center) / scale when set
    scale: np.ndarray | None = None

    def standardize(self, observations) -> np.ndarray:
        """Raw observations (..., d) in the units of `params` (unchanged without center/scale)."""
        x = np.asarray(observations, dtype=float)
        return x if self.center is None else (x - self.center) / self.scale

    def advance(self, prior: np.ndarray, observation) -> np.ndarray:
        """Filtered state probabilities after one new observation (a feature row for hmm, a return
        for markov), from the probabilities before it: filtering, no refit."""
        if self.method == "hmm":
            return hmm_filter_update(self.params, prior, np.atleast_1d(self.standardize(observation)))
        return ms_filter_update(self.params, prior, float(observation))

    def filter(self, observations) -> np.ndarray:
        """Filtered state probabilities (T, K) at each of a sequence's raw observations, from the
        start probabilities (hmm: rows of inputs, (T, d); markov: returns, (T,))."""
        if self.method == "hmm":
            return hmm_filter(
                self.params,
                self.standardize(np.asarray(observations, dtype=float).reshape(-1, len(self.inputs))),
            )
        return ms_filter(self.params, np.asarray(observations, dtype=float))


@dataclass(frozen=True)
class SentimentBundle:
    method: str  # vader, tfidf
    pipeline: Any = None  # tfidf: the fitted Pipeline; vader: None
    labels: tuple[str, ...] = ()  # tfidf: the classes, in predict_proba's column order
