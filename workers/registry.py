"""The one place that says which engine queues exist and how each worker pool is sized.

Everything else — Celery task routing, worker command lines, the local launcher, the docker
compose services, Flower and the health endpoints — is derived from ENGINES, never copied.
Values follow SPEC.md ("The nine engines").
"""

from __future__ import annotations

from dataclasses import dataclass, field

KIB_PER_GIB = 1024 * 1024  # Celery's --max-memory-per-child is in KiB

# Redis transport priorities: kombu keeps one list per step and BRPOPs them in order, so a
# LOWER number is served FIRST (the opposite of RabbitMQ). Topic priorities map onto the steps.
PRIORITY_STEPS = [0, 3, 6, 9]
PRIORITY = {"critical": 0, "high": 3, "normal": 6, "low": 9}


@dataclass(frozen=True, kw_only=True)
class Lane:
    """A worker of an engine on a queue of its own, for tasks that must never wait behind the
    engine's long ones (risk's fast lane: synchronous pre-trade checks, never `monitor_run`)."""

    name: str
    queue: str
    tasks: tuple[str, ...]  # the task names routed to this lane's queue instead of the engine's
    pool: str = "prefork"  # prefork: the pool in which Celery enforces soft and hard time limits
    concurrency: int
    soft_time_limit_s: int
    time_limit_s: int


@dataclass(frozen=True, kw_only=True)
class Engine:
    key: str  # also the app (apps.<key>) and the queue name
    url_prefix: str
    concurrency: int  # pool processes
    memory_per_child_gib: float  # cap per pool child (--max-memory-per-child) and per compose service
    soft_time_limit_s: int
    time_limit_s: int  # hard
    priority: str = "normal"  # default priority of the engine's tasks (a key of PRIORITY)
    pool: str = "prefork"
    prefetch: int = 1  # with acks_late, 1 keeps long tasks from starving behind a prefetched one
    lanes: tuple[Lane, ...] = field(default_factory=tuple)
    description: str = ""

    @property
    def queue(self) -> str:
        return self.key

    @property
    def app(self) -> str:
        return f"apps.{self.key}"

    @property
    def max_memory_per_child_kib(self) -> int:
        return int(self.memory_per_child_gib * KIB_PER_GIB)

    @property
    def task_priority(self) -> int:
        return PRIORITY[self.priority]

    @property
    def worker_name(self) -> str:
        return f"{self.key}@%h"

    def worker_argv(
        self, *, lane: Lane | None = None, queues: tuple[str, ...] | None = None, loglevel: str = "INFO"
    ) -> list[str]:
        """The `celery worker` command line for this engine (or one of its lanes); `queues` replaces
        the engine's own queue (the launcher's compact worker consumes every queue)."""
        pool = lane.pool if lane else self.pool
        concurrency = lane.concurrency if lane else self.concurrency
        name = f"{self.key}-{lane.name}@%h" if lane else self.worker_name
        queue = lane.queue if lane else ",".join(queues or (self.queue,))
        soft, hard = (
            (lane.soft_time_limit_s, lane.time_limit_s)
            if lane
            else (self.soft_time_limit_s, self.time_limit_s)
        )
        argv = [
            "celery",
            "-A",
            "nautilus",
            "worker",
            "-Q",
            queue,
            "-n",
            name,
            "-P",
            pool,
            "-c",
            str(concurrency),
            f"--prefetch-multiplier={self.prefetch}",
            f"--soft-time-limit={soft}",
            f"--time-limit={hard}",
            "-E",
            f"--loglevel={loglevel}",
        ]
        if pool == "prefork":
            argv.append(f"--max-memory-per-child={self.max_memory_per_child_kib}")
        return argv


ENGINES: tuple[Engine, ...] = (
    Engine(
        key="marketdata",
        url_prefix="/api/marketdata/",
        concurrency=2,
        memory_per_child_gib=3,
        soft_time_limit_s=1800,
        time_limit_s=1900,
        priority="high",
        description="instruments, bars, quotes, trades, order books; ingestion; feeds",
    ),
    Engine(
        key="features",
        url_prefix="/api/features/",
        concurrency=3,
        memory_per_child_gib=4,
        soft_time_limit_s=1800,
        time_limit_s=1900,
        priority="normal",
        description="technical indicators, returns/volatility, point-in-time feature store",
    ),
    Engine(
        key="factors",
        url_prefix="/api/factors/",
        concurrency=4,
        memory_per_child_gib=8,
        soft_time_limit_s=1800,
        time_limit_s=1900,
        priority="normal",
        description="factor library, synthesis, correlation, IC analysis, ranking",
    ),
    Engine(
        key="ml",
        url_prefix="/api/ml/",
        concurrency=2,
        memory_per_child_gib=6,
        soft_time_limit_s=3600,
        time_limit_s=3700,
        priority="normal",
        description="model registry, training, AutoML, predictions, A/B tests",
    ),
    Engine(
        key="analytics",
        url_prefix="/api/analytics/",
        concurrency=2,
        memory_per_child_gib=4,
        soft_time_limit_s=600,
        time_limit_s=660,
        priority="high",
        description="P&L, performance, attribution, benchmark comparison",
    ),
    Engine(
        key="risk",
        url_prefix="/api/risk/",
        # Two: an event-driven check does not wait behind a running monitor_run (the fast lane
        # no longer shares this queue; it takes only the synchronous pre-trade checks).
        concurrency=2,
        memory_per_child_gib=1,
        soft_time_limit_s=30,
        time_limit_s=45,
        priority="critical",
        lanes=(
            Lane(
                name="fast",
                queue="risk_fast",
                tasks=("apps.risk.tasks.pre_trade_check",),
                concurrency=2,
                soft_time_limit_s=5,
                time_limit_s=10,
            ),
        ),
        description="limits, pre-trade checks, 5-second monitoring, breaches, VaR/ES, stress",
    ),
    Engine(
        key="portfolio",
        url_prefix="/api/portfolio/",
        concurrency=4,
        memory_per_child_gib=8,
        soft_time_limit_s=600,
        time_limit_s=660,
        priority="high",
        description="portfolios, positions, transactions; optimization and rebalancing",
    ),
    Engine(
        key="strategies",
        url_prefix="/api/strategies/",
        concurrency=1,
        memory_per_child_gib=2,
        soft_time_limit_s=3600,
        time_limit_s=3700,
        priority="normal",
        description="strategy versions, backtests, deployment to paper portfolios",
    ),
    Engine(
        key="streaming",
        url_prefix="/api/websocket/",
        concurrency=1,
        memory_per_child_gib=2,
        soft_time_limit_s=60,
        time_limit_s=90,
        priority="high",
        description="WebSocket feeds, topic subscriptions, replay",
    ),
)

ENGINES_BY_KEY: dict[str, Engine] = {e.key: e for e in ENGINES}


@dataclass(frozen=True, kw_only=True)
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
        name="marketdata-feed",
        command=("python", "manage.py", "feed_run"),
        demo_args=("--demo",),
        heartbeat_file="/tmp/nautilus-feed.alive",
        description="live (simulated) and replay market-data feeds: quotes, level 2 and bars on the bus",
    ),
)


def _queues_by_priority() -> tuple[str, ...]:
    """Each engine's lanes, then its queue, most urgent engine first (registry order among equals).

    The order matters to a worker on several queues (the compact worker, `make up-compact`): with
    `queue_order_strategy: priority` kombu BRPOPs every queue's step-0 list in this order, then every
    step-3 list, and so on, so at equal message priority the queue named first is served first — a
    risk check before analytics' P&L for the same execution. A lane comes before its engine's queue:
    its tasks have a caller waiting on them."""
    ranked = sorted(ENGINES, key=lambda e: PRIORITY[e.priority])  # stable: registry order among equals
    return tuple(q for e in ranked for q in (*(lane.queue for lane in e.lanes), e.queue))


# Every queue a worker consumes, in the order a worker on several of them serves them.
QUEUES: tuple[str, ...] = _queues_by_priority()
# Task name -> (engine, lane) for the tasks a lane takes off its engine's queue.
LANE_OF_TASK: dict[str, tuple[Engine, Lane]] = {
    name: (e, lane) for e in ENGINES for lane in e.lanes for name in lane.tasks
}
# The broker must not hand a message to a second worker while the first may still run it.
VISIBILITY_TIMEOUT = max(e.time_limit_s for e in ENGINES) + 300


def engine(key: str) -> Engine:
    try:
        return ENGINES_BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown engine {key!r}; known: {', '.join(ENGINES_BY_KEY)}") from None
