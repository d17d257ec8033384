"""`manage.py bench streaming [--clients N] [--seconds S] [--processes P]`: ws/stream under load from
real `websockets` clients, next to a bare `websockets` broadcast server measured in the same run.

For each server (servers.py) in turn: P client processes hold N connections, each authenticated with
the bench user's token and subscribed to `market.data.quotes.*`; the publisher process then
publishes quotes through bus.publish at a rising rate, one step per target of delivered messages a
second (rate = target / connections), S seconds each. Per step: delivered msg/s, latency p50/p99
(receive time minus the publish time in the payload), messages missing, dropped (as the server
reported them), out of order. A step that delivers under 90% of its messages ends the ramp.

Figures: each of ws/stream's numbers with the bare server's as baseline (ratio = ws/stream / bare:
above 1 is better for rates, worse for latencies); `targets` sets the best complete step against the
issue's targets (1,000 connections, 50,000 msg/s, p99 < 25 ms on one server process).
"""

from __future__ import annotations

import resource
import uuid

import redis
from django.conf import settings
from django.contrib.auth import get_user_model

from apps.platform.bench.figures import figure
from apps.platform.bus.connection import BusConfig
from apps.platform.bus.topics import topic_family

from .clients import CLIENTS
from .measure import measure, say
from .publisher import TOPIC_PREFIX
from .servers import bare_argv, free_port, nautilus_argv, server
from .stats import TARGETS, against_targets, best_complete, best_within_p99, server_cost

FULL = {
    "clients": 1000,
    "seconds": 5.0,
    "steps": [10_000, 25_000, 50_000, 75_000, 100_000],  # delivered msg/s asked for at each step
}
QUICK = {"clients": 50, "seconds": 2.0, "steps": [2_000, 5_000]}
SERVERS = ("nautilus", "bare")
OPTIONS = {  # the bench command's own flags for this bench (see add_arguments)
    "clients": (int, "WebSocket connections held (default 1000; --quick 50)"),
    "seconds": (float, "seconds per publishing step (default 5; --quick 2)"),
    "processes": (int, "client processes (default 2 on a 2-core machine, at most 4)"),
}


def add_arguments(group) -> None:
    """`--clients`, `--seconds`, `--processes` on `manage.py bench` (the same as --set KEY=VALUE)."""
    for name, (kind, text) in OPTIONS.items():
        group.add_argument(f"--{name}", type=kind, default=None, help=text)


def _default_processes() -> int:
    import os

    # Clients share the machine with the server they measure: half the cores, 2 to 4 processes.
    return max(2, min(4, (os.cpu_count() or 2) // 2))


def sizes_for(quick: bool, params: dict) -> dict:
    sizes = dict(QUICK if quick else FULL)
    for key in ("clients", "seconds", "steps"):
        if params.get(key) is not None:
            sizes[key] = params[key]
    sizes["clients"] = int(sizes["clients"])
    sizes["seconds"] = float(sizes["seconds"])
    sizes["steps"] = [int(s) for s in sizes["steps"]]
    if sizes["clients"] < 1 or sizes["seconds"] <= 0 or not sizes["steps"] or min(sizes["steps"]) < 1:
        raise ValueError("clients, seconds and every step must be positive")
    sizes["processes"] = max(1, min(int(params.get("processes") or _default_processes()), sizes["clients"]))
    sizes["compression"] = params.get("compression")  # None: no permessage-deflate (see README)
    sizes["client"] = params.get("client") or "sansio"
    if sizes["client"] not in CLIENTS:
        raise ValueError(f"client must be one of {', '.join(CLIENTS)}")
    sizes["servers"] = list(params.get("servers") or SERVERS)
    return sizes


def raise_fd_limit(clients: int) -> dict:
    """Lift the soft open-files limit toward the hard one: the server and client processes inherit it,
    and each holds a socket per connection."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = clients + 1024
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(hard, want)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    if soft != resource.RLIM_INFINITY and soft < want:
        raise RuntimeError(f"open files limit {soft} (hard {hard}) is too low for {clients} clients")
    return {"soft": soft, "hard": hard}


def _stream_key(prefix: str) -> str:
    return BusConfig(url="", prefix=prefix, maxlen=0, buffer_size=0).stream_key(
        topic_family(TOPIC_PREFIX + "X")
    )


def _figures(results: dict) -> list[dict]:
    ours, bare = results.get("nautilus"), results.get("bare")
    if ours is None:
        return []
    base = bare or {"steps": [], "connections_held": None}
    out = [figure("connections_held", ours["connections_held"], "connections", base["connections_held"])]
    best, best_bare = best_complete(ours["steps"]), best_complete(base["steps"])
    if best is not None:
        out.append(figure("best_complete_delivered_per_s", best["delivered_per_s"], "msg/s",
                          best_bare["delivered_per_s"] if best_bare else None))  # fmt: skip
    out.append(
        figure(f"delivered_per_s_p99_under_{TARGETS['p99_ms']:g}ms", best_within_p99(ours["steps"]), "msg/s",
               best_within_p99(base["steps"]) if bare else None)
    )  # fmt: skip
    if ours.get("idle_server_cpu_pct") is not None:
        out.append(
            figure(
                "idle_server_cpu_pct",
                ours["idle_server_cpu_pct"],
                "% of a core",
                base.get("idle_server_cpu_pct"),
            )
        )
    cost, cost_bare = server_cost(ours["steps"]), server_cost(base["steps"])
    if cost:
        out.append(figure("server_cpu_us_per_msg", cost, "us", cost_bare))
        out.append(figure("one_core_msg_per_s", 1e6 / cost, "msg/s", 1e6 / cost_bare if cost_bare else None))
    for i, step in enumerate(ours["steps"]):
        other = base["steps"][i] if i < len(base["steps"]) else {}
        at = f"@{step['target_per_s']}"
        out += [
            figure(f"delivered_per_s{at}", step["delivered_per_s"], "msg/s", other.get("delivered_per_s")),
            figure(f"latency_p50{at}", step["p50_ms"], "ms", other.get("p50_ms")),
            figure(f"latency_p99{at}", step["p99_ms"], "ms", other.get("p99_ms")),
            figure(f"missing{at}", step["missing"], "msgs", other.get("missing")),
            figure(f"dropped{at}", step["dropped"], "msgs", other.get("dropped")),
            figure(f"conflated{at}", step["conflated"], "msgs", other.get("conflated")),
        ]
    return out


def run(*, quick: bool = False, progress: bool = True, **params) -> dict:
    sizes = sizes_for(quick, params)
    limits = raise_fd_limit(sizes["clients"])
    # Imported here: bare.py runs as `python -m apps.streaming.bench.bare`, without Django set up,
    # and importing this package must not define a model.
    from rest_framework.authtoken.models import Token

    tag = uuid.uuid4().hex[:8]
    user = get_user_model().objects.create_user(username=f"benchstream_{tag}")
    token = Token.objects.create(user=user).key
    red = redis.Redis.from_url(settings.REDIS_URL)
    results: dict[str, dict] = {}
    try:
        for name in sizes["servers"]:
            prefix = f"nautilus:bench:stream:{tag}:{name}:"
            port = free_port()
            argv = nautilus_argv(port) if name == "nautilus" else bare_argv(port, _stream_key(prefix))
            path = "/ws/stream" if name == "nautilus" else "/"
            say(progress, f"{name}: starting {' '.join(argv[3:6])} on port {port}")
            with server(argv, port, prefix) as proc:
                results[name] = measure(
                    label=name, url=f"ws://127.0.0.1:{port}{path}?token={token}", prefix=prefix,
                    server_pid=proc.pid, sizes=sizes, progress=progress,
                )  # fmt: skip
    finally:
        keys = list(red.scan_iter(match=f"nautilus:bench:stream:{tag}:*"))
        if keys:
            red.delete(*keys)
        red.close()
        user.delete()
    return {
        "engine": "streaming",
        "run_id": tag,  # the bench user is benchstream_<run_id>, its streams nautilus:bench:stream:<run_id>:*
        "sizes": sizes,
        "open_files_limit": limits,
        "targets": against_targets(results["nautilus"]["connections_held"], results["nautilus"]["steps"])
        if "nautilus" in results
        else None,
        "servers": results,
        "figures": _figures(results),
    }
