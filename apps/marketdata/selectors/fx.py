"""FX rates as stored, with their inverse."""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.db.models import OuterRef, Q, Subquery

from ..kernels.times import utc
from ..models import FxRate
from .rows import raw


def fx_latest_both(
    *, base: str, quote: str, at: pd.Timestamp
) -> tuple[tuple[pd.Timestamp, float] | None, tuple[pd.Timestamp, float] | None]:
    """The latest stored (ts, rate) at or before `at` of the pair base/quote as stored and of its
    inverse quote/base (None where there is none), in one round trip (four index probes)."""
    table = FxRate._meta.db_table
    probe = (
        f"(SELECT {{col}} FROM {table} WHERE base = %s AND quote = %s AND ts <= %s ORDER BY ts DESC LIMIT 1)"
    )
    sql = "SELECT " + ", ".join([probe.format(col="ts"), probe.format(col="rate")] * 2)
    when = at.to_pydatetime()
    row = raw(sql, [base, quote, when] * 2 + [quote, base, when] * 2)[0]
    direct = None if row[0] is None else (utc(row[0]), float(row[1]))
    inverse = None if row[2] is None else (utc(row[2]), float(row[3]))
    return direct, inverse


def fx_history(pairs: set[tuple[str, str]], first: pd.Timestamp, last: pd.Timestamp) -> dict:
    """{(base, quote): (ts_ns ascending, rates)} of the stored pairs: every rate in [first, last]
    plus, per pair, the latest one at or before `first` (what the earliest stamp needs). One query:
    a correlated subquery finds each pair's seed row, so no history older than that is read."""
    wanted = Q()
    for b, q in sorted(pairs):
        wanted |= Q(base=b, quote=q)
    seed = (
        FxRate.objects.filter(base=OuterRef("base"), quote=OuterRef("quote"), ts__lte=first.to_pydatetime())
        .order_by("-ts")
        .values("ts")[:1]
    )
    rows = list(
        FxRate.objects.filter(wanted)
        .filter(Q(ts__gte=first.to_pydatetime(), ts__lte=last.to_pydatetime()) | Q(ts=Subquery(seed)))
        .order_by("base", "quote", "ts")
        .values_list("base", "quote", "ts", "rate")
    )
    frame = pd.DataFrame(rows, columns=["base", "quote", "ts", "rate"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return {
        (b, q): (pd.DatetimeIndex(g["ts"]).as_unit("ns").asi8, g["rate"].to_numpy(dtype=np.float64))
        for (b, q), g in frame.groupby(["base", "quote"], sort=False)
    }
