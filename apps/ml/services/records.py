"""Recording price predictions and filling their outcomes.

`records_write`: one bulk INSERT per request of the served (and shadow) predictions; a failure is
logged and counted (RECORD_FAILURES, on /metrics), never raised: the prediction was made and is
answered whatever happens to its record.

`outcomes_fill`: the realized forward return of every open record whose horizon has passed, from the
market-data facade's adjusted closes at the record's interval: with p the adjusted close of the last
bar at or before the record's bar ts (row t of the symbol's panel), realized = p[t + h] / p[t] - 1
and realized_at = the timestamp of row t + h. Records whose row t + h has not arrived stay open. One
UPDATE from an unnest of arrays, only of rows still open, so running it twice changes nothing.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from django.db import connection, transaction
from prometheus_client import Counter

from apps.marketdata import facade as marketdata

from ..models import PredictionRecord

log = logging.getLogger("apps.ml.services")

RECORD_FAILURES = Counter(
    "nautilus_ml_prediction_record_failures_total",
    "Price predictions answered whose record could not be written.",
)
_UPDATE = """
UPDATE ml_prediction_record AS r
SET realized_return = v.realized, realized_at = v.at
FROM unnest(%s::bigint[], %s::double precision[], %s::timestamptz[]) AS v(id, realized, at)
WHERE r.id = v.id AND r.realized_at IS NULL
"""


def records_write(records: list[PredictionRecord]) -> int:
    """Insert the records in one statement; how many were written (0 on a failure, logged and
    counted)."""
    if not records:
        return 0
    try:
        with transaction.atomic():
            PredictionRecord.objects.bulk_create(records)
        return len(records)
    except Exception:  # the prediction is answered regardless
        RECORD_FAILURES.inc()
        log.exception("could not record %d prediction(s)", len(records))
        return 0


def _forward(prices: pd.Series, bar_ts: np.ndarray, horizon: np.ndarray):
    """(realized, realized_at, ok) of records at `bar_ts` (datetime64[ns] UTC) with `horizon` bars."""
    prices = prices.dropna()
    index = prices.index.as_unit("ns").asi8
    values = prices.to_numpy(dtype=float)
    t = np.searchsorted(index, bar_ts.astype("datetime64[ns]").astype(np.int64), side="right") - 1
    end = t + horizon
    ok = (t >= 0) & (end < len(values))
    realized = np.full(len(t), np.nan)
    at = np.zeros(len(t), dtype=np.int64)
    realized[ok] = values[end[ok]] / values[t[ok]] - 1.0
    at[ok] = index[end[ok]]
    return realized, at, ok & np.isfinite(realized)


@transaction.atomic
def outcomes_fill(*, symbols: list[str] | None = None) -> int:
    """Fill the outcomes now known of open records (of `symbols`, or all); how many were filled."""
    open_records = PredictionRecord.objects.filter(realized_at__isnull=True)
    if symbols is not None:
        open_records = open_records.filter(symbol__in=[s.upper() for s in symbols])
    rows = pd.DataFrame.from_records(
        open_records.values_list("id", "symbol", "bar_ts", "interval", "horizon"),
        columns=["id", "symbol", "bar_ts", "interval", "horizon"],
    )
    if rows.empty:
        return 0
    ids, realized, at = [], [], []
    for interval, group in rows.groupby("interval"):
        start = group["bar_ts"].min()
        panel = marketdata.price_panel(
            list(group["symbol"].unique()), start=start, interval=interval, field="close", adjusted=True
        )
        for symbol, part in group.groupby("symbol"):
            if symbol not in panel:
                continue
            bar_ts = pd.DatetimeIndex(part["bar_ts"]).tz_convert("UTC").as_unit("ns").tz_localize(None)
            r, t, ok = _forward(panel[symbol], bar_ts.to_numpy(), part["horizon"].to_numpy())
            ids.append(part["id"].to_numpy()[ok])
            realized.append(r[ok])
            at.append(t[ok])
    if not ids or not sum(len(i) for i in ids):
        return 0
    stamps = pd.to_datetime(np.concatenate(at), utc=True).to_pydatetime().tolist()
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE, [np.concatenate(ids).tolist(), np.concatenate(realized).tolist(), stamps])
        return cursor.rowcount


def predictions_record(*, routed, result, shadows=()) -> int:
    """Record a request's predictions (the served rows, and each shadow arm's scores of them) in one
    INSERT; rows without a symbol or without a bar cannot be scored later and are not recorded."""
    served = routed.served
    test = routed.test
    arms = {a.position: a for a in test.arms} if test is not None else {}
    rows = [
        i for i, (s, t) in enumerate(zip(result.symbols, routed.bar_ts, strict=True)) if s and t is not None
    ]
    common = {"model_id": served.model_id, "request_key": routed.key, "interval": result.interval}
    common["horizon"] = test.horizon if test is not None else result.horizon

    def build(version_id, position, role, predicted, lower, upper, values):
        arm = arms.get(position)
        return [
            PredictionRecord(
                **common,
                version_id=version_id,
                test_id=test.test_id if arm is not None else None,
                arm_id=arm.pk if arm is not None else None,
                role=role,
                symbol=result.symbols[i],
                bar_ts=routed.bar_ts[i],
                predicted_return=float(predicted[i]),
                lower_return=float(lower[i]),
                upper_return=float(upper[i]),
                features=values[i].tolist(),
            )
            for i in rows
        ]

    role = "plain" if test is None else "served"
    records = build(
        served.version_id,
        routed.position,
        role,
        result.predicted_return,
        result.lower_return,
        result.upper_return,
        result.values,
    )
    for s in shadows:
        records += build(s.version_id, s.position, "shadow", s.predicted, s.lower, s.upper, s.values)
    return records_write(records)
