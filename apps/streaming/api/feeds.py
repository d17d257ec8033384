"""Pre-subscribed feeds: the subscription is the URL, the client only answers heartbeats.

    ws/market/{symbol}      market.data.{quotes,bars,level2}.{symbol}
    ws/portfolio/{id|code}  trading.{orders,executions,positions}.{code}, analytics.performance.{code}
    ws/risk/{id|code}       risk.{alerts,breaches,limits}.{code}, and risk.alerts.reports naming it

`?last_id=` replays what the client missed before going live, as on ws/stream. A portfolio feed
opens only for a user who may view the portfolio (the REST API's rule, apps.portfolio.facade):
an unknown one closes with 4404, someone else's with 4403. Every event still passes the consumer's
visibility gate, so a portfolio unshared after connect stops flowing at the next refresh.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from apps.marketdata import facade as marketdata
from apps.portfolio import facade as portfolio_facade

from ..kernels.filters import Filter
from .consumer import FeedConsumer
from .messages import BadMessage, parse_last_id

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_BAD_REQUEST = 4400
MAX_KEY = 64


class _PreSubscribed(FeedConsumer):
    async def opened(self) -> None:
        try:
            last_id = parse_last_id(self._query("last_id"))
        except BadMessage as exc:
            await self.close_with(CLOSE_BAD_REQUEST, str(exc))
            return
        key = self.scope["url_route"]["kwargs"]["key"]
        if len(key) > MAX_KEY:
            await self.close_with(CLOSE_NOT_FOUND, "unknown")
            return
        subscriptions = await self.resolve(key)
        if subscriptions is None:
            return  # resolve closed the connection
        for patterns, flt in subscriptions:
            await self.subscribe(patterns, flt, last_id)

    def _query(self, name: str) -> str | None:
        values = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get(name)
        return values[0] if values else None

    async def resolve(self, key: str) -> list[tuple[list[str], Filter | None]] | None:
        raise NotImplementedError


class MarketFeed(_PreSubscribed):
    async def resolve(self, key):
        info = await database_sync_to_async(marketdata.instrument_get)(key)
        if info is None:
            await self.close_with(CLOSE_NOT_FOUND, f"unknown symbol {key!r}")
            return None
        seg = marketdata.symbol_segment(info.symbol)
        return [([f"market.data.{kind}.{seg}" for kind in ("quotes", "bars", "level2")], None)]


@database_sync_to_async
def _portfolio(user, key: str):
    try:
        return portfolio_facade.portfolio_viewable(user, int(key) if key.isdigit() else key), None
    except portfolio_facade.PortfolioNotFound:
        return None, (CLOSE_NOT_FOUND, f"unknown portfolio {key!r}")
    except portfolio_facade.PortfolioForbidden:
        return None, (CLOSE_FORBIDDEN, "you may not view this portfolio")


class _PortfolioScoped(_PreSubscribed):
    async def resolve(self, key):
        info, refusal = await _portfolio(self.scope["user"], key)
        if refusal is not None:
            await self.close_with(*refusal)
            return None
        return self.subscriptions(
            info.code, Filter(portfolios=frozenset({("code", info.code), ("id", info.id)}))
        )

    def subscriptions(self, code: str, mine: Filter) -> list[tuple[list[str], Filter | None]]:
        raise NotImplementedError


class PortfolioFeed(_PortfolioScoped):
    def subscriptions(self, code, mine):
        # Publishers name the portfolio by code in these topics: the index picks them out, no filter.
        kinds = ("orders", "executions", "positions")
        return [([f"trading.{kind}.{code}" for kind in kinds] + [f"analytics.performance.{code}"], None)]


class RiskFeed(_PortfolioScoped):
    def subscriptions(self, code, mine):
        return [
            ([f"risk.{kind}.{code}" for kind in ("alerts", "breaches", "limits")], None),
            (["risk.alerts.reports"], mine),  # one report topic for all portfolios: filtered to this one
        ]
