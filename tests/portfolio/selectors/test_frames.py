"""book_frames' positions on PostgreSQL (packed records, symbols once) equal the row-by-row read
of the same positions, whatever selects them: all books, some ids, the books holding a symbol, none."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from apps.portfolio.selectors import frames
from apps.portfolio.services import portfolio_create, transaction_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(user, instruments):
    made = []
    for k, held in enumerate((["AAPL", "MSFT", "XOM"], ["JPM"], ["AAPL", "SPY"], [])):
        p = portfolio_create(code=f"frames_{k}", name=f"F{k}", owner=user, initial_cash=Decimal("1000000"))
        for n, symbol in enumerate(held):
            transaction_record(
                portfolio=p, type="buy", instrument=symbol, quantity=Decimal(10 * (n + 1)) + Decimal("0.25"),
                price=Decimal("100"),
            )  # fmt: skip
        made.append(p)
    transaction_record(
        portfolio=made[0], type="sell", instrument="MSFT", quantity=Decimal("20.25"), price=Decimal("100")
    )  # fmt: skip  (a closed position is not open)
    return made


@pytest.mark.parametrize(
    "select",
    [
        lambda books: {"portfolio_ids": None},
        lambda books: {"portfolio_ids": [books[0].pk, books[3].pk]},
        lambda books: {"portfolio_ids": [books[1].pk], "holding": ["SPY"]},
        lambda books: {"portfolio_ids": [-1]},
    ],
)
def test_packed_positions_equal_the_rows(books, select, monkeypatch):
    kwargs = select(books)
    packed_pf, packed = frames.book_frames(**kwargs)
    monkeypatch.setattr(frames.connection, "vendor", "sqlite")  # the row-by-row read, same SQL otherwise
    rows_pf, rows = frames.book_frames(**kwargs)
    pd.testing.assert_frame_equal(packed_pf, rows_pf)
    pd.testing.assert_frame_equal(packed, rows)
    if kwargs["portfolio_ids"] is None:
        mine = packed[packed["portfolio_id"].isin([b.pk for b in books])]
        assert mine["symbol"].tolist() == ["AAPL", "XOM", "JPM", "AAPL", "SPY"]
        assert mine["quantity"].tolist() == [10.25, 30.25, 10.25, 10.25, 20.25]
