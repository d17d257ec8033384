from apps.portfolio.tasks.health import ping


def test_ping_answers_for_the_portfolio_engine():
    assert ping.name == "apps.portfolio.tasks.ping"
    assert ping() == {"engine": "portfolio", "ok": True}
