"""`manage.py bench risk --quick`: the figures, the baselines measured in the same run, the kernel and
the per-portfolio loop agreeing, the monitor opening each breach once, and nothing left behind.
No timing assertions: speed is what the bench reports, not what the tests check."""

from __future__ import annotations

import json
from io import StringIO

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from apps.risk.bench import suite as bench
from apps.risk.bench.kernel import ISSUE_LIMITS, agreement, market_build, reference_inputs
from apps.risk.bench.reference import evaluate_portfolio
from apps.risk.kernels import catalog
from apps.risk.kernels.limits import evaluate


def _bench(*sets: str) -> dict:
    out = StringIO()
    args = ["bench", "risk", "--quick", "--json", "--no-progress"]
    for s in sets:
        args += ["--set", s]
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def _assert_nothing_left():
    from apps.marketdata.models import FxRate, Instrument
    from apps.portfolio.models import Portfolio
    from apps.risk.models import Breach, EscalationPolicy, RiskLimit

    assert not Instrument.objects.filter(symbol__startswith="BENCHRISK").exists()
    assert not Portfolio.objects.filter(code__startswith="benchrisk_").exists()
    assert not get_user_model().objects.filter(username__startswith="benchrisk_").exists()
    assert not EscalationPolicy.objects.filter(name__startswith="benchrisk-").exists()
    assert not RiskLimit.objects.exists() and not Breach.objects.exists()
    assert not FxRate.objects.filter(base="XTS").exists()


def _ratio_consistent(fig: dict) -> None:
    assert fig["value"] > 0 and fig["baseline"] > 0, fig
    assert fig["ratio"] == pytest.approx(fig["value"] / fig["baseline"], rel=1e-2)


@pytest.mark.django_db
def test_bench_risk_quick_kernel_monitor_and_api():
    result = _bench("parts=kernel,monitor,api")
    assert result["engine"] == "risk" and result["parts"] == ["kernel", "monitor", "api"]
    assert result["sizes"] == bench.QUICK
    figures = {f["name"]: f for f in result["figures"]}
    assert sorted(figures) == [
        "api_check_orders_p50_ms",
        "api_check_orders_p99_ms",
        "api_check_p50_ms",
        "api_check_p99_ms",
        "kernel_cycle_seconds",
        "kernel_loop_max_abs_diff",
        "monitor_cold_seconds",
        "monitor_first_run_seconds",
        "monitor_warm_seconds",
        "portfolio_checks_per_s",
        "python_loop_checks_per_s",
        "scenario_pnl_seconds",
    ]
    # Part 1: the rate is portfolios / median kernel time; its baseline the loop's rate.
    rate = figures["portfolio_checks_per_s"]
    _ratio_consistent(rate)
    assert rate["baseline"] == figures["python_loop_checks_per_s"]["value"]
    assert rate["value"] == pytest.approx(200 / figures["kernel_cycle_seconds"]["value"], rel=1e-2)
    kernel = result["checks"]["kernel"]
    assert kernel["limits"] == 200 * 12  # QUICK portfolios x the issue's twelve types
    assert sum(kernel["statuses"].values()) == 2400
    assert kernel["statuses"]["ok"] > 0 and kernel["statuses"]["breach"] > 0  # a mixed book
    a = kernel["agreement"]
    assert a["limits_compared"] == 20 * 12
    assert a["max_abs_diff_value"] < 1e-9 and a["max_abs_diff_utilization"] < 1e-12
    assert (a["status_mismatches"], a["bucket_mismatches"], a["nan_mismatches"]) == (0, 0, 0)
    assert figures["kernel_loop_max_abs_diff"]["value"] == pytest.approx(a["max_abs_diff_value"], abs=1e-15)
    assert any(n.startswith("python loop: evaluate_portfolio timed on 20 ") for n in result["notes"])

    # Part 2: 12 portfolios x 12 own limits (no global default in the test database) = 144; the first
    # run opens a breach for every limit above its warn level, the later runs re-find them and open none.
    runs = result["checks"]["monitor"]
    first = runs["first"]
    assert (first["portfolios"], first["limits"], first["errors"]) == (12, 144, 0)
    assert first["above"] > 0 and first["opened"] == first["above"]
    for later in (runs["cold"], runs["warm"]):
        assert (later["portfolios"], later["limits"], later["above"], later["opened"], later["errors"]) == (
            12,
            144,
            first["above"],
            0,
            0,
        )

    # Part 3: each latency next to the same GET; the answers cover the twelve limits, before/after
    # only with orders.
    for name in (
        "api_check_p50_ms",
        "api_check_p99_ms",
        "api_check_orders_p50_ms",
        "api_check_orders_p99_ms",
    ):
        _ratio_consistent(figures[name])
    assert figures["api_check_p99_ms"]["value"] >= figures["api_check_p50_ms"]["value"]
    api = result["checks"]["api"]
    assert api["check"]["limits"] == 12 and api["check"]["orders"] == 0 and api["check"]["with_before"] == 0
    assert api["check_orders"] == api["check_orders"] | {"limits": 12, "orders": 3, "with_before": 12}
    assert {api["check"]["verdict"], api["check_orders"]["verdict"]} <= {"pass", "warn", "reject"}
    _assert_nothing_left()


def test_agreement_reports_a_planted_difference():
    """The agreement figure is not vacuous: a loop result nudged by 0.5 on one limit shows up."""
    m = market_build(portfolios=30, positions=6, universe=40, days=30)
    rows = np.array([3, 7, 11])
    ours = evaluate(m.book, m.limits)
    reference = [
        evaluate_portfolio(pos, nav, base, lims, **kw)
        for pos, nav, base, lims, kw in reference_inputs(m, rows)
    ]
    clean = agreement(m, rows, ours, reference)
    assert clean["max_abs_diff_value"] < 1e-9 and clean["status_mismatches"] == 0
    gross = [t for t, *_ in ISSUE_LIMITS].index("gross_exposure")
    reference[1][gross]["value"] += 0.5
    planted = agreement(m, rows, ours, reference)
    assert planted["max_abs_diff_value"] == pytest.approx(0.5, rel=1e-9)


def test_reference_inputs_rebuild_each_portfolio_by_hand():
    """The loop's inputs are the book's rows: Σ values and the largest |value| recomputed from the
    dense matrices with plain numpy."""
    m = market_build(portfolios=20, positions=5, universe=30, days=20)
    q, v = m.book.quantities.toarray(), m.book.values.toarray()
    for (positions, nav, base, limits, kw), r in zip(
        reference_inputs(m, np.arange(20)), range(20), strict=True
    ):
        assert len(positions) == 5 == np.count_nonzero(q[r])
        assert sum(p["value"] for p in positions) == pytest.approx(v[r].sum(), rel=1e-12)
        assert max(abs(p["value"]) for p in positions) == pytest.approx(np.abs(v[r]).max(), rel=1e-12)
        assert nav == m.book.nav[r] and base == m.book.base_currency[r]
        assert [lim["type"] for lim in limits] == [t for t, *_ in ISSUE_LIMITS]
        assert all(lim["scope"] == "portfolio" and lim["bucket"] is None for lim in limits)
        assert {lim["type"] for lim in limits} <= set(catalog.TYPE_CODES)
        assert kw["turnover"] == {1: pytest.approx(m.book.turnover[1][r])}


def test_unknown_part_is_refused():
    with pytest.raises(ValueError, match="unknown part"):
        bench.run(quick=True, progress=False, parts="kernel,nope")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_bench_risk_quick_latency_through_a_real_worker():
    result = _bench("parts=latency")
    assert result["parts"] == ["latency"]
    figures = {f["name"]: f for f in result["figures"]}
    names = ["price_to_breach", "price_to_resolve"]
    assert sorted(figures) == sorted(
        f"{n}{shape}_{q}_ms" for n in names for shape in ("", "_deployed") for q in ("p50", "p99")
    )
    for fig in figures.values():
        _ratio_consistent(fig)
    latency = result["checks"]["latency"]
    for shape in ("shared", "deployed"):
        run = latency[shape]
        assert len(run["opened_samples_ms"]) == len(run["resolved_samples_ms"]) == 2  # QUICK tries
        assert run["left_queued"] == 0  # nothing left in the broker for a later worker
        # Every timed event's check was seen in the worker's task events and split into its hops.
        hops = run["hops_ms"]
        assert hops["tries"] == 4
        assert all(
            0 <= hops[h][0] <= hops[h][1] for h in ("queue_ms", "handoff_ms", "check_ms", "deliver_ms")
        )
    assert figures["price_to_breach_p99_ms"]["value"] >= figures["price_to_breach_p50_ms"]["value"]
    assert latency["portfolios_holding"] >= 1 and latency["in_process_check_ms"][0] > 0
    _assert_nothing_left()


@pytest.mark.django_db
def test_bench_risk_quick_desk_part():
    result = _bench("parts=desk")
    assert result["parts"] == ["desk"]
    figures = {f["name"]: f for f in result["figures"]}
    assert sorted(figures) == [
        "monitor_desk_cold_seconds",
        "monitor_desk_first_run_seconds",
        "monitor_desk_incremental_seconds",
        "monitor_desk_warm_seconds",
    ]
    _ratio_consistent(figures["monitor_desk_incremental_seconds"])
    desk = result["checks"]["desk"]
    n = bench.QUICK["desk_portfolios"]
    assert desk["first"]["portfolios"] == desk["warm"]["portfolios"] == n
    assert desk["first"]["opened"] > 0 and desk["cold"]["opened"] == 0 and desk["warm"]["errors"] == 0
    # The incremental read is the portfolios holding one symbol (no hysteresis clock runs yet).
    assert 0 < desk["incremental"]["portfolios"] < n
    _assert_nothing_left()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_bench_risk_quick_pool_part_through_the_deployed_risk_workers():
    result = _bench("parts=pool")
    assert result["parts"] == ["pool"]
    figures = {f["name"]: f["value"] for f in result["figures"]}
    assert sorted(figures) == [
        "monitor_desk_pool_first_seconds",
        "monitor_desk_pool_settled_seconds",
        "monitor_desk_pool_warm_seconds",
    ]
    assert all(v > 0 for v in figures.values())
    pool = result["checks"]["pool"]
    n = bench.QUICK["desk_portfolios"]
    # Every portfolio evaluated by the workers and recorded by the chord's finish, the breaches the
    # untimed run before opened not opened again, by the first workers or by those started again.
    for run in ("first", "settled", "warm"):
        assert pool[run]["portfolios"] == n and pool[run]["limits"] == n * len(ISSUE_LIMITS)
        assert pool[run]["opened"] == 0 and pool[run]["recorded_ms"] > 0
    assert pool["settled"]["after_seconds"] == bench.QUICK["pool_settle_seconds"]
    targets = [note for note in result["notes"] if note.startswith("issue 17 target: monitor 10,000")]
    assert len(targets) == 3 and all("(target <= 2.5: " in t for t in targets)
    _assert_nothing_left()
