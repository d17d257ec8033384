"""The outbound queue and the token bucket, against hand-worked sequences."""

from __future__ import annotations

import asyncio
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


@pytest.mark.asyncio
async def test_get_waits_for_an_offer():
    box = Outbox(maxsize=2, conflate_after=1, clock=lambda: 0.0)
    waiter = asyncio.ensure_future(box.get())
    await asyncio.sleep(0)
    assert not waiter.done()
    box.offer(E(1, "x.y"))
    assert (await asyncio.wait_for(waiter, 1))[0].id == 1


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
