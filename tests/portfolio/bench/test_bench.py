import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.portfolio.models import Portfolio, Transaction

pytestmark = pytest.mark.django_db(transaction=True)


def test_portfolio_bench_reports_each_figure_with_a_baseline_and_leaves_nothing_behind():
    out = StringIO()
    call_command("bench", "portfolio", "--json", "--quick", "--no-progress", stdout=out)
    result = json.loads(out.getvalue())
    figures = {f["name"]: f for f in result["figures"]}
    assert sorted(figures) == ["book_replay_tx_per_s", "transaction_record_tx_per_s"]
    for f in figures.values():
        assert f["value"] > 0 and f["baseline"] > 0 and f["ratio"] > 0, f
    assert not Portfolio.objects.exists() and not Transaction.objects.exists()
