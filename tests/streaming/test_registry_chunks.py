"""The registry's snapshot and connection list, built CHUNK connections at a time, equal the ones
built in one go, and let the event loop run between chunks."""

from __future__ import annotations

import asyncio
import json

import pytest

from apps.streaming.services import registry
from apps.streaming.services.connections import Process


class FakeSubs:
    def __init__(self, patterns) -> None:
        self.patterns = frozenset(patterns)


class FakeConsumer:
    def __init__(self, n: int) -> None:
        self.n = n
        self.subs = FakeSubs(["#"] if n % 3 == 0 else ["risk.#", f"market.data.bars.S{n % 7}"])

    def describe(self) -> dict:
        return {"id": f"p.{self.n}", "patterns": sorted(self.subs.patterns), "sent": self.n * 2}


def _process(n: int) -> Process:
    proc = Process()
    proc.live = {f"{proc.id}.{i}": FakeConsumer(i) for i in range(n)}
    proc.messages_in, proc.messages_out, proc.dropped, proc.conflated = 7, 1234, 3, 9
    proc.latencies_ms.extend([1.5, 2.25, 30.0])
    return proc


@pytest.mark.asyncio
async def test_chunked_snapshot_and_descriptions_equal_the_whole_walk_and_yield_between_chunks():
    proc = _process(2 * registry.CHUNK + 50)  # three chunks
    last = {"at": 0.0, "messages_in": 1, "messages_out": 234}
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = ticks
    snap = await registry.snapshot_chunked(proc, last)
    conns = await registry.describe_chunked(proc)
    steps = ticks - start
    other.cancel()

    whole = registry.snapshot(proc, last, snap["at"])
    assert snap == whole
    twice = sum(1 for c in proc.live.values() if c.n % 3)  # subscribed to two patterns, not "#" alone
    assert sum(snap["subscriptions"].values()) == len(proc.live) + twice
    assert conns == {cid: json.dumps(c.describe()) for cid, c in proc.live.items()}
    assert steps >= 4  # the other task ran between the chunks of each walk (2 yields per walk)


@pytest.mark.asyncio
async def test_a_connection_gone_during_the_walk_is_left_out_of_later_chunks():
    proc = _process(registry.CHUNK + 10)
    gone = list(proc.live)[-1]

    async def remove_soon():  # runs at the walk's first yield, after the first chunk
        del proc.live[gone]

    remover = asyncio.create_task(remove_soon())
    conns = await registry.describe_chunked(proc)
    await remover
    assert gone not in conns and len(conns) == registry.CHUNK + 9
