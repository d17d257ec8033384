"""What training reads: checked requests (symbols, window, feature set) and the samples per model kind,
all through other engines' facades (market data's bars, the feature store's point-in-time reads).

Times. Bars are stamped with their start (market data's `ts`); a bar's values are known at its close
(`marketdata.bar_close_instants`). A price sample is the pair (symbol, close of bar t): its features
are those the store knew at that instant (`features.facade.features_as_of`), its label the forward
simple return of the adjusted close from bar t to bar t + h (`kernels.labels.forward_returns`: h rows
of the universe's bar calendar, NaN when either close is missing), known at t1 = the close of bar
t + h. Everything read lies in the window [start, end): a label whose end bar is past `end` is
unknown and the sample is left out. Gaps are judged against the universe's calendar (the union of
the symbols' bar times, as `marketdata.return_panel` does): no return spans a bar one symbol lacks.

A sequence model (LSTM) also reads each symbol's feature history (`feature_history`): every bar of
the symbol in the window with all its features known at the bar's close, labelled or not, so its
windows are the same rows at training time as at prediction time (the symbol's last bars with
complete features).

Samples whose features are not all known (warm-up, a value older than its TTL) are left out of the
training set: every estimator then sees the same complete rows, and the training medians a version
keeps (`PriceBundle.fill`) are only for filling inputs missing at prediction time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.features import facade as features
from apps.marketdata import facade as marketdata

from ..kernels.labels import forward_returns, labels_stack

INTERVAL = "1d"  # the bar interval training reads and labels at


@dataclass(frozen=True)
class PriceSamples:
    X: np.ndarray  # (n, k) feature values, complete rows, ordered by t0 then symbol order
    y: np.ndarray  # (n,) forward simple returns
    t0: pd.DatetimeIndex  # when each sample is observed: its bar's close (UTC)
    t1: pd.DatetimeIndex  # when its label is known: the close h bars later
    symbols: np.ndarray  # (n,) symbol of each row
    features: tuple[str, ...]  # "name@version", the columns of X
    n_labelled: int  # samples with a known label, before leaving out those with a missing feature
    missing: dict[str, int]  # per feature: labelled samples where it was not known


@dataclass(frozen=True)
class FeatureHistory:
    X: np.ndarray  # (m, k) feature values, complete rows, ordered by t0 then symbol order
    t0: pd.DatetimeIndex  # each row's bar close (UTC)
    symbols: np.ndarray  # (m,) symbol of each row
    features: tuple[str, ...]
    known_at: np.ndarray | None = None  # (m, k) datetime64[us] when each value became known, if asked


def symbols_checked(symbols: Sequence[str], *, cap: int) -> list[str]:
    """The symbols (stripped, upper case, first occurrence kept) if every one is a known instrument;
    ValidationError on "symbols" otherwise."""
    if isinstance(symbols, str) or not isinstance(symbols, Sequence):
        raise ValidationError({"symbols": "give a list of symbols"})
    asked = list(dict.fromkeys(str(s).strip().upper() for s in symbols if str(s).strip()))
    if not asked:
        raise ValidationError({"symbols": "give at least one symbol"})
    if len(asked) > cap:
        raise ValidationError({"symbols": f"at most {cap} symbols, got {len(asked)}"})
    found = marketdata.instruments_by_symbols(asked)
    unknown = [s for s in asked if s not in found]
    if unknown:
        raise ValidationError({"symbols": f"unknown symbol(s): {', '.join(unknown[:20])}"})
    return asked


def window_checked(start, end) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """[start, end) as UTC Timestamps (None: open; a bare-date end includes its day)."""
    try:
        lo = marketdata.window_start_utc(start)
    except (TypeError, ValueError):
        raise ValidationError({"start": f"not a date or time: {start!r}"}) from None
    try:
        hi = marketdata.window_end_utc(end)
    except (TypeError, ValueError):
        raise ValidationError({"end": f"not a date or time: {end!r}"}) from None
    if lo is not None and hi is not None and not lo < hi:
        raise ValidationError({"end": "must be after start"})
    return lo, hi


def feature_set_labels(name: str) -> tuple[str, ...]:
    """The "name@version" labels of a feature set's members; ValidationError on "feature_set" for an
    unknown or empty set."""
    try:
        frame = features.features_as_of(_entities([], []), feature_set=name)
    except features.UnknownFeature as exc:
        raise ValidationError({"feature_set": str(exc)}) from None
    return tuple(c for c in frame.columns if c not in ("symbol", "ts"))


def adjusted_closes(symbols: Sequence[str], start, end) -> pd.DataFrame:
    """(bar ts × symbol) adjusted closes over [start, end) at INTERVAL, NaN where a symbol has no bar."""
    return marketdata.price_panel(list(symbols), start, end, INTERVAL, "close", adjusted=True)


def price_samples(*, feature_set: str, symbols: Sequence[str], start, end, horizon: int) -> PriceSamples:
    """The labelled samples of a price model (see the module docstring)."""
    labels_known = feature_set_labels(feature_set)
    close = adjusted_closes(symbols, start, end)
    stacked = labels_stack(forward_returns(close, horizon, "simple"))
    t0 = marketdata.bar_close_instants(pd.DatetimeIndex(stacked["t0"]), INTERVAL)
    t1 = marketdata.bar_close_instants(pd.DatetimeIndex(stacked["t1"]), INTERVAL)
    symbol = stacked["instrument"].astype(str).to_numpy()
    frame = features.features_as_of(_entities(symbol, t0), feature_set=feature_set)
    X = frame[list(labels_known)].to_numpy(dtype=float)
    known = np.isfinite(X)
    complete = known.all(axis=1)
    return PriceSamples(
        X=X[complete],
        y=stacked["label"].to_numpy(dtype=float)[complete],
        t0=pd.DatetimeIndex(t0[complete]),
        t1=pd.DatetimeIndex(t1[complete]),
        symbols=symbol[complete],
        features=labels_known,
        n_labelled=len(stacked),
        missing={label: int((~known[:, j]).sum()) for j, label in enumerate(labels_known)},
    )


def feature_history(
    *,
    symbols: Sequence[str],
    start,
    end,
    feature_set: str | None = None,
    feature_labels: Sequence[str] = (),
    with_known_at: bool = False,
) -> FeatureHistory:
    """Every bar of `symbols` in [start, end) with all the features (the set's members, or the
    "name@version" `feature_labels`) known at its close, as the store knew them then (see the
    module docstring). Raises the features facade's UnknownFeature for labels it does not know."""
    labels = feature_set_labels(feature_set) if feature_set is not None else tuple(feature_labels)
    close = adjusted_closes(symbols, start, end)
    stacked = close.stack().dropna()  # (ts, symbol) of every bar, time-major: t0 sorted, symbols in order
    bar_ts = pd.DatetimeIndex(stacked.index.get_level_values(0))
    symbol = stacked.index.get_level_values(1).astype(str).to_numpy()
    t0 = marketdata.bar_close_instants(bar_ts, INTERVAL)
    frame = features.features_as_of(
        _entities(symbol, t0),
        feature_set=feature_set,
        features=() if feature_set is not None else labels,
        with_known_at=with_known_at,
    )
    X = frame[list(labels)].to_numpy(dtype=float)
    complete = np.isfinite(X).all(axis=1)
    known_at = None
    if with_known_at:
        cols = [f"{label}.known_at" for label in labels]
        known_at = np.column_stack(
            [pd.to_datetime(frame[c], utc=True).dt.tz_localize(None).to_numpy("datetime64[us]") for c in cols]
        )[complete]
    return FeatureHistory(
        X=X[complete],
        t0=pd.DatetimeIndex(t0[complete]),
        symbols=symbol[complete],
        features=labels,
        known_at=known_at,
    )


def return_series(*, symbols: Sequence[str], start, end) -> dict[str, pd.Series]:
    """Per symbol, its simple returns of the adjusted close over [start, end), indexed by bar ts
    (the bar the return ends at), without the returns that would span a gap."""
    returns = marketdata.return_panel(list(symbols), start, end, INTERVAL, "simple", adjusted=True)
    return {s: returns[s].dropna() for s in symbols}


def regime_observations(
    *, symbols: Sequence[str], start, end, feature_set: str | None
) -> tuple[tuple[str, ...], dict[str, pd.DataFrame]]:
    """(inputs, {symbol: observations}) of a regime model, rows indexed by bar ts in time order.
    Without a feature set the one input is "return" (the bar's simple return of the adjusted close);
    with one, its features as known at each bar's close (bars of the symbol's returns; rows missing a
    feature are left out)."""
    returns = return_series(symbols=symbols, start=start, end=end)
    if feature_set is None:
        return ("return",), {s: r.rename("return").to_frame() for s, r in returns.items()}
    labels = feature_set_labels(feature_set)
    symbol = np.concatenate([np.full(len(r), s, dtype=object) for s, r in returns.items()])
    bar_ts = pd.DatetimeIndex(pd.concat([r.index.to_series() for r in returns.values()]))
    frame = features.features_as_of(
        _entities(symbol, marketdata.bar_close_instants(bar_ts, INTERVAL)), feature_set=feature_set
    )
    frame.index = bar_ts
    out = {}
    for s in returns:
        rows = frame.loc[frame["symbol"].to_numpy() == s, list(labels)]
        out[s] = rows[np.isfinite(rows.to_numpy(dtype=float)).all(axis=1)]
    return labels, out


def _entities(symbols, ts) -> pd.DataFrame:
    return pd.DataFrame({"symbol": pd.Series(symbols, dtype=object), "ts": pd.DatetimeIndex(ts, tz="UTC")})
