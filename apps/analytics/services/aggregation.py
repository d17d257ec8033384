"""Snapshot aging: stored performance snapshots are rolled into coarser buckets as they age.

Rules (each applied in order on every run):

- minute → hour once the hour has been over for a day: a minute snapshot at `ts` is folded into the
  hour bucket `floor(ts, hour)` when that bucket ends at or before `now - 1 day`;
- hour → day once the day has been over for a month (30 days): an hour snapshot is folded into the
  UTC calendar day `floor(ts, day)` when that day ends at or before `now - 30 days`.

A coarse bucket takes the NAV of its last source snapshot (by `ts`), the sum of their P&L, and
their compounded return Π(1 + r) - 1; the source snapshots are deleted in the same transaction, so
the P&L and compounded return over any span are unchanged by aging. Only whole buckets are
aggregated (a bucket is never split between resolutions), and a run that finds nothing old enough
changes nothing: running it twice is running it once. A snapshot that arrives late, for a bucket
already aggregated, is folded into that bucket: its P&L added, its return compounded in; the
bucket keeps its NAV (the NAV at the bucket's close, taken when it was aggregated). Producers
record each span at one resolution: rows written directly at the coarse resolution are treated as
that bucket's earlier aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from ..models import PerformanceSnapshot, Resolution

# Portfolios per transaction: bounds memory and lock time on a large backlog of minute rows.
PORTFOLIO_CHUNK = 200


@dataclass(frozen=True)
class AgingRule:
    source: str
    target: str
    after: timedelta
    bucket: str  # pandas frequency of the target bucket
    size: timedelta

    @property
    def name(self) -> str:
        return f"{self.source}_to_{self.target}"


AGING_RULES: tuple[AgingRule, ...] = (
    AgingRule(Resolution.MINUTE, Resolution.HOUR, timedelta(days=1), "h", timedelta(hours=1)),
    AgingRule(Resolution.HOUR, Resolution.DAY, timedelta(days=30), "D", timedelta(days=1)),
)


def aging_cutoff(rule: AgingRule, now: datetime) -> datetime:
    """Source rows strictly before this time belong to buckets that ended at least `rule.after` ago."""
    return pd.Timestamp(now - rule.after).tz_convert("UTC").floor(rule.bucket).to_pydatetime()


def buckets_combine(frame: pd.DataFrame, bucket: str) -> pd.DataFrame:
    """Rows (portfolio_id, ts, nav, pnl, period_return) → one row per (portfolio_id, bucket):
    last NAV by ts, summed P&L (Decimals stay exact), compounded return."""
    df = frame.sort_values(["portfolio_id", "ts"], kind="stable").copy()
    df["bucket"] = pd.to_datetime(df["ts"], utc=True).dt.floor(bucket)
    df["log_growth"] = np.log1p(df["period_return"].astype(float))
    grouped = df.groupby(["portfolio_id", "bucket"], sort=True)
    out = pd.DataFrame(
        {
            "nav": grouped["nav"].last(),
            "pnl": grouped["pnl"].agg(lambda s: sum(s, Decimal(0))),
            "period_return": np.expm1(grouped["log_growth"].sum()),
            "rows": grouped.size(),
        }
    )
    return out.reset_index()


def snapshots_aggregate(*, now: datetime | None = None, portfolio_ids: list[int] | None = None) -> dict:
    """Apply every aging rule; returns per rule the source rows folded and the buckets written."""
    now = now or timezone.now()
    report: dict[str, dict[str, int]] = {}
    for rule in AGING_RULES:
        cutoff = aging_cutoff(rule, now)
        qs = PerformanceSnapshot.objects.filter(resolution=rule.source, ts__lt=cutoff)
        if portfolio_ids is not None:
            qs = qs.filter(portfolio_id__in=portfolio_ids)
        pids = sorted(set(qs.values_list("portfolio_id", flat=True)))
        totals = {"source_rows": 0, "buckets": 0}
        for i in range(0, len(pids), PORTFOLIO_CHUNK):
            rows, buckets = _rule_apply(rule=rule, cutoff=cutoff, portfolio_ids=pids[i : i + PORTFOLIO_CHUNK])
            totals["source_rows"] += rows
            totals["buckets"] += buckets
        report[rule.name] = totals
    return report


@transaction.atomic
def _rule_apply(*, rule: AgingRule, cutoff: datetime, portfolio_ids: list[int]) -> tuple[int, int]:
    # Locking the source rows makes a concurrent run wait, then skip what this one deleted: no
    # bucket is counted twice.
    source = list(
        PerformanceSnapshot.objects.select_for_update()
        .filter(resolution=rule.source, ts__lt=cutoff, portfolio_id__in=portfolio_ids)
        .values("id", "portfolio_id", "ts", "nav", "pnl", "period_return")
    )
    if not source:
        return 0, 0
    combined = buckets_combine(pd.DataFrame(source), rule.bucket)
    keys = [
        (int(p), b.to_pydatetime()) for p, b in zip(combined["portfolio_id"], combined["bucket"], strict=True)
    ]
    existing = {
        (s.portfolio_id, s.ts): s
        for s in PerformanceSnapshot.objects.select_for_update().filter(
            resolution=rule.target,
            portfolio_id__in=portfolio_ids,
            ts__in=sorted({ts for _, ts in keys}),
        )
    }
    create, update = [], []
    for (pid, ts), nav, pnl, ret in zip(
        keys, combined["nav"], combined["pnl"], combined["period_return"], strict=True
    ):
        old = existing.get((pid, ts))
        if old is None:
            create.append(
                PerformanceSnapshot(
                    portfolio_id=pid,
                    resolution=rule.target,
                    ts=ts,
                    nav=nav,
                    pnl=pnl,
                    period_return=float(ret),
                )
            )
        else:
            old.pnl = old.pnl + pnl
            old.period_return = float((1.0 + old.period_return) * (1.0 + ret) - 1.0)
            update.append(old)
    PerformanceSnapshot.objects.bulk_create(create, batch_size=1000)
    PerformanceSnapshot.objects.bulk_update(update, ["pnl", "period_return"], batch_size=1000)
    # By id, not by filter: a late row inserted since the select must wait for the next run.
    ids = [r["id"] for r in source]
    for i in range(0, len(ids), 10_000):
        PerformanceSnapshot.objects.filter(id__in=ids[i : i + 10_000]).delete()
    return len(source), len(keys)
