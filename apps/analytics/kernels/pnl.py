"""P&L arithmetic, pure pandas/numpy: lot matching (FIFO or average cost), then valuation.

Conventions (every figure in the instrument's currency until `pnl_value` converts it):
- `realized` is gross of fees: (exit price - entry price) x closed quantity, per matched lot;
- `fees` are the fees booked on trades and `fee` transactions, `dividends` the dividends received;
- `unrealized` = open quantity x price - cost basis of the open lots;
- `total` = realized + unrealized + dividends - fees.
Shorts are handled symmetrically: a sell beyond the open long opens a short lot at the sell price.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

COST_METHODS = ("fifo", "average")
BOOK_COLUMNS = ["portfolio", "symbol", "quantity", "cost_basis", "realized", "fees", "dividends"]
_EPS = 1e-12


class FifoLots:
    """Open lots oldest first; a trade against the position closes them in order."""

    def __init__(self) -> None:
        self.lots: deque[list[float]] = deque()  # [signed quantity, entry price]
        self.realized = 0.0

    def trade(self, q: float, p: float) -> None:
        lots = self.lots
        while q != 0 and lots and (lots[0][0] > 0) != (q > 0):
            lot = lots[0]
            direction = 1.0 if lot[0] > 0 else -1.0
            closed = min(abs(q), abs(lot[0]))
            self.realized += closed * (p - lot[1]) * direction
            lot[0] -= closed * direction
            q += closed * direction
            if abs(lot[0]) <= _EPS:
                lots.popleft()
            if abs(q) <= _EPS:
                q = 0.0
        if q != 0:
            lots.append([q, p])

    def position(self) -> tuple[float, float]:
        return sum(lot[0] for lot in self.lots), sum(lot[0] * lot[1] for lot in self.lots)


class AverageLots:
    """The book's average cost: it moves only when exposure grows; a cross opens at the price."""

    def __init__(self) -> None:
        self.held, self.avg, self.realized = 0.0, 0.0, 0.0

    def trade(self, q: float, p: float) -> None:
        held = self.held
        new = held + q
        if held == 0 or (held > 0) == (q > 0):
            self.avg = (abs(held) * self.avg + abs(q) * p) / abs(new)
        else:
            closed = min(abs(q), abs(held))
            self.realized += closed * (p - self.avg) * (1.0 if held > 0 else -1.0)
            if abs(new) > _EPS and (new > 0) != (held > 0):
                self.avg = p
        self.held = 0.0 if abs(new) <= _EPS else new
        if self.held == 0:
            self.avg = 0.0

    def position(self) -> tuple[float, float]:
        return self.held, self.held * self.avg


_MATCHERS = {"fifo": FifoLots, "average": AverageLots}


def _symbol(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def lots_book(transactions: pd.DataFrame, methods: dict | None = None) -> pd.DataFrame:
    """Per (portfolio, symbol): open quantity, cost basis, realized P&L, fees and dividends.

    `transactions` has columns portfolio, type (buy/sell/fee/dividend/deposit/withdrawal), symbol,
    quantity, price, fees, amount, in booking order within each portfolio. `methods` maps a
    portfolio to "fifo" or "average" (default fifo). Fees of a `fee` transaction with no symbol are
    reported under symbol None (portfolio-level costs). Lot matching is sequential by nature: one
    pass over the rows, each portfolio and symbol with its own lots."""
    methods = methods or {}
    if transactions.empty:
        return pd.DataFrame(columns=BOOK_COLUMNS)
    tx = transactions
    matchers: dict[tuple, FifoLots | AverageLots] = {}
    costs: dict[tuple, list[float]] = {}  # [fees, dividends]
    columns = ("portfolio", "type", "symbol", "quantity", "price", "fees", "amount")
    rows = zip(*(tx[c].tolist() for c in columns), strict=True)
    for pf, kind, sym, qty, price, fee, amount in rows:
        key = (pf, _symbol(sym))
        if kind == "buy" or kind == "sell":
            matcher = matchers.get(key)
            if matcher is None:
                matcher = matchers[key] = _MATCHERS[methods.get(pf, "fifo")]()
            matcher.trade(qty if kind == "buy" else -qty, price)
        fee = 0.0 if fee != fee else fee  # NaN-safe
        if kind == "fee":
            fee += amount
        div = amount if kind == "dividend" else 0.0
        if fee or div:
            acc = costs.setdefault(key, [0.0, 0.0])
            acc[0] += fee
            acc[1] += div
    out = []
    for key in dict.fromkeys([*matchers, *costs]):
        m = matchers.get(key)
        qty, cost = m.position() if m else (0.0, 0.0)
        fee, div = costs.get(key, (0.0, 0.0))
        out.append((*key, qty, cost, m.realized if m else 0.0, fee, div))
    return pd.DataFrame(out, columns=BOOK_COLUMNS)


def pnl_value(book: pd.DataFrame, prices: pd.Series, fx: pd.Series) -> pd.DataFrame:
    """Value a `lots_book` at `prices` (by symbol, local currency) and convert with `fx` (by symbol:
    units of base currency per unit of the symbol's currency; symbol None is already in base).

    Adds price, market_value, unrealized, total (all in base currency, realized/fees/dividends
    converted too). A symbol with no price and an open quantity gets NaN market value and
    unrealized P&L rather than a silent zero."""
    out = book.copy()
    syms = out["symbol"].tolist()
    price_of, rate_of = prices.to_dict(), fx.to_dict()
    price = np.array([price_of.get(s, np.nan) for s in syms], dtype=float)
    rate = np.array([rate_of.get(s, 1.0) for s in syms], dtype=float)
    qty = out["quantity"].to_numpy(float)
    flat = np.abs(qty) <= _EPS
    mv_local = np.where(flat, 0.0, qty * price)
    unreal_local = np.where(flat, 0.0, mv_local - out["cost_basis"].to_numpy(float))
    out["price"] = price
    out["fx_rate"] = rate
    out["market_value"] = mv_local * rate
    out["cost_basis"] = out["cost_basis"] * rate
    out["unrealized"] = unreal_local * rate
    for col in ("realized", "fees", "dividends"):
        out[col] = out[col] * rate
    out["total"] = out["realized"] + out["unrealized"] + out["dividends"] - out["fees"]
    return out


FIGURES = ["realized", "unrealized", "fees", "dividends", "total", "market_value", "cost_basis"]


def _group_sums(codes: np.ndarray, n: int, valued: pd.DataFrame) -> dict[str, np.ndarray]:
    # bincount with weights sums per group, and a NaN weight makes its group's sum NaN: an unpriced
    # open position makes the figure unknown rather than silently smaller.
    return {f: np.bincount(codes, weights=valued[f].to_numpy(float), minlength=n) for f in FIGURES}


def pnl_summary(valued: pd.DataFrame) -> pd.DataFrame:
    """One row per portfolio (in order of appearance): the sums of the P&L figures."""
    codes, uniques = pd.factorize(valued["portfolio"])
    return pd.DataFrame(_group_sums(codes, len(uniques), valued), index=pd.Index(uniques, name="portfolio"))


def pnl_breakdown(valued: pd.DataFrame, key: str) -> pd.DataFrame:
    """Sums of the P&L figures per (portfolio, key), key being a column such as sector or currency."""
    keys = pd.MultiIndex.from_arrays([valued["portfolio"], valued[key].fillna("")], names=["portfolio", key])
    codes, uniques = keys.factorize()
    return pd.DataFrame(_group_sums(codes, len(uniques), valued), index=uniques).sort_index()
