"""Today's books as the limit kernel sees them: P portfolios over the N instruments they hold.

What is fresh on every load and what is cached:
- Positions, cash, latest closes, spot FX (one `fx_rate` per currency pair per load) and recent
  trades are read on every call: prices must never be stale.
- Instrument attributes, ADV, the daily close history (returns and drawdown paths) and FX
  volatilities move slowly; they are kept in process memory for CACHE_TTL_SECONDS, per symbol
  (or per currency pair), so the monitor's batches and the check API share them.

The figures (all in each portfolio's base currency):
- value = quantity × latest close × FX(instrument ccy → base); NAV = Σ values + cash (cash is held
  in base). A missing price or FX rate leaves the value NaN, so the limits it feeds say no_data.
- ADV = mean daily volume over each instrument's last ADV_DAYS daily bars.
- scenario_pnl = values (P, N) @ the last RETURN_DAYS daily simple returns (N, T) of adjusted closes,
  NaN returns counted as 0: historical simulation of today's book (FX held at today's rate).
- fx_vol[p, c] = standard deviation of the daily log changes of currency c against p's base over
  the last FX_VOL_DAYS days (the rate at or before each day, one `fx_rate_series` read). Fewer
  than FX_VOL_MIN_OBS samples, or a rate that never moved (one stored rate
  carried forward), count as no history: NaN, so fx_risk says no_data.
- turnover[w] = Σ |quantity × price × FX| of the buys and sells booked in the last w days (NaN
  when the windows come from the limits and no enabled turnover limit exists: nothing is read).
- drawdown[w] is holdings-based: the NAV path of today's holdings and cash valued at the daily
  closes of the last w calendar days up to the latest bar, then now; the value is
  1 − NAV_now / max(path) (0 at a new high; NaN when the peak is not positive). The book's
  recorded NAV history would need a replay of every past trade; this is its cheap proxy.

Layout: this module assembles LoadedBook; market.py holds the cached slow data, history.py the
universes' aligned histories, figures.py the arithmetic (dense (P, N) arrays, or CSR above figures.SPARSE_CELLS cells).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.marketdata import facade as marketdata
from apps.portfolio import facade as portfolio_facade

from ...kernels.limits import Book
from ...models import RiskLimit
from .figures import Frame, derive, entries, matrix_entries, name_codes, turnover_figures
from .held import Held, books_held, trades_of
from .history import history_of
from .market import cache, fx_vols, slow_data

DEFAULT_WINDOWS = (1,)
WINDOW_TYPES = ("turnover_limit", "drawdown")


@dataclass(frozen=True)
class LoadedBook:
    book: Book
    portfolio_ids: np.ndarray  # (P,) portfolio pk (-1 for an ad-hoc book)
    codes: list[str]  # (P,)
    base_currencies: list[str]  # (P,)
    symbols: list[str]  # (N,) instrument columns
    prices: np.ndarray  # (N,) latest close in the instrument's currency (NaN: none)
    sectors: list[str]  # sector code -> name
    industries: list[str]
    currencies: list[str]  # currency code -> ISO (instrument and base currencies)
    returns: pd.DataFrame  # (T, N) daily simple returns behind the scenarios (NaN kept)
    cash: np.ndarray  # (P,) in base currency
    fx_table: np.ndarray  # (C, C) rate from currency i to currency j (NaN: unknown)
    closes: np.ndarray  # (W, N) daily adjusted closes, ffilled (today's price before a first bar)
    close_index: pd.DatetimeIndex  # (W,) the closes' bar timestamps
    scenario_returns: np.ndarray  # (T, N) `returns` with NaN → 0
    return_vol: np.ndarray  # (N,) sample std of each column of `scenario_returns`
    as_of: pd.Timestamp | None  # latest price timestamp of the universe
    now: pd.Timestamp

    @property
    def fx(self) -> np.ndarray:
        """(P, N) the rate turning each instrument's currency into each portfolio's base."""
        return self.fx_table[
            np.asarray(self.book.currency)[None, :], np.asarray(self.book.base_currency)[:, None]
        ]


def _windows(windows: Iterable[int] | None, turnover: bool | None = None) -> tuple[tuple[int, ...], bool]:
    """The windows to compute and whether turnover is needed at all: given windows → as told
    (default yes); else the windows of every enabled turnover/drawdown limit, turnover only if one
    of them is a turnover limit (else the transactions are not read; turnover stays NaN = unknown)."""
    turnover = True if turnover is None else turnover
    if windows is None:
        used = list(
            RiskLimit.objects.filter(enabled=True, limit_type__in=WINDOW_TYPES).values_list(
                "limit_type", "window_days"
            )
        )
        windows = {w for _, w in used}
        turnover = any(t == "turnover_limit" for t, _ in used)
    return tuple(sorted({int(w) for w in windows} | set(DEFAULT_WINDOWS))), turnover


def _assemble(
    *,
    portfolio_ids,
    codes,
    bases,
    cash,
    symbols: list[str],
    rows,
    cols,
    qty,
    price_override: dict[int, float] | None = None,
    turnover_rows=None,
    windows: tuple[int, ...],
    now: pd.Timestamp,
    turnover_known: bool = True,
) -> LoadedBook:
    p, n = len(portfolio_ids), len(symbols)
    # The instrument ids come from the slow cache (else one lookup of the rest), so the price read
    # below goes by id: no symbol lookup on a warm check.
    cached = cache.get_many("slow", symbols)
    rest = [s for s in symbols if s not in cached]
    infos = marketdata.instruments_by_symbols(rest) if rest else {}
    unknown = [s for s in rest if s not in infos]
    if unknown:
        raise ValidationError({"symbol": f"Unknown instrument(s): {', '.join(unknown)}."})
    ids = [cached[s].instrument_id if s in cached else infos[s].id for s in symbols]
    prices, stamps = marketdata.latest_closes(ids)
    for col, price in (price_override or {}).items():
        prices[col] = price
    as_of = stamps.max() if n and stamps.notna().any() else None
    slow = slow_data(symbols, as_of, infos)  # what `cached` holds, validated by the bars tokens
    history = history_of(symbols, slow)
    ccys = history.currencies
    traded = turnover_rows if turnover_rows is not None else pd.DataFrame()
    traded_symbols = (
        {s for s in traded["symbol"].to_numpy(dtype=object) if isinstance(s, str)} if len(traded) else set()
    )
    trade_slow = slow_data(sorted(traded_symbols - set(symbols)), as_of)
    trade_ccy = {s: v.currency for s, v in trade_slow.items()} | dict(zip(symbols, ccys, strict=True))
    currencies, _ = name_codes([*ccys, *bases, *trade_ccy.values()])
    cindex = {c: i for i, c in enumerate(currencies)}
    ccy_code = np.asarray([cindex[c] for c in ccys], dtype=np.int64)
    base_code = np.asarray([cindex[b] for b in bases], dtype=np.int64)

    # Spot FX: one fx_rate per (currency, base) pair actually needed.
    fx_table = np.full((len(currencies), len(currencies)), np.nan)
    np.fill_diagonal(fx_table, 1.0)
    # Every (instrument currency, base) pair of the universe: order symbols not yet held need theirs.
    pairs = {(c, b) for c in set(ccys) for b in set(bases)}
    if len(traded):
        pairs |= {
            (trade_ccy[s], bases[r])
            for r, s in zip(traded["row"], traded["symbol"], strict=True)
            if s in trade_ccy
        }
    for a, b in pairs:
        if a != b and np.isnan(fx_table[cindex[a], cindex[b]]):
            try:
                fx_table[cindex[a], cindex[b]] = marketdata.fx_rate(a, b)
            except ValueError:
                pass  # stays NaN: the values it would convert are unknown

    closes = np.where(np.isnan(history.closes), prices[None, :], history.closes)
    quantities, held = matrix_entries(
        np.asarray(rows), np.asarray(cols), np.asarray(qty, dtype=float), (p, n)
    )
    frame = Frame(quantities, np.asarray(cash, dtype=float), prices, fx_table, base_code, ccy_code, held)
    values, nav, scenario, drawdown = derive(
        frame, returns=history.scenarios, closes=closes, close_ts=history.index, as_of=as_of, windows=windows
    )
    turnover = turnover_figures(traded, p, trade_ccy, bases, fx_table, cindex, windows, now)
    if not turnover_known:
        turnover = {w: np.full(p, np.nan) for w in windows}
    need = {(c, b) for c in set(ccys) for b in set(bases) if c != b}
    vol_table = np.full((len(currencies), len(currencies)), np.nan)
    np.fill_diagonal(vol_table, 0.0)
    for (c, b), v in fx_vols(need, as_of if as_of is not None else now).items():
        vol_table[cindex[c], cindex[b]] = v
    fx_vol = vol_table[:, base_code].T  # (P, C): vol of each currency against p's base
    book = Book(
        quantities=quantities,
        values=values,
        nav=nav,
        base_currency=base_code,
        sector=history.sector_code,
        industry=history.industry_code,
        currency=ccy_code,
        adv=history.adv,
        scenario_pnl=scenario,
        fx_vol=fx_vol,
        turnover=turnover,
        drawdown=drawdown,
    )
    return LoadedBook(
        book=book,
        portfolio_ids=np.asarray(portfolio_ids, dtype=np.int64),
        codes=list(codes),
        base_currencies=list(bases),
        symbols=list(symbols),
        prices=prices,
        sectors=history.sectors,
        industries=history.industries,
        currencies=currencies,
        returns=history.returns,
        cash=np.asarray(cash, dtype=float),
        fx_table=fx_table,
        closes=closes,
        close_index=history.index,
        scenario_returns=history.scenarios,
        return_vol=history.return_vol,
        as_of=as_of,
        now=now,
    )


def symbols_unknown(symbols: Sequence[str]) -> list[str]:
    """The symbols no instrument has, in the order given (the slow cache first: no query when
    every symbol was loaded recently)."""
    rest = [s for s in symbols if s not in cache.get_many("slow", symbols)]
    known = marketdata.instruments_by_symbols(rest) if rest else {}
    return [s for s in rest if s not in known]


def book_load(
    *,
    portfolio_ids: Sequence[int] | None = None,
    extra_symbols: Sequence[str] = (),
    windows: Iterable[int] | None = None,
    turnover: bool | None = None,
    frames: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    held: Held | None = None,
    trades: pd.DataFrame | None = None,
    now=None,
) -> LoadedBook:
    """The stored books of these portfolios (all when None), in portfolio-id order.

    `extra_symbols` join the universe without being held (a pre-trade check's order symbols);
    `windows` are the turnover/drawdown windows in days (None: every window an enabled limit
    uses, plus 1) and `turnover` whether the trades are read for them (default: yes when
    `windows` are given; selectors.limits.windows_used says both for given limits); `frames` are
    `portfolio_facade.book_frames(...)` already read (the monitor reads all books once and loads
    them in batches), `held` the same already turned into arrays (books_held); `trades` are their
    trades already read (trades_of) since at least `now` − the longest window (the check's kept
    read; older rows are dropped here, so the figures are those of a fresh read); `now` anchors
    the turnover windows."""
    now = pd.Timestamp(timezone.now() if now is None else now)
    if held is None:
        held = books_held(
            frames
            if frames is not None
            else portfolio_facade.book_frames(None if portfolio_ids is None else list(portfolio_ids))
        )
    ids = held.ids
    symbols = list(dict.fromkeys([*held.symbols, *(s.upper() for s in extra_symbols)]))
    windows, need_turnover = _windows(windows, turnover)
    traded = None
    if len(ids) and need_turnover:
        start = now - pd.Timedelta(days=max(windows))
        if trades is None:
            traded = trades_of(portfolio_facade.transactions_frame(ids.tolist(), start=start), ids)
        else:
            traded = trades[(trades["timestamp"] >= start).to_numpy()]
    return _assemble(
        portfolio_ids=ids.to_numpy(),
        codes=held.codes,
        bases=held.bases,
        cash=held.cash,
        symbols=symbols,
        rows=held.rows,
        cols=held.cols,
        qty=held.qty,
        turnover_rows=traded,
        windows=windows,
        now=now,
        turnover_known=need_turnover,
    )


def book_adhoc(
    *,
    positions: Sequence[dict],
    portfolio_value: float | None = None,
    base_currency: str = "USD",
    portfolio_id: int = -1,
    code: str = "",
    extra_symbols: Sequence[str] = (),
    windows: Iterable[int] | None = None,
    now=None,
) -> LoadedBook:
    """A one-portfolio book from ad-hoc positions [{symbol, quantity, price?}] (a given price
    values the position instead of the latest close; repeated symbols add up). NAV is
    `portfolio_value` when given (cash = NAV − Σ values), else Σ values. No trading history:
    turnover is 0 in every window. Unknown symbol or no price: ValidationError keyed `positions`."""
    now = pd.Timestamp(timezone.now() if now is None else now)
    symbols = list(
        dict.fromkeys([*(str(p["symbol"]).upper() for p in positions), *(s.upper() for s in extra_symbols)])
    )
    col_of = {s: j for j, s in enumerate(symbols)}
    cols = np.asarray([col_of[str(p["symbol"]).upper()] for p in positions], dtype=np.int64)
    override = {
        col_of[str(p["symbol"]).upper()]: float(p["price"]) for p in positions if p.get("price") is not None
    }
    try:
        loaded = _assemble(
            portfolio_ids=[portfolio_id],
            codes=[code],
            bases=[base_currency.upper()],
            cash=[0.0],
            symbols=symbols,
            rows=np.zeros(len(positions), dtype=np.int64),
            cols=cols,
            qty=[float(p["quantity"]) for p in positions],
            price_override=override,
            windows=_windows(windows)[0],
            now=now,
        )
    except ValidationError as exc:
        raise ValidationError({"positions": exc.message_dict.get("symbol", exc.messages)}) from exc
    held = np.unique(cols)
    missing = [symbols[j] for j in held if np.isnan(loaded.prices[j])]
    if missing:
        raise ValidationError({"positions": f"No price for {', '.join(missing)}: give one or load its bars."})
    if portfolio_value is None:
        return loaded
    cash = float(portfolio_value) - float(np.nansum(entries(loaded.book.values)[2]))
    return book_with(loaded, quantities=loaded.book.quantities, cash=np.asarray([cash]))


def book_with(
    loaded: LoadedBook,
    *,
    quantities,
    cash: np.ndarray,
    prices: np.ndarray | None = None,
    traded: np.ndarray | None = None,
) -> LoadedBook:
    """The same universe with other quantities and cash (a pre-trade check's book after its
    orders): values, NAV, scenarios and drawdowns re-derived from the loaded prices, FX and
    history; `traded` (P,) base-currency notional added to every turnover window."""
    b = loaded.book
    prices = loaded.prices if prices is None else prices
    f = Frame(quantities, np.asarray(cash, dtype=float), prices, loaded.fx_table, b.base_currency, b.currency)
    values, nav, scenario, drawdown = derive(
        f,
        returns=loaded.scenario_returns,
        closes=loaded.closes,
        close_ts=loaded.close_index,
        as_of=loaded.as_of,
        windows=tuple(b.drawdown) or tuple(b.turnover),
    )
    turnover = dict(b.turnover)
    if traded is not None:
        turnover = {w: t + traded for w, t in turnover.items()}
    book = replace(
        b,
        quantities=quantities,
        values=values,
        nav=nav,
        scenario_pnl=scenario,
        turnover=turnover,
        drawdown=drawdown,
    )
    return replace(loaded, book=book, cash=f.cash, prices=prices)
