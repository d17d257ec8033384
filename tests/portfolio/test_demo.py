from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from apps.marketdata.models import Instrument
from apps.portfolio.models import Portfolio, Position, Transaction
from apps.portfolio.services import positions_rebuild

pytestmark = pytest.mark.django_db


def _snapshot():
    p = Portfolio.objects.get(code="portfolio_001")
    return (
        get_user_model().objects.count(),
        Instrument.objects.count(),
        Transaction.objects.count(),
        sorted(
            Position.objects.filter(portfolio=p).values_list("instrument__symbol", "quantity", "average_cost")
        ),
        p.cash,
    )


def test_load_demo_is_idempotent_and_leaves_a_consistent_book(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "s3cret-demo-pw")
    out = StringIO()
    call_command("load_demo", stdout=out)
    first = _snapshot()
    token = Token.objects.get(user__username="demo")
    assert f"API token for demo: {token.key}" in out.getvalue()

    demo = get_user_model().objects.get(username="demo")
    assert demo.check_password("s3cret-demo-pw")
    assert get_user_model().objects.get(username="admin").is_superuser
    p = Portfolio.objects.get(code="portfolio_001")
    assert p.owner == demo and p.benchmark.symbol == "SPY"
    assert Instrument.objects.get(symbol="SPY").asset_class == "etf"
    assert Instrument.objects.get(symbol="EURUSD").asset_class == "fx"
    assert len(first[3]) >= 8 and first[4] > 0

    out2 = StringIO()
    call_command("load_demo", stdout=out2)
    assert _snapshot() == first
    assert f"API token for demo: {token.key}" in out2.getvalue()  # same token, not a new one

    positions_rebuild(portfolio=p)
    assert _snapshot() == first


def test_demo_trades_are_booked_at_the_simulated_close_of_their_day():
    from apps.marketdata.models import Bar

    call_command("load_demo", stdout=StringIO())
    spy = Instrument.objects.get(symbol="SPY")
    assert Bar.objects.filter(instrument=spy, interval="1d").count() > 200  # history up to today
    for tx in Transaction.objects.filter(type__in=["buy", "sell"]).select_related("instrument"):
        day = tx.timestamp.replace(hour=0, minute=0, second=0, microsecond=0)
        close = Bar.objects.get(instrument=tx.instrument, interval="1d", ts=day).close
        assert float(tx.price) == pytest.approx(close, abs=0.005)


def test_load_demo_sets_up_risk_defaults_once_and_the_monitor_runs_on_them():
    from apps.risk.demo import DEMO_LIMITS
    from apps.risk.models import EscalationPolicy, LimitChange, RiskLimit, StressScenario
    from apps.risk.selectors.check import portfolio_check
    from apps.risk.services.monitor import monitor_run

    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())
    assert RiskLimit.objects.filter(portfolio__isnull=True).count() == len(DEMO_LIMITS)
    assert LimitChange.objects.filter(action="create").count() == len(DEMO_LIMITS)  # audited, once
    policy = EscalationPolicy.objects.get(is_default=True)
    assert [lv.level for lv in policy.levels.all()] == [1, 2]
    assert StressScenario.objects.count() == 3
    result = portfolio_check(portfolio="portfolio_001")
    assert {row["limit_type"] for row in result["limits"]} == {lim["limit_type"] for lim in DEMO_LIMITS}
    run = monitor_run(force=True)
    assert run["errors"] == 0 and run["portfolios"] >= 1
