"""Which bar interval a book is valued on, and the prices at that interval.

Returns come from whatever interval is stored. The book is replayed on daily bars when every
instrument it holds can give them (daily bars, or finer ones market data resamples); weekly or
monthly returns are then compounded from the daily steps, so a flow inside a month stays at its own
day's close. Otherwise (fund NAVs: monthly, weekly) the book is replayed on the finest of weekly and
monthly bars every instrument has — the coarsest common interval, finer bars resampled to it — or on
the coarser frequency asked for. Asking for a frequency finer than that is a 400 on `frequency`.

Weekly bars do not add up to calendar months: a weekly-only instrument in a monthly book is valued at
the last week whose Friday falls in the month (`kernels.returns.month_of_week`). An instrument with no
bars at all is left to the book replay (valued at its trade price) and does not set the interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata

from ..kernels import returns as kernel

STEP_INTERVALS = ("1d", "1w", "1mo")  # finest first
COARSE = ("1w", "1mo")  # steps stamped at their bucket start (month start, Monday)
WEEK = pd.Timedelta(days=7)


@dataclass(frozen=True)
class Pricing:
    frequency: str  # of the returns: 1d, 1w, 1mo or an intraday interval
    interval: str  # of the book's steps (the bars holdings are valued on)
    sources: dict[str, str | None]  # per instrument, the stored interval its prices come from
    requested: bool  # the frequency was asked for (else: the finest the data allows)

    def answer(self) -> dict:
        return {
            "interval": self.interval,
            "sources": dict(self.sources),
            "frequency": "requested" if self.requested else "default",
            "note": self.note(),
        }

    def note(self) -> str:
        name = kernel.frequency_name
        resampled = [f"{s} ({name(src)})" for s, src in self.sources.items() if src and src != self.interval]
        unpriced = [s for s, src in self.sources.items() if src is None]
        text = f"{name(self.interval)} bars"
        if resampled:
            text += (
                f"; {', '.join(resampled)} resampled to {name(self.interval)}, the finest interval "
                "every instrument of the book has"
            )
        if unpriced:
            text += f"; {', '.join(unpriced)} without bars, valued at the trade price"
        if self.frequency != self.interval:
            text += f"; {name(self.interval)} returns compounded into {name(self.frequency)} periods"
        return text


def check_frequency(frequency) -> str | None:
    """The frequency's code (daily/weekly/monthly accepted), None for the default; 400 if unknown."""
    code = kernel.frequency_code(frequency or None)
    if code is not None and code not in kernel.RETURN_FREQUENCIES:
        choices = ", ".join([*kernel.RETURN_FREQUENCIES, *kernel.FREQUENCY_ALIASES])
        raise ValidationError({"frequency": f"Unknown frequency {frequency!r}; use one of {choices}."})
    return code


def _no_prices() -> ValidationError:
    return ValidationError(
        {"period": "No returns in this period: no prices for the portfolio's instruments."}
    )


def _too_fine(wanted: str, finest: str, coarsest_of: dict[str, str]) -> ValidationError:
    name = kernel.frequency_name
    which = ", ".join(f"{s} (finest stored: {name(iv)})" for s, iv in coarsest_of.items())
    return ValidationError(
        {
            "frequency": f"No {name(wanted)} bars for {which}; ask for frequency={name(finest)} "
            "(the finest interval every instrument of the book has) or a coarser one."
        }
    )


def pricing_plan(symbols: list[str], *, frequency: str | None, end_ts=None) -> Pricing:
    """The interval the book of `symbols` is valued on for returns at `frequency` (None: the finest
    the stored bars allow, at least daily). Raises ValidationError on `frequency` when it is finer
    than the data, on `period` when no instrument has any bar."""
    requested = check_frequency(frequency)
    if requested in kernel.INTRADAY_FREQUENCIES:
        sources = marketdata.bar_sources(symbols, requested, end=end_ts) if symbols else {}
        return Pricing(requested, requested, sources, True)
    if not symbols:  # cash only: a business-day calendar
        return Pricing(requested or "1d", "1d", {}, requested is not None)
    probes: dict[str, dict[str, str | None]] = {}

    def served(iv: str) -> dict[str, str | None]:
        if iv not in probes:
            probes[iv] = marketdata.bar_sources(symbols, iv, end=end_ts)
        return probes[iv]

    # Usually one existence probe: the daily case.
    if all(served("1d").values()):
        finest, priced = "1d", symbols
    else:
        priced = [s for s in symbols if any(served(iv)[s] for iv in STEP_INTERVALS)]
        if not priced:
            raise _no_prices()
        finest = next(iv for iv in STEP_INTERVALS if iv == "1mo" or all(served(iv)[s] for s in priced))
    wanted = requested or finest
    order = STEP_INTERVALS.index
    if order(wanted) < order(finest):
        lacking = [s for s in priced if not served(wanted)[s]]
        finest_of = {s: next(iv for iv in STEP_INTERVALS if served(iv)[s]) for s in lacking}
        raise _too_fine(wanted, finest, finest_of)
    interval = "1d" if finest == "1d" else wanted
    sources = {
        s: served(interval)[s] or ("1w" if interval == "1mo" and served("1w")[s] else None) for s in symbols
    }
    return Pricing(wanted, interval, sources, requested is not None)


def _panel(symbols, start, end, interval: str, adjusted: bool) -> pd.DataFrame:
    try:
        return marketdata.price_panel(symbols, start=start, end=end, interval=interval, adjusted=adjusted)
    except marketdata.MarketDataReadError as exc:
        raise ValidationError({"start": f"Cannot read {interval} prices: {exc}."}) from exc


def step_prices(symbols: list[str], interval: str, *, start=None, end=None, adjusted=False) -> pd.DataFrame:
    """Closes at `interval` over [start, end), one column per symbol (NaN where none). Daily and
    intraday: market data's panel as stored or resampled. Weekly and monthly: indexed by bucket
    start, whatever day the stored bars are stamped on (a fund's month-end NAV, a Yahoo-style 1st of
    the month), the last close in each bucket; weekly-only instruments join months by their Friday."""
    if interval not in COARSE:
        return _panel(symbols, start, end, interval, adjusted)
    sources = marketdata.bar_sources(symbols, interval, start, end)
    direct = [s for s in symbols if sources[s]]
    weekly = [s for s in symbols if not sources[s]] if interval == "1mo" else []
    parts = []
    if direct:
        panel = _panel(direct, start, end, interval, adjusted)
        parts.append(panel.groupby(kernel.bucket_start(panel.index, interval)).last())
    if weekly:
        early = None if start is None else pd.Timestamp(start) - WEEK  # a Monday-stamped week of the month
        panel = _panel(weekly, early, end, "1w", adjusted)
        by_month = panel.groupby(kernel.month_of_week(panel.index)).last()
        parts.append(by_month[by_month.index >= start] if start is not None else by_month)
    if not parts:
        return pd.DataFrame(columns=symbols, index=pd.DatetimeIndex([], tz="UTC", name="ts"), dtype=float)
    out = pd.concat(parts, axis=1).sort_index().reindex(columns=symbols)
    out.index.name = "ts"
    return out
