"""What every WebSocket feed shares: auth, the visibility gate, subscriptions on the process's bus
relay, replay, the outbound queue and rate limit, and the watchdog.

Events come from the process's bus relay (apps.platform.bus.relay): one Redis reader shared by all
connections, which hands each event to the connections whose patterns match (through its pattern
index) and whose field filters pass (SubscriptionSet.accepts), straight into the connection's
Outbox (kernels/outbox.py: bounded, market data conflated for a client that falls behind). Nothing
the relay does waits on a client: a slow one fills only its own outbox.

After each relay batch, flush.py sends what the batch queued, connection by connection, with no task
per connection: the visibility gate (Visibility, the REST API's rule: an event naming a portfolio
goes only to users who may view it, a job's events only to its creator and staff; market data and
system health go to all), then the token bucket, then the frame. Only a send that cannot complete
at once (a client not reading) gets a task, and it holds up only its own connection. With last_id,
events after that id up to the moment of subscribing are replayed first, then live ones follow
without a gap: subscribe holds the send lock while it replays, and live events wait behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

import redis
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from apps.platform import bus
from apps.platform.bus.events import id_key

from ..kernels.filters import Filter
from ..kernels.outbox import Outbox
from ..kernels.token_bucket import TokenBucket
from ..selectors.subscription_set import SubscriptionSet
from ..selectors.visibility import Visibility
from ..services import connections, registry
from .flush import drain, event_json, express
from .messages import MAX_PATTERNS, BadMessage, parse_message
from .watchdog import watch
from .wire import Wire

log = logging.getLogger("apps.streaming")

CLOSE_UNAUTHENTICATED = 4401
CLOSE_ABUSE = 1008  # RFC 6455 policy violation
monotonic = time.monotonic


class FeedConsumer(AsyncWebsocketConsumer):
    # Events come from the bus relay, not channel-layer groups: without a layer a connection costs
    # no Redis channel and no BRPOP loop of its own (get_channel_layer(None) is None).
    channel_layer_alias = None
    ACTIONS: tuple[str, ...] = ("ping", "pong")

    async def connect(self):
        now = monotonic()
        self.subs = SubscriptionSet()
        self.listener = None
        self.watchdog: asyncio.Task | None = None
        self.send_lock = asyncio.Lock()  # control frames, and a subscribe's ack and replay
        # Delivery (flush.py): a task that owns the connection's queue (a send that suspended), the
        # rate limit's timer and the event it holds, and whether a send failed for good.
        self.send_task: asyncio.Task | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.held: tuple | None = None
        self.broken = False
        self.wire: Wire | None = None
        self.pending = b""  # frames express() took for the socket in the relay's current batch
        self.visibility: Visibility | None = None
        self.closed = False
        self.conn_id: str | None = None
        self.opened_at = now
        self.opened_wall = time.time()
        self.last_frame = now  # any frame from the client (heartbeat answers)
        self.last_active = now  # a client action or an event sent (idle limit)
        self.sent = self.received = 0
        self.reported_drops = 0
        self.outbox = Outbox(
            maxsize=settings.STREAM_QUEUE_SIZE,
            conflate_after=min(settings.STREAM_CONFLATE_AFTER, settings.STREAM_QUEUE_SIZE),
            clock=monotonic,
        )
        self.wake = asyncio.Event()  # the watchdog's alarm: a backlog began, or a limit changed
        self.outbox.on_backlog = self.wake.set
        self.bucket = TokenBucket(settings.STREAM_RATE_PER_S, settings.STREAM_RATE_BURST, now)
        self.inbound = TokenBucket(settings.STREAM_CONTROL_RATE_PER_S, settings.STREAM_CONTROL_BURST, now)
        user = self.scope.get("user")
        # Accept, then close: a close before accept becomes an HTTP 403 and the client never sees 4401.
        await self.accept()
        self.wire = Wire.of(self.base_send)  # frames straight to the socket when uvicorn serves it
        if user is None or not user.is_authenticated:
            await self.close_with(CLOSE_UNAUTHENTICATED, "authentication required")
            return
        self.visibility = Visibility(user)
        self.proc = connections.local()
        self.conn_id = self.proc.register(self)
        registry.ensure_agent(self.proc)
        self.watchdog = asyncio.create_task(watch(self))
        await self.opened()

    @property
    def feed(self) -> str:
        """`stream`, `market`, `portfolio` or `risk`: the second segment of /ws/<feed>/..."""
        parts = self.scope.get("path", "").strip("/").split("/")
        return parts[1] if len(parts) > 1 else "unknown"

    @property
    def user(self):
        return self.scope.get("user")

    def describe(self) -> dict:
        """This connection for POST /api/websocket/connections (JSON-safe)."""
        user = self.user
        return {
            "id": self.conn_id,
            "feed": self.feed,
            "path": self.scope.get("path", ""),
            "user": getattr(user, "username", None),
            "user_id": getattr(user, "pk", None),
            "connected_at": self.opened_wall,
            "patterns": sorted(self.subs.patterns),
            "filtered": sorted(p for p, f in self.subs.filters.items() if f is not None),
            "received": self.received,
            "sent": self.sent,
            "queued": len(self.outbox),
            "dropped": self.outbox.dropped,
            "conflated": self.outbox.conflated,
        }

    async def opened(self) -> None:
        """After authentication: pre-subscribed feeds subscribe here."""

    async def close_with(self, code: int, reason: str) -> None:
        if not self.closed:
            self.closed = True  # close() below sets it too; here first, so a second call does nothing
            connections.count_closed(code)
            self._cancel_timer()
            task, self.send_task = getattr(self, "send_task", None), None
            if task is not None and task is not asyncio.current_task():
                task.cancel()  # it may be stuck sending to this very client: the close must not wait on it
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.close(code=code, reason=reason)

    async def close(self, code=None, reason=None):
        # Marked closed before the close frame goes: nothing may be written after it, and the
        # direct writes (wire.py) rely on this flag for a close the server sends.
        self.closed = True
        await super().close(code=code, reason=reason)

    def _cancel_timer(self) -> None:
        timer, self.timer = getattr(self, "timer", None), None
        if timer is not None:
            timer.cancel()

    async def disconnect(self, code):
        self.closed = True
        self._cancel_timer()
        me = asyncio.current_task()
        for name in ("send_task", "watchdog"):
            task = getattr(self, name, None)
            setattr(self, name, None)
            if task is not None and task is not me:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if getattr(self, "conn_id", None) is not None:
            self.proc.unregister(self.conn_id)
        listener, self.listener = getattr(self, "listener", None), None
        if listener is not None:
            await bus.relay().detach(listener)

    # -- client frames ---------------------------------------------------------------------------

    async def dispatch(self, message):
        # Channels closes stale database connections before every handler: a thread hop per client
        # frame (each heartbeat answer too: 50 a second from 1,000 clients), whose thread takes the
        # GIL from the event loop in the middle of a fan-out. A client frame reaches the database
        # only through database_sync_to_async, which closes stale connections itself around the call.
        if message["type"] == "websocket.receive":
            await self.websocket_receive(message)
        else:
            await super().dispatch(message)

    async def receive(self, text_data=None, bytes_data=None):
        if self.visibility is None or self.closed:  # closed: frames still in flight get nothing
            return
        self.last_frame = monotonic()
        self.received += 1
        self.proc.count_in()
        # Abuse: a client whose frames run a whole burst beyond the control rate is closed, not served.
        if self.inbound.take(self.last_frame) * self.inbound.rate > self.inbound.burst:
            await self.close_with(CLOSE_ABUSE, "too many control messages")
            return
        try:
            msg = parse_message(text_data)
            action = msg.get("action")
            if action == "pong":
                return  # the answer to a server heartbeat: last_frame took note of it
            self.last_active = self.last_frame
            if action == "ping":
                await self.send_json({"type": "pong"})
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

    # -- subscriptions ---------------------------------------------------------------------------

    @property
    def patterns(self) -> frozenset[str]:
        return self.subs.patterns

    def _accept(self):
        """The listener's field filter: none while no subscription has one (the relay then skips
        the call; its pattern index already chose the connection)."""
        return self.subs.accepts if self.subs.filtered else None

    def offer(self, ev) -> None:
        """The relay's hand-off (synchronous, never waits): into the outbox, counting what it costs.
        offered() sends it, once the relay's batch has offered all it has for this connection.
        With nothing queued, express() takes it for the socket straight away."""
        if express(self, ev):
            return
        box = self.outbox
        dropped, conflated = box.dropped, box.conflated
        box.offer(ev)
        if box.dropped != dropped:
            self.proc.count_dropped(box.dropped - dropped)
        if box.conflated != conflated:
            self.proc.count_conflated(box.conflated - conflated)

    def offered(self) -> None:
        drain(self)

    async def subscribe(self, requested: list[str], flt: Filter | None, last_id: str | None) -> None:
        """Add (or re-filter) subscriptions; sends the ack, then any replay. `requested` is validated."""
        new = set(requested) - self.subs.patterns
        if len(self.subs.patterns | new) > MAX_PATTERNS:
            raise ValueError(f"at most {MAX_PATTERNS} patterns per connection")
        relay = bus.relay()
        try:
            async with self.send_lock:  # live events for the new patterns wait behind the replay
                await self._settle()
                await self._subscribe_locked(relay, requested, flt, last_id, new)
        finally:
            drain(self)  # what arrived meanwhile

    async def _subscribe_locked(self, relay, requested, flt, last_id, new) -> None:
        old = self.subs.patterns
        self.subs.set(requested, flt)
        if self.listener is None:
            relay.after_dispatch(self.proc.mirror)  # a batch's delivery counts, to Prometheus
            self.listener = await relay.attach(self.subs.patterns, accept=self._accept(), sink=self)
            upto = "{}-{}".format(*self.listener.since)
        else:
            upto = relay.update(self.listener, self.subs.patterns)
            self.listener.accept = self._accept()
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
            oldest = await relay.trimmed_after(new, after=last_id)
            if oldest is not None:  # the bus no longer holds all that was missed: say so
                ack |= {
                    "gap": True,
                    "oldest_kept": oldest,
                    "detail": f"events after {last_id} and before {oldest} are no longer kept; "
                    "what was missed before that id is lost",
                }
        await self.send(text_data=json.dumps(ack))
        for ev in replay:
            await self.send(text_data=event_json(ev))

    async def unsubscribe(self, patterns: list[str]) -> None:
        self.subs.discard(patterns)
        if self.listener is not None:
            bus.relay().update(self.listener, self.subs.patterns)
            self.listener.accept = self._accept()
        await self.send_json({"type": "unsubscribed", "patterns": sorted(self.subs.patterns)})

    # -- sending ---------------------------------------------------------------------------------

    async def send_json(self, data: dict) -> None:
        try:
            async with self.send_lock:
                await self._settle()
                await self.send(text_data=json.dumps(data))
        finally:
            drain(self)  # events that waited for the lock

    async def _settle(self) -> None:
        """Under the send lock: let a send task in flight finish its frame (it lets go of the
        connection at the next frame, seeing the lock taken), so frames never interleave."""
        while (task := self.send_task) is not None and task is not asyncio.current_task():
            await asyncio.wait({task})

    def sending(self) -> bool:
        """Is a frame on its way (a control frame, a replay, or a send to a client not reading)?"""
        return self.send_lock.locked() or self.send_task is not None
