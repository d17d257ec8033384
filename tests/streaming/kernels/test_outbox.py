"""The outbound queue and the token bucket, against hand-worked sequences."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from apps.streaming.kernels.outbox import Outbox
from apps.streaming.kernels.token_bucket import TokenBucket


@dataclass(frozen=True)
class E:
    id: int
    topic: str


def drain(box: Outbox) -> list[tuple[int, int]]:
    out = []
    while (item := box.get_nowait()) is not None:
        out.append((item[0].id, item[1]))
    return out


def test_below_the_conflation_depth_everything_queues_in_order():
    box = Outbox(maxsize=10, conflate_after=5, clock=lambda: 0.0)
    for i in range(4):
        box.offer(E(i, "market.data.bars.AAPL"))
    assert drain(box) == [(0, 1), (1, 1), (2, 1), (3, 1)]
    assert (box.dropped, box.conflated, box.backlogged_since) == (0, 0, None)


def test_behind_the_depth_market_data_keeps_the_latest_per_topic_in_id_order():
    now = [7.0]
    box = Outbox(maxsize=10, conflate_after=2, clock=lambda: now[0])
    box.offer(E(1, "market.data.bars.AAPL"))
    box.offer(E(2, "market.data.bars.MSFT"))  # depth 2: conflation on from here
    assert box.backlogged_since == 7.0
    box.offer(E(3, "market.data.bars.AAPL"))  # replaces 1, moves to the tail
    box.offer(E(4, "trading.orders.x"))  # never conflated
    box.offer(E(5, "market.data.bars.AAPL"))  # replaces 3 (which stood for 2)
    box.offer(E(6, "trading.orders.x"))
    assert box.conflated == 2 and len(box) == 4
    assert drain(box) == [(2, 1), (4, 1), (5, 3), (6, 1)]
    assert box.backlogged_since is None


def test_full_queue_drops_the_oldest_counting_every_update_it_held():
    box = Outbox(maxsize=3, conflate_after=2, clock=lambda: 0.0)
    box.offer(E(1, "market.data.bars.AAPL"))
    box.offer(E(2, "market.data.bars.AAPL"))  # depth 1 < 2: queued, not conflated
    box.offer(E(3, "market.data.bars.AAPL"))  # depth 2: replaces 2 (stands for 2)
    box.offer(E(4, "risk.alerts.x"))
    box.offer(E(5, "risk.alerts.y"))  # full (3): drops 1
    box.offer(E(6, "risk.alerts.z"))  # drops 3, which held two updates
    assert (box.dropped, box.conflated) == (3, 1)
    assert drain(box) == [(4, 1), (5, 1), (6, 1)]


def test_a_stalled_client_does_not_grow_the_queue_with_voided_entries():
    box = Outbox(maxsize=4, conflate_after=1, clock=lambda: 0.0)
    for i in range(1000):
        box.offer(E(i, f"market.data.quotes.S{i % 3}"))
    assert len(box) == 3 and len(box._q) <= 8
    assert drain(box) == [(997, 333), (998, 333), (999, 334)]  # S0 is 0, 3, ..., 999: 334 updates
    assert box.conflated == 997


def test_token_bucket_hand_worked():
    b = TokenBucket(rate=2.0, burst=3, now=0.0)
    assert [b.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]  # the burst
    assert b.take(0.0) == pytest.approx(0.5)  # one token short at 2/s
    assert b.take(0.0) == pytest.approx(1.0)  # queued behind it
    assert b.take(1.0) == pytest.approx(0.5)  # 1 s refilled 2 tokens: -2 + 2 - 1 = -1
    assert b.take(10.0) == 0.0  # refilled to the burst, not beyond
    assert b.tokens == pytest.approx(2.0)
    with pytest.raises(ValueError):
        TokenBucket(rate=0, burst=1, now=0.0)


class _ReferenceOutbox:
    """The outbox as a list of [event, count, key] entries, scanned every time: slow and obvious."""

    def __init__(self, maxsize: int, conflate_after: int) -> None:
        self.maxsize, self.conflate_after = maxsize, conflate_after
        self.q: list[list] = []
        self.dropped = self.conflated = 0

    def offer(self, ev) -> None:
        key = ev.topic if ev.topic.startswith("market.data.") else None
        count = 1
        if key is not None and len(self.q) >= self.conflate_after:
            for i in range(len(self.q) - 1, -1, -1):  # the newest waiting message of that key
                _, n, k = self.q[i]
                if k == key:
                    count += n
                    self.conflated += 1
                    del self.q[i]
                    break
        if len(self.q) >= self.maxsize:
            self.dropped += self.q.pop(0)[1]
        self.q.append([ev, count, key])

    def get(self):
        if not self.q:
            return None
        ev, n, _ = self.q.pop(0)
        return ev.id, n


@pytest.mark.parametrize("seed", range(20))
def test_random_offers_and_takes_match_a_plain_reference(seed):
    import random

    rnd = random.Random(seed)
    maxsize = rnd.randint(1, 12)
    conflate_after = rnd.randint(1, maxsize)
    box = Outbox(maxsize=maxsize, conflate_after=conflate_after, clock=lambda: 0.0)
    ref = _ReferenceOutbox(maxsize, conflate_after)
    topics = ["market.data.quotes.A", "market.data.quotes.B", "market.data.bars.A", "trading.orders.x"]
    for i in range(600):
        if rnd.random() < 0.6:
            ev = E(i, rnd.choice(topics))
            box.offer(ev)
            ref.offer(ev)
        else:
            got = box.get_nowait()
            assert (None if got is None else (got[0].id, got[1])) == ref.get()
        assert len(box) == len(ref.q) and (box.dropped, box.conflated) == (ref.dropped, ref.conflated)
        assert len(box._q) <= 2 * maxsize + 1
    assert drain(box) == [ref.get() for _ in range(len(ref.q))]


def test_an_offer_leaves_no_object_for_the_garbage_collector():
    """One event goes to every matching connection's outbox: 1,000 offers of it, queued until the
    flush, must not be 1,000 new objects the collector tracks (and promotes, and sweeps)."""
    import gc

    box = Outbox(maxsize=5000, conflate_after=5000, clock=lambda: 0.0)
    events = [E(i, "market.data.quotes.A" if i % 2 else "trading.orders.x") for i in range(2000)]
    box.offer(events[0])
    box.get_nowait()
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        for ev in events:
            box.offer(ev)
        after = len(gc.get_objects())
    finally:
        gc.enable()
    assert len(box) == 2000
    assert after - before < 10
