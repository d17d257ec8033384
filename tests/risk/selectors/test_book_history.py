"""A universe's history cut from the wide history (selectors/book/history.py) against the same
universe computed directly with pandas (outer join of the closes, pct_change, the last RETURN_DAYS
rows, ffill): equal value for value, whatever the order, when the universe lacks some of the wide's
dates, when an entry was reloaded since the wide was built, and for a symbol without bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.risk.selectors.book import history, market
from apps.risk.selectors.book.market import RETURN_DAYS, _Slow

DAYS = 300
START = pd.Timestamp("2024-01-01", tz="UTC")


def _entry(symbol: str, closes: pd.Series, load: int) -> _Slow:
    return _Slow(load, "USD", f"sector {symbol[-1]}", "", 1_000.0, closes, None, load)


@pytest.fixture
def slow():
    """15 symbols: most on one shared calendar of business days (as a load cuts them), two with
    gaps, one with bars on weekend dates no other symbol has, one without bars."""
    rng = np.random.default_rng(11)
    calendar = pd.bdate_range(START, periods=DAYS, tz="UTC")
    out = {}
    for i in range(15):
        s = f"S{i:02d}"
        if i == 13:
            index = pd.DatetimeIndex(START + pd.to_timedelta(np.arange(5, 400, 7), unit="D"))  # Saturdays
        elif i == 14:
            index = pd.DatetimeIndex([], tz="UTC")
        elif i in (3, 8):
            index = calendar[np.sort(rng.choice(DAYS, DAYS - 40, replace=False))]
        else:
            index = calendar
        values = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(index))))
        out[s] = _entry(s, pd.Series(values, index=index, dtype=float), i)
    return out


def _reference(symbols: list[str], slow: dict) -> dict:
    held = [slow[s].closes.rename(s) for s in symbols if len(slow[s].closes)]
    raw = pd.concat(held, axis=1, sort=True).reindex(columns=symbols).sort_index()
    returns = raw.pct_change(fill_method=None).iloc[1:].tail(RETURN_DAYS)
    scenarios = returns.fillna(0.0).to_numpy()
    return {
        "index": raw.index,
        "closes": raw.ffill().to_numpy(),
        "returns": returns,
        "scenarios": scenarios,
        "return_vol": np.std(scenarios, axis=0, ddof=1),
    }


def _assert_equal(got, ref) -> None:
    assert list(got.index) == list(ref["index"])
    np.testing.assert_array_equal(got.closes, ref["closes"])
    assert list(got.returns.index) == list(ref["returns"].index)
    assert list(got.returns.columns) == list(ref["returns"].columns)
    np.testing.assert_array_equal(got.returns.to_numpy(), ref["returns"].to_numpy())
    np.testing.assert_array_equal(got.scenarios, ref["scenarios"])
    np.testing.assert_array_equal(got.return_vol, ref["return_vol"])


@pytest.fixture
def wide_builds(monkeypatch):
    """How many times the wide history was built; universes of 3 symbols and more go through it."""
    monkeypatch.setattr(history, "WIDE_MIN_SYMBOLS", 3)
    builds = []
    real = history._wide_build

    def counted(*args):
        builds.append(1)
        return real(*args)

    monkeypatch.setattr(history, "_wide_build", counted)
    return builds


@pytest.mark.parametrize(
    "universe",
    [
        ["S05", "S01", "S09", "S00", "S03"],  # the universe in the book's order, one with gaps
        ["S13", "S02", "S07"],  # with the weekend symbol: every one of the wide's dates
        ["S14", "S04", "S06"],  # with a symbol without bars
        ["S00", "S01", "S02", "S04", "S05", "S06", "S07", "S09", "S10", "S11", "S12"],
    ],
)
def test_a_universe_cut_from_the_wide_history_is_the_universe_computed_directly(slow, universe, wide_builds):
    everything = sorted(slow)
    history.history_of(everything, slow)
    assert len(wide_builds) == 1
    got = history.history_of(universe, {s: slow[s] for s in universe})
    assert len(wide_builds) == 1  # cut, not built
    _assert_equal(got, _reference(universe, slow))
    assert got.currencies == ["USD"] * len(universe) and got.loads == tuple(slow[s].load for s in universe)
    assert [got.sectors[c] for c in got.sector_code] == [slow[s].sector for s in universe]


def test_a_universe_without_the_wide_dates_of_one_symbol_computes_on_its_own_rows(slow, wide_builds):
    history.history_of(sorted(slow), slow)
    universe = ["S02", "S04", "S03"]  # none has the weekend symbol's dates: fewer rows than the wide
    got = history.history_of(universe, {s: slow[s] for s in universe})
    assert len(got.index) < len(market.cache.get_many("wide", ["all"])["all"].figures.index)
    _assert_equal(got, _reference(universe, slow))
    assert len(wide_builds) == 1


def test_a_reloaded_entry_is_never_served_from_the_older_wide_history(slow, wide_builds):
    history.history_of(sorted(slow), slow)
    universe = ["S01", "S02", "S05"]
    moved = slow["S02"].closes * 1.5
    reloaded = dict(slow) | {"S02": _entry("S02", moved, 100)}
    got = history.history_of(universe, {s: reloaded[s] for s in universe})
    assert len(wide_builds) == 2  # built again, over the reloaded entry
    _assert_equal(got, _reference(universe, reloaded))
    np.testing.assert_array_equal(got.closes[:, 1], moved.to_numpy())


def test_the_wide_history_grows_to_the_union_of_the_universes_asked_for(slow, wide_builds):
    first, second = ["S00", "S01", "S02", "S03"], ["S03", "S04", "S05", "S06"]
    history.history_of(first, {s: slow[s] for s in first})
    for s in first:  # as slow_data leaves them: in the cache the wide history is built from
        market.cache.put_many("slow", {s: slow[s]})
    history.history_of(second, {s: slow[s] for s in second})
    assert len(wide_builds) == 2
    assert market.cache.get_many("wide", ["all"])["all"].symbols == tuple(f"S0{i}" for i in range(7))
    across = ["S06", "S00", "S02"]
    got = history.history_of(across, {s: slow[s] for s in across})
    assert len(wide_builds) == 2  # cut from the union
    _assert_equal(got, _reference(across, slow))


def test_a_small_universe_outside_the_wide_history_is_built_alone(slow, monkeypatch):
    builds = []
    monkeypatch.setattr(history, "_wide_build", lambda *a: builds.append(1))
    universe = ["S01", "S02"]
    got = history.history_of(universe, {s: slow[s] for s in universe})
    assert builds == [] and market.cache.get_many("wide", ["all"]) == {}
    _assert_equal(got, _reference(universe, slow))
