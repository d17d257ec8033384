"""Which bus events one ws/stream connection may receive: the REST API's rules, cached per connection.

A portfolio-scoped event (see event_scope) goes to staff and to a user who may view every portfolio
it names (owner, member of the portfolio's group: apps.portfolio.facade); a job-scoped one to staff
and the job's creator (apps.platform.selectors.job_visible_to, as GET /api/jobs/{id}). Public events
cost nothing here.

The user's viewable portfolios are loaded once and kept; what changes after connect is caught by
  - a full reload every STREAM_VISIBILITY_REFRESH_SECONDS (30): sharing, unsharing, group
    membership, the user's staff flag;
  - a reload when an event names a portfolio this connection has not met yet (created or shared
    since the last load). A portfolio a load showed not viewable is remembered as denied and costs
    no further query (until a periodic reload shows it viewable), so each portfolio costs at most
    one query per connection however many of its events go by.
Job ownership never changes, so each job id is looked up once.
"""

from __future__ import annotations

import time
import uuid

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model

from apps.platform.bus import Event
from apps.platform.selectors import job_get, job_visible_to
from apps.portfolio import facade as portfolio_facade

from .event_scope import Ref, event_scope

MAX_JOBS_CACHED = 10_000
monotonic = time.monotonic  # module attribute so tests can move the clock without sleeping


def refresh_seconds() -> float:
    return float(getattr(settings, "STREAM_VISIBILITY_REFRESH_SECONDS", 30.0))


def _refs(ids, codes) -> frozenset[Ref]:
    return frozenset([("id", i) for i in ids] + [("code", c) for c in codes])


@database_sync_to_async
def _load(user_id) -> tuple[object | None, bool, frozenset[Ref]]:
    """(fresh user or None, is staff, viewable portfolio refs) from the database."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None, False, frozenset()
    keys = portfolio_facade.portfolio_keys_visible(user)
    if keys is None:
        return user, True, frozenset()
    return user, False, _refs(*keys)


@database_sync_to_async
def _job_visible(job_id: str, user) -> bool:
    try:
        uuid.UUID(job_id)
    except ValueError:
        return False  # not a job this platform started: only staff (who never get here) see it
    job = job_get(job_id=job_id)
    return job is not None and job_visible_to(job, user)


class Visibility:
    """One per connection. The consumer's delivery (api/flush.py) asks allows_cached() first and
    awaits allows() only when that cannot answer; never two calls of one connection at once."""

    def __init__(self, user) -> None:
        self.user_id = user.pk
        self.user = user
        self.staff = bool(user.is_staff)
        self.visible: frozenset[Ref] = frozenset()
        self.denied: set[Ref] = set()  # refs a load showed not viewable (or unknown)
        self.jobs: dict[str, bool] = {}
        self.loaded_at: float | None = None
        self.queries = 0  # database round trips so far (tests check the caching with it)

    def allows_cached(self, ev: Event) -> bool | None:
        """allows() when the cache can answer without the database (the usual case: a public event,
        or a fresh cache that has met every portfolio and job the event names); None when only
        allows() can, because it must load. Changes nothing when it answers None."""
        scope = event_scope(ev)
        if scope.public:
            return True
        if self.loaded_at is None or monotonic() - self.loaded_at >= refresh_seconds():
            return None
        if self.staff:
            return True
        if self.user is None:
            return False
        if scope.job is not None:
            ok = self.jobs.get(scope.job)
            if not ok:
                return ok  # None: not looked up yet
        missing = scope.portfolios - self.visible
        if missing and missing - self.denied:
            return None  # a portfolio this connection has not met: allows() reloads
        return not missing

    async def allows(self, ev: Event) -> bool:
        ok = self.allows_cached(ev)
        if ok is not None:
            return ok
        scope = event_scope(ev)
        just_loaded = False
        if self.loaded_at is None or monotonic() - self.loaded_at >= refresh_seconds():
            await self._reload()
            just_loaded = True
        if self.staff:
            return True
        if self.user is None:
            return False
        if scope.job is not None and not await self._job_ok(scope.job):
            return False
        return await self._portfolios_ok(scope.portfolios, just_loaded=just_loaded)

    async def filter(self, events: list[Event]) -> list[Event]:
        return [ev for ev in events if await self.allows(ev)]

    async def _reload(self) -> None:
        self.user, self.staff, self.visible = await _load(self.user_id)
        self.queries += 1
        self.loaded_at = monotonic()
        # Denied refs stay denied until a load shows them viewable: a portfolio shared since then
        # moves to `visible` here, and the other users' portfolios are never looked up twice.
        self.denied -= self.visible

    async def _portfolios_ok(self, refs: frozenset[Ref], *, just_loaded: bool) -> bool:
        missing = refs - self.visible
        if missing and not just_loaded and missing - self.denied:
            # A portfolio this connection has not seen yet: maybe created or shared since the load.
            # Never dropped on a guess: one query, after which it is visible or denied for good.
            await self._reload()
            missing = refs - self.visible
        # A load that ran after this event was published is authoritative for it.
        self.denied |= missing
        return not missing

    async def _job_ok(self, job_id: str) -> bool:
        ok = self.jobs.get(job_id)
        if ok is None:
            if len(self.jobs) >= MAX_JOBS_CACHED:
                self.jobs.clear()
            ok = self.jobs[job_id] = await _job_visible(job_id, self.user)
            self.queries += 1
        return ok
