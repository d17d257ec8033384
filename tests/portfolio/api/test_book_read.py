"""The book reads format plain rows themselves (serializers/positions.py: positions_data): their
answers equal the model serializers' on the same portfolio, value for value."""

from decimal import Decimal

import pytest

from apps.portfolio.api.serializers import PortfolioDetailSerializer, PositionSerializer
from apps.portfolio.models import Portfolio
from apps.portfolio.selectors import positions_of
from apps.portfolio.services import transaction_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(portfolio):
    for symbol, qty, price in (
        ("MSFT", "12.3456789012", "301.12345678"),
        ("JPM", "3", "99.5"),
        ("XOM", "0.5", "1e-6"),
    ):
        transaction_record(
            portfolio=portfolio, type="buy", instrument=symbol, quantity=Decimal(qty), price=Decimal(price)
        )
    transaction_record(
        portfolio=portfolio, type="sell", instrument="JPM", quantity=Decimal("1.25"), price=Decimal(7)
    )
    return portfolio


def test_the_detail_equals_the_model_serializer(api_client, book):
    expected = PortfolioDetailSerializer(
        Portfolio.objects.prefetch_related("positions__instrument").get(pk=book.pk)
    ).data
    body = api_client.get("/api/portfolio/portfolios/alice_001/").json()
    assert body == expected
    assert [p["symbol"] for p in body["positions"]] == ["AAPL", "JPM", "MSFT", "XOM"]


def test_the_positions_equal_the_model_serializer(api_client, book):
    expected = PositionSerializer(positions_of(book), many=True).data
    assert api_client.get("/api/portfolio/portfolios/alice_001/positions/").json() == expected
