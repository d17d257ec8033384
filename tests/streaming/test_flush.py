"""Delivery without a task per connection (api/flush.py), through the real ASGI app and the real bus.

A connection's ASGI send is wrapped where a test needs to see or hold its sends: a held send is a
client whose socket takes nothing (the transport paused), exactly what a send that suspends is.
Every wait is bounded; none is a speed assertion."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from apps.platform import bus
from apps.streaming.services import connections

from .wsclient import WAIT, connect, events_until, subscribe

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def token(staff_user):
    return Token.objects.create(user=staff_user).key


def _publish_many(topic: str, n: int, start: int = 0) -> list[str]:
    return [bus.publish(topic, {"i": i}) for i in range(start, start + n)]


def _consumers() -> list:
    """This loop's connections, oldest first."""
    return list(connections.local().live.values())


async def _until(predicate, what: str) -> None:
    for _ in range(int(WAIT / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


class HeldSends:
    """Wraps a connection's ASGI send: while `gate` is closed, frames wait (the send suspends);
    records the task each event frame was sent from."""

    def __init__(self, consumer) -> None:
        self.inner = consumer.base_send
        self.gate = asyncio.Event()
        self.gate.set()
        self.tasks: list[asyncio.Task | None] = []
        consumer.base_send = self

    async def __call__(self, message) -> None:
        if message["type"] == "websocket.send" and '"type":"event"' in message.get("text", ""):
            self.tasks.append(asyncio.current_task())
            await self.gate.wait()
        await self.inner(message)


async def test_a_send_that_suspends_holds_up_only_its_connection_which_gets_everything_after(
    fresh_bus, token
):
    slow_comm = await connect(f"/ws/stream?token={token}")
    fast_comm = await connect(f"/ws/stream?token={token}")
    for comm in (slow_comm, fast_comm):
        await subscribe(comm, ["trading.orders.*"])
    slow, fast = _consumers()
    held = HeldSends(slow)
    held.gate.clear()

    ids = await asyncio.to_thread(_publish_many, "trading.orders.O1", 20)
    # The other connection gets every event while the held one's first send is still suspended.
    assert [m["id"] for m in await events_until(fast_comm, ids[-1])] == ids
    await _until(lambda: len(slow.outbox) == 19, "the rest queued behind the held send")
    assert slow.send_task is not None and not slow.send_task.done()
    assert slow.sent == 0 and slow_comm.output_queue.empty()
    assert fast.send_task is None  # its sends completed at once: no task

    more = await asyncio.to_thread(_publish_many, "trading.orders.O1", 5, 20)
    assert [m["id"] for m in await events_until(fast_comm, more[-1])] == more

    held.gate.set()  # the client reads again: the task sends what waited, in order, then lets go
    assert [m["id"] for m in await events_until(slow_comm, more[-1])] == ids + more
    await _until(lambda: slow.send_task is None, "the send task let go of the connection")
    assert slow.sent == 25 and len(slow.outbox) == 0

    # Live again: later events go out eagerly, from the relay's flush, not from a task of the connection.
    last = await asyncio.to_thread(_publish_many, "trading.orders.O1", 3, 25)
    assert [m["id"] for m in await events_until(slow_comm, last[-1])] == last
    assert {t.get_name() for t in held.tasks[-3:]} == {"bus-relay"}
    for comm in (slow_comm, fast_comm):
        await comm.disconnect()


async def test_closing_a_connection_cancels_its_suspended_send(fresh_bus, token):
    comm = await connect(f"/ws/stream?token={token}")
    await subscribe(comm, ["trading.orders.*"])
    (consumer,) = _consumers()
    held = HeldSends(consumer)
    held.gate.clear()
    await asyncio.to_thread(_publish_many, "trading.orders.O1", 3)
    await _until(lambda: consumer.send_task is not None, "a send suspended")
    task = consumer.send_task
    await consumer.close_with(4000, "bye")
    assert task.cancelled() and consumer.send_task is None
    out = await comm.receive_output(timeout=WAIT)
    assert (out["type"], out["code"]) == ("websocket.close", 4000)
    await comm.disconnect()


class FailingSends:
    """Wraps a connection's ASGI send: the event frame carrying `poison` raises (a fault of ours,
    not a client gone); with `suspend`, only after the send suspended once (a task owns it then)."""

    def __init__(self, consumer, poison: str, *, suspend: bool = False) -> None:
        self.inner, self.poison, self.suspend = consumer.base_send, poison, suspend
        consumer.base_send = self

    async def __call__(self, message) -> None:
        if self.poison in message.get("text", ""):
            if self.suspend:
                await asyncio.sleep(0)
            raise RuntimeError("cannot encode this frame")
        await self.inner(message)


@pytest.mark.parametrize("suspend", [False, True], ids=["in the flush", "in a send task"])
async def test_a_send_that_raises_closes_its_connection_1011_and_the_others_go_on(fresh_bus, token, suspend):
    broken_comm = await connect(f"/ws/stream?token={token}")
    other_comm = await connect(f"/ws/stream?token={token}")
    for comm in (broken_comm, other_comm):
        await subscribe(comm, ["trading.orders.*"])
    broken, other = _consumers()
    FailingSends(broken, '"i":3', suspend=suspend)

    ids = await asyncio.to_thread(_publish_many, "trading.orders.O1", 10)
    assert [m["id"] for m in await events_until(other_comm, ids[-1])] == ids
    frames = []
    while (out := await broken_comm.receive_output(timeout=WAIT))["type"] != "websocket.close":
        frames.append(out["text"])
    # Closed at once, not left silent until the watchdog: the client reconnects from its last id.
    assert (out["code"], out.get("reason")) == (1011, "delivery failed")
    assert [f'"id":"{i}"' in f for i, f in zip(ids, frames, strict=False)] == [True] * 3
    assert broken.closed and broken.broken and broken.send_task is None
    more = await asyncio.to_thread(_publish_many, "trading.orders.O1", 3, 10)
    assert [m["id"] for m in await events_until(other_comm, more[-1])] == more
    for comm in (broken_comm, other_comm):
        await comm.disconnect()


async def test_a_send_that_completes_at_once_runs_in_the_flush_without_a_task(fresh_bus, token):
    comm = await connect(f"/ws/stream?token={token}")
    await subscribe(comm, ["trading.orders.*", "market.data.bars.*"])
    (consumer,) = _consumers()
    spy = HeldSends(consumer)  # gate open: records only
    created: list[asyncio.Task] = []
    loop = asyncio.get_running_loop()
    real_create_task = loop.create_task

    def create_task(coro, **kw):
        task = real_create_task(coro, **kw)
        created.append(task)
        return task

    loop.create_task = create_task  # every task of the loop from here on (the relay makes some)
    try:
        ids = await asyncio.to_thread(_publish_many, "trading.orders.O1", 10)
        assert [m["id"] for m in await events_until(comm, ids[-1])] == ids
    finally:
        del loop.create_task
    assert spy.tasks == [bus.relay()._task] * 10  # every frame sent inside the relay's own task
    assert consumer.send_task is None
    delivery = [t for t in created if t.get_coro().cr_code.co_filename.endswith("flush.py")]
    assert delivery == []
    await comm.disconnect()


async def test_a_rate_limited_connection_resumes_by_itself(fresh_bus, token, settings):
    settings.STREAM_RATE_PER_S = 10
    settings.STREAM_RATE_BURST = 1
    comm = await connect(f"/ws/stream?token={token}")
    await subscribe(comm, ["trading.orders.*"])
    (consumer,) = _consumers()
    ids = await asyncio.to_thread(_publish_many, "trading.orders.O1", 3)
    first = await comm.receive_json_from(timeout=WAIT)
    assert first["id"] == ids[0]
    # The next one waits for a token on a timer (no sleeping task), holding the event.
    await _until(lambda: consumer.timer is not None, "the rate limit's timer")
    assert consumer.held is not None and consumer.send_task is None
    # Nothing else happens (no publish, no client frame): the timer alone brings the rest.
    rest = [await comm.receive_json_from(timeout=WAIT) for _ in range(2)]
    assert [m["id"] for m in rest] == ids[1:]
    await _until(lambda: consumer.timer is None and consumer.held is None, "the bucket settled")
    await comm.disconnect()


async def test_live_events_that_arrive_during_a_replay_follow_it(fresh_bus, token):
    old = await asyncio.to_thread(_publish_many, "trading.orders.O1", 4)
    comm = await connect(f"/ws/stream?token={token}")
    (consumer,) = _consumers()
    relay = bus.relay()
    read_range = relay.read_range
    live: list[str] = []

    async def slow_read_range(*args, **kwargs):
        """The replay is read; before it is sent, live events reach the connection's outbox."""
        found = await read_range(*args, **kwargs)
        live.extend(await asyncio.to_thread(_publish_many, "trading.orders.O1", 3, 100))
        await _until(lambda: len(consumer.outbox) == 3, "the live events queued")
        return found

    relay.read_range = slow_read_range
    try:
        await comm.send_json_to({"action": "subscribe", "patterns": ["trading.orders.*"], "last_id": old[0]})
        ack = await comm.receive_json_from(timeout=WAIT)
    finally:
        del relay.read_range
    assert ack["type"] == "subscribed" and ack["replayed"] == 3
    frames = [await comm.receive_json_from(timeout=WAIT) for _ in range(6)]
    assert [m["id"] for m in frames] == old[1:] + live  # the replay first, no gap, no duplicate
    assert await comm.receive_nothing(timeout=0.2)
    await comm.disconnect()


async def test_the_gate_loads_in_a_task_then_delivery_goes_on_in_order(fresh_bus, user, other_user):
    """An event naming a portfolio the connection has not met needs the database: the rest of that
    connection's queue waits for the load, in order; the events the user may not see are left out."""
    from apps.portfolio.services import portfolio_create

    await sync_to_async(portfolio_create)(code="mine", name="M", owner=user)
    await sync_to_async(portfolio_create)(code="theirs", name="T", owner=other_user)
    key = (await sync_to_async(Token.objects.create)(user=user)).key
    comm = await connect(f"/ws/stream?token={key}")
    await subscribe(comm, ["trading.orders.*"])
    items = [("mine", 0), ("theirs", 1), ("mine", 2), (None, 3), ("theirs", 4), ("mine", 5)]

    def publish():
        return [
            bus.publish("trading.orders.x", {"i": i, **({"portfolio": p} if p else {})}) for p, i in items
        ]

    ids = await asyncio.to_thread(publish)
    visible = [eid for eid, (p, _) in zip(ids, items, strict=True) if p != "theirs"]
    assert [m["id"] for m in await events_until(comm, visible[-1])] == visible
    await comm.disconnect()
