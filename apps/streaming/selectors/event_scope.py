"""Whose business a bus event is: the portfolios and the job it names. Pure functions, no database.

Publishers name a portfolio in the payload, never only in the topic: `portfolio` (its code) and
`portfolio_id` on trading.executions/positions, analytics.performance/reports and risk.limits;
`portfolios` (codes) on the risk report notice; `breach: {"portfolio": ..., "portfolio_id": ...}`
on risk.breaches and escalation alerts. A job is named by `job_id` (system.jobs.*, report notices)
or by the topic system.jobs.{id}. The payload is walked a few levels deep so a new publisher that
nests its portfolio one level further is still caught; an event naming nothing is public (market
data, system health, research).
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.platform.bus import Event

# A reference is ("code", str) or ("id", int): events carry codes, ids or both.
Ref = tuple[str, str | int]

CODE_KEYS = ("portfolio", "portfolio_code")
ID_KEYS = ("portfolio_id",)
LIST_KEYS = ("portfolios", "portfolio_ids")
JOB_TOPIC = "system.jobs."
MAX_DEPTH = 3  # payload → breach → ... : deeper than any publisher nests today
# A value under a portfolio key that is not a code, an id or a list of them: matched by no
# portfolio, so only staff receive the event (fail closed rather than guess).
UNREADABLE: Ref = ("code", "\x00unreadable")


@dataclass(frozen=True)
class EventScope:
    portfolios: frozenset[Ref]
    job: str | None

    @property
    def public(self) -> bool:
        return not self.portfolios and self.job is None


PUBLIC = EventScope(frozenset(), None)


def _ref(value, *, numeric: bool) -> Ref | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return UNREADABLE
    if isinstance(value, int):
        return ("id", value)
    if isinstance(value, str) and value:
        if numeric:
            return ("id", int(value)) if value.isdigit() else UNREADABLE
        return ("code", value)
    if isinstance(value, dict):  # {"portfolio": {"id": .., "code": ..}}
        return None  # walked as a nested object by _collect
    return UNREADABLE


def _collect(obj, refs: set[Ref], depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(obj, list):
        for item in obj:
            if isinstance(item, dict | list):
                _collect(item, refs, depth + 1)
        return
    for key in CODE_KEYS:
        if (ref := _ref(obj.get(key), numeric=False)) is not None:
            refs.add(ref)
    for key in ID_KEYS:
        if (ref := _ref(obj.get(key), numeric=True)) is not None:
            refs.add(ref)
    for key in LIST_KEYS:
        values = obj.get(key)
        if values is None:
            continue
        if not isinstance(values, list):
            refs.add(UNREADABLE)
            continue
        for v in values:
            if (ref := _ref(v, numeric=key.endswith("_ids"))) is not None:
                refs.add(ref)
    nested = obj.get("portfolio")
    if isinstance(nested, dict):
        for key, kind in (("code", False), ("id", True)):
            if (ref := _ref(nested.get(key), numeric=kind)) is not None:
                refs.add(ref)
    for value in obj.values():
        if isinstance(value, dict | list):
            _collect(value, refs, depth + 1)


def _job(ev: Event) -> str | None:
    job = ev.payload.get("job_id")
    if job is not None:
        return str(job)
    if ev.topic.startswith(JOB_TOPIC):
        return ev.topic[len(JOB_TOPIC) :]
    return None


MEMO_KEY = "streaming.scope"  # Event.memo


def event_scope(ev: Event) -> EventScope:
    """One event goes to every connection of the process: the walk runs once per event (kept in
    Event.memo), not once per client."""
    scope = ev.memo.get(MEMO_KEY)
    if scope is None:
        scope = ev.memo[MEMO_KEY] = _scope(ev)
    return scope


def _scope(ev: Event) -> EventScope:
    refs: set[Ref] = set()
    if isinstance(ev.payload, dict):
        _collect(ev.payload, refs, 0)
    job = _job(ev)
    if not refs and job is None:
        return PUBLIC
    return EventScope(frozenset(refs), job)
