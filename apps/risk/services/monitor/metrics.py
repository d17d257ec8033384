"""The monitor's figures on GET /metrics (prometheus_client, served as apps.platform.metrics
describes: a worker's prefork children write into the multiprocess directory the web process reads).

The last-run gauges keep the most recent value written by any process, live or dead
("mostrecent"): the child that ran the last monitor may have been recycled since, and its figures
are still the last run's."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RUN_SECONDS = Histogram(
    "nautilus_risk_monitor_run_seconds",
    "Wall time of full risk monitor runs (the Beat cycle), start to last batch synced.",
    # Around the 5 s interval's quarter (1.25 s, the cold target) and half (2.5 s, the alert).
    buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 30),
)
LAST_RUN_SECONDS = Gauge(
    "nautilus_risk_monitor_last_run_seconds",
    "Wall time of the last full risk monitor run.",
    multiprocess_mode="mostrecent",
)
LAST_PORTFOLIOS = Gauge(
    "nautilus_risk_monitor_last_run_portfolios",
    "Portfolios the last full risk monitor run evaluated.",
    multiprocess_mode="mostrecent",
)
LAST_LAG_SECONDS = Gauge(
    "nautilus_risk_monitor_last_run_lag_seconds",
    "How late the last full run started after its Beat tick (or after the previous start plus the interval).",
    multiprocess_mode="mostrecent",
)
LAST_INTERVAL_FRACTION = Gauge(
    "nautilus_risk_monitor_last_run_interval_fraction",
    "The last full run's wall time over its interval (above 0.5: a slow run).",
    multiprocess_mode="mostrecent",
)
SLOW = Gauge(
    "nautilus_risk_monitor_slow",
    "1 while the risk monitor's runs use more than half their interval, else 0.",
    multiprocess_mode="mostrecent",
)
SLOW_RUNS = Counter(
    "nautilus_risk_monitor_slow_runs",
    "Full risk monitor runs that used more than half their interval.",
)


def run_observed(
    *, seconds: float, portfolios: int, lag_seconds: float | None, fraction: float, slow: bool
) -> None:
    RUN_SECONDS.observe(seconds)
    LAST_RUN_SECONDS.set(seconds)
    LAST_PORTFOLIOS.set(portfolios)
    if lag_seconds is not None:
        LAST_LAG_SECONDS.set(lag_seconds)
    LAST_INTERVAL_FRACTION.set(fraction)
    SLOW.set(1 if slow else 0)
    if slow:
        SLOW_RUNS.inc()
