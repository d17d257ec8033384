"""Rows of the book of record that no booking could write today, found (services/book_check.py
repairs them).

Bookings are checked on the way in (services/validation.py), but older rows, other writers or a looser
column can hold values the reads choke on: a decimal beyond its model field's digits (SQLite stores
NUMERIC as a float and rounds 20 nines up to 1e20; a PostgreSQL `numeric` without precision takes
anything), a timestamp outside API_TIMESTAMP_MIN..MAX (year 1 breaks every return series). One
such row made the portfolio detail, the portfolio list and the transaction list answer 500.

The search reads only primary keys through the ORM (a bad decimal never meets Django's converter)
and the offending values as text through SQL. The repair deletes the bad transactions (they are
printed first, so they can be booked again correctly), drops the bad derived rows (positions, cash)
and rebuilds positions and cash of every portfolio touched from the transactions that remain.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, models
from django.db.models import Q

from ..models import Portfolio, Position, Transaction


@dataclass(frozen=True)
class BadRow:
    model: str  # "transaction", "position", "portfolio"
    pk: int
    portfolio_id: int
    field: str
    value: str  # as the database holds it, as text
    reason: str


def _decimal_fields(model) -> list[models.DecimalField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.DecimalField)]


def _too_large(field: models.DecimalField) -> Q:
    limit = Decimal(10) ** (field.max_digits - field.decimal_places)
    return Q(**{f"{field.name}__gte": limit}) | Q(**{f"{field.name}__lte": -limit})


def _as_text(model, pk: int, field) -> str:
    names = (model._meta.db_table, field.column, model._meta.pk.column)
    table, column, key = (connection.ops.quote_name(n) for n in names)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT CAST({column} AS TEXT) FROM {table} WHERE {key} = %s", [pk])
        row = cursor.fetchone()
    return "" if row is None or row[0] is None else str(row[0])


def _portfolio_of(model, pk: int) -> int:
    return pk if model is Portfolio else model.objects.filter(pk=pk).values_list("portfolio_id", flat=True)[0]


def book_problems() -> list[BadRow]:
    """Every row of the book whose values exceed their column or the API's timestamp range."""
    found: list[BadRow] = []
    for model, label in ((Transaction, "transaction"), (Position, "position"), (Portfolio, "portfolio")):
        for field in _decimal_fields(model):
            digits = field.max_digits - field.decimal_places
            for pk in model.objects.filter(_too_large(field)).values_list("pk", flat=True).order_by("pk"):
                found.append(
                    BadRow(
                        label,
                        pk,
                        _portfolio_of(model, pk),
                        field.name,
                        _as_text(model, pk, field),
                        f"more than {digits} digits before the decimal point",
                    )
                )
    low, high = settings.API_TIMESTAMP_MIN, settings.API_TIMESTAMP_MAX
    outside = Q(timestamp__lt=low) | Q(timestamp__gt=high)
    for pk, pid in Transaction.objects.filter(outside).values_list("pk", "portfolio_id").order_by("pk"):
        value = _as_text(Transaction, pk, Transaction._meta.get_field("timestamp"))
        found.append(
            BadRow("transaction", pk, pid, "timestamp", value, f"outside {low:%Y-%m-%d} .. {high:%Y-%m-%d}")
        )
    return found
