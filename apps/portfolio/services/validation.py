"""Whether a booking is allowed: field checks first, then the rules that need the current book."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.marketdata import facade as marketdata
from apps.platform.fields import decimal_problem, instant_problem

from ..kernels.book import ONE, ZERO, Holding, cash_delta, holding_after_trade
from ..models import MONEY, QTY, TRADE_TYPES, Portfolio, Position, TransactionType

FX_RATE_STEP = Decimal("1e-12")  # Transaction.fx_rate's decimal places


def _resolve_instrument(instrument: str | object | None, errors: dict) -> tuple[int | None, str, bool, str]:
    """(id, symbol, is_active, currency) of the instrument named by a symbol, an Instrument or
    marketdata's InstrumentInfo."""
    if instrument is None:
        return None, "", True, ""
    if not isinstance(instrument, str) and hasattr(instrument, "symbol"):
        return instrument.id, instrument.symbol, instrument.is_active, instrument.currency
    info = marketdata.instrument_get(str(instrument))
    if info is None:
        errors["instrument"] = f"Unknown instrument {str(instrument).strip().upper()!r}."
        return None, "", True, ""
    return info.id, info.symbol, info.is_active, info.currency


def _as_decimal(value, field: str, errors: dict, spec: dict) -> Decimal | None:
    """A finite Decimal that fits its column exactly (the database must not round what the
    position arithmetic has already used) and the API's magnitude bound."""
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        number = None
    problem = "A valid number is required." if number is None else decimal_problem(number, **spec)
    if problem:
        errors[field] = problem
        return None
    return number


@dataclass(frozen=True)
class Booking:
    type: str
    instrument_id: int | None
    symbol: str
    quantity: Decimal | None
    price: Decimal | None
    fees: Decimal
    amount: Decimal | None
    timestamp: dt.datetime
    currency: str = ""  # the instrument's; "" when none is named
    fx_rate: Decimal = ONE  # base-currency units per unit of `currency` at `timestamp` (booking_rate)


def check_fields(*, type, instrument, quantity, price, fees, amount, timestamp) -> Booking:
    """Everything that can be judged without the current position and cash."""
    errors: dict[str, str] = {}
    if type not in TransactionType.values:
        raise ValidationError(
            {"type": f"Unknown transaction type {type!r}; use one of {TransactionType.values}."}
        )
    instrument_id, symbol, active, currency = _resolve_instrument(instrument, errors)
    quantity = _as_decimal(quantity, "quantity", errors, QTY)
    price = _as_decimal(price, "price", errors, MONEY)
    fees = _as_decimal(fees if fees is not None else ZERO, "fees", errors, MONEY)
    amount = _as_decimal(amount, "amount", errors, MONEY)

    if type in TRADE_TYPES:
        if instrument is None:
            errors["instrument"] = f"An instrument is required for a {type}."
        elif instrument_id is not None and not active:
            errors["instrument"] = f"{symbol} is not active."
        if quantity is None:
            errors.setdefault("quantity", f"A quantity is required for a {type}.")
        elif quantity <= 0:
            errors["quantity"] = "Quantity must be greater than zero."
        if price is None:
            errors.setdefault("price", f"A price is required for a {type}.")
        elif price < 0:
            errors["price"] = "Price cannot be negative."
        if amount is not None:
            errors["amount"] = f"A {type} books quantity × price; leave amount empty."
    else:
        if amount is None:
            errors.setdefault("amount", f"An amount is required for a {type}.")
        elif amount <= 0:
            errors["amount"] = "Amount must be greater than zero."
        if quantity is not None:
            errors["quantity"] = f"A {type} carries an amount, not a quantity."
        if price is not None:
            errors["price"] = f"A {type} carries an amount, not a price."
        if type == TransactionType.DIVIDEND and instrument is None:
            errors["instrument"] = "A dividend names the instrument that paid it."
        if type in (TransactionType.DEPOSIT, TransactionType.WITHDRAWAL) and instrument is not None:
            errors["instrument"] = f"A {type} is a cash movement; it names no instrument."
    if fees is not None and fees < 0:
        errors["fees"] = "Fees cannot be negative."

    if timestamp is None:
        timestamp = timezone.now()
    elif timezone.is_naive(timestamp):
        errors["timestamp"] = "The timestamp must carry a timezone (UTC is stored)."
    elif instant_problem(timestamp):
        # Year 1 or 9999 would be stored, and then break every return series built from the book.
        errors["timestamp"] = instant_problem(timestamp)
    if errors:
        raise ValidationError(errors)
    return Booking(
        type=type,
        instrument_id=instrument_id,
        symbol=symbol,
        quantity=quantity,
        price=price,
        fees=fees,
        amount=amount,
        timestamp=timestamp.astimezone(dt.UTC),
        currency=currency,
    )


def booking_rate(booking: Booking, *, base: str) -> Booking:
    """The booking with the rate that turns its instrument's currency into the book's base currency:
    the latest rate at or before its timestamp. A booking in the base currency, or naming no
    instrument, keeps 1. No rate by then is a 400 on `instrument`: the cash could not be booked."""
    if not booking.currency or booking.currency == base:
        return booking
    try:
        rate = marketdata.fx_rate(booking.currency, base, at=booking.timestamp)
    except marketdata.FxRateNotFound as exc:
        raise ValidationError(
            {
                "instrument": f"{booking.symbol} is quoted in {booking.currency} and the book is kept in {base}, "
                f"but there is {exc}. Load {booking.currency}/{base} rates first."
            }
        ) from exc
    return replace(booking, fx_rate=Decimal(repr(rate)).quantize(FX_RATE_STEP, rounding=ROUND_HALF_EVEN))


def check_against_book(booking: Booking, *, portfolio: Portfolio, holding: Holding | None) -> None:
    """Rules that need the current position and cash (read under lock when booking)."""
    if booking.type == TransactionType.SELL and portfolio.long_only:
        held = holding.quantity if holding else ZERO
        if booking.quantity > held:
            raise ValidationError(
                {
                    "quantity": f"Cannot sell {booking.quantity.normalize():f} {booking.symbol}: "
                    f"the portfolio holds {held.normalize():f} and is long-only."
                }
            )
    _check_book_fits(booking, portfolio=portfolio, holding=holding)
    if booking.type == TransactionType.WITHDRAWAL:
        # Executions are facts reported by a broker and may overdraw; a withdrawal is an instruction
        # and cannot take out money the portfolio does not have.
        needed = booking.amount + booking.fees
        if needed > portfolio.cash:
            raise ValidationError(
                {
                    "amount": f"Cannot withdraw {needed.normalize():f}: available cash is {portfolio.cash.normalize():f}."
                }
            )


def _fits(value: Decimal, spec: dict) -> bool:
    return abs(value) < Decimal(10) ** (spec["max_digits"] - spec["decimal_places"])


def _check_book_fits(booking: Booking, *, portfolio: Portfolio, holding: Holding | None) -> None:
    """The cash and position after the booking must fit their columns: every field may fit alone
    while their sum or product does not (the database would refuse the write with a 500)."""
    field = "quantity" if booking.type in TRADE_TYPES else "amount"
    cash = portfolio.cash + cash_delta(
        type=booking.type,
        quantity=booking.quantity,
        price=booking.price,
        fees=booking.fees,
        amount=booking.amount,
        fx_rate=booking.fx_rate,
    )
    if not _fits(cash, MONEY):
        raise ValidationError(
            {
                field: f"The booking would take the portfolio's cash to {cash:.2f}, beyond what the book can hold."
            }
        )
    if booking.type in TRADE_TYPES:
        after = holding_after_trade(
            holding, side=booking.type, quantity=booking.quantity, price=booking.price
        )
        if after is not None and not (_fits(after.quantity, QTY) and _fits(after.average_cost, QTY)):
            raise ValidationError(
                {field: "The position after this trade would be beyond what the book can hold."}
            )


def holding_of(position: Position | None) -> Holding | None:
    return Holding(position.quantity, position.average_cost) if position else None


def transaction_check(
    *,
    portfolio: Portfolio,
    type: str,
    instrument: str | object | None = None,
    quantity: Decimal | None = None,
    price: Decimal | None = None,
    fees: Decimal = ZERO,
    amount: Decimal | None = None,
    timestamp: dt.datetime | None = None,
) -> None:
    """Validate a booking without recording it (forms use it to show errors before saving).
    Raises ValidationError with field keys; `transaction_record` checks again under lock."""
    booking = check_fields(
        type=type,
        instrument=instrument,
        quantity=quantity,
        price=price,
        fees=fees,
        amount=amount,
        timestamp=timestamp,
    )
    position = None
    if booking.instrument_id is not None:
        position = Position.objects.filter(portfolio=portfolio, instrument_id=booking.instrument_id).first()
    check_against_book(booking, portfolio=portfolio, holding=holding_of(position))
