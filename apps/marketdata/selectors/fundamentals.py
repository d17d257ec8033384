"""Point-in-time fundamentals."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from django.db import connection

from ..models import Fundamental
from .rows import utc_column


def fundamentals_as_of(*, ids: dict[str, int], fields: Sequence[str], as_of: pd.Timestamp) -> pd.DataFrame:
    """Per (symbol, field) the figure for the latest period reported by `as_of`, in its latest
    version reported by then: a restatement published after `as_of` is invisible. Columns
    symbol, field, period, period_end, reported_at, value."""
    columns = ["instrument_id", "field", "period", "period_end", "reported_at", "value"]
    qs = Fundamental.objects.filter(
        instrument_id__in=list(ids.values()), field__in=list(fields), reported_at__lte=as_of.to_pydatetime()
    ).order_by("instrument_id", "field", "-period_end", "-reported_at")
    if connection.vendor == "postgresql":
        qs = qs.distinct("instrument_id", "field")  # only the first row of each group travels
    frame = pd.DataFrame.from_records(list(qs.values_list(*columns)), columns=columns)
    frame = frame.drop_duplicates(["instrument_id", "field"], keep="first")
    symbol_of = {pk: s for s, pk in ids.items()}
    frame.insert(0, "symbol", frame.pop("instrument_id").map(symbol_of))
    if not frame.empty:
        frame["reported_at"] = utc_column(frame["reported_at"])
    return frame.reset_index(drop=True)


def fundamentals_history(
    *, ids: dict[str, int], fields: Sequence[str], until: pd.Timestamp | None
) -> pd.DataFrame:
    """Every figure of these instruments' fields reported at or before `until` (None: all of them),
    every restatement included as its own row: what a reader replaying time needs to apply the
    `fundamentals_as_of` rule at many instants from one query. Columns symbol, field, period,
    period_end, reported_at (UTC), value; ordered by instrument, field, reported_at, period_end."""
    columns = ["instrument_id", "field", "period", "period_end", "reported_at", "value"]
    qs = Fundamental.objects.filter(instrument_id__in=list(ids.values()), field__in=list(fields))
    if until is not None:
        qs = qs.filter(reported_at__lte=until.to_pydatetime())
    qs = qs.order_by("instrument_id", "field", "reported_at", "period_end")
    frame = pd.DataFrame.from_records(list(qs.values_list(*columns)), columns=columns)
    symbol_of = {pk: s for s, pk in ids.items()}
    frame.insert(0, "symbol", frame.pop("instrument_id").map(symbol_of))
    if frame.empty:  # typed all the same, so a caller's comparisons with instants still work
        frame["reported_at"] = frame["reported_at"].astype("datetime64[ns, UTC]")
    else:
        frame["reported_at"] = utc_column(frame["reported_at"])
    frame["value"] = frame["value"].astype(float)
    return frame.reset_index(drop=True)
