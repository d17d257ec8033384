"""What other engines may call about the book of record: frozen dataclasses, never model instances."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import permissions
from .models import Portfolio, Position


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
