"""Return predictions of a price model (PriceBundle), with the split-conformal interval, for one row or
many at once.

Each row is a symbol (or none) and the feature values given for it. A feature a row does not give
(absent, or null) is read from the feature store's online values (`features_latest` of the features
engine: the latest stored value for the symbol), one read for every row and feature that needs one;
what neither gives (no symbol, nothing stored, or a stored NaN of a warm-up) is filled with the
training median the bundle keeps. Every row says where each value came from: "body", "store" (with
when it became known) or "fill". Then one `predict` call for all rows: the predicted return over the
bundle's horizon, its interval [r - q, r + q] at coverage 1 - alpha, and, where the row gives its
current price p, the price p (1 + r) and its interval p (1 + r ± q).

A sequence model (an LSTM, `PriceBundle.is_sequence`) predicts from each symbol's last `lookback`
feature rows, read from the store (selectors/sequences.py): every row needs a symbol and gives no
values (a value cannot stand in for a history); the values shown are those of the latest row.

Feature names are the bundle's labels ("rsi_14@1") or, where one label has that name, the bare name
("rsi_14"). Unknown names, values that are not finite numbers and unknown symbols (when the store
must be read for them) are refused (PredictionInputError, keyed by the field), nothing predicted.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.conf import settings

from apps.features import facade as features
from apps.platform.fields import NUMBER_MAX

from .sequences import symbol_windows
from .serving import PredictionInputError, Served

SOURCES = ("body", "store", "fill")  # the codes of ReturnPredictions.sources
BODY, STORE, FILL = 0, 1, 2
_SHOWN_ERRORS = 20  # rows with errors listed per refusal


@dataclass(frozen=True)
class ReturnPredictions:
    """Predictions for n rows of a price model's k features (arrays in row order)."""

    served: Served
    features: tuple[str, ...]  # the bundle's labels, the columns of `values`
    symbols: tuple[str | None, ...]  # normalized (upper case); None for a row without one
    values: np.ndarray  # (n, k) the values predicted from
    sources: np.ndarray  # (n, k) int8 codes into SOURCES
    known_at: np.ndarray  # (n, k) datetime64[us]: when a stored value became known; NaT otherwise
    predicted_return: np.ndarray  # (n,)
    lower_return: np.ndarray
    upper_return: np.ndarray
    current_price: np.ndarray  # (n,) NaN where the row gives none
    predicted_price: np.ndarray
    lower_price: np.ndarray
    upper_price: np.ndarray
    coverage: float
    horizon: int
    interval: str
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds by step

    def __len__(self) -> int:
        return len(self.predicted_return)

    def frame(self) -> pd.DataFrame:
        """One row per prediction: symbol, the returns and prices, and the feature values used."""
        out = pd.DataFrame(
            {
                "symbol": list(self.symbols),
                "predicted_return": self.predicted_return,
                "lower_return": self.lower_return,
                "upper_return": self.upper_return,
                "current_price": self.current_price,
                "predicted_price": self.predicted_price,
                "lower_price": self.lower_price,
                "upper_price": self.upper_price,
            }
        )
        return pd.concat([out, pd.DataFrame(self.values, columns=list(self.features))], axis=1)


def feature_index(bundle) -> dict[str, int]:
    """Column of each accepted feature name: every label, and a bare name where one label has it."""
    index = {label: j for j, label in enumerate(bundle.features)}
    names: dict[str, list[int]] = {}
    for j, label in enumerate(bundle.features):
        names.setdefault(label.partition("@")[0], []).append(j)
    index.update({name: cols[0] for name, cols in names.items() if len(cols) == 1 and name not in index})
    return index


def _unknown_message(served: Served, unknown: list[str]) -> str:
    shown = ", ".join(repr(u) for u in unknown[:_SHOWN_ERRORS])
    return (
        f"unknown feature(s) {shown} for {served.model_name} v{served.number}; "
        f"it reads: {', '.join(served.bundle.features)}"
    )


def given_from_mappings(served: Served, rows: Sequence[Mapping | None], *, batch: bool) -> np.ndarray:
    """(n, k) values the rows give ({name: number or null} each; None: nothing), NaN where not given.
    PredictionInputError on "features" (one row) or "rows" -> {i: {"features": [...]}} (batch)."""
    index = feature_index(served.bundle)
    given = np.full((len(rows), len(served.bundle.features)), np.nan)
    errors: dict[int, list[str]] = {}
    for i, row in enumerate(rows):
        if not row:
            continue
        unknown, problems = [], []
        for name, value in row.items():
            j = index.get(name)
            if j is None:
                unknown.append(str(name))
            elif value is None:
                continue
            elif isinstance(value, bool) or not isinstance(value, numbers.Real):
                problems.append(f"{name}: must be a number or null, not {type(value).__name__}")
            elif not (np.isfinite(value) and abs(value) <= NUMBER_MAX):
                problems.append(f"{name}: must be a finite number of magnitude at most {NUMBER_MAX:g}")
            else:
                given[i, j] = float(value)
        if unknown:
            problems.insert(0, _unknown_message(served, unknown))
        if problems:
            errors[i] = problems
            if len(errors) >= _SHOWN_ERRORS:
                break
    if errors:
        if batch:
            raise PredictionInputError({"rows": {i: {"features": p} for i, p in errors.items()}})
        raise PredictionInputError({"features": errors[0]})
    return given


def given_from_frame(served: Served, frame: pd.DataFrame, *, skip: Sequence[str] = ()) -> np.ndarray:
    """(n, k) values from a frame's feature columns (names as above; the `skip` columns are not
    features), NaN where missing. PredictionInputError on "features" for unknown or non-numeric
    columns."""
    index = feature_index(served.bundle)
    columns = [c for c in frame.columns if c not in skip]
    unknown = [str(c) for c in columns if c not in index]
    if unknown:
        raise PredictionInputError({"features": [_unknown_message(served, unknown)]})
    given = np.full((len(frame), len(served.bundle.features)), np.nan)
    for c in columns:
        column = frame[c]
        if not (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)):
            raise PredictionInputError({"features": [f"{c}: must be numbers, not {column.dtype}"]})
        given[:, index[c]] = column.to_numpy(dtype=float, na_value=np.nan)
    if (np.abs(given[np.isfinite(given)]) > NUMBER_MAX).any():
        raise PredictionInputError({"features": [f"values must be of magnitude at most {NUMBER_MAX:g}"]})
    given[~np.isfinite(given)] = np.nan  # an infinity is no value: read or filled like a missing one
    return given


def _store_columns(label: str, stored: tuple[str, ...]) -> int | None:
    """Where `label` is among the labels the store answered with (a bare name: its latest version)."""
    for j, got in enumerate(stored):
        if got == label or ("@" not in label and got.partition("@")[0] == label):
            return j
    return None


def _latest(symbols: list[str], labels: list[str], symbol_field: str):
    """{label: (values, known_at) over `symbols`} from the online store, and notes on labels the store
    does not know (their cells are filled)."""
    try:
        found = [features.features_latest(symbols, features=labels)]
        notes: list[str] = []
    except features.UnknownSymbol as exc:
        raise PredictionInputError(
            {symbol_field: f"unknown symbol(s): {', '.join(exc.symbols[:_SHOWN_ERRORS])}"}
        ) from None
    except features.UnknownFeature:
        # Only for a model whose features the store no longer knows: find which, one read each.
        found, unknown = [], []
        for label in labels:
            try:
                found.append(features.features_latest(symbols, features=[label]))
            except features.UnknownFeature:
                unknown.append(label)
        notes = [f"the feature store does not know {', '.join(unknown)}: filled with the training median"]
    out = {}
    for latest in found:
        for label in labels:
            j = _store_columns(label, latest.features)
            if j is not None and label not in out:
                out[label] = (latest.values[:, j], latest.known_at[:, j])
    return out, notes


def _normalized(symbols: Sequence[str | None]) -> np.ndarray:
    """Symbols as market data stores them (upper case); None for none (a frame's NaN too)."""
    return np.array([s.strip().upper() if isinstance(s, str) else None for s in symbols], dtype=object)


def returns_predict(
    served: Served,
    *,
    symbols: Sequence[str | None],
    given: np.ndarray,
    current_price: np.ndarray | None = None,
    symbol_field: str = "symbol",
    values_field: str = "features",
) -> ReturnPredictions:
    """Predict for n rows: `symbols` (None: a row without one), `given` (n, k) values (NaN: not
    given), `current_price` (n,) (NaN or None: none). Missing values are read from the store for rows
    with a symbol, the rest filled; one predict call. PredictionInputError keyed `symbol_field` for
    unknown symbols, `values_field` when values drive the prediction out of the float range."""
    bundle = served.bundle
    n, k = given.shape
    t0 = time.perf_counter()
    norm = _normalized(symbols)
    values = given.astype(float, copy=True)
    sources = np.full((n, k), FILL, dtype=np.int8)
    sources[np.isfinite(values)] = BODY
    known_at = np.full((n, k), np.datetime64("NaT"), dtype="datetime64[us]")
    missing = ~np.isfinite(values)
    reads = missing.any(axis=1) & np.fromiter((s is not None for s in norm), dtype=bool, count=n)
    notes: list[str] = []
    inputs = values
    if bundle.is_sequence:
        _sequence_rows_check(served, norm, values, symbol_field, values_field)
        found = symbol_windows(served, norm.tolist(), symbol_field=symbol_field)
        inputs, values, known_at = found.windows, found.last, found.known_at
        sources[:] = STORE
    elif reads.any():
        cols = np.flatnonzero(missing[reads].any(axis=0))
        unique = list(dict.fromkeys(norm[reads]))
        stored, notes = _latest(unique, [bundle.features[c] for c in cols], symbol_field)
        position = {s: i for i, s in enumerate(unique)}
        rows = np.flatnonzero(reads)
        at = np.fromiter((position[s] for s in norm[rows]), dtype=np.int64, count=len(rows))
        for c in cols:
            if bundle.features[c] not in stored:
                continue
            column_values, column_known = stored[bundle.features[c]]
            take = missing[rows, c] & np.isfinite(column_values[at])
            hit = rows[take]
            values[hit, c] = column_values[at[take]]
            known_at[hit, c] = column_known[at[take]]
            sources[hit, c] = STORE
    t1 = time.perf_counter()
    filled = ~np.isfinite(values)
    values[filled] = np.broadcast_to(np.asarray(bundle.fill, dtype=float), (n, k))[filled]
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused just below, by row
        predicted, lower, upper = bundle.predict(inputs)
    if not np.isfinite(predicted).all():
        bad = np.flatnonzero(~np.isfinite(predicted))[:_SHOWN_ERRORS].tolist()
        raise PredictionInputError(
            {values_field: f"the prediction is not a finite number for row(s) {bad}: check their values"}
        )
    t2 = time.perf_counter()
    price = np.full(n, np.nan) if current_price is None else np.asarray(current_price, dtype=float)
    return ReturnPredictions(
        served=served,
        features=tuple(bundle.features),
        symbols=tuple(norm.tolist()),
        values=values,
        sources=sources,
        known_at=known_at,
        predicted_return=predicted,
        lower_return=lower,
        upper_return=upper,
        current_price=price,
        predicted_price=price * (1.0 + predicted),
        lower_price=price * (1.0 + lower),
        upper_price=price * (1.0 + upper),
        coverage=float(bundle.coverage),
        horizon=int(bundle.horizon),
        interval=str(bundle.interval),
        notes=tuple(notes),
        timings={"features_ms": (t1 - t0) * 1e3, "predict_ms": (t2 - t1) * 1e3},
    )


def _sequence_rows_check(served: Served, norm, values, symbol_field: str, values_field: str) -> None:
    """A sequence model's rows name a symbol each and give no feature values."""
    what = (
        f"{served.model_name} v{served.number} reads each symbol's last {served.bundle.lookback} feature rows"
    )
    if np.isfinite(values).any():
        raise PredictionInputError({values_field: f"{what} from the store: give no feature values"})
    if any(s is None for s in norm):
        raise PredictionInputError({symbol_field: f"{what}: give a symbol for every row"})


def rows_parse(served: Served, rows_or_symbols) -> tuple[list, np.ndarray, np.ndarray]:
    """(symbols, given (n, k), current prices (n,)) from what the batch facade takes: a DataFrame
    (a `symbol` and a `current_price` column optional, the other columns features), symbols, or
    rows {"symbol", "features", "current_price"}. At most ML_PREDICT_MAX_ROWS rows (PredictionInputError
    on "rows")."""
    n = len(rows_or_symbols)
    if n > settings.ML_PREDICT_MAX_ROWS:
        raise PredictionInputError({"rows": f"at most {settings.ML_PREDICT_MAX_ROWS} rows per call, not {n}"})
    if isinstance(rows_or_symbols, pd.DataFrame):
        frame = rows_or_symbols.reset_index(drop=True)
        symbols = frame["symbol"].tolist() if "symbol" in frame else [None] * n
        prices = (
            frame["current_price"].to_numpy(dtype=float, na_value=np.nan)
            if "current_price" in frame
            else np.full(n, np.nan)
        )
        return symbols, given_from_frame(served, frame, skip=("symbol", "current_price")), prices
    items = list(rows_or_symbols)
    if all(isinstance(item, str) for item in items):
        return items, np.full((n, len(served.bundle.features)), np.nan), np.full(n, np.nan)
    if not all(isinstance(item, Mapping) for item in items):
        raise PredictionInputError(
            {"rows": "give a DataFrame, symbols, or rows {symbol, features, current_price}"}
        )
    prices = np.full(n, np.nan)
    for i, r in enumerate(items):
        price = r.get("current_price")
        if isinstance(price, bool) or not isinstance(price, numbers.Real | None):
            raise PredictionInputError({"rows": {i: {"current_price": "must be a number or None"}}})
        prices[i] = np.nan if price is None else float(price)
    given = given_from_mappings(served, [r.get("features") for r in items], batch=True)
    return [r.get("symbol") for r in items], given, prices
