"""What other engines may call about the book of record: frozen dataclasses, never model instances."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import FloatField, Q
from django.db.models.functions import Cast

from . import permissions
from .models import Portfolio, Position, Transaction


@dataclass(frozen=True)
class PositionInfo:
    instrument_id: int
    symbol: str
    quantity: Decimal
    average_cost: Decimal


@dataclass(frozen=True)
class PortfolioInfo:
    id: int
    code: str
    name: str
    owner_id: int
    group_id: int | None
    base_currency: str
    benchmark_symbol: str | None
    cash: Decimal
    long_only: bool
    positions: tuple[PositionInfo, ...]
    cost_method: str = "fifo"


def _positions(portfolio_ids: list[int]) -> dict[int, list[PositionInfo]]:
    out: dict[int, list[PositionInfo]] = {pid: [] for pid in portfolio_ids}
    rows = (
        Position.objects.filter(portfolio_id__in=portfolio_ids)
        .select_related("instrument")
        .order_by("portfolio_id", "instrument__symbol")
    )
    for p in rows:
        out[p.portfolio_id].append(
            PositionInfo(p.instrument_id, p.instrument.symbol, p.quantity, p.average_cost)
        )
    return out


def _info(p: Portfolio, positions: list[PositionInfo]) -> PortfolioInfo:
    return PortfolioInfo(
        id=p.pk,
        code=p.code,
        name=p.name,
        owner_id=p.owner_id,
        group_id=p.group_id,
        base_currency=p.base_currency,
        benchmark_symbol=p.benchmark.symbol if p.benchmark_id else None,
        cash=p.cash,
        long_only=p.long_only,
        positions=tuple(positions),
        cost_method=p.cost_method,
    )


def _find(key: int | str):
    """By code first (codes are the public key), then by numeric id."""
    qs = Portfolio.objects.select_related("benchmark")
    p = qs.filter(code=str(key)).first()
    if p is None and (isinstance(key, int) or str(key).isdigit()):
        p = qs.filter(pk=int(key)).first()
    return p


def portfolio_get(key: int | str) -> PortfolioInfo | None:
    """A portfolio with its positions, by code or id; None when there is no such portfolio."""
    p = _find(key)
    if p is None:
        return None
    return _info(p, _positions([p.pk])[p.pk])


def portfolios_all() -> list[PortfolioInfo]:
    """Every portfolio with its positions in two queries (risk monitoring, analytics batches)."""
    portfolios = list(Portfolio.objects.select_related("benchmark").order_by("pk"))
    positions = _positions([p.pk for p in portfolios])
    return [_info(p, positions[p.pk]) for p in portfolios]


def portfolio_can_view(user, key: int | str) -> bool | None:
    """Whether `user` may view the portfolio (other engines' APIs answer 403 with it); None if unknown."""
    p = _find(key)
    return None if p is None else permissions.can_view(user, p)


def portfolio_ids_visible(user):
    """The ids of the portfolios `user` may view, as a lazy queryset other engines can use as a
    subquery (`filter(portfolio_id__in=...)`: the whole list stays one query); None means all (staff)."""
    q = permissions.visible_q(user)
    return None if q is None else Portfolio.objects.filter(q).values("pk")


TRANSACTION_COLUMNS = (
    "portfolio_id",
    "id",
    "type",
    "symbol",
    "quantity",
    "price",
    "fees",
    "amount",
    "timestamp",
)


def transactions_frame(portfolio_ids: list[int], *, start=None, end=None) -> pd.DataFrame:
    """Every booking of these portfolios in [start, end) (either bound optional) in booking order, one
    query. Decimals become float64 (analytics arithmetic), empty quantity/price/amount NaN, `symbol`
    None for cash movements, `timestamp` UTC."""
    qs = Transaction.objects.filter(portfolio_id__in=portfolio_ids)
    if start is not None:
        qs = qs.filter(timestamp__gte=start)
    if end is not None:
        qs = qs.filter(timestamp__lt=end)
    rows = list(
        qs.order_by("portfolio_id", "timestamp", "id").values_list(
            "portfolio_id",
            "id",
            "type",
            "instrument__symbol",
            "quantity",
            "price",
            "fees",
            "amount",
            "timestamp",
        )
    )
    frame = pd.DataFrame(rows, columns=list(TRANSACTION_COLUMNS))
    for col in ("quantity", "price", "fees", "amount"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def portfolio_codes_holding(symbols: list[str]) -> list[str]:
    """Codes of the portfolios with an open position in any of these symbols (one query)."""
    return list(
        Portfolio.objects.filter(positions__instrument__symbol__in=list(symbols))
        .distinct()
        .order_by("code")
        .values_list("code", flat=True)
    )


def book_frames(
    portfolio_ids: list[int] | None = None, *, holding: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The books of many portfolios as two frames in two queries, for batch engines (the risk
    monitor): portfolios (id, code, base_currency, cash, long_only) and their open positions
    (portfolio_id, instrument_id, symbol, quantity), amounts as float64. All portfolios, or those in
    `portfolio_ids`, or (with `holding`) also those with an open position in any of these symbols —
    an event-driven check reads only the books a price touches."""
    pqs = Portfolio.objects.all()
    if portfolio_ids is not None or holding is not None:
        wanted = Q(pk__in=list(portfolio_ids or ()))
        if holding:
            holders = Position.objects.filter(instrument__symbol__in=list(holding)).exclude(quantity=0)
            wanted |= Q(pk__in=holders.values("portfolio_id"))
        pqs = pqs.filter(wanted)
    portfolios = pd.DataFrame(
        list(
            pqs.order_by("pk").values_list(
                "id", "code", "base_currency", Cast("cash", FloatField()), "long_only"
            )
        ),
        columns=["id", "code", "base_currency", "cash", "long_only"],
    )
    portfolios["cash"] = portfolios["cash"].astype("float64")
    xqs = Position.objects.exclude(quantity=0)
    if portfolio_ids is not None or holding is not None:
        xqs = xqs.filter(portfolio_id__in=pqs.values("pk"))
    # Cast in SQL: building a Decimal per row and converting it cost more than the query.
    positions = pd.DataFrame(
        list(
            xqs.order_by("portfolio_id", "instrument_id").values_list(
                "portfolio_id", "instrument_id", "instrument__symbol", Cast("quantity", FloatField())
            )
        ),
        columns=["portfolio_id", "instrument_id", "symbol", "quantity"],
    )
    positions["quantity"] = positions["quantity"].astype("float64")
    return portfolios, positions
