"""A universe's aligned history (closes on the union of its symbols' bar dates, the daily returns,
the scenario matrix and each column's volatility), built from the per-symbol entries of market.py
and kept in its cache at two levels:

- "hist": per universe (its symbols in the book's order), what a repeated check, or a batch of a
  warm monitor run, reuses whole;
- "wide": one history over every symbol recently asked for (the union of the universes, up to
  WIDE_MAX_SYMBOLS), from which a new universe is cut by its columns. The monitor's batches hold
  different universes over the same symbols, and each built its own: 35 ms per batch of 500
  portfolios over 2,000 symbols, after a worker's start and again after every reload of an entry.

A cut is used only when each of its symbols' columns was built from the entry the caller holds (the
same load number), so a reloaded entry is never served from an older build. Every figure is
computed column by column over the rows, so a cut equals the universe built alone whenever the
rows are the same: the universe's rows are the dates on which one of its symbols has a bar, and
when some of the wide's dates have none of them, the figures are computed again on the cut's own
rows (the alignment is still saved). Tested equal, value for value, to the history built alone."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .figures import name_codes
from .market import RETURN_DAYS, _Slow, cache

WIDE_MIN_SYMBOLS = 200  # a smaller universe missing from the wide one is built alone (a check's)
WIDE_MAX_SYMBOLS = 20_000


@dataclass(frozen=True)
class _History:
    """A universe's aligned history and its slow per-instrument columns, in the universe's order."""

    index: pd.DatetimeIndex  # daily bar timestamps
    closes: np.ndarray  # (W, N) adjusted closes, ffilled; NaN before an instrument's first bar
    returns: pd.DataFrame  # (T, N) daily simple returns, NaN kept
    scenarios: np.ndarray  # (T, N) the same with NaN → 0, what the scenario P&L multiplies
    return_vol: np.ndarray  # (N,) sample std of `scenarios` per instrument (breach probabilities)
    currencies: list[str]  # (N,) quote currency per instrument
    sectors: list[str]  # sector code -> name
    sector_code: np.ndarray  # (N,)
    industries: list[str]
    industry_code: np.ndarray  # (N,)
    adv: np.ndarray  # (N,)
    loads: tuple[int, ...] = ()  # the load number of each symbol's entry it was built from


@dataclass(frozen=True)
class _Figures:
    """The row-wise figures of an aligned history, every one computed column by column."""

    index: pd.DatetimeIndex  # (W,)
    raw: np.ndarray  # (W, N) closes as aligned, NaN where a symbol has no bar
    closes: np.ndarray  # (W, N) ffilled
    returns_index: pd.DatetimeIndex  # (T,)
    returns: np.ndarray  # (T, N)
    scenarios: np.ndarray  # (T, N)
    return_vol: np.ndarray  # (N,)


@dataclass(frozen=True)
class _Wide:
    symbols: tuple[str, ...]
    column: dict[str, int]
    loads: np.ndarray  # (N,) int64: each column's entry's load number
    figures: _Figures


def _aligned(closes: list[pd.Series], symbols: list[str]) -> pd.DataFrame:
    """The closes on the union of their timestamps (sorted; NaN where a symbol has no bar), one
    float block: what `pd.concat(series, axis=1)` gives, built by hand (for a 2,000-symbol universe
    concat and the pct_change/tail/ffill on its many blocks took ~1 s). Columns are placed by their
    index: a load cuts every column without a gap on the panel's one index object (`_columns`), so a
    universe holds a few distinct indexes, each aligned once by one `get_indexer` and its columns
    written as one block (a column at a time cost ~35 ms per 2,000-symbol universe)."""
    by_index: dict[int, tuple[pd.Index, list[int]]] = {}
    for j, c in enumerate(closes):
        ix = c.index
        if len(ix):
            by_index.setdefault(id(ix), (ix, []))[1].append(j)
    if not by_index:
        return pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC"), columns=symbols, dtype=float)
    indexes = [ix for ix, _ in by_index.values()]
    stamps = indexes[0].append(indexes[1:]) if len(indexes) > 1 else indexes[0]
    index = stamps.unique().sort_values()
    out = np.full((len(index), len(symbols)), np.nan)
    for ix, cols in by_index.values():
        block = np.column_stack([closes[j].values for j in cols]).astype(float, copy=False)
        rows = index.get_indexer(ix)
        if len(rows) == len(index) and (rows == np.arange(len(rows))).all():  # the whole calendar
            out[:, cols] = block
        else:
            out[rows[:, None], np.asarray(cols)[None, :]] = block
    return pd.DataFrame(out, index=index, columns=symbols)


def _figures(raw: pd.DataFrame) -> _Figures:
    returns = raw.pct_change(fill_method=None).iloc[1:].tail(RETURN_DAYS)
    scenarios = np.nan_to_num(returns.to_numpy(dtype=float), nan=0.0)
    with np.errstate(all="ignore"):  # fewer than two scenarios: NaN, as pandas would say
        return_vol = (
            np.std(scenarios, axis=0, ddof=1) if len(scenarios) > 1 else np.full(raw.shape[1], np.nan)
        )
    return _Figures(
        index=pd.DatetimeIndex(raw.index),
        raw=raw.to_numpy(dtype=float),
        closes=raw.ffill().to_numpy(dtype=float),
        returns_index=pd.DatetimeIndex(returns.index),
        returns=returns.to_numpy(dtype=float),
        scenarios=scenarios,
        return_vol=return_vol,
    )


def _cut(wide: _Wide, symbols: list[str], loads: tuple[int, ...]) -> _Figures | None:
    """The universe's figures cut from the wide history, or None when it does not hold them all as
    built from the entries `loads` names."""
    at = [wide.column.get(s, -1) for s in symbols]
    if not symbols or min(at) < 0:
        return None
    cols = np.asarray(at, dtype=np.int64)
    if not np.array_equal(wide.loads[cols], np.asarray(loads, dtype=np.int64)):
        return None
    f = wide.figures
    raw = f.raw[:, cols]
    rows = ~np.isnan(raw).all(axis=1)
    if not rows.all():  # dates on which none of these symbols has a bar: not the universe's rows
        return _figures(pd.DataFrame(raw[rows], index=f.index[rows], columns=symbols))
    return _Figures(
        index=f.index,
        raw=raw,
        closes=f.closes[:, cols],
        returns_index=f.returns_index,
        returns=f.returns[:, cols],
        scenarios=f.scenarios[:, cols],
        return_vol=f.return_vol[cols],
    )


def _wide_build(symbols: list[str], slow: dict[str, _Slow], old: _Wide | None) -> _Wide:
    """A wide history over `symbols` and those of `old` whose entries the cache still holds."""
    held = dict(slow)
    if old is not None and len(old.symbols) + len(symbols) <= WIDE_MAX_SYMBOLS:
        others = [s for s in old.symbols if s not in held]
        held |= cache.get_many("slow", others)
    names = sorted(held)
    raw = _aligned([held[s].closes for s in names], names)
    return _Wide(
        symbols=tuple(names),
        column={s: j for j, s in enumerate(names)},
        loads=np.asarray([held[s].load for s in names], dtype=np.int64),
        figures=_figures(raw),
    )


def _universe_figures(symbols: list[str], slow: dict[str, _Slow], loads: tuple[int, ...]) -> _Figures:
    wide = cache.get_many("wide", ["all"]).get("all")
    if wide is not None:
        cut = _cut(wide, symbols, loads)
        if cut is not None:
            return cut
    if len(symbols) < WIDE_MIN_SYMBOLS:
        return _figures(_aligned([slow[s].closes for s in symbols], symbols))
    wide = _wide_build(symbols, slow, wide)
    cache.put_many("wide", {"all": wide})
    cut = _cut(wide, symbols, loads)  # built from these very entries: it holds them
    return cut if cut is not None else _figures(_aligned([slow[s].closes for s in symbols], symbols))


def history_of(symbols: list[str], slow: dict[str, _Slow]) -> _History:
    """The universe's aligned history and columns, cached per universe (cut from the wide history,
    or built, when the universe or one of its entries is new): a check of the same book reuses all
    of it."""
    key = tuple(symbols)
    loads = tuple(slow[s].load for s in symbols)
    hit = cache.get_many("hist", [key]).get(key)
    if hit is not None and hit.loads == loads:
        return hit
    f = _universe_figures(symbols, slow, loads)
    sectors, sector_code = name_codes([slow[s].sector for s in symbols])
    industries, industry_code = name_codes([slow[s].industry for s in symbols])
    history = _History(
        index=f.index,
        closes=f.closes,
        returns=pd.DataFrame(f.returns, index=f.returns_index, columns=symbols),
        scenarios=f.scenarios,
        return_vol=f.return_vol,
        currencies=[slow[s].currency for s in symbols],
        sectors=sectors,
        sector_code=sector_code,
        industries=industries,
        industry_code=industry_code,
        adv=np.asarray([slow[s].adv for s in symbols], dtype=float),
        loads=loads,
    )
    cache.put_many("hist", {key: history})
    return history
