"""Portfolios as frozen dataclasses, never model instances (what the facade hands other engines)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..models import Portfolio, Position


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


def positions_info(portfolio_ids: list[int]) -> dict[int, list[PositionInfo]]:
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


def portfolio_info(p: Portfolio, positions: list[PositionInfo]) -> PortfolioInfo:
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


def portfolio_find(key: int | str) -> Portfolio | None:
    """By code first (codes are the public key), then by numeric id."""
    qs = Portfolio.objects.select_related("benchmark")
    p = qs.filter(code=str(key)).first()
    if p is None and (isinstance(key, int) or str(key).isdigit()):
        p = qs.filter(pk=int(key)).first()
    return p


def portfolios_info() -> list[PortfolioInfo]:
    """Every portfolio with its positions in two queries."""
    portfolios = list(Portfolio.objects.select_related("benchmark").order_by("pk"))
    positions = positions_info([p.pk for p in portfolios])
    return [portfolio_info(p, positions[p.pk]) for p in portfolios]


def portfolio_codes_holding(symbols: list[str]) -> list[str]:
    """Codes of the portfolios with an open position in any of these symbols (one query)."""
    return list(
        Portfolio.objects.filter(positions__instrument__symbol__in=list(symbols))
        .distinct()
        .order_by("code")
        .values_list("code", flat=True)
    )
