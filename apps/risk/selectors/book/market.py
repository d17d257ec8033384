"""The slow-moving market data behind the books, cached in process memory: instrument attributes,
ADV and daily close history per symbol, and FX volatilities per currency pair (see the package
docstring for the definitions); the cache also holds the universes' aligned histories (history.py).

Every entry serves for CACHE_TTL_SECONDS after its load, as before any token: a bar written since
is seen within that time (the latest price is read on every call anyway), so an event's check does
not rebuild its universe's history for each new bar. A symbol's entry is also loaded under its
instrument's bars version token (marketdata's `bars_version_names`, replaced after every commit
writing bars of the instrument), and serves past CACHE_TTL_SECONDS, up to VERIFIED_TTL_SECONDS,
while that token is unchanged: nothing is reloaded on a timer while no bar is written (a
10,000-portfolio monitor reloaded every symbol's year of closes each minute, inside its runs). No
token is kept for an entry loaded inside a transaction (which may see its own uncommitted rows) or
while Redis was unreachable. The age bound covers writes that bypass `bars_upsert` (raw SQL), which
send no bump.

Kept warm: `slow_refresh_ahead`, called after a monitor step, reloads the entries past half their
life, and those past REFRESH_AHEAD_SECONDS whose bars were written since, while they are still
valid (at most REFRESH_AHEAD_MAX_SYMBOLS per call, oldest first), so the entries a run reads do not
expire under it. A reloaded entry is exactly what a cold load at that moment would read (the same
query, bounded by the symbols' latest bar); the history is re-read whole rather than appended to,
so a split's re-adjusted closes are picked up too. A universe's aligned history is rebuilt when any
of its symbols' entries was reloaded."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from apps.marketdata import facade as marketdata
from apps.platform.versions import cache_allowed, versions_read

CACHE_TTL_SECONDS = 60.0  # every entry's life; a symbol's past it only under an unchanged bars token
# The bound on that: a symbol's entry whose bars token is unchanged, and the histories built on them.
VERIFIED_TTL_SECONDS = 600.0
REFRESH_AHEAD_SECONDS = CACHE_TTL_SECONDS / 2
REFRESH_AHEAD_MAX_SYMBOLS = 500
RETURN_DAYS = 250
ADV_LOOKBACK_DAYS = 45
ADV_DAYS = 20
HISTORY_DAYS = int(RETURN_DAYS * 1.5) + 20  # calendar days read for RETURN_DAYS trading days
FX_VOL_DAYS = 60
FX_VOL_MIN_OBS = 10


class _TtlCache:
    """Per-key values that expire their kind's MAX_AGE (else CACHE_TTL_SECONDS) after they were
    stored; at most MAX_ENTRIES per kind (the oldest go first), so many different universes cannot
    grow it without bound. A "slow" entry may be shorter-lived than its kind's age: slow_data
    judges each one (the module docstring)."""

    MAX_ENTRIES = {"hist": 32, "wide": 1, "check": 256}
    MAX_AGE = {"slow": VERIFIED_TTL_SECONDS, "hist": VERIFIED_TTL_SECONDS, "wide": VERIFIED_TTL_SECONDS}

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, dict] = {}

    def _max_age(self, kind: str) -> float:
        return self.MAX_AGE.get(kind, CACHE_TTL_SECONDS)

    def get_many(self, kind: str, keys: Iterable) -> dict:
        return {k: v for k, (_, v) in self.get_aged(kind, keys).items()}

    def get_aged(self, kind: str, keys: Iterable) -> dict:
        """{key: (age in seconds, value)} of the live entries among `keys`."""
        now, max_age = time.monotonic(), self._max_age(kind)
        with self._lock:
            items = self._items.get(kind, {})
            out = {}
            for k in keys:
                hit = items.get(k)
                if hit is not None and now - hit[0] < max_age:
                    out[k] = (now - hit[0], hit[1])
            return out

    def put_many(self, kind: str, values: dict) -> None:
        now, max_age = time.monotonic(), self._max_age(kind)
        with self._lock:
            items = self._items.setdefault(kind, {})
            for k in [k for k, (at, _) in items.items() if now - at >= max_age]:
                del items[k]
            for k, v in values.items():
                items.pop(k, None)
                items[k] = (now, v)
            cap = self.MAX_ENTRIES.get(kind)
            while cap is not None and len(items) > cap:
                del items[next(iter(items))]

    def older_than(self, kind: str, seconds: float) -> list[tuple[float, object, object]]:
        """(age, key, value) of the live entries of `kind` older than `seconds`, oldest first."""
        now, max_age = time.monotonic(), self._max_age(kind)
        with self._lock:
            items = self._items.get(kind, {})
            old = [(now - at, k, v) for k, (at, v) in items.items() if seconds <= now - at < max_age]
        return sorted(old, key=lambda x: -x[0])

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


cache = _TtlCache()


def book_cache_clear() -> None:
    """Forget every cached attribute, ADV, history and FX vol (tests; after a bulk data load)."""
    cache.clear()


_loads = itertools.count()  # each loaded entry's number: a universe's history names what it was built from


@dataclass(frozen=True)
class _Slow:
    """One instrument's slow-moving data: attributes, ADV and its daily adjusted closes, with the
    bars token it was read under (None: no token vouches for it) and its load number."""

    instrument_id: int
    currency: str
    sector: str
    industry: str
    adv: float
    closes: pd.Series
    token: bytes | None = None
    load: int = 0

    @property
    def lifetime(self) -> float:
        return CACHE_TTL_SECONDS if self.token is None else VERIFIED_TTL_SECONDS


def _bars_tokens(instrument_ids: list[int]) -> tuple[bytes, ...] | None:
    """The instruments' bars tokens now, or None where none may be used (inside a transaction,
    Redis unreachable)."""
    if not instrument_ids or not cache_allowed():
        return None
    return versions_read(marketdata.bars_version_names(instrument_ids))


def _slow_load(symbols: list[str], as_of: pd.Timestamp | None, infos: dict) -> dict[str, _Slow]:
    infos = {**marketdata.instruments_by_symbols([s for s in symbols if s not in infos]), **infos}
    known = [s for s in symbols if s in infos]
    if not known:
        return {}
    # The tokens before the rows: rows read under a token are never older than it.
    tokens = _bars_tokens([infos[s].id for s in known])
    start = None if as_of is None else as_of - pd.Timedelta(days=HISTORY_DAYS)
    closes = marketdata.price_panel(known, start=start, field="close", adjusted=True)
    # ADV needs only the last ADV_DAYS bars: reading the volume of the whole history doubled a cold
    # load. ADV_LOOKBACK_DAYS calendar days hold them with room for holidays; an instrument with no
    # daily bar in that span has no current ADV (NaN → adv_limit no_data), which is the truth.
    adv_start = None if as_of is None else as_of - pd.Timedelta(days=ADV_LOOKBACK_DAYS)
    volume = marketdata.price_panel(known, start=adv_start, field="volume")
    # Mean of each column's last ADV_DAYS bars: count the non-missing rows from the bottom.
    present = volume.notna()
    recent = present[::-1].cumsum()[::-1] <= ADV_DAYS
    adv = volume.where(present & recent).mean(axis=0)
    out = {}
    series = _columns(closes)
    for k, s in enumerate(known):
        i = infos[s]
        col = series.get(s, pd.Series(dtype=float))
        token = None if tokens is None else tokens[k]
        out[s] = _Slow(
            i.id, i.currency, i.sector, i.industry, float(adv.get(s, np.nan)), col, token, next(_loads)
        )
    return out


def _columns(panel: pd.DataFrame) -> dict[str, pd.Series]:
    """Each column of `panel` without its NaN rows (`panel[s].dropna()`), cut from one array: per
    column, pandas' dropna cost ~80 us, 0.17 s of a 2,000-symbol cold load."""
    values, index = panel.to_numpy(dtype=float), panel.index
    present = ~np.isnan(values)
    whole = present.all(axis=0)
    out = {}
    for j, s in enumerate(panel.columns):
        if whole[j]:
            out[s] = pd.Series(values[:, j].copy(), index=index, name=s)
        else:
            keep = present[:, j]
            out[s] = pd.Series(values[keep, j], index=index[keep], name=s)
    return out


def _still_valid(held: dict[str, tuple[float, _Slow]]) -> dict[str, _Slow]:
    """The entries among `held` ({symbol: (age, entry)}) that may be used: younger than
    CACHE_TTL_SECONDS, as any entry, or older but loaded under a bars token that is still current
    (one MGET for those)."""
    young = {s: e for s, (age, e) in held.items() if age < CACHE_TTL_SECONDS}
    old = [s for s, (age, e) in held.items() if age >= CACHE_TTL_SECONDS and e.token is not None]
    return young | {s: held[s][1] for s in _token_unchanged(old, {s: held[s][1] for s in old})}


def _token_unchanged(symbols: list[str], entries: dict[str, _Slow]) -> list[str]:
    """Those of `symbols` whose entry's bars token is still the current one (none when the tokens
    cannot be read)."""
    current = _bars_tokens([entries[s].instrument_id for s in symbols])
    if current is None:
        return []
    return [s for s, t in zip(symbols, current, strict=True) if entries[s].token == t]


# One load of missing entries at a time per process: a run that needs symbols the worker's warm-up
# (warm.py, a thread) is loading waits for that load and takes its entries, instead of reading the
# same year of closes a second time beside it.
_load_lock = threading.Lock()


def slow_data(symbols: list[str], as_of, infos: dict | None = None) -> dict[str, _Slow]:
    cached = _still_valid(cache.get_aged("slow", symbols))
    missing = [s for s in symbols if s not in cached]
    if missing:
        with _load_lock:
            loaded_meanwhile = _still_valid(cache.get_aged("slow", missing))
            cached.update(loaded_meanwhile)
            missing = [s for s in missing if s not in loaded_meanwhile]
            if missing:
                fresh = _slow_load(missing, as_of, infos or {})
                cache.put_many("slow", fresh)
                cached.update(fresh)
    return cached


def slow_aging(limit: int) -> list[str]:
    """The symbols whose entry to reload ahead, oldest first, at most `limit`: past half its life
    (CACHE_TTL_SECONDS, or VERIFIED_TTL_SECONDS under a token), or past REFRESH_AHEAD_SECONDS with
    its bars token replaced since it was loaded (a bar was written: it would expire at
    CACHE_TTL_SECONDS)."""
    aging = cache.older_than("slow", REFRESH_AHEAD_SECONDS)
    due = {k for age, k, e in aging if age >= e.lifetime / 2 and age < e.lifetime}
    tokened = [k for age, k, e in aging if k not in due and e.token is not None]
    entries = {k: e for _, k, e in aging}
    unchanged = set(_token_unchanged(tokened, entries))
    due |= {k for k in tokened if k not in unchanged}
    return [k for _, k, _ in aging if k in due][:limit]


def slow_refresh_ahead(max_symbols: int = REFRESH_AHEAD_MAX_SYMBOLS) -> int:
    """Reload the aging per-symbol entries before they expire (see the module docstring); how many
    symbols were reloaded. The window is bounded by those symbols' latest bar, as a cold load's."""
    symbols = slow_aging(max_symbols)
    if not symbols:
        return 0
    held = cache.get_many("slow", symbols)
    ids = [held[s].instrument_id for s in symbols if s in held]
    _, stamps = marketdata.latest_closes(ids)
    as_of = stamps.max() if len(stamps) and stamps.notna().any() else None
    fresh = _slow_load([s for s in symbols if s in held], as_of, {})
    cache.put_many("slow", fresh)
    return len(fresh)


def _fx_vol_load(pair: tuple[str, str], as_of: pd.Timestamp) -> float:
    """Daily log-change vol of `pair` over FX_VOL_DAYS daily stamps up to `as_of` (the rate at or
    before each day, one query via fx_rate_series); NaN without enough history or a rate that never
    moved (see module docstring)."""
    base, quote = pair
    days = pd.DatetimeIndex([as_of - pd.Timedelta(days=k) for k in range(FX_VOL_DAYS, -1, -1)])
    try:
        r = marketdata.fx_rate_series(base, quote, days).to_numpy(dtype=float)
    except ValueError:
        # A history younger than the window has no rate at its first stamp: take the days that have
        # one, one lookup each (only young pairs pay this, and the result is cached).
        rates = []
        for day in days:
            try:
                rates.append(marketdata.fx_rate(base, quote, at=day))
            except ValueError:
                continue
        r = np.asarray(rates, dtype=float)
    if len(r) < FX_VOL_MIN_OBS or np.all(r == r[0]):
        return float("nan")
    return float(np.std(np.diff(np.log(r)), ddof=1))


def fx_vols(pairs: set[tuple[str, str]], as_of: pd.Timestamp) -> dict[tuple[str, str], float]:
    vols = cache.get_many("fxvol", pairs)
    missing = {p: _fx_vol_load(p, as_of) for p in pairs if p not in vols}
    cache.put_many("fxvol", missing)
    return {**vols, **missing}
