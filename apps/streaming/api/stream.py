"""`ws/stream`: bus events by topic pattern over a WebSocket, with optional field filters.

Client → server (JSON text frames):
    {"action": "subscribe", "patterns": ["market.data.bars.*"], "last_id": "1700000000000-0"?,
     "filters": {"symbol": [...], "severity": "high", "portfolio": [...], "fields": [...]}?}
    {"action": "unsubscribe", "patterns": [...]}
    {"action": "ping"} | {"action": "pong"} (the answer to the server's heartbeat)
Server → client:
    {"type": "subscribed", "patterns": [...all current...]}   (+ "replayed": n when last_id was given,
                                                               + "filtered": [...] when filters were)
    {"type": "unsubscribed", "patterns": [...remaining...]}
    {"type": "event", "id", "topic", "priority", "payload", "published_at"}
    {"type": "pong"} | {"type": "error", "detail": "..."} | {"type": "dropped", "count": n}

Filters (kernels/filters.py) apply to the patterns of the message that carries them; subscribing a
pattern again replaces its filter. Delivery, replay and the visibility gate: api/consumer.py.
"""

from __future__ import annotations

from ..kernels.filters import FilterError, compile_filter
from .consumer import FeedConsumer
from .messages import BadMessage, parse_last_id, parse_patterns


class StreamConsumer(FeedConsumer):
    ACTIONS = ("subscribe", "unsubscribe", "ping", "pong")

    async def act(self, action: str, msg: dict) -> None:
        if action == "unsubscribe":
            await self.unsubscribe(parse_patterns(msg))
            return
        requested = parse_patterns(msg)
        try:
            flt = compile_filter(msg.get("filters"))
        except FilterError as exc:
            raise BadMessage(str(exc)) from None
        last_id = parse_last_id(msg.get("last_id"))
        try:
            await self.subscribe(requested, flt, last_id)
        except ValueError as exc:
            raise BadMessage(str(exc)) from None
