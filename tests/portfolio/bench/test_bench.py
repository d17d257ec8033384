import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.portfolio.models import Portfolio, Position, Transaction

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Solution may be inaccurate:UserWarning"),
]


def test_portfolio_bench_reports_each_figure_and_leaves_nothing_behind():
    out = StringIO()
    call_command("bench", "portfolio", "--json", "--quick", "--no-progress", stdout=out)
    result = json.loads(out.getvalue())
    figures = {f["name"]: f for f in result["figures"]}
    assert sorted(figures) == [
        "book_read_50_positions_model_serializer_p50_ms",
        "book_read_50_positions_p50_ms",
        "book_read_50_positions_p99_ms",
        "book_replay_tx_per_s",
        "cardinality_20_of_40_seconds",
        "frontier_5_points_40_seconds",
        "max_sharpe_40_seconds",
        "min_cvar_40_seconds",
        "min_variance_40_seconds",
        "min_variance_40_warm_seconds",
        "transaction_record_tx_per_s",
    ]
    for name in ("book_replay_tx_per_s", "transaction_record_tx_per_s", "min_variance_40_seconds"):
        f = figures[name]
        assert f["value"] > 0 and f["baseline"] > 0 and f["ratio"] > 0, f
    # the same weights as PyPortfolioOpt on the same problem, in the same run
    assert figures["min_variance_40_seconds"]["max_weight_difference"] < 1e-4
    assert figures["max_sharpe_40_seconds"]["status"] == figures["min_cvar_40_seconds"]["status"] == "optimal"
    assert figures["min_variance_40_seconds"]["solver"] == "OSQP"
    assert figures["min_variance_40_seconds"]["max_weight_difference_cvxpy"] < 1e-4
    warm = figures["min_variance_40_warm_seconds"]
    assert warm["warm_start"] and warm["max_weight_difference"] < 1e-6
    frontier = figures["frontier_5_points_40_seconds"]
    assert frontier["solved_points"] == 5 and frontier["warm_started_points"] >= 4
    assert frontier["max_volatility_difference"] < 1e-6 and frontier["baseline"] > 0
    assert figures["cardinality_20_of_40_seconds"]["names_held"] <= 20
    assert figures["book_read_50_positions_p50_ms"]["baseline"] > 0
    assert figures["book_read_50_positions_p50_ms"]["empty_portfolio_p50_ms"] > 0
    assert (
        not Portfolio.objects.exists() and not Transaction.objects.exists() and not Position.objects.exists()
    )
