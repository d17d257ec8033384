"""Current regime probabilities of a regime model (RegimeBundle) for one symbol.

The bundle keeps each symbol's filtered state probabilities at its last fitted observation
(`last_ts`). Bars that arrived since are filtered in (kernels/regimes.py, `hmm_filter_from` /
`ms_filter_from`: the forward filter continued from those probabilities with the stored parameters;
no refit, data up to the last bar only): for a Gaussian HMM the feature rows named by `inputs`
(computed from the stored bars by the features engine), for Markov switching the symbol's adjusted
close-to-close returns. A bar with a missing value adds no evidence (its probabilities are the
predicted ones). States are named by the bundle (calmest first).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..kernels.regimes import hmm_filter_from, ms_filter_from
from .history import features_since, returns_since, utc
from .serving import PredictionInputError, Served

RETURN_INPUT = ("return",)  # selectors/training_data.py: the one input without a feature set


@dataclass(frozen=True)
class RegimeProbabilities:
    served: Served
    symbol: str
    state_names: tuple[str, ...]
    probabilities: np.ndarray  # (K,) P(state | data up to `as_of`), in state_names' order
    as_of: pd.Timestamp | None  # bar of the last observation filtered in (None: the bundle gives none)
    new_observations: int  # bars filtered in since the fit

    @property
    def state(self) -> str:
        """The most probable state."""
        return self.state_names[int(np.argmax(self.probabilities))]

    def by_name(self) -> dict[str, float]:
        return {name: float(p) for name, p in zip(self.state_names, self.probabilities, strict=True)}


def _symbol(bundle, symbol: str) -> str:
    for candidate in (symbol, symbol.strip().upper()):
        if candidate in bundle.last_probabilities:
            return candidate
    fitted = sorted(bundle.last_probabilities)
    shown = ", ".join(fitted[:20]) + (f" and {len(fitted) - 20} more" if len(fitted) > 20 else "")
    raise PredictionInputError({"symbol": f"the model was not fitted on {symbol!r}; it was on: {shown}"})


def regime_probabilities(served: Served, *, symbol: str) -> RegimeProbabilities:
    """The symbol's state probabilities as of its latest bar. PredictionInputError on "symbol" for a
    symbol the model was not fitted on."""
    bundle = served.bundle
    key = _symbol(bundle, symbol)
    last_ts = bundle.last_ts.get(key)
    prior = np.asarray(bundle.last_probabilities[key], dtype=float)
    if bundle.method == "hmm":
        if tuple(bundle.inputs) == RETURN_INPUT:  # trained on the bar's return alone (no feature set)
            rows = returns_since(key, bundle.interval, last_ts).rename("return").to_frame()
        else:
            rows = features_since(key, bundle.inputs, bundle.interval, last_ts)
        # The parameters are of the standardized inputs (bundles.RegimeBundle.center/scale).
        filtered = hmm_filter_from(bundle.params, prior, bundle.standardize(rows.to_numpy(dtype=float)))
        index = rows.index
    else:
        returns = returns_since(key, bundle.interval, last_ts)
        filtered = ms_filter_from(bundle.params, prior, returns.to_numpy(dtype=float))
        index = returns.index
    as_of = index[-1] if len(index) else (utc(last_ts) if last_ts else None)
    return RegimeProbabilities(
        served=served,
        symbol=key,
        state_names=tuple(bundle.state_names),
        probabilities=filtered[-1] if len(filtered) else prior,
        as_of=as_of,
        new_observations=len(index),
    )
