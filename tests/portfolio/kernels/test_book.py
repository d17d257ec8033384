"""The book's arithmetic on plain rows (no database): what positions_rebuild replays."""

from dataclasses import dataclass
from decimal import Decimal

from apps.portfolio.kernels.book import Holding, book_replay, cash_delta


@dataclass
class Row:
    type: str
    instrument_id: int | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    fees: Decimal = Decimal(0)
    amount: Decimal | None = None
    fx_rate: Decimal = Decimal(1)


def test_replay_averages_up_keeps_the_average_when_reducing_and_drops_flat_positions():
    rows = [
        Row("deposit", amount=Decimal(1000)),
        Row("buy", 1, Decimal(10), Decimal(10), Decimal(1)),
        Row("buy", 1, Decimal(10), Decimal(20)),
        Row("sell", 1, Decimal(5), Decimal(30)),
        Row("buy", 2, Decimal(1), Decimal(50)),
        Row("sell", 2, Decimal(1), Decimal(40)),
    ]
    holdings, cash = book_replay(rows)
    assert holdings == {1: Holding(Decimal(15), Decimal(15))}
    assert cash == Decimal(1000) - 101 - 200 + 150 - 50 + 40


def test_fees_always_leave_cash():
    assert cash_delta(type="dividend", quantity=None, price=None, fees=Decimal(2), amount=Decimal(10)) == 8
    assert cash_delta(type="fee", quantity=None, price=None, fees=Decimal(0), amount=Decimal(3)) == -3
