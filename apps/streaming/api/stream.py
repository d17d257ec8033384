"""`ws/stream`: bus events by topic pattern over a WebSocket.

Client → server (JSON text frames):
    {"action": "subscribe", "patterns": ["market.data.bars.*"], "last_id": "1700000000000-0"?}
    {"action": "unsubscribe", "patterns": [...]}
    {"action": "ping"}
Server → client:
    {"type": "subscribed", "patterns": [...all current...]}   (+ "replayed": n when last_id was given)
    {"type": "unsubscribed", "patterns": [...remaining...]}
    {"type": "event", "id", "topic", "priority", "payload", "published_at"}
    {"type": "pong"} | {"type": "error", "detail": "..."} | {"type": "dropped", "count": n}

Events come from the process's bus relay (apps.platform.bus.relay): one Redis reader shared by all
connections. With last_id, events after that id up to the moment of subscribing are replayed first,
then live ones follow without a gap; a send lock keeps replay ahead of live events.

Every event, replayed or live, passes one gate before it is sent: Visibility.allows (selectors/visibility.py),
the REST API's rule — an event naming a portfolio goes only to users who may view it (owner, group,
staff), a job's events only to its creator and staff; market data and system health go to all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import redis
from channels.generic.websocket import AsyncWebsocketConsumer

from apps.platform import bus
from apps.platform.bus.events import id_key
from apps.platform.bus.reader import normalize_id
from apps.platform.parsers import JSONTooDeep, loads_bounded

from ..selectors.visibility import Visibility

log = logging.getLogger(__name__)

MAX_PATTERNS = 100
MAX_MESSAGE_BYTES = 64 * 1024
CLOSE_UNAUTHENTICATED = 4401


class BadMessage(ValueError):
    pass


def _event_json(ev) -> str:
    return json.dumps({"type": "event", **ev.as_dict()}, separators=(",", ":"))


class StreamConsumer(AsyncWebsocketConsumer):
    # Events come from the bus relay, not channel-layer groups: without a layer a connection costs
    # no Redis channel and no BRPOP loop of its own (get_channel_layer(None) is None).
    channel_layer_alias = None

    async def connect(self):
        self.patterns: set[str] = set()
        self.listener = None
        self.pump: asyncio.Task | None = None
        self.send_lock = asyncio.Lock()
        self.reported_drops = 0
        self.visibility: Visibility | None = None
        user = self.scope.get("user")
        # Accept, then close: a close before accept becomes an HTTP 403 and the client never sees 4401.
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.visibility = Visibility(user)

    async def disconnect(self, code):
        if self.pump is not None:
            self.pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.pump
        if self.listener is not None:
            listener, self.listener = self.listener, None
            await bus.relay().detach(listener)

    async def receive(self, text_data=None, bytes_data=None):
        if self.visibility is None:  # closed as unauthenticated: frames still in flight get nothing
            return
        try:
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
            action = msg.get("action")
            if action == "ping":
                await self._send({"type": "pong"})
            elif action == "subscribe":
                await self._subscribe(msg)
            elif action == "unsubscribe":
                await self._unsubscribe(msg)
            else:
                raise BadMessage("action must be one of subscribe, unsubscribe, ping")
        except BadMessage as exc:
            await self._send({"type": "error", "detail": str(exc)})
        except redis.RedisError:
            log.warning("ws/stream: event bus unavailable", exc_info=True)
            await self._send({"type": "error", "detail": "event bus unavailable, try again"})

    @staticmethod
    def _patterns(msg) -> list[str]:
        patterns = msg.get("patterns")
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
            raise BadMessage("patterns must be a non-empty list of strings")
        for p in patterns:
            try:
                bus.validate_pattern(p)
            except ValueError as exc:
                raise BadMessage(str(exc)) from None
        return patterns

    async def _subscribe(self, msg):
        requested = self._patterns(msg)
        last_id = msg.get("last_id")
        if last_id is not None:
            try:
                if not isinstance(last_id, str):
                    raise ValueError("last_id must be a string")
                last_id = normalize_id(last_id)
            except ValueError as exc:
                raise BadMessage(str(exc)) from None
        new = set(requested) - self.patterns
        if len(self.patterns | new) > MAX_PATTERNS:
            raise BadMessage(f"at most {MAX_PATTERNS} patterns per connection")
        relay = bus.relay()
        async with self.send_lock:  # live events for the new patterns wait behind the replay
            old = frozenset(self.patterns)
            if self.listener is None:
                self.listener = await relay.attach(old | new)
                upto = "{}-{}".format(*self.listener.since)
                self.pump = asyncio.create_task(self._pump())
            else:
                upto = relay.update(self.listener, old | new)
            self.patterns |= new
            ack = {"type": "subscribed", "patterns": sorted(self.patterns)}
            replay = []
            if last_id is not None and new:
                replay, truncated = await relay.read_range(new, after=last_id, upto=upto)
                # Events the old patterns already delivered live must not arrive twice.
                since = self.listener.since
                replay = [
                    e
                    for e in replay
                    if not (id_key(e.id) > since and any(bus.topic_matches(p, e.topic) for p in old))
                ]
                replay = await self.visibility.filter(replay)
                ack |= {"replayed": len(replay), "truncated": truncated}
            await self.send(text_data=json.dumps(ack))
            for ev in replay:
                await self.send(text_data=_event_json(ev))

    async def _unsubscribe(self, msg):
        self.patterns -= set(self._patterns(msg))
        if self.listener is not None:
            bus.relay().update(self.listener, self.patterns)
        await self._send({"type": "unsubscribed", "patterns": sorted(self.patterns)})

    async def _send(self, data: dict):
        async with self.send_lock:
            await self.send(text_data=json.dumps(data))

    async def _pump(self):
        listener = self.listener
        while True:
            ev = await listener.queue.get()
            async with self.send_lock:
                if not await self.visibility.allows(ev):
                    continue
                if listener.dropped > self.reported_drops:
                    await self.send(
                        text_data=json.dumps(
                            {"type": "dropped", "count": listener.dropped - self.reported_drops}
                        )
                    )
                    self.reported_drops = listener.dropped
                await self.send(text_data=_event_json(ev))
