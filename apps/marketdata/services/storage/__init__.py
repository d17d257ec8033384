"""Bulk writes of market-data frames: idempotent upserts keyed by each table's natural primary key
(upserts.py; the write paths in postgres.py and sqlite.py, the table specs in tables.py)."""

from .upserts import (
    bars_bulk_create,
    bars_upsert,
    fundamentals_upsert,
    fx_upsert,
    observations_upsert,
    quotes_upsert,
    trades_upsert,
)

__all__ = [
    "bars_bulk_create",
    "bars_upsert",
    "fundamentals_upsert",
    "fx_upsert",
    "observations_upsert",
    "quotes_upsert",
    "trades_upsert",
]
