"""The worker services of the deployment, one per engine and lane of the registry, with their
resource limits: what docker-compose.yml and prometheus.yml are both written from."""

from __future__ import annotations

from dataclasses import dataclass

from .registry import ENGINES, Engine, Lane

IMAGE = "${NAUTILUS_IMAGE:-nautilus:latest}"
MULTIPROC_DIR = "/run/prometheus"
# Each worker container serves its own prometheus_client multiprocess directory on this port
# (docker/metrics_exporter.py, started by the entrypoint when METRICS_EXPORTER_PORT is set).
WORKER_METRICS_PORT = 9808
WEB_PORT = 8000
FLOWER_PORT = 5555

# Memory limit of a worker service = memory_per_child_gib × concurrency + PARENT_OVERHEAD_MB.
# memory_per_child_gib is the registry's cap per pool child (celery's --max-memory-per-child); a pool runs
# `concurrency` children (or, for a threads pool, `concurrency` tasks sharing one process, each
# with the same working-set budget), and the pool's parent process needs room of its own. The
# per-child cap is only checked between tasks, so the container limit is the hard stop that keeps
# one runaway task from taking the host down with the other engines.
PARENT_OVERHEAD_MB = 512
# CPU limit of a worker service = its concurrency: a pool of N processes (or N threads running
# GIL-releasing numpy) keeps at most N cores busy, so the pool sizes in the registry — the original
# design's CPU shares — become the caps. Limits, not reservations: a scaled-out engine on a host of
# its own is not held back by engines that are idle.
WORKER_STOP_GRACE_MAX_S = 120


@dataclass(frozen=True)
class WorkerService:
    """One `<engine>-worker` (or `<engine>-<lane>-worker`) compose service."""

    engine: Engine
    lane: Lane | None

    @property
    def name(self) -> str:
        return f"{self.engine.key}-{self.lane.name}-worker" if self.lane else f"{self.engine.key}-worker"

    @property
    def argv(self) -> list[str]:
        return self.engine.worker_argv(lane=self.lane)

    @property
    def concurrency(self) -> int:
        return self.lane.concurrency if self.lane else self.engine.concurrency

    @property
    def node_name(self) -> str:
        """Celery's -n value, e.g. `risk-fast@%h`."""
        return self.argv[self.argv.index("-n") + 1]

    @property
    def cpus(self) -> float:
        return float(self.concurrency)

    @property
    def memory_mb(self) -> int:
        return int(self.engine.memory_per_child_gib * 1024 * self.concurrency) + PARENT_OVERHEAD_MB

    @property
    def stop_grace_seconds(self) -> int:
        # Warm shutdown lets a short task finish; a longer one is cut and, being acks_late with
        # reject_on_worker_lost, goes back to the queue instead of holding `docker stop` for an hour.
        return min(self.engine.time_limit_s, WORKER_STOP_GRACE_MAX_S)


def worker_services() -> list[WorkerService]:
    services = []
    for eng in ENGINES:
        services.append(WorkerService(eng, None))
        services.extend(WorkerService(eng, lane) for lane in eng.lanes)
    return services
