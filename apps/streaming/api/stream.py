"""`ws/stream`: bus events by topic pattern over a WebSocket, with optional field filters.

Client → server (JSON text frames):
    {"action": "subscribe", "patterns": ["market.data.bars.*"], "last_id": "1700000000000-0"?,
     "filters": {"symbol": [...], "severity": "high", "portfolio": [...], "fields": [...]}?}
    {"action": "unsubscribe", "patterns": [...]}
    {"action": "ping"}
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

import json
import logging

import redis

from apps.platform import bus
from apps.platform.bus.reader import normalize_id
from apps.platform.parsers import JSONTooDeep, loads_bounded

from ..kernels.filters import FilterError, compile_filter
from .consumer import MAX_PATTERNS, FeedConsumer

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
__all__ = ["MAX_MESSAGE_BYTES", "MAX_PATTERNS", "StreamConsumer"]


class BadMessage(ValueError):
    pass


def parse_patterns(msg) -> list[str]:
    patterns = msg.get("patterns")
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
        raise BadMessage("patterns must be a non-empty list of strings")
    if len(patterns) > MAX_PATTERNS:
        raise BadMessage(f"at most {MAX_PATTERNS} patterns per connection")
    for p in patterns:
        try:
            bus.validate_pattern(p)
        except ValueError as exc:
            raise BadMessage(str(exc)) from None
    return patterns


def parse_message(text_data: str | None) -> dict:
    if text_data is None:
        raise BadMessage("send JSON text frames")
    if len(text_data) > MAX_MESSAGE_BYTES:
        raise BadMessage(f"message larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        msg = loads_bounded(text_data)  # deep nesting: JSONTooDeep, not RecursionError
    except JSONTooDeep as exc:
        raise BadMessage(exc.msg) from None
    except json.JSONDecodeError:
        raise BadMessage("invalid JSON") from None
    if not isinstance(msg, dict):
        raise BadMessage("a message must be a JSON object")
    return msg


class StreamConsumer(FeedConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        if self.visibility is None or self.closed:  # closed: frames still in flight get nothing
            return
        self.touched()
        try:
            msg = parse_message(text_data)
            action = msg.get("action")
            if action == "ping":
                await self.send_json({"type": "pong"})
            elif action == "pong":
                pass  # the answer to a server heartbeat: touched() above took note of it
            elif action == "subscribe":
                await self._subscribe(msg)
            elif action == "unsubscribe":
                await self.unsubscribe(parse_patterns(msg))
            else:
                raise BadMessage("action must be one of subscribe, unsubscribe, ping, pong")
        except BadMessage as exc:
            await self.send_json({"type": "error", "detail": str(exc)})
        except redis.RedisError:
            log.warning("ws/stream: event bus unavailable", exc_info=True)
            await self.send_json({"type": "error", "detail": "event bus unavailable, try again"})

    async def _subscribe(self, msg):
        requested = parse_patterns(msg)
        last_id = msg.get("last_id")
        try:
            flt = compile_filter(msg.get("filters"))
        except FilterError as exc:
            raise BadMessage(str(exc)) from None
        if last_id is not None:
            try:
                if not isinstance(last_id, str):
                    raise ValueError("last_id must be a string")
                last_id = normalize_id(last_id)
            except ValueError as exc:
                raise BadMessage(str(exc)) from None
        try:
            await self.subscribe(requested, flt, last_id)
        except ValueError as exc:
            raise BadMessage(str(exc)) from None
