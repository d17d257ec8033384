"""The book of record's arithmetic and rules, against the real database."""

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.portfolio.models import Position, Transaction
from apps.portfolio.services import portfolio_create, positions_rebuild, transaction_record

pytestmark = pytest.mark.django_db
D = Decimal


def _position(p, symbol):
    return Position.objects.filter(portfolio=p, instrument__symbol=symbol).first()


def test_buy_and_sell_move_position_and_cash(portfolio):
    pos = _position(portfolio, "AAPL")
    assert (pos.quantity, pos.average_cost) == (D(100), D(150))
    assert portfolio.cash == D("85000")

    transaction_record(
        portfolio=portfolio, type="buy", instrument="aapl", quantity=D(50), price=D(180), fees=D(5)
    )
    pos.refresh_from_db()
    assert pos.quantity == D(150) and pos.average_cost == D(160)  # (100*150 + 50*180) / 150
    assert portfolio.cash == D("85000") - D(9000) - D(5)

    transaction_record(
        portfolio=portfolio, type="sell", instrument="AAPL", quantity=D(30), price=D(200), fees=D(1)
    )
    pos.refresh_from_db()
    assert pos.quantity == D(120) and pos.average_cost == D(160)  # selling keeps the average
    assert portfolio.cash == D("75995") + D(6000) - D(1)

    transaction_record(portfolio=portfolio, type="sell", instrument="AAPL", quantity=D(120), price=D(190))
    assert _position(portfolio, "AAPL") is None  # flat positions have no row


def test_cash_movements(portfolio):
    transaction_record(portfolio=portfolio, type="withdrawal", amount=D(5000))
    transaction_record(portfolio=portfolio, type="fee", amount=D("12.5"))
    transaction_record(portfolio=portfolio, type="dividend", instrument="AAPL", amount=D(24))
    transaction_record(portfolio=portfolio, type="deposit", amount=D(1000), fees=D(1))
    portfolio.refresh_from_db()
    assert portfolio.cash == D(85000) - D(5000) - D("12.5") + D(24) + D(999)
    assert _position(portfolio, "AAPL").quantity == D(100)  # dividends leave the position alone


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"type": "buy", "instrument": "AAPL", "quantity": D(-5), "price": D(1)}, "quantity"),
        ({"type": "buy", "instrument": "AAPL", "quantity": D(0), "price": D(1)}, "quantity"),
        ({"type": "buy", "instrument": "NOPE", "quantity": D(1), "price": D(1)}, "instrument"),
        ({"type": "buy", "quantity": D(1), "price": D(1)}, "instrument"),
        ({"type": "buy", "instrument": "AAPL", "quantity": D(1)}, "price"),
        ({"type": "buy", "instrument": "AAPL", "quantity": D(1), "price": D(-1)}, "price"),
        ({"type": "buy", "instrument": "AAPL", "quantity": D(1), "price": D(1), "fees": D(-1)}, "fees"),
        ({"type": "sell", "instrument": "AAPL", "quantity": D("100.0000000001"), "price": D(1)}, "quantity"),
        ({"type": "sell", "instrument": "MSFT", "quantity": D(1), "price": D(1)}, "quantity"),
        ({"type": "deposit"}, "amount"),
        ({"type": "deposit", "amount": D(-1)}, "amount"),
        ({"type": "deposit", "amount": D(1), "instrument": "AAPL"}, "instrument"),
        ({"type": "withdrawal", "amount": D("85000.01")}, "amount"),
        ({"type": "dividend", "amount": D(1)}, "instrument"),
        ({"type": "teleport", "amount": D(1)}, "type"),
        ({"type": "buy", "instrument": "AAPL", "quantity": D("NaN"), "price": D(1)}, "quantity"),
        ({"type": "buy", "instrument": "AAPL", "quantity": "lots", "price": D(1)}, "quantity"),
        ({"type": "buy", "instrument": "AAPL", "quantity": D("1e-11"), "price": D(1)}, "quantity"),
        ({"type": "buy", "instrument": "AAPL", "quantity": D(1), "price": D("1.000000001")}, "price"),
        ({"type": "deposit", "amount": D("1e20")}, "amount"),
    ],
)
def test_rejected_bookings_name_the_field_and_change_nothing(portfolio, kwargs, field):
    before = (Transaction.objects.count(), portfolio.cash, _position(portfolio, "AAPL").quantity)
    with pytest.raises(ValidationError) as err:
        transaction_record(portfolio=portfolio, **kwargs)
    assert field in err.value.message_dict
    portfolio.refresh_from_db()
    assert (Transaction.objects.count(), portfolio.cash, _position(portfolio, "AAPL").quantity) == before


def test_naive_timestamps_are_refused(portfolio):
    import datetime as dt

    with pytest.raises(ValidationError) as err:
        transaction_record(
            portfolio=portfolio, type="deposit", amount=D(1), timestamp=dt.datetime(2024, 1, 2)
        )
    assert "timestamp" in err.value.message_dict


def test_short_selling_is_allowed_unless_long_only(user, instruments):
    p = portfolio_create(code="ls", name="Long/short", owner=user, long_only=False)
    transaction_record(portfolio=p, type="sell", instrument="JPM", quantity=D(10), price=D(100))
    pos = _position(p, "JPM")
    assert (pos.quantity, pos.average_cost) == (D(-10), D(100))
    transaction_record(portfolio=p, type="sell", instrument="JPM", quantity=D(10), price=D(130))
    pos.refresh_from_db()
    assert (pos.quantity, pos.average_cost) == (D(-20), D(115))
    transaction_record(portfolio=p, type="buy", instrument="JPM", quantity=D(25), price=D(90))
    pos.refresh_from_db()
    assert (pos.quantity, pos.average_cost) == (D(5), D(90))  # crossing zero opens the long at the fill
    p.refresh_from_db()
    assert p.cash == D(1000) + D(1300) - D(2250)


def test_database_constraints_hold_without_the_service(portfolio, instruments):
    base = {"portfolio": portfolio, "instrument": instruments["AAPL"], "price": D(1)}
    bad = [
        {**base, "type": "buy", "quantity": D(-1)},
        {**base, "type": "buy", "quantity": D(1), "fees": D(-1)},
        {**base, "type": "buy", "quantity": None},
        {"portfolio": portfolio, "type": "deposit", "amount": None},
        {"portfolio": portfolio, "type": "nonsense", "amount": D(1)},
    ]
    for fields in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            Transaction.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Position.objects.create(
            portfolio=portfolio, instrument=instruments["AAPL"], quantity=D(1), average_cost=D(1)
        )


def _independent_book(ops):
    """Positions and cash recomputed from scratch with exact fractions — no shared code."""
    qty: dict[str, Fraction] = {}
    cost: dict[str, Fraction] = {}
    cash = Fraction(0)
    for kind, sym, q, p, fee in ops:
        q, p, fee = Fraction(q), Fraction(p), Fraction(fee)
        cash += (q * p if kind == "sell" else -q * p) - fee
        held = qty.get(sym, Fraction(0))
        new = held + (q if kind == "buy" else -q)
        if new == 0:
            qty.pop(sym, None)
            cost.pop(sym, None)
            continue
        same_side = held == 0 or (held > 0) == (kind == "buy")
        if same_side:
            cost[sym] = (abs(held) * cost.get(sym, 0) + q * p) / abs(new)
        elif (held > 0) != (new > 0):
            cost[sym] = p
        qty[sym] = new
    return qty, cost, cash


@pytest.mark.parametrize("long_only, seed", [(True, 7), (False, 11)])
def test_positions_always_equal_their_transactions(user, instruments, long_only, seed):
    rng = random.Random(seed)
    p = portfolio_create(code=f"rand_{seed}", name="random", owner=user, long_only=long_only)
    symbols = ["AAPL", "MSFT", "JPM", "XOM"]
    held = dict.fromkeys(symbols, D(0))
    ops = []
    for _ in range(120):
        sym = rng.choice(symbols)
        qty = D(rng.randint(1, 4000)) / D(100)
        price = D(rng.randint(1000, 50000)) / D(100)
        fee = D(rng.randint(0, 300)) / D(100)
        kind = rng.choice(["buy", "sell"])
        if kind == "sell" and long_only:
            if held[sym] == 0:
                kind = "buy"
            elif rng.random() < 0.3:
                qty = held[sym]  # close out exactly
            else:
                qty = min(qty, held[sym])
        transaction_record(portfolio=p, type=kind, instrument=sym, quantity=qty, price=price, fees=fee)
        held[sym] += qty if kind == "buy" else -qty
        ops.append((kind, sym, qty, price, fee))

    stored = {
        pos.instrument.symbol: (pos.quantity, pos.average_cost)
        for pos in Position.objects.filter(portfolio=p).select_related("instrument")
    }
    assert len(stored) >= 2  # the sequence must leave something to compare
    p.refresh_from_db()
    stored_cash = p.cash

    # 1. an independent recomputation in exact arithmetic
    qty, cost, cash = _independent_book(ops)
    assert {s: q for s, (q, _) in stored.items()} == {
        s: D(q.numerator) / D(q.denominator) for s, q in qty.items()
    }
    for s, (_, avg) in stored.items():
        assert abs(Fraction(avg) - cost[s]) < Fraction(1, 10**6), s  # 10-dp rounding per step only
    assert Fraction(stored_cash) == cash  # 2-dp inputs: cash is exact

    # 2. the rebuild from transactions changes nothing
    rebuilt = positions_rebuild(portfolio=p)
    assert {pos.instrument.symbol: (pos.quantity, pos.average_cost) for pos in rebuilt} == stored
    assert p.cash == stored_cash


def test_rebuild_repairs_a_tampered_book(portfolio, instruments):
    Position.objects.filter(portfolio=portfolio).update(quantity=D(7), average_cost=D(1))
    Position.objects.create(
        portfolio=portfolio, instrument=instruments["XOM"], quantity=D(3), average_cost=D(2)
    )
    type(portfolio).objects.filter(pk=portfolio.pk).update(cash=D(0))
    rebuilt = positions_rebuild(portfolio=portfolio)
    assert [(x.instrument.symbol, x.quantity, x.average_cost) for x in rebuilt] == [("AAPL", D(100), D(150))]
    portfolio.refresh_from_db()
    assert portfolio.cash == D(85000)


def test_portfolio_create_validates_and_books_initial_cash(user, instruments):
    p = portfolio_create(code="p_2", name="Two", owner=user, benchmark=instruments["SPY"], initial_cash=D(10))
    assert p.cash == D(10) and Transaction.objects.get(portfolio=p).type == "deposit"
    with pytest.raises(ValidationError) as err:
        portfolio_create(code="Bad Code!", name="x", owner=user)
    assert "code" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        portfolio_create(code="p_2", name="dup", owner=user)
    assert "code" in err.value.message_dict
