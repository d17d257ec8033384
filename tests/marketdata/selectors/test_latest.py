"""The latest bar table (`marketdata_latestbar`), kept by migration 0006's triggers on
`marketdata_bar`, against an independent reference: pandas over every stored bar (latest start; on
a tie the shorter interval by `interval_seconds`). Every writer is exercised: ORM create /
bulk_create / queryset update / delete, storage.bars_upsert's direct COPY and staging + ON CONFLICT
paths, TRUNCATE, and a randomized mix. PostgreSQL only: on SQLite there are no triggers."""

from __future__ import annotations

import datetime as dt
import importlib
import io

import numpy as np
import pandas as pd
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from apps.marketdata.models import Bar, LatestBar, interval_seconds
from apps.marketdata.selectors import latest as selectors
from apps.marketdata.services import storage

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the latest bar triggers are PostgreSQL only"
    ),
]

MIGRATION = importlib.import_module("apps.marketdata.migrations.0006_latest_bar")
DAY = dt.timedelta(days=1)
T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


def flat_bar(instrument_id: int, interval: str, ts: dt.datetime, close: float) -> dict:
    """A bar's fields with open = high = low = close (valid under the bar constraints)."""
    return {"instrument_id": instrument_id, "interval": interval, "ts": ts, "open": close, "high": close,
            "low": close, "close": close}  # fmt: skip


def make_bar(instrument_id: int, interval: str, ts: dt.datetime, close: float) -> Bar:
    return Bar(**flat_bar(instrument_id, interval, ts, close))


def bars_frame(instrument_id: int, start: dt.datetime, n: int, close0: float = 100.0) -> pd.DataFrame:
    close = close0 + np.arange(n, dtype=float)
    return pd.DataFrame(
        {
            "instrument_id": instrument_id,
            "ts": pd.date_range(start, periods=n, freq="D"),
            "open": close,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "volume": 1000.0,
        }
    )


def reference() -> dict[int, tuple[str, dt.datetime, float]]:
    """Per instrument its latest bar, from every stored bar."""
    rows = list(Bar.objects.values_list("instrument_id", "interval", "ts", "close"))
    if not rows:
        return {}
    frame = pd.DataFrame(rows, columns=["instrument_id", "interval", "ts", "close"])
    frame["length"] = frame["interval"].map(interval_seconds)
    frame = frame.sort_values(["instrument_id", "ts", "length"], ascending=[True, False, True])
    latest = frame.drop_duplicates("instrument_id")
    return {int(r.instrument_id): (r.interval, r.ts, r.close) for r in latest.itertuples()}


def table() -> dict[int, tuple[str, dt.datetime, float]]:
    return {r.instrument_id: (r.interval, r.ts, r.close) for r in LatestBar.objects.all()}


def assert_table_is_reference() -> None:
    assert table() == reference()


@pytest.fixture
def ids(instruments) -> list[int]:
    return [instruments[s].pk for s in ("AAPL", "MSFT", "JPM", "SAP")]


@pytest.fixture
def fallback():
    """The read path without the table: the triggers dropped inside the test's transaction (rolled
    back after it) and the per-process caches forgotten, before and after."""

    def drop() -> None:
        with connection.cursor() as cursor:
            for name in selectors.LATEST_BAR_TRIGGERS:
                cursor.execute(f"DROP TRIGGER {name} ON marketdata_bar")
        selectors.latest_bar_table_forget()
        selectors._known_intervals.clear()

    selectors.latest_bar_table_forget()
    yield drop
    selectors.latest_bar_table_forget()
    selectors._known_intervals.clear()


# --- each writer ---------------------------------------------------------------------------------


def test_orm_create_sets_the_row_and_a_later_bar_replaces_it(ids):
    a = ids[0]
    Bar.objects.create(**flat_bar(a, "1d", T0, 10.0))
    assert table() == {a: ("1d", T0, 10.0)}
    Bar.objects.create(**flat_bar(a, "1d", T0 - DAY, 9.0))  # earlier: no change
    assert table() == {a: ("1d", T0, 10.0)}
    Bar.objects.create(**flat_bar(a, "1h", T0 + DAY, 11.0))
    assert table() == {a: ("1h", T0 + DAY, 11.0)}
    assert_table_is_reference()


def test_bulk_create_many_instruments_in_one_statement(ids):
    Bar.objects.bulk_create(
        [
            make_bar(i, iv, T0 + k * DAY, float(10 * n + k))
            for n, i in enumerate(ids)
            for iv in ("1d", "1h")
            for k in range(5)
        ]
    )
    assert len(table()) == len(ids)
    assert_table_is_reference()
    # ON CONFLICT DO UPDATE through the ORM (storage's baseline path) revises the latest close.
    frame = bars_frame(ids[0], T0 + 4 * DAY, 1, close0=77.0)
    storage.bars_bulk_create(frame, interval="1h")
    assert table()[ids[0]] == ("1h", T0 + 4 * DAY, 77.0)
    assert_table_is_reference()


def test_queryset_update_of_close_is_seen_as_a_revised_close(ids):
    a = ids[0]
    Bar.objects.bulk_create([make_bar(a, "1d", T0 + k * DAY, 10.0 + k) for k in range(3)])
    Bar.objects.filter(instrument_id=a, ts=T0 + 2 * DAY).update(close=5.0, low=5.0)
    assert table() == {a: ("1d", T0 + 2 * DAY, 5.0)}
    assert_table_is_reference()


def test_queryset_update_of_ts_moves_the_latest_either_way(ids):
    a = ids[0]
    Bar.objects.bulk_create([make_bar(a, "1d", T0 + k * DAY, 10.0 + k) for k in range(3)])
    # The latest bar moved back in time: the one before it becomes the latest.
    Bar.objects.filter(instrument_id=a, ts=T0 + 2 * DAY).update(ts=T0 - DAY)
    assert table() == {a: ("1d", T0 + DAY, 11.0)}
    # An old bar moved past every other: it becomes the latest.
    Bar.objects.filter(instrument_id=a, ts=T0).update(ts=T0 + 10 * DAY)
    assert table() == {a: ("1d", T0 + 10 * DAY, 10.0)}
    assert_table_is_reference()


def test_queryset_update_of_instrument_recomputes_old_and_new(ids):
    a, b = ids[:2]
    Bar.objects.bulk_create([make_bar(a, "1d", T0 + k * DAY, 10.0 + k) for k in range(3)])
    Bar.objects.bulk_create([make_bar(b, "1d", T0 - 5 * DAY, 1.0)])
    Bar.objects.filter(instrument_id=a, ts__gte=T0 + DAY).update(instrument_id=b)
    assert table() == {a: ("1d", T0, 10.0), b: ("1d", T0 + 2 * DAY, 12.0)}
    assert_table_is_reference()


def test_deleting_the_latest_bar_falls_back_and_deleting_all_removes_the_row(ids):
    a, b = ids[:2]
    Bar.objects.bulk_create([make_bar(i, "1d", T0 + k * DAY, 10.0 + k) for i in (a, b) for k in range(3)])
    Bar.objects.filter(instrument_id=a, ts=T0 + 2 * DAY).delete()
    assert table()[a] == ("1d", T0 + DAY, 11.0)
    Bar.objects.filter(instrument_id=a).delete()
    assert a not in table() and b in table()
    assert_table_is_reference()


def test_bars_upsert_direct_copy_path(ids, django_assert_max_num_queries):
    frame = pd.concat([bars_frame(i, T0, 30, close0=10.0 * n) for n, i in enumerate(ids)])
    with django_assert_max_num_queries(10) as ctx:
        storage.bars_upsert(frame, interval="1d")
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "stage_marketdata_bar" not in sql and "ON CONFLICT" not in sql  # COPY straight in (raw cursor)
    assert table()[ids[1]] == ("1d", T0 + 29 * DAY, 39.0)
    assert_table_is_reference()


def test_bars_upsert_staging_path_revises_and_extends(ids, django_assert_max_num_queries):
    a, b = ids[:2]
    storage.bars_upsert(pd.concat([bars_frame(a, T0, 10), bars_frame(b, T0, 10)]), interval="1d")
    # Overlaps what is stored: staged, INSERT ... ON CONFLICT DO UPDATE. For `a` only updates (the
    # UPDATE trigger), for `b` updates and new later rows (both triggers).
    frame = pd.concat(
        [bars_frame(a, T0 + 5 * DAY, 5, close0=500.0), bars_frame(b, T0 + 5 * DAY, 10, close0=700.0)]
    )
    with django_assert_max_num_queries(10) as ctx:
        storage.bars_upsert(frame, interval="1d")
    assert "ON CONFLICT" in " ".join(q["sql"] for q in ctx.captured_queries)
    assert table() == {a: ("1d", T0 + 9 * DAY, 504.0), b: ("1d", T0 + 14 * DAY, 709.0)}
    assert_table_is_reference()


def test_truncate_empties_the_table(ids):
    Bar.objects.bulk_create([make_bar(i, "1d", T0, 1.0) for i in ids])
    assert len(table()) == len(ids)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE marketdata_bar")
    assert table() == {}
    Bar.objects.create(**flat_bar(ids[0], "1m", T0, 2.0))
    assert_table_is_reference()


def test_a_failed_statement_leaves_the_table_as_it_was(ids):
    a = ids[0]
    Bar.objects.bulk_create([make_bar(a, "1d", T0 + k * DAY, 10.0 + k) for k in range(3)])
    with pytest.raises(IntegrityError), transaction.atomic():
        # A later bar, then a duplicate key in the same statement: the whole statement fails.
        Bar.objects.bulk_create([make_bar(a, "1d", T0 + 9 * DAY, 99.0), make_bar(a, "1d", T0, 1.0)])
    assert table() == {a: ("1d", T0 + 2 * DAY, 12.0)}


# --- the pick --------------------------------------------------------------------------------------


def test_interval_tie_break_finer_wins_at_the_same_start_later_start_wins_otherwise(ids):
    a, b, c = ids[:3]
    # Same start, coarse first then fine (two statements), and fine first then coarse.
    Bar.objects.create(**flat_bar(a, "1d", T0, 1.0))
    Bar.objects.create(**flat_bar(a, "1m", T0, 2.0))
    Bar.objects.create(**flat_bar(b, "1m", T0, 3.0))
    Bar.objects.create(**flat_bar(b, "1d", T0, 4.0))
    # Both in one statement.
    Bar.objects.bulk_create(
        [make_bar(c, "1d", T0, 5.0), make_bar(c, "1m", T0, 6.0), make_bar(c, "1h", T0, 7.0)]
    )
    assert table() == {a: ("1m", T0, 2.0), b: ("1m", T0, 3.0), c: ("1m", T0, 6.0)}
    # A later daily bar beats an earlier minute bar.
    Bar.objects.create(**flat_bar(a, "1d", T0 + DAY, 8.0))
    assert table()[a] == ("1d", T0 + DAY, 8.0)
    # Deleting the fine bar at a tie hands the row to the coarser one at the same start.
    Bar.objects.filter(instrument_id=b, interval="1m").delete()
    assert table()[b] == ("1d", T0, 4.0)
    assert_table_is_reference()


def test_the_migration_ranks_intervals_as_the_selectors_do():
    assert list(MIGRATION.INTERVALS_FINEST_FIRST) == list(selectors.INTERVALS_FINEST_FIRST)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT iv FROM unnest(%s::varchar[]) AS iv ORDER BY marketdata_interval_rank(iv)",
            [list(reversed(selectors.INTERVALS_FINEST_FIRST))],
        )
        assert [r[0] for r in cursor.fetchall()] == list(selectors.INTERVALS_FINEST_FIRST)


def test_backfill_rebuilds_the_table_from_the_bars(ids):
    Bar.objects.bulk_create(
        [
            make_bar(i, iv, T0 + k * DAY, float(n + k))
            for n, i in enumerate(ids)
            for iv in ("1d", "5m")
            for k in range(4)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM marketdata_latestbar")
        cursor.execute(MIGRATION.BACKFILL_SQL)
    assert len(table()) == len(ids)
    assert_table_is_reference()


# --- randomized ----------------------------------------------------------------------------------


def test_random_writes_updates_and_deletes_keep_the_table_exact(ids):
    rng = np.random.default_rng(20241124)
    intervals = ["1m", "1h", "1d"]
    grid = [T0 + dt.timedelta(hours=6 * k) for k in range(24)]  # few slots: collisions and ties happen

    def pick_ids() -> list[int]:
        return [int(i) for i in rng.choice(ids, size=rng.integers(1, len(ids) + 1), replace=False)]

    def random_bars(n: int) -> list[Bar]:
        return [
            make_bar(
                int(rng.choice(ids)),
                str(rng.choice(intervals)),
                grid[rng.integers(len(grid))],
                float(rng.integers(1, 1000)),
            )
            for _ in range(n)
        ]

    def step() -> None:
        op = rng.integers(8)
        if op == 0:  # ORM bulk insert; duplicates of stored keys skipped (ON CONFLICT DO NOTHING)
            Bar.objects.bulk_create(random_bars(int(rng.integers(1, 6))), ignore_conflicts=True)
        elif op == 1:  # storage upsert: new rows and revisions of stored ones
            n = int(rng.integers(1, 6))
            frame = pd.DataFrame(
                {
                    "instrument_id": rng.choice(ids, n),
                    "ts": pd.DatetimeIndex([grid[k] for k in rng.integers(len(grid), size=n)]),
                    "close": rng.integers(1, 1000, n).astype(float),
                }
            ).assign(
                open=lambda f: f["close"], high=lambda f: f["close"], low=lambda f: f["close"], volume=0.0
            )
            storage.bars_upsert(frame, interval=str(rng.choice(intervals)))
        elif op == 2:  # revise closes of some bars (flat bars: open = high = low = close)
            price = float(rng.integers(1, 1000))
            Bar.objects.filter(instrument_id__in=pick_ids(), ts__gte=grid[rng.integers(len(grid))]).update(
                open=price, high=price, low=price, close=price
            )
        elif op == 3:  # move bars in time (may collide with a stored key: the statement then fails)
            shift = dt.timedelta(hours=6 * int(rng.integers(-3, 4)))
            try:
                with transaction.atomic():
                    Bar.objects.filter(
                        instrument_id__in=pick_ids(), interval=str(rng.choice(intervals))
                    ).update(ts=F("ts") + shift)
            except IntegrityError:
                pass
        elif op == 4:  # move bars to another instrument (may collide likewise)
            try:
                with transaction.atomic():
                    Bar.objects.filter(
                        instrument_id=int(rng.choice(ids)), ts__gte=grid[rng.integers(len(grid))]
                    ).update(instrument_id=int(rng.choice(ids)))
            except IntegrityError:
                pass
        elif op in (5, 6):  # delete some bars, often the latest ones
            Bar.objects.filter(instrument_id__in=pick_ids(), ts__gte=grid[rng.integers(len(grid))]).delete()
        else:  # delete an interval of one instrument outright
            Bar.objects.filter(
                instrument_id=int(rng.choice(ids)), interval=str(rng.choice(intervals))
            ).delete()

    Bar.objects.bulk_create(random_bars(40), ignore_conflicts=True)
    for _batch in range(40):
        for _ in range(10):
            step()
        assert_table_is_reference()
    assert Bar.objects.exists()  # the mix did not just empty the table


# --- the read ------------------------------------------------------------------------------------


def test_latest_bars_and_closes_answer_the_same_from_the_table_and_the_fallback(ids, fallback):
    a, b, c, bare = ids  # bare: no bars
    Bar.objects.bulk_create(
        [make_bar(a, "1d", T0 + k * DAY, 10.0 + k) for k in range(5)]
        + [make_bar(a, "1m", T0 + 4 * DAY, 99.0)]  # ties with a's latest daily bar: 1m wins
        + [make_bar(b, "1h", T0 + k * dt.timedelta(hours=1), 20.0 + k) for k in range(30)]
        + [make_bar(c, "1w", T0, 30.0)]
    )
    ask = [c, bare, a, b, a]
    assert selectors.latest_bar_table_kept()
    bars_table = selectors.latest_bars(ask)
    closes_table, ts_table = selectors.latest_closes(ask)

    fallback()
    assert not selectors.latest_bar_table_kept()
    bars_probe = selectors.latest_bars(ask)
    closes_probe, ts_probe = selectors.latest_closes(ask)

    pd.testing.assert_frame_equal(bars_table, bars_probe)
    np.testing.assert_array_equal(closes_table, closes_probe)
    pd.testing.assert_index_equal(ts_table, ts_probe)
    # And both against the reference.
    ref = reference()
    assert bars_table["instrument_id"].tolist() == [a, b, c]
    assert [(r.interval, r.ts.to_pydatetime(), r.close) for r in bars_table.itertuples()] == [
        ref[a],
        ref[b],
        ref[c],
    ]
    np.testing.assert_array_equal(closes_table, [30.0, np.nan, 99.0, 49.0, 99.0])
    assert ts_table[2] == pd.Timestamp(T0 + 4 * DAY) and pd.isna(ts_table[1])


def test_a_disabled_trigger_sends_reads_to_the_fallback(ids, fallback):
    assert selectors.latest_bar_table_kept()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE marketdata_bar DISABLE TRIGGER marketdata_latestbar_delete")
    selectors.latest_bar_table_forget()
    assert not selectors.latest_bar_table_kept()


def test_rebuild_command_repairs_a_table_written_around_the_triggers(ids):
    from django.core.management import call_command

    Bar.objects.bulk_create([make_bar(i, "1d", T0 + k * DAY, 10.0 + k) for i in ids for k in range(3)])
    with connection.cursor() as cursor:  # what a restore with --disable-triggers could leave
        cursor.execute("ALTER TABLE marketdata_bar DISABLE TRIGGER USER")
        Bar.objects.filter(instrument_id=ids[0], ts=T0 + 2 * DAY).delete()
        Bar.objects.create(**flat_bar(ids[1], "1h", T0 + 5 * DAY, 99.0))
        cursor.execute("ALTER TABLE marketdata_bar ENABLE TRIGGER USER")
        cursor.execute("INSERT INTO marketdata_latestbar VALUES (%s, '1d', %s, 1.0)", [ids[0] + 10_000, T0])
    assert table() != reference()
    out = io.StringIO()
    call_command("latest_bars_rebuild", stdout=out)
    assert_table_is_reference()
    assert table()[ids[0]] == ("1d", T0 + DAY, 11.0) and table()[ids[1]] == ("1h", T0 + 5 * DAY, 99.0)
    assert f"{len(ids):,} instruments" in out.getvalue()
