"""`python manage.py feed_run [--demo]`: the long-running process that runs live and replay feeds.

One per deployment (the launcher starts it for `make up`; compose runs it as `marketdata-feed`).
It picks up start/stop requests from the FeedSession rows within ~0.5 s, keeps running through
Redis outages (the bus buffers) and database hiccups, and on SIGTERM/SIGINT hands its feeds back
(as pending, resumed by the next feed_run) and exits 0.
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from apps.marketdata.services.feeds.runner import FeedRunner
from apps.marketdata.services.feeds.sessions import feed_demo_ensure


class Command(BaseCommand):
    help = "Run live and replay market-data feeds until SIGTERM."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo", action="store_true", help="start a simulated live feed over all active instruments"
        )
        parser.add_argument("--demo-rate", type=float, default=1.0, help="demo ticks per second per symbol")
        parser.add_argument("--demo-interval", default="1m", help="demo bar interval")
        parser.add_argument("--heartbeat-file", default="", help="touched every second (healthchecks)")

    def handle(self, *args, **opts):
        stop = threading.Event()

        def on_signal(signum, _frame):
            self.stdout.write(f"{signal.Signals(signum).name}: stopping feeds")
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        if opts["demo"]:
            self._demo(opts)
        runner = FeedRunner(heartbeat_file=opts["heartbeat_file"] or None)
        self.stdout.write(f"feed runner {runner.runner_id} polling for feeds")
        runner.run_forever(stop)
        self.stdout.write("feed runner stopped")

    def _demo(self, opts) -> None:
        try:
            session = feed_demo_ensure(rate=opts["demo_rate"], interval=opts["demo_interval"])
        except DatabaseError as exc:  # no schema yet, or the database is down: run without the demo
            self.stderr.write(f"demo feed not started: {exc}")
            return
        if session is None:
            self.stdout.write("demo feed not started: no active instruments")
        else:
            n = len(session.config["symbols"])
            self.stdout.write(
                f"demo live feed #{session.pk}: {n} symbols, {session.config['rate']:g} tick/s, "
                f"{session.config['interval']} bars"
            )
