"""What every WebSocket feed shares: auth, the visibility gate, subscriptions on the process's bus
relay, replay, and the pump that sends one connection's events.

Events come from the process's bus relay (apps.platform.bus.relay): one Redis reader shared by all
connections, which hands each event to the connections whose patterns match (through its pattern
index) and whose field filters pass (SubscriptionSet.accepts). With last_id, events after that id
up to the moment of subscribing are replayed first, then live ones follow without a gap; a send lock
keeps replay ahead of live events.

Every event, replayed or live, passes one gate before it is sent: Visibility.allows, the REST API's
rule — an event naming a portfolio goes only to users who may view it (owner, group, staff), a
job's events only to its creator and staff; market data and system health go to all.
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

from ..kernels.filters import Filter
from ..selectors.subscription_set import SubscriptionSet
from ..selectors.visibility import Visibility
from .messages import MAX_PATTERNS, BadMessage, parse_message

log = logging.getLogger("apps.streaming")

CLOSE_UNAUTHENTICATED = 4401


def event_json(ev) -> str:
    return json.dumps({"type": "event", **ev.as_dict()}, separators=(",", ":"))


class FeedConsumer(AsyncWebsocketConsumer):
    # Events come from the bus relay, not channel-layer groups: without a layer a connection costs
    # no Redis channel and no BRPOP loop of its own (get_channel_layer(None) is None).
    channel_layer_alias = None

    async def connect(self):
        self.subs = SubscriptionSet()
        self.listener = None
        self.pump: asyncio.Task | None = None
        self.send_lock = asyncio.Lock()
        self.reported_drops = 0
        self.visibility: Visibility | None = None
        self.closed = False
        user = self.scope.get("user")
        # Accept, then close: a close before accept becomes an HTTP 403 and the client never sees 4401.
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close_with(CLOSE_UNAUTHENTICATED, "authentication required")
            return
        self.visibility = Visibility(user)
        await self.opened()

    ACTIONS: tuple[str, ...] = ("ping", "pong")

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
            elif action in self.ACTIONS:
                await self.act(action, msg)
            else:
                raise BadMessage(f"action must be one of {', '.join(self.ACTIONS)}")
        except BadMessage as exc:
            await self.send_json({"type": "error", "detail": str(exc)})
        except redis.RedisError:
            log.warning("%s: event bus unavailable", self.scope.get("path"), exc_info=True)
            await self.send_json({"type": "error", "detail": "event bus unavailable, try again"})

    async def act(self, action: str, msg: dict) -> None:
        """A control action other than ping/pong (ws/stream's subscribe and unsubscribe)."""

    def touched(self) -> None:
        """A frame came from the client (heartbeats and idle limits count from it)."""

    async def opened(self) -> None:
        """After authentication: pre-subscribed feeds subscribe here."""

    async def close_with(self, code: int, reason: str) -> None:
        if not self.closed:
            self.closed = True
            await self.close(code=code, reason=reason)

    async def disconnect(self, code):
        self.closed = True
        pump, self.pump = getattr(self, "pump", None), None
        if pump is not None and pump is not asyncio.current_task():
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        listener, self.listener = getattr(self, "listener", None), None
        if listener is not None:
            await bus.relay().detach(listener)

    @property
    def patterns(self) -> frozenset[str]:
        return self.subs.patterns

    def _accept(self, ev) -> bool:
        return self.subs.accepts(ev)

    async def subscribe(self, requested: list[str], flt: Filter | None, last_id: str | None) -> None:
        """Add (or re-filter) subscriptions; sends the ack, then any replay. `requested` is validated."""
        new = set(requested) - self.subs.patterns
        if len(self.subs.patterns | new) > MAX_PATTERNS:
            raise ValueError(f"at most {MAX_PATTERNS} patterns per connection")
        relay = bus.relay()
        async with self.send_lock:  # live events for the new patterns wait behind the replay
            old = self.subs.patterns
            self.subs.set(requested, flt)
            if self.listener is None:
                self.listener = await relay.attach(self.subs.patterns, accept=self._accept)
                upto = "{}-{}".format(*self.listener.since)
                self.pump = asyncio.create_task(self._pump())
            else:
                upto = relay.update(self.listener, self.subs.patterns)
            ack = {"type": "subscribed", "patterns": sorted(self.subs.patterns)}
            if flt is not None:
                ack["filtered"] = sorted(p for p, f in self.subs.filters.items() if f is not None)
            replay = []
            if last_id is not None and new:
                replay, truncated = await relay.read_range(new, after=last_id, upto=upto)
                # Events the old patterns already delivered live must not arrive twice.
                since = self.listener.since
                replay = [
                    e
                    for e in replay
                    if not (id_key(e.id) > since and any(bus.topic_matches(p, e.topic) for p in old))
                    and self.subs.accepts(e)
                ]
                replay = await self.visibility.filter(replay)
                ack |= {"replayed": len(replay), "truncated": truncated}
            await self.send(text_data=json.dumps(ack))
            for ev in replay:
                await self.send(text_data=event_json(ev))

    async def unsubscribe(self, patterns: list[str]) -> None:
        self.subs.discard(patterns)
        if self.listener is not None:
            bus.relay().update(self.listener, self.subs.patterns)
        await self.send_json({"type": "unsubscribed", "patterns": sorted(self.subs.patterns)})

    async def send_json(self, data: dict) -> None:
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
                await self.send(text_data=event_json(ev))
