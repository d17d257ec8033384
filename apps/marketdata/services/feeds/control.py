"""The runner's side of a session's life cycle. Every transition is one conditional UPDATE, so the
API's stop and the runner's claim can race without either overwriting the other."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from ...models import FeedSession, FeedState

# A running session whose runner has not reported for this long is taken over (its runner died).
STALE_AFTER = dt.timedelta(seconds=15)


@dataclass
class Counters:
    """What a running feed has done, in total over the session's life (resumes included)."""

    ticks_published: int = 0
    bars_published: int = 0
    bars_stored: int = 0
    last_tick_at: dt.datetime | None = None
    error_count: int = 0
    last_error: str = ""

    @classmethod
    def of(cls, s: FeedSession) -> Counters:
        return cls(
            s.ticks_published, s.bars_published, s.bars_stored, s.last_tick_at, s.error_count, s.last_error
        )


def claim(*, runner: str, now: dt.datetime) -> list[FeedSession]:
    """Sessions this runner now owns: every pending one, and running ones whose runner went silent."""
    stale = Q(state=FeedState.RUNNING) & (
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - STALE_AFTER)
    )
    candidates = FeedSession.objects.filter(Q(state=FeedState.PENDING) | stale).exclude(runner=runner)
    claimed = []
    for s in candidates.order_by("created_at", "id"):
        won = (
            FeedSession.objects.filter(pk=s.pk, state=s.state, runner=s.runner)
            .filter(Q(state=FeedState.PENDING) | Q(heartbeat_at=s.heartbeat_at))
            .update(
                state=FeedState.RUNNING,
                runner=runner,
                heartbeat_at=now,
                started_at=Coalesce("started_at", now),
            )
        )
        if won:
            s.refresh_from_db()
            claimed.append(s)
    return claimed


def owned_states(*, runner: str, ids: list[int]) -> dict[int, str]:
    """Current state of each of these sessions that this runner still owns."""
    return dict(FeedSession.objects.filter(pk__in=ids, runner=runner).values_list("pk", "state"))


def report(*, session_id: int, runner: str, counters: Counters, now: dt.datetime) -> None:
    FeedSession.objects.filter(pk=session_id, runner=runner).update(
        heartbeat_at=now,
        ticks_published=counters.ticks_published,
        bars_published=counters.bars_published,
        bars_stored=counters.bars_stored,
        last_tick_at=counters.last_tick_at,
        error_count=counters.error_count,
        last_error=counters.last_error[:2000],
    )


def end(*, session_id: int, runner: str, state: str, counters: Counters, now: dt.datetime) -> None:
    """stopped, finished or failed: the session is over and nobody runs it any more."""
    report(session_id=session_id, runner=runner, counters=counters, now=now)
    FeedSession.objects.filter(pk=session_id, runner=runner).update(state=state, stopped_at=now)


def release(*, session_id: int, runner: str, counters: Counters, now: dt.datetime) -> None:
    """The runner is shutting down: a running session goes back to pending for the next runner to
    resume; one asked to stop is stopped now."""
    report(session_id=session_id, runner=runner, counters=counters, now=now)
    FeedSession.objects.filter(pk=session_id, runner=runner, state=FeedState.RUNNING).update(
        state=FeedState.PENDING, runner=""
    )
    FeedSession.objects.filter(pk=session_id, runner=runner, state=FeedState.STOPPING).update(
        state=FeedState.STOPPED, stopped_at=now
    )


def now_utc() -> dt.datetime:
    return timezone.now()
