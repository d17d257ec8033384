"""Topic names, patterns, families and priorities: pure functions, no Redis.

A topic is dot-separated non-empty segments (`market.data.bars.AAPL`). A pattern may use `*` for
exactly one segment and `#` for the rest (zero or more segments), `#` only as the last segment.

A topic's *family* names the stream it is stored in: the known family it belongs to
(`market.data.bars`), else its first two segments. Per-family streams keep a subscriber to bars
from reading level-2 traffic, while ids stay comparable across streams (see publisher.py).
"""

from __future__ import annotations

from functools import lru_cache

from workers.registry import PRIORITY

# SPEC.md "The event bus": family → priority. Every topic under a family is `family.<something>`.
FAMILY_PRIORITY: dict[str, str] = {
    "trading.orders": "critical",
    "trading.executions": "critical",
    "trading.positions": "critical",
    "market.data.quotes": "high",
    "market.data.bars": "high",
    "market.data.level2": "high",
    "risk.alerts": "critical",
    "risk.limits": "critical",
    "risk.breaches": "critical",
    "analytics.performance": "high",
    "analytics.attribution": "high",
    "analytics.reports": "high",
    "system.health": "low",
    "system.metrics": "low",
    "system.alerts": "low",
    "system.jobs": "low",
}
DEFAULT_PRIORITY = "normal"
_MAX_TOPIC_LEN = 255


def validate_topic(topic: object) -> str:
    """A concrete topic: non-empty segments, no wildcards. Raises ValueError (a caller bug)."""
    if not isinstance(topic, str) or not topic:
        raise ValueError("topic must be a non-empty string")
    if len(topic) > _MAX_TOPIC_LEN:
        raise ValueError(f"topic is longer than {_MAX_TOPIC_LEN} characters")
    for seg in topic.split("."):
        if not seg:
            raise ValueError(f"topic {topic!r} has an empty segment")
        if "*" in seg or "#" in seg:
            raise ValueError(f"topic {topic!r} contains a wildcard; wildcards belong in patterns")
        if any(c.isspace() for c in seg):
            raise ValueError(f"topic {topic!r} contains whitespace")
    return topic


def validate_pattern(pattern: object) -> str:
    if not isinstance(pattern, str) or not pattern:
        raise ValueError("pattern must be a non-empty string")
    if len(pattern) > _MAX_TOPIC_LEN:
        raise ValueError(f"pattern is longer than {_MAX_TOPIC_LEN} characters")
    segs = pattern.split(".")
    for i, seg in enumerate(segs):
        if not seg:
            raise ValueError(f"pattern {pattern!r} has an empty segment")
        if seg == "#" and i != len(segs) - 1:
            raise ValueError(f"pattern {pattern!r}: '#' is only allowed as the last segment")
        if seg not in ("*", "#") and ("*" in seg or "#" in seg):
            raise ValueError(f"pattern {pattern!r}: a wildcard must be a whole segment")
        if any(c.isspace() for c in seg):
            raise ValueError(f"pattern {pattern!r} contains whitespace")
    return pattern


@lru_cache(maxsize=4096)
def _split(s: str) -> tuple[str, ...]:
    return tuple(s.split("."))


def topic_matches(pattern: str, topic: str) -> bool:
    p, t = _split(pattern), _split(topic)
    for i, seg in enumerate(p):
        if seg == "#":
            return True  # the rest, zero or more segments
        if i >= len(t):
            return False
        if seg != "*" and seg != t[i]:
            return False
    return len(p) == len(t)


@lru_cache(maxsize=4096)
def topic_family(topic: str) -> str:
    """The stream a topic lives in: its known family, else its first two segments."""
    segs = _split(topic)
    for n in (3, 2):  # known families have two or three segments; the longest wins
        if len(segs) > n:
            fam = ".".join(segs[:n])
            if fam in FAMILY_PRIORITY:
                return fam
    return ".".join(segs[:2])


def topic_priority(topic: str) -> str:
    return FAMILY_PRIORITY.get(topic_family(topic), DEFAULT_PRIORITY)


def celery_priority(priority: str) -> int:
    return PRIORITY[priority]


def validate_priority(priority: object) -> str:
    if priority not in PRIORITY:
        raise ValueError(f"priority must be one of {', '.join(PRIORITY)}; got {priority!r}")
    return priority  # type: ignore[return-value]


def pattern_may_cover(pattern: str, family: str) -> bool:
    """Could `pattern` match some topic stored in `family`'s stream? Conservative: a True may still
    yield no event (the reader filters every event by topic_matches), a False never loses one."""
    p, f = _split(pattern), _split(family)
    for i, seg in enumerate(f):
        if i >= len(p):
            return False  # every topic in the stream has at least len(f) segments
        if p[i] == "#":
            return True
        if p[i] != "*" and p[i] != seg:
            return False
    return True
