"""FeedRunner: the loop inside `python manage.py feed_run`.

Each pass (run_once) it
  - every POLL_SECONDS: claims pending sessions (and running ones whose runner went silent),
    builds their feeds, and stops those the API marked `stopping`;
  - advances every feed to the clock (ticks, bars, replayed bars);
  - every REPORT_SECONDS: writes each session's counters and heartbeat.
run_forever() repeats it until asked to stop, then hands running sessions back as pending.

The clock is injectable, so tests drive run_once() with a fake clock instead of sleeping.
Failures stay inside the loop: a database outage is logged and retried on the next pass; a feed
that raises is recorded on its session (error_count, last_error) and failed after MAX_ERRORS in
a row. Redis outages never reach here: bus.publish buffers.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from django.db import DatabaseError, connection

from ...models import FeedMode, FeedSession, FeedState
from . import control
from .live import LiveFeed
from .replay import ReplayFeed

log = logging.getLogger("apps.marketdata.feeds")

POLL_SECONDS = 0.5  # start/stop requests are picked up within this
REPORT_SECONDS = 1.0
MAX_ERRORS = 5  # consecutive failures of one feed before its session is marked failed
MAX_SLEEP = 0.25

FEED_CLASSES = {FeedMode.LIVE: LiveFeed, FeedMode.REPLAY: ReplayFeed}


def default_runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


class FeedRunner:
    def __init__(
        self,
        *,
        runner_id: str | None = None,
        clock: Callable[[], float] = time.time,
        feed_kwargs: dict | None = None,
        heartbeat_file: str | None = None,
    ) -> None:
        self.runner_id = runner_id or default_runner_id()
        self.clock = clock
        self.feed_kwargs = feed_kwargs or {}  # e.g. publish=/store= replacements
        self.heartbeat_file = heartbeat_file
        self.feeds: dict[int, LiveFeed | ReplayFeed] = {}
        self.failures: dict[int, int] = {}
        self.next_poll = 0.0
        self.next_report = 0.0

    # --- one pass -------------------------------------------------------------------------------

    def run_once(self, now: float | None = None) -> float:
        """One pass of the loop at clock time `now`; returns when the next pass is due."""
        now = self.clock() if now is None else now
        if now >= self.next_poll:
            self._guarded(self.poll, now)
            self.next_poll = now + POLL_SECONDS
        for sid, feed in list(self.feeds.items()):
            self._advance(sid, feed, now)
        if now >= self.next_report:
            self._guarded(self.report, now)
            self.next_report = now + REPORT_SECONDS
            self._touch_heartbeat()
        due = [self.next_poll, self.next_report, *(f.next_due(now) for f in self.feeds.values())]
        return min(due)

    def _guarded(self, step: Callable[[float], None], now: float) -> None:
        try:
            step(now)
        except DatabaseError as exc:
            # The database went away: drop the connection so the next pass reconnects.
            log.warning("feed runner: database error (%s); retrying", exc)
            self._reset_connection()

    def _reset_connection(self) -> None:
        try:
            connection.close()
        except DatabaseError:
            pass

    def _advance(self, sid: int, feed, now: float) -> None:
        try:
            feed.advance(now)
            self.failures[sid] = 0
        except Exception as exc:
            n = self.failures[sid] = self.failures.get(sid, 0) + 1
            feed.counters.error_count += 1
            feed.counters.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("feed #%s failed (%d in a row)", sid, n)
            if isinstance(exc, DatabaseError):
                self._reset_connection()
            if n >= MAX_ERRORS:
                self._end(sid, FeedState.FAILED, now)
            return
        if feed.finished:
            self._end(sid, FeedState.FINISHED, now)

    # --- control ----------------------------------------------------------------------------------

    def poll(self, now: float) -> None:
        when = _utc(now)
        if self.feeds:
            states = control.owned_states(runner=self.runner_id, ids=list(self.feeds))
            for sid in list(self.feeds):
                state = states.get(sid)
                if state == FeedState.STOPPING:
                    self._end(sid, FeedState.STOPPED, now)
                elif state != FeedState.RUNNING:
                    # Someone else owns it now (we were presumed dead) or it was ended by hand.
                    log.warning("feed #%s is no longer ours (%s); dropping it", sid, state)
                    self.feeds.pop(sid).stop(now)
        for session in control.claim(runner=self.runner_id, now=when):
            self._start(session, now)

    def _start(self, session: FeedSession, now: float) -> None:
        try:
            feed = FEED_CLASSES[session.mode].from_session(session, now=now, **self.feed_kwargs)
        except Exception as exc:
            log.exception("feed #%s could not start", session.pk)
            counters = control.Counters.of(session)
            counters.error_count += 1
            counters.last_error = f"could not start: {type(exc).__name__}: {exc}"
            control.end(
                session_id=session.pk,
                runner=self.runner_id,
                state=FeedState.FAILED,
                counters=counters,
                now=_utc(now),
            )
            return
        log.info("feed #%s (%s) started: %s", session.pk, session.mode, session.config)
        self.feeds[session.pk] = feed
        self.failures[session.pk] = 0

    def _end(self, sid: int, state: str, now: float) -> None:
        feed = self.feeds.pop(sid)
        self.failures.pop(sid, None)
        feed.stop(now)
        try:
            control.end(
                session_id=sid, runner=self.runner_id, state=state, counters=feed.counters, now=_utc(now)
            )
        except DatabaseError as exc:
            # Not recorded: the session stays running without a heartbeat and a runner adopts it later.
            log.error("feed #%s ended (%s) but the database did not hear it: %s", sid, state, exc)
            self._reset_connection()
        log.info("feed #%s %s", sid, state)

    def report(self, now: float) -> None:
        when = _utc(now)
        for sid, feed in self.feeds.items():
            control.report(session_id=sid, runner=self.runner_id, counters=feed.counters, now=when)

    def _touch_heartbeat(self) -> None:
        # For the container healthcheck: the loop is alive if this file keeps being touched.
        if self.heartbeat_file:
            try:
                with open(self.heartbeat_file, "a"):
                    os.utime(self.heartbeat_file)
            except OSError as exc:
                log.warning("cannot touch heartbeat file %s: %s", self.heartbeat_file, exc)

    # --- the loop ---------------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        log.info("feed runner %s started", self.runner_id)
        try:
            while not stop.is_set():
                due = self.run_once()
                stop.wait(min(MAX_SLEEP, max(0.0, due - self.clock())))
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Hand every session back: running → pending (the next runner resumes it), stopping → stopped."""
        now = self.clock()
        for sid, feed in list(self.feeds.items()):
            feed.stop(now)
            try:
                control.release(session_id=sid, runner=self.runner_id, counters=feed.counters, now=_utc(now))
            except DatabaseError as exc:
                log.error("feed #%s could not be handed back: %s", sid, exc)
        self.feeds.clear()
        log.info("feed runner %s stopped", self.runner_id)
