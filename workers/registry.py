"""The one place that says which engine queues exist and how each worker pool is sized.

Everything else — Celery task routing, worker command lines, the local launcher, the docker
compose services, Flower and the health endpoints — is derived from ENGINES, never copied.
Values follow SPEC.md ("The nine engines").
"""

from __future__ import annotations

from dataclasses import dataclass, field

GB = 1024 * 1024  # Celery's max_memory_per_child is in KiB

# Redis transport priorities: kombu keeps one list per step and BRPOPs them in order, so a
# LOWER number is served FIRST (the opposite of RabbitMQ). Topic priorities map onto the steps.
PRIORITY_STEPS = [0, 3, 6, 9]
PRIORITY = {"critical": 0, "high": 3, "normal": 6, "low": 9}


@dataclass(frozen=True)
class Lane:
    """An extra worker on an engine's queue, e.g. risk's fast lane for synchronous API checks."""

    name: str
    pool: str
    concurrency: int


@dataclass(frozen=True)
class Engine:
    key: str
    queue: str
    url_prefix: str
    concurrency: int
    memory_gb: float  # cap per child process (max_memory_per_child) and per compose service
    soft_time_limit: int  # seconds
    time_limit: int  # seconds, hard
    priority: str = "normal"  # default priority of the engine's tasks (a key of PRIORITY)
    pool: str = "prefork"
    prefetch: int = 1  # with acks_late, 1 keeps long tasks from starving behind a prefetched one
    lanes: tuple[Lane, ...] = field(default_factory=tuple)
    description: str = ""

    @property
    def app(self) -> str:
        return f"apps.{self.key}"

    @property
    def max_memory_per_child_kb(self) -> int:
        return int(self.memory_gb * GB)

    @property
    def task_priority(self) -> int:
        return PRIORITY[self.priority]

    @property
    def worker_name(self) -> str:
        return f"{self.key}@%h"

    def worker_argv(self, *, lane: Lane | None = None, loglevel: str = "INFO") -> list[str]:
        """The `celery worker` command line for this engine (or one of its lanes)."""
        pool = lane.pool if lane else self.pool
        concurrency = lane.concurrency if lane else self.concurrency
        name = f"{self.key}-{lane.name}@%h" if lane else self.worker_name
        argv = [
            "celery",
            "-A",
            "nautilus",
            "worker",
            "-Q",
            self.queue,
            "-n",
            name,
            "-P",
            pool,
            "-c",
            str(concurrency),
            f"--prefetch-multiplier={self.prefetch}",
            f"--soft-time-limit={self.soft_time_limit}",
            f"--time-limit={self.time_limit}",
            "-E",
            f"--loglevel={loglevel}",
        ]
        if pool == "prefork":
            argv.append(f"--max-memory-per-child={self.max_memory_per_child_kb}")
        return argv


ENGINES: tuple[Engine, ...] = (
    Engine(
        "marketdata",
        "marketdata",
        "/api/marketdata/",
        2,
        3,
        1800,
        1900,
        "high",
        description="instruments, bars, quotes, trades, order books; ingestion; feeds",
    ),
    Engine(
        "features",
        "features",
        "/api/features/",
        3,
        4,
        1800,
        1900,
        "normal",
        description="technical indicators, returns/volatility, point-in-time feature store",
    ),
    Engine(
        "factors",
        "factors",
        "/api/factors/",
        4,
        8,
        1800,
        1900,
        "normal",
        description="factor library, synthesis, correlation, IC analysis, ranking",
    ),
    Engine(
        "ml",
        "ml",
        "/api/ml/",
        2,
        6,
        3600,
        3700,
        "normal",
        description="model registry, training, AutoML, predictions, A/B tests",
    ),
    Engine(
        "analytics",
        "analytics",
        "/api/analytics/",
        2,
        4,
        600,
        660,
        "high",
        description="P&L, performance, attribution, benchmark comparison",
    ),
    Engine(
        "risk",
        "risk",
        "/api/risk/",
        1,
        1,
        30,
        45,
        "critical",
        lanes=(Lane("fast", "threads", 4),),
        description="limits, pre-trade checks, 5-second monitoring, breaches, VaR/ES, stress",
    ),
    Engine(
        "portfolio",
        "portfolio",
        "/api/portfolio/",
        4,
        8,
        600,
        660,
        "high",
        description="portfolios, positions, transactions; optimization and rebalancing",
    ),
    Engine(
        "strategies",
        "strategies",
        "/api/strategies/",
        1,
        2,
        3600,
        3700,
        "normal",
        description="strategy versions, backtests, deployment to paper portfolios",
    ),
    Engine(
        "streaming",
        "streaming",
        "/api/websocket/",
        1,
        2,
        60,
        90,
        "high",
        description="WebSocket feeds, topic subscriptions, replay",
    ),
)

ENGINES_BY_KEY: dict[str, Engine] = {e.key: e for e in ENGINES}


@dataclass(frozen=True)
class Sidecar:
    """A long-running process next to the workers that is not a Celery worker: exactly one per
    deployment (never scaled). The launcher and the compose generator both start it from here."""

    name: str  # launcher child / compose service name
    command: tuple[str, ...]
    demo_args: tuple[str, ...] = ()  # added by the laptop launcher when it loads the demo data
    heartbeat_file: str = ""  # the process touches it every second; its age is the healthcheck
    heartbeat_max_age: int = 30  # seconds
    stop_grace_seconds: int = 20
    description: str = ""

    def argv(self, *, demo: bool = False, heartbeat: bool = True) -> list[str]:
        argv = list(self.command)
        if heartbeat and self.heartbeat_file:
            argv += ["--heartbeat-file", self.heartbeat_file]
        return argv + (list(self.demo_args) if demo else [])


SIDECARS: tuple[Sidecar, ...] = (
    Sidecar(
        "marketdata-feed",
        ("python", "manage.py", "feed_run"),
        demo_args=("--demo",),
        heartbeat_file="/tmp/nautilus-feed.alive",
        description="live (simulated) and replay market-data feeds: quotes, level 2 and bars on the bus",
    ),
)

QUEUES: tuple[str, ...] = tuple(e.queue for e in ENGINES)
# The broker must not hand a message to a second worker while the first may still run it.
VISIBILITY_TIMEOUT = max(e.time_limit for e in ENGINES) + 300


def engine(key: str) -> Engine:
    try:
        return ENGINES_BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown engine {key!r}; known: {', '.join(ENGINES_BY_KEY)}") from None
