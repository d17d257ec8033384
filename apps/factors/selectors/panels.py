"""The field panels a formula reads: (dates x instruments) float64 arrays of bar fields, group
labels and feature-store features, for one universe over one window, plus the history before the
window that the formulas' look-back needs.

Fields (FIELD_KINDS; a formula writes them with `$`):
- `$open $high $low $close $volume $vwap` from the market-data facade's bars at the interval asked,
  split/dividend adjusted or not. `$vwap` is the bar's own VWAP where the source gives one, else the
  typical price (high + low + close) / 3 — a stated approximation, never a silent NaN.
- `$sector $industry` (group fields): the instruments' classification as integer labels per request
  (-1: unknown), constant over the window.
- `$f.<feature>`: a feature of the feature store by name (its latest version) through the features
  facade, aligned on the bar dates; point-in-time fundamentals are features there (`$f.pe_ratio` once
  such a definition exists).
- `$econ.<code>`: an economic series, broadcast to every instrument, point in time at each bar's
  close (kernels/economic.py).

The calendar is the union of the universe's bar dates: a name without a bar on a date is NaN there,
and time-series operators count rows of this calendar.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from apps.features import facade as features
from apps.marketdata import facade as marketdata

from ..kernels.economic import known_values

BAR_FIELDS = ("open", "high", "low", "close", "volume", "vwap")
GROUP_FIELDS = ("sector", "industry")
FEATURE_PREFIX = "f."
ECONOMIC_PREFIX = "econ."
FIELD_DOCS = {
    "open": "the bar's open",
    "high": "the bar's high",
    "low": "the bar's low",
    "close": "the bar's close",
    "volume": "the bar's volume",
    "vwap": "the bar's VWAP where the source gives one, else (high + low + close) / 3",
    "sector": "group: the instrument's sector",
    "industry": "group: the instrument's industry",
    "f.<feature>": "a feature-store feature by name (its latest version), e.g. $f.rsi_14",
    "econ.<code>": "an economic series (e.g. $econ.DGS10), the same for every instrument: at each bar "
    "the newest observation published by the bar's close, in its latest version published by then",
}


class FieldKinds(Mapping):
    """The fields a formula may read, for the checker: the bar and group fields by name, and any
    `f.<name>` as a series (whether such a feature exists is known when its panel is loaded)."""

    _fixed = {**dict.fromkeys(BAR_FIELDS, "series"), **dict.fromkeys(GROUP_FIELDS, "group")}

    def __getitem__(self, name: str) -> str:
        if name in self._fixed:
            return self._fixed[name]
        for prefix in (FEATURE_PREFIX, ECONOMIC_PREFIX):
            if name.startswith(prefix) and len(name) > len(prefix):
                return "series"
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter([*self._fixed, "f.<feature>", "econ.<code>"])

    def __len__(self) -> int:
        return len(self._fixed) + 2


FIELD_KINDS = FieldKinds()


class UnknownFieldData(LookupError):
    """A field the formula may name but whose data does not exist (an unknown feature)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"${name}: {reason}")
        self.name, self.reason = name, reason


@dataclass
class FieldPanels:
    """Field panels over `dates` (the window's rows preceded by `history` rows of look-back) for
    `symbols`; `panel(name)` loads a field on first use. `fingerprint()` identifies the data read."""

    symbols: tuple[str, ...]
    dates: pd.DatetimeIndex  # bar starts, UTC, ascending: history rows, then the window's
    history: int  # rows before the window's first date
    instruments: Mapping[str, marketdata.InstrumentInfo]
    interval: str
    _bars: dict[str, np.ndarray]
    _loaded: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.dates), len(self.symbols)

    def panel(self, name: str) -> np.ndarray:
        found = self._loaded.get(name)
        if found is None:
            found = self._loaded[name] = self._load(name)
        return found

    def _load(self, name: str) -> np.ndarray:
        if name in self._bars:
            return self._bars[name]
        if name in GROUP_FIELDS:
            labels = [getattr(self.instruments[s], name) or "" for s in self.symbols]
            known = sorted({x for x in labels if x})
            code = {x: k for k, x in enumerate(known)}
            row = np.array([code.get(x, -1) for x in labels], dtype=np.int64)
            return np.broadcast_to(row, self.shape)
        if name.startswith(FEATURE_PREFIX):
            return self._feature(name[len(FEATURE_PREFIX) :], name)
        if name.startswith(ECONOMIC_PREFIX):
            return self._economic(name[len(ECONOMIC_PREFIX) :], name)
        raise UnknownFieldData(name, "not a field")

    def _economic(self, code: str, name: str) -> np.ndarray:
        closes = marketdata.bar_close_instants(self.dates, self.interval)
        try:
            rows = marketdata.series_history(code, until=closes[-1])
        except marketdata.UnknownSeriesError as exc:
            raise UnknownFieldData(name, str(exc)) from None
        values = known_values(
            rows["date"].to_numpy("datetime64[ns]").astype(np.int64),
            rows["known_at"].to_numpy("datetime64[ns]").astype(np.int64),
            rows["value"].to_numpy(np.float64),
            closes.tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]").astype(np.int64),
        )
        return np.broadcast_to(values[:, None], self.shape)

    def _feature(self, feature: str, name: str) -> np.ndarray:
        try:
            frames = features.feature_panel(
                list(self.symbols), [feature], start=self.dates[0], end=self.dates[-1] + pd.Timedelta(1, "ns")
            )
        except (features.UnknownFeature, features.FeatureNotComputable) as exc:
            raise UnknownFieldData(name, str(exc)) from None
        (frame,) = frames.values()
        frame = frame.reindex(index=self.dates, columns=list(self.symbols))
        return frame.to_numpy(dtype=np.float64)

    def fingerprint(self, names: Sequence[str]) -> str:
        """sha1 over the dates, symbols and the named panels' bytes: equal data, equal fingerprint."""
        h = hashlib.sha1()
        h.update(self.dates.as_unit("us").asi8.tobytes())
        h.update("\x1f".join(self.symbols).encode())
        for name in sorted(set(names)):
            h.update(name.encode())
            h.update(np.ascontiguousarray(self.panel(name)).tobytes())
        return h.hexdigest()


def _pivot(frame: pd.DataFrame, symbols: Sequence[str]) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray]]:
    """Long bars -> the union calendar and one (dates, symbols) array per bar field."""
    # As datetime64, not the object array of Timestamps a tz-aware column gives: np.unique and
    # searchsorted over a million objects took ~9 s of a 500 x 2,520 read.
    stamps = pd.DatetimeIndex(frame["ts"])
    if stamps.tz is not None:
        stamps = stamps.tz_convert("UTC").tz_localize(None)
    ts = stamps.as_unit("ns").to_numpy()
    dates = np.unique(ts)
    rows = np.searchsorted(dates, ts)
    columns = pd.Categorical(frame["symbol"], categories=list(symbols)).codes
    shape = (len(dates), len(symbols))
    out = {}
    for name in ("open", "high", "low", "close", "volume", "vwap"):
        panel = np.full(shape, np.nan)
        panel[rows, columns] = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
        out[name] = panel
    typical = (out["high"] + out["low"] + out["close"]) / 3.0
    out["vwap"] = np.where(np.isnan(out["vwap"]), typical, out["vwap"])
    index = pd.DatetimeIndex(dates)
    return (index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")), out


def field_panels(
    *,
    symbols: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    history: int | None,
    interval: str = "1d",
    adjusted: bool = True,
) -> FieldPanels:
    """The universe's field panels over [start, end) with `history` bars before `start` (None: all
    stored history, for formulas whose look-back is unbounded). Raises marketdata's unknown-symbol
    error for a symbol it does not know."""
    instruments = marketdata.instruments_by_symbols(symbols)
    loaded_from = None
    if history is not None:
        # Enough calendar time for `history` bars of the interval (weekends and holidays: x1.6 + a week).
        loaded_from = start - marketdata.interval_length(interval) * int(history * 1.6 + 7)
    frame = marketdata.bars(list(symbols), start=loaded_from, end=end, interval=interval, adjusted=adjusted)
    dates, bars = _pivot(frame, symbols)
    first = int(dates.searchsorted(start))
    keep_from = 0 if history is None else max(0, first - history)
    dates = dates[keep_from:]
    bars = {k: v[keep_from:] for k, v in bars.items()}
    return FieldPanels(
        symbols=tuple(symbols),
        dates=dates,
        history=first - keep_from,
        instruments=instruments,
        interval=interval,
        _bars=bars,
    )
