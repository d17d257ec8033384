from decimal import Decimal

import pytest

from apps.portfolio import facade

pytestmark = pytest.mark.django_db


def test_portfolio_get_by_code_or_id(portfolio, other_user, user):
    info = facade.portfolio_get("alice_001")
    assert info == facade.portfolio_get(portfolio.pk) == facade.portfolio_get(str(portfolio.pk))
    assert info.cash == Decimal(85000) and info.long_only
    assert [(p.symbol, p.quantity, p.average_cost) for p in info.positions] == [
        ("AAPL", Decimal(100), Decimal(150))
    ]
    with pytest.raises(AttributeError):
        info.cash = Decimal(0)
    assert facade.portfolio_get("nope") is None
    assert [p.code for p in facade.portfolios_all()] == ["alice_001"]
    assert facade.portfolio_can_view(user, "alice_001") is True
    assert facade.portfolio_can_view(other_user, portfolio.pk) is False
    assert facade.portfolio_can_view(user, "nope") is None


def test_portfolio_viewable_refuses_with_domain_exceptions_the_api_answers_404_and_403(
    portfolio, other_user, user
):
    from apps.platform.exceptions import ForbiddenError, NotFoundError, exception_handler

    assert facade.portfolio_viewable(user, "alice_001").code == "alice_001"
    with pytest.raises(facade.PortfolioNotFound) as missing:
        facade.portfolio_viewable(user, "nope")
    with pytest.raises(facade.PortfolioForbidden) as forbidden:
        facade.portfolio_viewable(other_user, "alice_001")
    assert isinstance(missing.value, NotFoundError) and isinstance(forbidden.value, ForbiddenError)
    answer = exception_handler(missing.value, {})
    assert (answer.status_code, answer.data) == (404, {"detail": "Unknown portfolio 'nope'."})
    answer = exception_handler(forbidden.value, {})
    assert (answer.status_code, answer.data) == (403, {"detail": "You do not have access to this portfolio."})


def test_portfolio_ids_holding_lists_only_books_with_an_open_position(portfolio, user):
    from apps.portfolio.services import portfolio_create, transaction_record

    empty = portfolio_create(code="alice_002", name="Cash only", owner=user, initial_cash=Decimal(10))
    closed = portfolio_create(code="alice_003", name="Closed", owner=user, initial_cash=Decimal(1000))
    transaction_record(
        portfolio=closed, type="buy", instrument="AAPL", quantity=Decimal(2), price=Decimal(100)
    )
    transaction_record(
        portfolio=closed, type="sell", instrument="AAPL", quantity=Decimal(2), price=Decimal(100)
    )
    assert facade.portfolio_ids_holding() == [portfolio.pk]
    assert empty.pk not in facade.portfolio_ids_holding()
