"""One connection's subscriptions: pattern → field filter (None: every event the pattern matches).

The relay's index already chose this connection for an event because some pattern matched; accepts()
is only consulted when at least one subscription has a filter, and passes the event when any of the
connection's matching subscriptions does (subscriptions are alternatives, filters within one are AND).
"""

from __future__ import annotations

from apps.platform.bus import Event, topic_matches

from ..kernels.filters import Filter
from .event_fields import event_fields


class SubscriptionSet:
    def __init__(self) -> None:
        self.filters: dict[str, Filter | None] = {}
        self.filtered = False  # kept current: the relay asks accepts() per event, this is its fast path

    @property
    def patterns(self) -> frozenset[str]:
        return frozenset(self.filters)

    def set(self, patterns, flt: Filter | None) -> None:
        for p in patterns:
            self.filters[p] = flt
        self.filtered = any(f is not None for f in self.filters.values())

    def discard(self, patterns) -> None:
        for p in patterns:
            self.filters.pop(p, None)
        self.filtered = any(f is not None for f in self.filters.values())

    def accepts(self, ev: Event) -> bool:
        if not self.filtered:
            return True  # the relay only offers events some pattern of ours matched
        fields = None
        for pattern, flt in self.filters.items():
            if not topic_matches(pattern, ev.topic):
                continue
            if flt is None:
                return True
            if fields is None:
                fields = event_fields(ev)
            if flt.matches(fields):
                return True
        return False
