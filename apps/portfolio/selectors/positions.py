"""Reads of open positions."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from ..models import Portfolio, Position


def positions_of(portfolio: Portfolio) -> QuerySet[Position]:
    return (
        Position.objects.filter(portfolio=portfolio)
        .select_related("instrument")
        .order_by("instrument__symbol")
    )


POSITION_COLUMNS = (
    "instrument_id",
    "instrument__symbol",
    "instrument__name",
    "quantity",
    "average_cost",
    "updated_at",
)


def position_rows(portfolio_id: int) -> list[tuple]:
    """The open positions as plain tuples of POSITION_COLUMNS, by symbol: one joined query and no
    model instances (the book read of a 500-position portfolio spent most of its time building them)."""
    return list(
        Position.objects.filter(portfolio_id=portfolio_id)
        .order_by("instrument__symbol")
        .values_list(*POSITION_COLUMNS)
    )


# PostgreSQL writes each column as the API does (api/serializers/positions.py: PositionSerializer),
# so the rows go out as they come in, with no Decimal, datetime or field object per value:
# - numeric(28, 10)::text has exactly the column's 10 places, as DecimalField's quantize + "f";
# - cost value: quantity x average cost is exact in numeric; rounded to 8 places half-even as
#   Decimal.quantize does (round() goes half away from zero: a tie to an even digit truncates),
#   and a negative product that rounds to zero keeps Decimal's sign ("-0.00000000");
# - updated_at in UTC as DRF writes it: ISO 8601, microseconds only when there are some, "Z".
_TEXT_ROWS = """
SELECT p.instrument_id, i.symbol, i.name, p.quantity::text, p.average_cost::text,
       CASE WHEN r.v = 0 AND x.v < 0 THEN '-' || r.v::text ELSE r.v::text END,
       to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
         || CASE WHEN date_trunc('second', p.updated_at) <> p.updated_at
                 THEN to_char(p.updated_at AT TIME ZONE 'UTC', '.US') ELSE '' END
         || 'Z'
FROM {position} p
JOIN {instrument} i ON i.id = p.instrument_id
CROSS JOIN LATERAL (SELECT p.quantity * p.average_cost AS v) x
CROSS JOIN LATERAL (
    SELECT CASE WHEN abs(x.v * 100000000 - trunc(x.v * 100000000)) = 0.5
                     AND mod(trunc(x.v * 100000000), 2) = 0
                THEN trunc(x.v, 8) ELSE round(x.v, 8) END AS v
) r
WHERE p.portfolio_id = %s
ORDER BY i.symbol
"""


def position_text_rows(portfolio_id: int) -> list[tuple] | None:
    """The open positions by symbol as (instrument_id, symbol, name, quantity, average_cost,
    cost_value, updated_at), every value but the id already the text the API answers; None where
    PostgreSQL does not write them (another database, or a current time zone other than UTC, in
    which DRF writes timestamps with their offset): position_rows is the way there."""
    if connection.vendor != "postgresql" or timezone.get_current_timezone_name() != "UTC":
        return None
    sql = _TEXT_ROWS.format(
        position=Position._meta.db_table,
        instrument=Position._meta.get_field("instrument").related_model._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [portfolio_id])
        return cursor.fetchall()
