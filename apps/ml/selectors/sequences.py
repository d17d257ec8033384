"""The inputs of a sequence price model (an LSTM, `PriceBundle.is_sequence`): each symbol's last
`lookback` feature rows, and predictions from windows given directly.

A row model predicts from one row of feature values; an LSTM from the last `lookback` bars of the
symbol with every feature known, as the store knew them at each bar's close — the rows its training
windows were made of (selectors/training_data.py `feature_history`). `symbol_windows` reads them
for many symbols at once: one history read over the symbols' recent bars (from the latest bar of
any of them back far enough for `lookback` bars plus gaps), then each symbol's last window.
Values in a request cannot stand in for a history, so a request for an LSTM gives symbols only.
Where PyTorch is not installed an LSTM version is refused (PredictionInputError on "model").

`sequences_predict` takes the windows themselves, (n, lookback, k) in the bundle's feature order:
the facade's path for callers that hold their own histories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings

from apps.features import facade as features
from apps.marketdata import facade as marketdata
from apps.platform.fields import NUMBER_MAX

from ..kernels import lstm
from ..kernels.lstm import sequence_windows
from .serving import PredictionInputError, Served
from .training_data import INTERVAL, feature_history

# Calendar span read per bar of lookback: daily bars come 5 in 7 days, plus holidays and the odd
# missing bar; SPAN_EXTRA bars of slack on top.
SPAN_PER_BAR = 2.0
SPAN_EXTRA = 30


@dataclass(frozen=True)
class SymbolWindows:
    windows: np.ndarray  # (n, lookback, k), one per symbol asked, in the order asked
    last: np.ndarray  # (n, k) each window's last row: the values at the symbol's latest bar
    known_at: np.ndarray  # (n, k) datetime64[us] when each of those values became known


def torch_check(served: Served) -> None:
    """PredictionInputError on "model" where PyTorch is not installed: the LSTM cannot run here."""
    if not lstm.available():
        raise PredictionInputError(
            {
                "model": f"{served.model_name} v{served.number} is an LSTM and this installation has no "
                'PyTorch: install the lstm extra (pip install -e ".[lstm]")'
            }
        )


def symbol_windows(served: Served, symbols: list[str], *, symbol_field: str) -> SymbolWindows:
    """The last `lookback` rows of each symbol's feature history (see the module docstring).
    PredictionInputError on `symbol_field` for unknown symbols or one without enough rows, on "model"
    for features the store no longer knows."""
    bundle = served.bundle
    torch_check(served)
    unique = list(dict.fromkeys(symbols))
    known = marketdata.instruments_by_symbols(unique)
    unknown = [s for s in unique if s not in known]
    if unknown:
        raise PredictionInputError({symbol_field: f"unknown symbol(s): {', '.join(unknown[:20])}"})
    latest = pd.DatetimeIndex(list(marketdata.latest_prices(unique).attrs["ts"].values()))
    lookback = int(bundle.lookback)
    history = None
    if latest.notna().any():
        start = latest.max() - marketdata.interval_length(INTERVAL) * (SPAN_PER_BAR * lookback + SPAN_EXTRA)
        try:
            history = feature_history(
                symbols=unique, start=start, end=None, feature_labels=bundle.features, with_known_at=True
            )
        except features.UnknownFeature as exc:
            raise PredictionInputError(
                {
                    "model": f"{served.model_name} v{served.number} reads features the store does not know: {exc}"
                }
            ) from None
    if history is None or not len(history.X):
        short = {s: 0 for s in unique}
        windows, ends = np.empty((0, lookback, len(bundle.features))), np.empty(0, dtype=np.int64)
    else:
        windows, ends = sequence_windows(history.X, history.symbols, lookback)
        # ends ascend in time: a symbol's last one is its latest window.
        last_end = pd.Series(np.arange(len(ends)), index=history.symbols[ends]).groupby(level=0).max()
        short = {s: int((history.symbols == s).sum()) for s in unique if s not in last_end.index}
    if short:
        listed = ", ".join(f"{s} has {n}" for s, n in list(short.items())[:20])
        raise PredictionInputError(
            {
                symbol_field: f"{served.model_name} v{served.number} reads the last {lookback} bars with every "
                f"feature known; {listed} (compute the features for them)"
            }
        )
    at = last_end.reindex(symbols).to_numpy()
    rows = ends[at]
    return SymbolWindows(windows=windows[at], last=history.X[rows], known_at=history.known_at[rows])


@dataclass(frozen=True)
class SequencePredictions:
    """Predictions of a sequence model for n windows (arrays in window order)."""

    served: Served
    features: tuple[str, ...]  # the bundle's labels, the last axis of the windows
    lookback: int
    predicted_return: np.ndarray  # (n,)
    lower_return: np.ndarray
    upper_return: np.ndarray
    coverage: float
    horizon: int
    interval: str


def sequences_predict(served: Served, sequences) -> SequencePredictions:
    """Predict a sequence model from `sequences` (n, lookback, k): each row's last `lookback` feature
    rows in time order, columns in the bundle's feature order. PredictionInputError on "sequences"
    for a wrong shape or values that are not finite, on "model" for a model that reads rows."""
    bundle = served.bundle
    if not bundle.is_sequence:
        raise PredictionInputError(
            {"model": f"{served.model_name} v{served.number} predicts from rows, not sequences"}
        )
    torch_check(served)
    try:
        X = np.asarray(sequences, dtype=float)
    except (TypeError, ValueError):
        raise PredictionInputError({"sequences": "give numbers shaped (n, lookback, features)"}) from None
    shape = (bundle.lookback, len(bundle.features))
    if X.ndim != 3 or X.shape[1:] != shape:
        raise PredictionInputError(
            {"sequences": f"shape must be (n, {shape[0]}, {shape[1]}) (lookback, features), got {X.shape}"}
        )
    if len(X) > settings.ML_PREDICT_MAX_ROWS:
        raise PredictionInputError(
            {"sequences": f"at most {settings.ML_PREDICT_MAX_ROWS} sequences per call, not {len(X)}"}
        )
    if not (np.isfinite(X).all() and (np.abs(X) <= NUMBER_MAX).all()):
        raise PredictionInputError(
            {"sequences": f"every value must be a finite number of magnitude at most {NUMBER_MAX:g}"}
        )
    predicted, lower, upper = bundle.predict(X)
    return SequencePredictions(
        served=served,
        features=tuple(bundle.features),
        lookback=int(bundle.lookback),
        predicted_return=predicted,
        lower_return=lower,
        upper_return=upper,
        coverage=float(bundle.coverage),
        horizon=int(bundle.horizon),
        interval=str(bundle.interval),
    )
