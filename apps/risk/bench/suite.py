"""`manage.py bench risk`: the figures of issue #5's "Speed and proof", each next to a baseline
measured in the same run.

1. kernel — one monitoring cycle in memory: `kernels.limits.evaluate` over `portfolios` ×
   `positions` × the twelve limit types, against the per-portfolio Python loop
   `bench.reference.evaluate_portfolio` timed on `loop_portfolios` of the same
   portfolios, and the two compared on that sample (kernel.py).
2. monitor — `services.monitor.monitor_run` against the database over `db_portfolios` ×
   `db_positions` made for the run, cold and warm (db.py, data from data.py).
3. api — `POST /api/risk/check/{code}` on an `api_positions`-position portfolio, without and with
   `api_orders` proposed orders, against a plain GET of the same portfolio (db.py).
4. latency — price event → breach event through real workers, `latency_tries` times, on the
   shared bench worker (apps.platform.bench.celery_worker) and on the risk workers as deployed,
   each against a Celery round trip through the same workers (latency.py, workers.py).
5. desk — issue #17: the monitor over `desk_portfolios` (10,000) from the database, first, cold
   and warm, in this process (the inline, sequential path), and the read of an incremental run after
   one bar (the portfolios holding its symbol plus those whose breach hysteresis clock runs).
6. pool — the same desk through the risk pool as deployed, as the Beat run sends it: its batches a
   Celery chord on the `risk` queue consumed by the risk workers `workers.registry` starts, timed
   until the finish has recorded the run (pool.py); cold = the workers' first run, warm = the next;
   both with the desk's breaches already open (as the desk part leaves them, else one untimed run).
   The 10,000-portfolio targets are judged on these figures: that is how the monitor runs.
Every figure of the issue's table is then reported next to its target.

`--set parts=kernel,api` runs a subset; `--quick` shrinks every size (tests, smoke runs). Data made
for parts 2–4 lives under one tag and is removed at the end, also on failure.
"""

from __future__ import annotations

from .kernel import ISSUE_LIMITS, kernel_vs_loop

FULL = {
    "portfolios": 10_000,
    "positions": 50,
    "universe": 2_000,
    "days": 250,
    "repeats": 5,
    "loop_portfolios": 200,
    "db_portfolios": 1_000,
    "db_positions": 50,
    "db_universe": 2_000,
    "db_days": 260,
    "monitor_repeats": 3,
    "api_positions": 500,
    "api_orders": 5,
    "api_requests": 200,
    "latency_tries": 20,
    "latency_pings": 50,
    "desk_portfolios": 10_000,
    "pool_batch_size": 0,  # 0: RISK_MONITOR_BATCH_SIZE, as the Beat run
    "pool_settle_seconds": 0,  # 0: the monitor's Beat interval
}
QUICK = {
    "portfolios": 200,
    "positions": 10,
    "universe": 100,
    "days": 60,
    "repeats": 2,
    "loop_portfolios": 20,
    "db_portfolios": 12,
    "db_positions": 5,
    "db_universe": 30,
    "db_days": 30,
    "monitor_repeats": 1,
    "api_positions": 8,
    "api_orders": 3,
    "api_requests": 3,
    "latency_tries": 2,
    "latency_pings": 3,
    "desk_portfolios": 30,
    "pool_batch_size": 10,  # three batches: the chord still runs them in parallel
    "pool_settle_seconds": 1,
}
PARTS = ("kernel", "monitor", "api", "latency", "desk", "pool")
TARGET_CHECKS_PER_S = 20_000
TARGET_MONITOR_S = 5.0
TARGET_API_P99_MS = 50.0
TARGET_LATENCY_MS = 1000.0
# Issue #17 ("Risk at desk scale"): what a risk manager needs, figure by figure.
ISSUE17_TARGETS = (
    ("monitor_cold_seconds", "<=", 1.25, "monitor 1,000 portfolios cold (a quarter of the interval)"),
    ("monitor_warm_seconds", "<=", 0.25, "monitor 1,000 portfolios warm"),
    ("portfolio_checks_per_s", ">=", 100_000.0, "kernel cycle 10,000 x 50 x 12"),
    ("api_check_p99_ms", "<", 25.0, "POST /api/risk/check p99"),
    ("api_check_orders_p99_ms", "<", 25.0, "POST /api/risk/check with orders p99"),
    ("price_to_breach_p99_ms", "<", 250.0, "price event -> breach event, one shared worker, p99"),
    ("price_to_breach_deployed_p99_ms", "<", 100.0, "price event -> breach event, deployed workers, p99"),
    (
        "monitor_desk_pool_first_seconds",
        "<=",
        2.5,
        "monitor 10,000 portfolios, risk pool, the workers' first run at once (inside half the interval)",
    ),
    (
        "monitor_desk_pool_settled_seconds",
        "<=",
        2.5,
        "monitor 10,000 portfolios, risk pool, the first run one interval after start (inside half the interval)",
    ),
    (
        "monitor_desk_pool_warm_seconds",
        "<=",
        2.5,
        "monitor 10,000 portfolios warm, risk pool (inside half the interval)",
    ),
)


def run(*, quick: bool = False, progress: bool = True, **params) -> dict:
    sizes = {**(QUICK if quick else FULL), **{k: int(v) for k, v in params.items() if k in FULL}}
    sizes["loop_portfolios"] = min(sizes["loop_portfolios"], sizes["portfolios"])
    parts = _parts(params.get("parts"))
    figures: list[dict] = []
    notes: list[str] = []
    checks: dict = {}  # what each part found besides its timings (agreement, breaches, answers)
    if "kernel" in parts:
        _kernel(sizes, progress, figures, notes, checks)
    if parts & {"monitor", "api", "latency", "desk", "pool"}:
        _database(sizes, parts, progress, figures, notes, checks)
    notes += issue17_notes(figures)
    return {"engine": "risk", "sizes": sizes, "parts": [p for p in PARTS if p in parts], "notes": notes,
            "checks": checks, "figures": figures}  # fmt: skip


def _parts(value) -> set[str]:
    if value is None or value == "":
        return set(PARTS)
    names = {p.strip() for p in (value if isinstance(value, list) else str(value).split(",")) if p.strip()}
    unknown = names - set(PARTS)
    if unknown:
        raise ValueError(f"unknown part(s) {sorted(unknown)}; choose from {', '.join(PARTS)}")
    return names


def figure(name: str, value: float, unit: str, baseline: float | None = None) -> dict:
    # Six significant digits: a quick run's seconds are small numbers.
    out = {"name": name, "value": float(f"{value:.6g}"), "unit": unit}
    if baseline is not None:
        out["baseline"] = float(f"{baseline:.6g}")
        out["ratio"] = round(value / baseline, 3) if baseline else None
    return out


def _kernel(sizes: dict, progress: bool, figures: list, notes: list, checks: dict) -> None:
    k = kernel_vs_loop(sizes, progress)
    a = k["agreement"]
    checks["kernel"] = {"statuses": k["statuses"], "limits": k["limits"], "agreement": a}
    figures += [
        figure("portfolio_checks_per_s", k["kernel_rate"], "portfolios/s", k["loop_rate"]),
        figure("kernel_cycle_seconds", k["kernel_seconds"], "s"),
        figure("python_loop_checks_per_s", k["loop_rate"], "portfolios/s"),
        figure("scenario_pnl_seconds", k["scenario_seconds"], "s"),
        figure("kernel_loop_max_abs_diff", a["max_abs_diff_value"], "value units"),
    ]
    n, lp = sizes["portfolios"], sizes["loop_portfolios"]
    notes += [
        f"kernel: median of {sizes['repeats']} evaluate() calls over {n:,} portfolios x {sizes['positions']} "
        f"positions (universe {sizes['universe']:,} instruments, CSR) x {len(ISSUE_LIMITS)} limit types = "
        f"{k['limits']:,} limits; statuses {k['statuses']}",
        f"python loop: evaluate_portfolio timed on {lp} of the same portfolios (inputs built beforehand) "
        f"and expressed per portfolio (scaled: {n:,} portfolios would take ~{n / k['loop_rate']:.1f} s)",
        f"agreement on the {lp} sampled portfolios ({a['limits_compared']} limits): max abs difference "
        f"{a['max_abs_diff_value']:.3e} (max relative {a['max_rel_diff_value']:.3e}), utilization "
        f"{a['max_abs_diff_utilization']:.3e}; status mismatches {a['status_mismatches']}, bucket "
        f"mismatches {a['bucket_mismatches']}, NaN mismatches {a['nan_mismatches']}",
        f"scenario P&L (values @ {sizes['days']} daily returns, the loader's product) is outside the "
        f"kernel timing: {k['scenario_seconds']:.3f} s",
        f"target: >= {TARGET_CHECKS_PER_S:,} portfolio checks/s "
        f"({_met(k['kernel_rate'] >= TARGET_CHECKS_PER_S)})",
    ]


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _database(sizes: dict, parts: set[str], progress: bool, figures: list, notes: list, checks: dict) -> None:
    from .data import bench_database, portfolios_add, tables_tidy

    with bench_database(universe=sizes["db_universe"], days=sizes["db_days"]) as db:
        ids = portfolios_add(db, count=sizes["db_portfolios"], positions=sizes["db_positions"])
        tables_tidy()
        notes.append(
            f"database: {sizes['db_portfolios']:,} portfolios x {sizes['db_positions']} positions over "
            f"{sizes['db_universe']:,} instruments ({sizes['db_days']} daily bars each, ~20% quoted in XTS), "
            f"{len(ISSUE_LIMITS)} limits per portfolio, made for the run (then analyzed) and removed after (then vacuumed)"
        )
        if "monitor" in parts:
            _monitor(db, ids, sizes, progress, figures, notes, checks)
        if "api" in parts:
            _api(db, sizes, progress, figures, notes, checks)
        if "latency" in parts:
            _latency(db, sizes, progress, figures, notes, checks)
        if parts & {"desk", "pool"}:
            more = max(0, sizes["desk_portfolios"] - len(ids))
            desk = list(ids) + portfolios_add(
                db, count=more, positions=sizes["db_positions"], name="bench desk"
            )
            tables_tidy()
            if "desk" in parts:
                _desk(db, desk, sizes, progress, figures, notes, checks)
            if "pool" in parts:
                if "desk" not in parts:  # the breaches open, as the desk part leaves them (not timed)
                    _monitor_once(desk)
                _pool(desk, sizes, figures, notes, checks)


def _monitor(db, ids, sizes: dict, progress: bool, figures: list, notes: list, checks: dict) -> None:
    from .db import monitor_timing

    m = monitor_timing(db, ids, repeats=sizes["monitor_repeats"], progress=progress)
    checks["monitor"] = {"first": m["first"], "cold": m["cold"], "warm": m["warm"]}
    figures += [
        figure("monitor_first_run_seconds", m["first_seconds"], "s"),
        figure("monitor_cold_seconds", m["cold_seconds"], "s"),
        figure("monitor_warm_seconds", m["warm_seconds"], "s"),
    ]
    b = m["breakdown"]
    slowest = max(m["first_seconds"], m["cold_seconds"], m["warm_seconds"])
    notes += [
        f"monitor: monitor_run(force=True) over the {len(ids):,} bench portfolios in batches of "
        f"{m['batch_size']}; first run (empty cache, every breach new) {m['first']}; cold run "
        f"(empty cache, breaches open) {m['cold']}; warm run (median of "
        f"{sizes['monitor_repeats']}) {m['warm']}",
        f"monitor warm pass breakdown: load books {b['load']:.3f} s, resolve limits "
        f"{b['resolve']:.3f} s, kernel {b['kernel']:.3f} s (the rest: breach sync and events)",
        f"target: one run well inside the {TARGET_MONITOR_S:.0f} s interval: inside it "
        f"{_met(slowest < TARGET_MONITOR_S)}; the slowest run used {slowest / TARGET_MONITOR_S:.0%} of it, "
        f"a warm run {m['warm_seconds'] / TARGET_MONITOR_S:.0%}",
    ]


def _api(db, sizes: dict, progress: bool, figures: list, notes: list, checks: dict) -> None:
    from .data import portfolios_add, tables_tidy
    from .db import check_latency

    (api_pf,) = portfolios_add(db, count=1, positions=sizes["api_positions"], name="bench api")
    tables_tidy()
    a = check_latency(
        db, api_pf, orders=sizes["api_orders"], requests=sizes["api_requests"], progress=progress
    )
    figures += [
        figure("api_check_p50_ms", a["check_p50_ms"], "ms", a["read_p50_ms"]),
        figure("api_check_p99_ms", a["check_p99_ms"], "ms", a["read_p99_ms"]),
        figure("api_check_orders_p50_ms", a["check_orders_p50_ms"], "ms", a["read_p50_ms"]),
        figure("api_check_orders_p99_ms", a["check_orders_p99_ms"], "ms", a["read_p99_ms"]),
    ]
    checks["api"] = {"check": a["check_answer"], "check_orders": a["check_orders_answer"]}
    worst = max(a["check_p99_ms"], a["check_orders_p99_ms"])
    notes += [
        f"api: POST /api/risk/check/{{code}} on a {sizes['api_positions']}-position portfolio, "
        f"{sizes['api_requests']} requests each, current book (answer {a['check_answer']}) and with "
        f"{sizes['api_orders']} proposed orders (answer {a['check_orders_answer']}); baseline GET "
        "/api/portfolio/portfolios/{code}/ of the same portfolio",
        f"target: check p99 < {TARGET_API_P99_MS:.0f} ms ({_met(worst < TARGET_API_P99_MS)})",
    ]


def _latency(db, sizes: dict, progress: bool, figures: list, notes: list, checks: dict) -> None:
    from .hops import HOPS
    from .latency import WARM_UP_TRIES, breach_latency

    lat = breach_latency(db, tries=sizes["latency_tries"], pings=sizes["latency_pings"], progress=progress)
    checks["latency"] = lat
    if "skipped" in lat:
        notes.append(f"latency: skipped, {lat['skipped']}")
        return
    # The shared worker is the brief's shape (apps.platform.bench.celery_worker); "deployed" the
    # production one. Both are reported; the target is judged on each.
    verdicts = []
    for shape, suffix in (("shared", ""), ("deployed", "_deployed")):
        r = lat[shape]
        (o50, o99), (r50, r99), (p50, p99) = r["opened_ms"], r["resolved_ms"], r["ping_ms"]
        figures += [
            figure(f"price_to_breach{suffix}_p50_ms", o50, "ms", p50),
            figure(f"price_to_breach{suffix}_p99_ms", o99, "ms", p99),
            figure(f"price_to_resolve{suffix}_p50_ms", r50, "ms", p50),
            figure(f"price_to_resolve{suffix}_p99_ms", r99, "ms", p99),
        ]
        verdicts.append(f"{shape} workers {_met(o99 < TARGET_LATENCY_MS)} at p99 ({o99:.0f} ms)")
        h = r.get("hops_ms", {})
        if h.get("tries"):
            notes.append(
                f"latency hops ({shape}, p50/p99 ms over {h['tries']} events): "
                + ", ".join(f"{k[:-3]} {h[k][0]:.0f}/{h[k][1]:.0f}" for k in HOPS)
            )
    c50, c99 = lat["in_process_check_ms"]
    notes += [
        f"latency: {sizes['latency_tries']} tries (after {WARM_UP_TRIES} untimed) on {lat['symbol']}, held "
        f"by {lat['portfolios_holding']} bench portfolios: bar stored, its event published on "
        "market.data.bars.{symbol}, clock stopped when risk.breaches.{portfolio} delivers the limit's "
        f"'opened' (then 'resolved' after a bar back down); tries {lat['gap_seconds']:.2f} s apart "
        "(past the event-coalescing window); baseline: Celery round trip of apps.risk.tasks.ping "
        f"({sizes['latency_pings']} pings); the event's check alone, run in this process: p50 {c50:.0f} ms, "
        f"p99 {c99:.0f} ms",
        "latency workers: price_to_* = apps.platform.bench.celery_worker() (one worker, 2 children, all "
        "queues, as make up-compact: the check shares them with the bar's other work); price_to_*_deployed "
        "= the risk workers as workers.registry deploys them plus one child on the other queues",
        f"target: price event to breach event < {TARGET_LATENCY_MS:.0f} ms: {'; '.join(verdicts)}",
    ]


def _desk(db, desk, sizes: dict, progress: bool, figures: list, notes: list, checks: dict) -> None:
    from .db import incremental_timing, monitor_timing

    m = monitor_timing(db, desk, repeats=sizes["monitor_repeats"], progress=progress)
    inc = incremental_timing(db, desk)
    checks["desk"] = {"first": m["first"], "cold": m["cold"], "warm": m["warm"], "incremental": inc["run"]}
    figures += [
        figure("monitor_desk_first_run_seconds", m["first_seconds"], "s"),
        figure("monitor_desk_cold_seconds", m["cold_seconds"], "s"),
        figure("monitor_desk_warm_seconds", m["warm_seconds"], "s"),
        figure("monitor_desk_incremental_seconds", inc["seconds"], "s", m["warm_seconds"]),
    ]
    b = m["breakdown"]
    notes += [
        f"desk: monitor_run(force=True) over {len(desk):,} bench portfolios x {sizes['db_positions']} positions "
        f"(batches of {m['batch_size']}, one after the other in this process); first {m['first']}; cold "
        f"{m['cold']}; warm (median of {sizes['monitor_repeats']}) {m['warm']}; warm breakdown: load "
        f"{b['load']:.3f} s, resolve {b['resolve']:.3f} s, kernel {b['kernel']:.3f} s",
        f"desk incremental: after one bar of {inc['symbol']}, an incremental run reads the "
        f"{inc['holding']:,} portfolios holding it plus the {inc['clocked']:,} whose breach hysteresis clock runs "
        f"({inc['run']['portfolios']:,} portfolios, warm); baseline: the warm full run",
    ]


def _monitor_once(ids: list[int]) -> None:
    from ..services import monitor

    monitor.monitor_run(force=True, portfolio_ids=ids)


def _pool(desk: list[int], sizes: dict, figures: list, notes: list, checks: dict) -> None:
    from django.conf import settings

    from .pool import pool_monitor_timing

    batch = sizes["pool_batch_size"] or int(settings.RISK_MONITOR_BATCH_SIZE)
    settle = sizes["pool_settle_seconds"] or None
    p = pool_monitor_timing(desk, repeats=sizes["monitor_repeats"], batch_size=batch, settle=settle)
    if "skipped" in p:
        notes.append(f"pool: skipped, {p['skipped']}")
        return
    checks["pool"] = {k: p[k] for k in ("first", "settled", "warm")}
    figures += [
        figure("monitor_desk_pool_first_seconds", p["first_seconds"], "s"),
        figure("monitor_desk_pool_settled_seconds", p["settled_seconds"], "s"),
        figure("monitor_desk_pool_warm_seconds", p["warm_seconds"], "s"),
    ]
    notes.append(
        f"pool: the {len(desk):,} desk portfolios in {p['first']['batches']} batches of "
        f"{batch} as a chord on the risk queue, consumed by the deployed risk workers "
        f"({p['children']} prefork children), timed until the finish recorded the run; first (the "
        f"workers' first run, sent as they answered, after their start-up warm-up) {p['first']}; "
        f"settled (the first run of workers started again, {p['settled']['after_seconds']:g} s after "
        f"they answered) {p['settled']}; warm (median of {sizes['monitor_repeats']}) {p['warm']}"
    )


def issue17_notes(figures: list[dict]) -> list[str]:
    """Each figure of issue #17's table this run measured, next to its target."""
    by_name = {f["name"]: f["value"] for f in figures}
    out = []
    for name, op, target, what in ISSUE17_TARGETS:
        if name not in by_name:
            continue
        value = by_name[name]
        ok = {"<=": value <= target, "<": value < target, ">=": value >= target}[op]
        out.append(f"issue 17 target: {what}: {value:,.6g} (target {op} {target:,.6g}: {_met(ok)})")
    return out
