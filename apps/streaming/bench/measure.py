"""One server under load: connect the clients, publish step after step, drain, collect.

Processes (forked from the bench, so they start at once and the publisher has Django set up): the
client processes (clients.py) and the publisher (publisher.py); the server is already running
(servers.py). The parent only coordinates and prints progress.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import sys
import time
from dataclasses import dataclass, field

import psutil
from django.db import connections

from .clients import client_process
from .publisher import PATTERN, publisher_process
from .stats import step_summary

CONNECT_SECONDS_PER_CLIENT = 0.1  # + CONNECT_BASE: the time allowed to connect and subscribe
CONNECT_BASE = 30.0
DRAIN_QUIET = 1.0  # a step has drained when nothing more arrived for this long ...
DRAIN_MAX = 5.0  # ... or after this long past its last publish
IDLE_SECONDS = 2.0  # measured with every connection held and nothing published
SATURATED = 0.9  # a step that delivered less than this share of its messages ends the ramp


def say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr, flush=True)


@dataclass
class Status:
    """The latest report of every client process: [opened, subscribed, failed, closed_early, received]."""

    n: int
    rows: dict[int, tuple] = field(default_factory=dict)

    def poll(self, q, wait: float) -> None:
        deadline = time.monotonic() + wait
        while True:
            try:
                index, *row = q.get(timeout=max(0.0, deadline - time.monotonic()))
                self.rows[index] = tuple(row)
            except queue.Empty:
                return

    def total(self, col: int) -> int:
        return sum(r[col] for r in self.rows.values())

    opened = property(lambda self: self.total(0))
    subscribed = property(lambda self: self.total(1))
    failed = property(lambda self: self.total(2))
    closed_early = property(lambda self: self.total(3))
    received = property(lambda self: self.total(4))


def split(clients: int, processes: int) -> list[int]:
    base, extra = divmod(clients, processes)
    return [base + (1 if i < extra else 0) for i in range(processes)]


def _connect(status: Status, status_q, clients: int, progress: bool, label: str) -> None:
    deadline = time.monotonic() + CONNECT_BASE + CONNECT_SECONDS_PER_CLIENT * clients
    shown = -1
    while time.monotonic() < deadline:
        status.poll(status_q, 0.5)
        done = status.subscribed + status.failed
        if status.subscribed != shown:
            say(progress, f"  {label}: {status.subscribed}/{clients} subscribed ({status.failed} failed)")
            shown = status.subscribed
        if done >= clients and len(status.rows) == status.n:
            return
    say(progress, f"  {label}: connect timeout, going on with {status.subscribed} subscribed")


def _drain(status: Status, status_q, expected_total: int) -> None:
    deadline = time.monotonic() + DRAIN_MAX
    last, last_change = status.received, time.monotonic()
    while time.monotonic() < deadline and status.received < expected_total:
        status.poll(status_q, 0.25)
        if status.received != last:
            last, last_change = status.received, time.monotonic()
        elif time.monotonic() - last_change >= DRAIN_QUIET:
            return


class CpuClock:
    """CPU seconds (user + system) the server, the client processes and the publisher spent, read
    around each step: on a shared machine it tells a server that was busy from one that was starved."""

    def __init__(self, server_pid: int, clients: list, publisher) -> None:
        self.groups = {
            "server": [psutil.Process(server_pid)],
            "clients": [psutil.Process(p.pid) for p in clients],
            "publisher": [psutil.Process(publisher.pid)],
        }

    def read(self) -> dict[str, float]:
        out = {}
        for name, procs in self.groups.items():
            total = 0.0
            for proc in procs:
                try:
                    t = proc.cpu_times()
                    total += t.user + t.system
                except psutil.Error:  # ended: its time is no longer counted
                    pass
            out[name] = total
        out["wall"] = time.monotonic()
        return out


def cpu_shares(before: dict, after: dict) -> dict[str, float]:
    """Each group's CPU use over the interval, in % of one core, and the seconds it spent."""
    wall = after["wall"] - before["wall"]
    used = {k: after[k] - before[k] for k in before if k != "wall"}
    return {f"{k}_cpu_s": round(v, 3) for k, v in used.items()} | {
        f"{k}_cpu_pct": round(100 * v / wall, 1) if wall > 0 else 0.0 for k, v in used.items()
    }


def _account(accounts, publisher, status: Status, status_q, seconds: float) -> dict:
    """The publisher's account of the step it was given, reading client status while it publishes."""
    deadline = time.monotonic() + 3 * seconds + 30
    while True:
        status.poll(status_q, 0.25)
        try:
            return accounts.get_nowait()
        except queue.Empty:
            if not publisher.is_alive():
                raise RuntimeError(f"the publisher process ended (exit code {publisher.exitcode})") from None
            if time.monotonic() > deadline:
                raise RuntimeError("the publisher did not finish its step") from None


def _collect(results_q, procs: list, timeout: float = 120.0) -> list[dict]:
    """Every client process's tallies; a clear error if one died without sending them."""
    results: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(results) < len(procs):
        try:
            results.append(results_q.get(timeout=1.0))
        except queue.Empty:
            if time.monotonic() > deadline or not any(p.is_alive() for p in procs):
                codes = [p.exitcode for p in procs]
                raise RuntimeError(
                    f"client processes sent {len(results)} of {len(procs)} results (exit codes {codes})"
                ) from None
    return results


def _reap(procs: list) -> None:
    for p in procs:
        p.join(timeout=15)
        if p.is_alive():
            p.terminate()
            p.join()


def measure(*, label: str, url: str, prefix: str, server_pid: int, sizes: dict, progress: bool) -> dict:
    """Load one running server (at `url`, reading the bus under `prefix`, process `server_pid`); its
    held connections and per-step figures."""
    ctx = mp.get_context("fork")
    connections.close_all()  # a forked child must not share the parent's database socket
    status_q, results_q, commands, accounts = ctx.Queue(), ctx.Queue(), ctx.Queue(), ctx.Queue()
    stop = ctx.Event()
    per_process = split(sizes["clients"], sizes["processes"])
    opts = {"client": sizes["client"], "compression": sizes["compression"]}
    procs = [
        ctx.Process(
            target=client_process,
            args=(i, url, n, PATTERN, opts, status_q, stop, results_q),
            daemon=True,
        )
        for i, n in enumerate(per_process)
    ]
    publisher = ctx.Process(target=publisher_process, args=(prefix, commands, accounts), daemon=True)
    for p in [*procs, publisher]:
        p.start()
    status = Status(len(procs))
    clock = CpuClock(server_pid, procs, publisher)
    load = os.getloadavg()
    accounts_seen: list[dict] = []
    cpu: list[dict] = []
    saturated_at = None
    idle = {"server_cpu_pct": None}
    try:
        _connect(status, status_q, sizes["clients"], progress, label)
        status.poll(status_q, 1.0)  # settle: late acknowledgements, early closes
        held = status.subscribed - status.closed_early
        # What holding the connections costs with nothing to send (timers, heartbeats, polling).
        idle_before = clock.read()
        status.poll(status_q, IDLE_SECONDS)
        idle = cpu_shares(idle_before, clock.read())
        expected_total = 0
        for k, target in enumerate(sizes["steps"] if held else []):
            rate = target / held
            say(progress, f"  {label}: step {k + 1}/{len(sizes['steps'])}: {rate:,.1f} events/s x {held} = "
                f"{target:,} msg/s for {sizes['seconds']} s")  # fmt: skip
            before, cpu_before = status.received, clock.read()
            commands.put((k, rate, sizes["seconds"]))
            account = _account(accounts, publisher, status, status_q, sizes["seconds"])
            expected = account["published"] * held
            expected_total += expected
            _drain(status, status_q, expected_total)
            cpu.append(cpu_shares(cpu_before, clock.read()))
            accounts_seen.append(account)
            got = status.received - before
            say(progress, f"  {label}: step {k + 1}: published {account['published']} at "
                f"{account['rate']:,.1f}/s, received {got:,} of {expected:,}")  # fmt: skip
            if got < SATURATED * expected:
                saturated_at = target
                say(progress, f"  {label}: saturated at {target:,} msg/s: no higher steps")
                break
        stop.set()
        results = _collect(results_q, procs)
    finally:
        stop.set()
        commands.put(None)
        _reap([*procs, publisher])
    out = _summarize(sizes, accounts_seen, cpu, results, held, saturated_at)
    return out | {"load_average_1m": round(load[0], 2), "idle_server_cpu_pct": idle["server_cpu_pct"]}


def _summarize(
    sizes, accounts: list[dict], cpu: list[dict], results: list[dict], held: int, saturated_at
) -> dict:
    steps = []
    for account, shares, target in zip(accounts, cpu, sizes["steps"], strict=False):
        k = account["step"]
        tallies = [r["tallies"][k] for r in results if k in r["tallies"]]
        step = step_summary(account, target, held, tallies) | shares
        # What one delivered message cost the server and the clients, in CPU microseconds.
        for who in ("server", "clients"):
            step[f"{who}_cpu_us_per_msg"] = round(1e6 * shares[f"{who}_cpu_s"] / max(1, step["received"]), 2)
        steps.append(step)
    errors: dict[str, int] = {}
    for r in results:
        for name, n in r["errors"].items():
            errors[name] = errors.get(name, 0) + n
    return {
        # Subscribed and still open when the last step had drained.
        "connections_held": sum(r["subscribed"] - r["closed_early"] for r in results),
        "connections_failed": sum(r["failed"] for r in results),
        "closed_by_server": sum(r["closed_early"] for r in results),
        "client_errors": errors,
        "saturated_at": saturated_at,
        "steps": steps,
    }
