"""The relay's pattern index answers exactly what topic_matches answers, pattern by pattern."""

from __future__ import annotations

import random

import pytest

from apps.platform.bus import topic_matches
from apps.platform.bus.index import PatternIndex

SEGS = ["a", "b", "c", "market", "data", "AAPL"]


def _topic(rng: random.Random) -> str:
    return ".".join(rng.choice(SEGS) for _ in range(rng.randint(1, 5)))


def _pattern(rng: random.Random) -> str:
    n = rng.randint(1, 5)
    segs = [rng.choice([*SEGS, "*", "*"]) for _ in range(n)]
    if rng.random() < 0.3:
        segs[-1] = "#"
    return ".".join(segs)


@pytest.mark.parametrize("seed", range(5))
def test_index_equals_brute_force_over_random_patterns_and_topics(seed):
    rng = random.Random(seed)
    patterns = {i: {_pattern(rng) for _ in range(rng.randint(1, 4))} for i in range(200)}
    index = PatternIndex()
    for item, ps in patterns.items():
        index.add_all(ps, item)
    topics = {_topic(rng) for _ in range(500)}
    hits = 0
    for topic in topics:
        expected = {i for i, ps in patterns.items() if any(topic_matches(p, topic) for p in ps)}
        assert index.match(topic) == expected, topic
        hits += len(expected)
    assert hits > 0  # the random draw exercised matches, not only misses

    # Removing half the items (and one pattern of the rest) leaves exactly the brute force again.
    for item in range(0, 200, 2):
        index.remove_all(patterns.pop(item), item)
    for item, ps in patterns.items():
        gone = sorted(ps)[0]
        index.remove(gone, item)
        ps.discard(gone)
    for topic in topics:
        expected = {i for i, ps in patterns.items() if any(topic_matches(p, topic) for p in ps)}
        assert index.match(topic) == expected, topic


def test_hand_worked_cases_and_pruning():
    index = PatternIndex()
    index.add("market.data.bars.AAPL", "exact")
    index.add("market.data.*.AAPL", "star")
    index.add("market.#", "rest")
    index.add("#", "all")
    assert index.match("market.data.bars.AAPL") == {"exact", "star", "rest", "all"}
    assert index.match("market") == {"rest", "all"}  # `#` matches zero further segments
    assert index.match("market.data.bars.MSFT") == {"rest", "all"}
    assert index.match("risk.alerts.x") == {"all"}
    for p, item in [("market.data.bars.AAPL", "exact"), ("market.data.*.AAPL", "star"), ("market.#", "rest")]:
        index.remove(p, item)
    index.remove("#", "all")
    index.remove("#", "all")  # twice: a no-op
    assert len(index) == 0 and index._root.empty() and not index._exact
