"""What other engines may call about the book of record: frozen dataclasses, never model instances."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection
from rest_framework.exceptions import NotFound, PermissionDenied

from apps.platform.sql import fetch_rows, in_values, rows_frame

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


def portfolio_viewable(user, key: int | str, *, positions: bool = False) -> PortfolioInfo:
    """For other engines' API views: the portfolio by code or id when `user` may view it, else DRF's
    NotFound (unknown: 404) or PermissionDenied (someone else's: 403). Without `positions` the info
    carries none: one query instead of a row per position (most callers want the code or id)."""
    p = _find(key)
    if p is None:
        raise NotFound(f"Unknown portfolio {key!r}.")
    if not permissions.can_view(user, p):
        raise PermissionDenied("You do not have access to this portfolio.")
    return _info(p, _positions([p.pk])[p.pk] if positions else [])


def portfolio_ids_visible(user):
    """The ids of the portfolios `user` may view, as a lazy queryset other engines can use as a
    subquery (`filter(portfolio_id__in=...)`: the whole list stays one query); None means all (staff)."""
    q = permissions.visible_q(user)
    return None if q is None else Portfolio.objects.filter(q).values("pk")


def portfolio_keys_visible(user) -> tuple[frozenset[int], frozenset[str]] | None:
    """The ids and the codes of the portfolios `user` may view, in one query (ws/stream matches
    events that name a portfolio by either); None means all (staff)."""
    q = permissions.visible_q(user)
    if q is None:
        return None
    rows = list(Portfolio.objects.filter(q).values_list("pk", "code"))
    return frozenset(pk for pk, _ in rows), frozenset(code for _, code in rows)


TRANSACTION_DTYPES = {
    "portfolio_id": np.int64,
    "id": np.int64,
    "type": object,
    "symbol": object,
    "quantity": np.float64,
    "price": np.float64,
    "fees": np.float64,
    "amount": np.float64,
    "timestamp": object,
}


def transactions_frame(portfolio_ids: list[int], *, start=None, end=None) -> pd.DataFrame:
    """Every booking of these portfolios in [start, end) (either bound optional) in booking order, one
    query. Decimals become float64 (analytics arithmetic), empty quantity/price/amount NaN, `symbol`
    None for cash movements, `timestamp` UTC."""
    # Plain SQL for the same reason as book_frames: a pre-trade check reads the recent trades.
    by_id, params = in_values("t.portfolio_id", [int(i) for i in portfolio_ids])
    where = [by_id]
    if start is not None:
        where.append("t.timestamp >= %s")
        params.append(connection.ops.adapt_datetimefield_value(pd.Timestamp(start).to_pydatetime()))
    if end is not None:
        where.append("t.timestamp < %s")
        params.append(connection.ops.adapt_datetimefield_value(pd.Timestamp(end).to_pydatetime()))
    sql = (
        "SELECT t.portfolio_id, t.id, t.type, i.symbol, CAST(t.quantity AS DOUBLE PRECISION), "
        "CAST(t.price AS DOUBLE PRECISION), CAST(t.fees AS DOUBLE PRECISION), "
        "CAST(t.amount AS DOUBLE PRECISION), t.timestamp "
        f"FROM {Transaction._meta.db_table} t "
        f"LEFT JOIN {Transaction._meta.get_field('instrument').related_model._meta.db_table} i "
        f"ON i.id = t.instrument_id WHERE {' AND '.join(where)} ORDER BY t.portfolio_id, t.timestamp, t.id"
    )
    frame = rows_frame(fetch_rows(sql, params), TRANSACTION_DTYPES)
    # PostgreSQL hands back aware datetimes, SQLite ISO text.
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
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
    monitor and checks): portfolios (id, code, base_currency, cash, long_only) and their open
    positions (portfolio_id, instrument_id, symbol, quantity), amounts as float64. All portfolios,
    or those in `portfolio_ids`, or (with `holding`) also those with an open position in any of
    these symbols — an event-driven check reads only the books a price touches. Plain SQL: this
    sits on the pre-trade check's path, where the ORM's per-query cost was most of the read."""
    portfolio_t, position_t = Portfolio._meta.db_table, Position._meta.db_table
    instrument_t = Position._meta.get_field("instrument").related_model._meta.db_table
    where, params = "", []
    if portfolio_ids is not None or holding is not None:
        by_id, params = in_values("id", [int(i) for i in portfolio_ids or ()])
        where = f"WHERE ({by_id}"
        if holding:
            by_symbol, symbol_params = in_values("i.symbol", [str(s) for s in holding], "text")
            where += (
                f" OR id IN (SELECT x.portfolio_id FROM {position_t} x JOIN {instrument_t} i"
                f" ON i.id = x.instrument_id WHERE {by_symbol} AND x.quantity <> 0)"
            )
            params += symbol_params
        where += ")"
    chosen = f"SELECT id FROM {portfolio_t} {where}"
    portfolios = rows_frame(
        fetch_rows(
            f"SELECT id, code, base_currency, CAST(cash AS DOUBLE PRECISION), long_only FROM {portfolio_t} "
            f"{where} ORDER BY id",
            params,
        ),
        {"id": np.int64, "code": object, "base_currency": object, "cash": np.float64, "long_only": bool},
    )
    positions = rows_frame(
        fetch_rows(
            f"SELECT x.portfolio_id, x.instrument_id, i.symbol, CAST(x.quantity AS DOUBLE PRECISION) "
            f"FROM {position_t} x JOIN {instrument_t} i ON i.id = x.instrument_id "
            f"WHERE x.quantity <> 0{f' AND x.portfolio_id IN ({chosen})' if where else ''} "
            "ORDER BY x.portfolio_id, x.instrument_id",
            params,
        ),
        {"portfolio_id": np.int64, "instrument_id": np.int64, "symbol": object, "quantity": np.float64},
    )
    return portfolios, positions
