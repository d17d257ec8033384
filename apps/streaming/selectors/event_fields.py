"""The fields a subscription filter tests, read from a bus event once per event (not per client).

- symbol: the payload's `symbol` (market data, positions, features carry it); else, for a
  `market.data.<kind>.<symbol>` topic, its last segment.
- severity: the payload's `severity`, else its breach's (`breach.severity`: risk.breaches and
  escalation alerts), else the limit's (`limit.severity`).
- portfolios: the references event_scope finds (codes and ids), the same the visibility gate uses.
- value(path): any payload value by a dotted path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from apps.platform.bus import Event

from ..kernels.filters import MISSING
from .event_scope import Ref, event_scope

MARKET = "market.data."


@dataclass(frozen=True)
class EventFields:
    event: Event

    @cached_property
    def symbol(self) -> str | None:
        sym = self.event.payload.get("symbol")
        if isinstance(sym, str) and sym:
            return sym
        if self.event.topic.startswith(MARKET):
            segs = self.event.topic.split(".")
            if len(segs) >= 4:
                return segs[3]
        return None

    @cached_property
    def severity(self) -> str | None:
        p = self.event.payload
        for holder in (p, p.get("breach"), p.get("limit")):
            if isinstance(holder, dict) and isinstance(holder.get("severity"), str):
                return holder["severity"]
        return None

    @cached_property
    def portfolios(self) -> frozenset[Ref]:
        return event_scope(self.event).portfolios

    def value(self, path: tuple[str, ...]) -> Any:
        obj: Any = self.event.payload
        for seg in path:
            if not isinstance(obj, dict) or seg not in obj:
                return MISSING
            obj = obj[seg]
        return obj


@lru_cache(maxsize=4096)
def event_fields(ev: Event) -> EventFields:
    return EventFields(ev)
