"""The book reads do not go through the model serializers (serializers/positions.py: PostgreSQL
writes the rows as text, or plain rows are formatted in Python): their answers equal the model
serializers' on the same portfolio, value for value, rounding ties and signs included."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.marketdata.services import instrument_create
from apps.portfolio.api.serializers import PortfolioDetailSerializer, PositionSerializer
from apps.portfolio.api.serializers.positions import book_positions
from apps.portfolio.models import Portfolio, Position
from apps.portfolio.selectors import position_text_rows, positions_of
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


# (quantity, average cost): the cost value's 9th decimal onwards exactly a half (ties: Decimal rounds
# half to even, PostgreSQL's round() half away from zero), negative products rounding to zero
# (Decimal keeps the sign: "-0.00000000"), shorts, the columns' extremes
EDGES = [
    ("1", "0.000000005"),  # 0.5e-8: tie, even -> 0
    ("1", "0.000000015"),  # tie, even -> 2e-8
    ("1", "0.000000025"),  # tie, even -> 2e-8 (round() says 3e-8)
    ("-1", "0.000000025"),  # -> -2e-8
    ("-1", "0.000000005"),  # -> -0
    ("-0.5", "0.0000000001"),  # -5e-11 -> -0
    ("0.0000000001", "0.0000000001"),
    ("123456789012345678.1234567891", "98765432109876543.9876543219"),  # 56 significant digits
    ("-2.5", "3"),
    ("7", "0"),
]


@pytest.fixture
def edge_book(portfolio):
    rows = []
    for k, (qty, cost) in enumerate(EDGES):
        instrument = instrument_create(symbol=f"EDGE{k:02d}", name=f"Edge case {k} — «quoted»")
        rows.append(
            Position(
                portfolio=portfolio,
                instrument_id=instrument.pk,
                quantity=Decimal(qty),
                average_cost=Decimal(cost),
            )
        )
    Position.objects.bulk_create(rows)
    # timestamps with and without microseconds (DRF leaves ".000000" out)
    whole = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)
    Position.objects.filter(portfolio=portfolio, instrument__symbol__in=["EDGE00", "EDGE05"]).update(
        updated_at=whole
    )
    Position.objects.filter(portfolio=portfolio, instrument__symbol="EDGE01").update(
        updated_at=whole.replace(microsecond=1)
    )
    return portfolio


def test_postgresql_writes_every_edge_as_the_serializer_does(api_client, edge_book):
    expected = PositionSerializer(positions_of(edge_book), many=True).data
    assert position_text_rows(edge_book.pk) is not None  # the text path is the one under test
    assert book_positions(edge_book.pk) == expected
    by_symbol = {p["symbol"]: p for p in expected}
    # the cases say something: the serializer's own answers at the ties and the signed zeros
    assert by_symbol["EDGE02"]["cost_value"] == "0.00000002"
    assert by_symbol["EDGE04"]["cost_value"] == "-0.00000000"
    assert by_symbol["EDGE00"]["updated_at"] == "2024-03-01T09:30:00Z"
    assert by_symbol["EDGE01"]["updated_at"] == "2024-03-01T09:30:00.000001Z"
    detail = PortfolioDetailSerializer(
        Portfolio.objects.prefetch_related("positions__instrument").get(pk=edge_book.pk)
    )
    assert api_client.get("/api/portfolio/portfolios/alice_001/").json() == detail.data


def test_in_another_time_zone_the_rows_are_formatted_in_python(edge_book):
    with timezone.override("Asia/Kolkata"):
        assert position_text_rows(edge_book.pk) is None
        expected = PositionSerializer(positions_of(edge_book), many=True).data
        assert book_positions(edge_book.pk) == expected
        assert expected[0]["updated_at"].endswith("+05:30")
