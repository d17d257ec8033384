"""docker/prometheus/prometheus.yml: the scrape targets, written from the worker services."""

from __future__ import annotations

from .compose_services import FLOWER_PORT, WEB_PORT, WORKER_METRICS_PORT, worker_services
from .compose_yaml import dump, header


def prometheus_spec() -> dict:
    workers = [ws.name for ws in worker_services()]
    return {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "scrape_configs": [
            {
                "job_name": "web",
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [f"web:{WEB_PORT}"]}],
            },
            {
                "job_name": "flower",
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [f"flower:{FLOWER_PORT}"]}],
            },
            {
                "job_name": "workers",
                "metrics_path": "/metrics",
                # A compose service name resolves to every replica, so `--scale` needs no change here.
                "dns_sd_configs": [{"names": workers, "type": "A", "port": WORKER_METRICS_PORT}],
                "relabel_configs": [{"source_labels": ["__meta_dns_name"], "target_label": "service"}],
            },
        ],
    }


def render_prometheus() -> str:
    what = (
        "Scrape targets. Prometheus scrapes three kinds of process, because prometheus_client's\n"
        "# multiprocess files live in each container's own tmpfs and can only be served from inside it:\n"
        "#  - web:8000/metrics       HTTP figures (django-prometheus) and what the web process publishes on the bus;\n"
        "#  - each worker replica    its docker/metrics_exporter.py on :9808 — nautilus_task_*, bus figures from\n"
        "#                           tasks, and nautilus_queue_depth sampled by the platform heartbeat;\n"
        "#  - flower:5555/metrics    Flower's flower_* task-event figures, a cross-check from the broker's side."
    )
    return header(what) + "\n" + dump(prometheus_spec(), {})
