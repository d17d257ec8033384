"""The latest bar per instrument (`marketdata_latestbar`), kept by statement-level triggers on
`marketdata_bar` with transition tables, so every writer keeps it honest: storage's COPY (which fires
AFTER INSERT statement triggers with the copied rows) and its INSERT ... ON CONFLICT DO UPDATE (which
fires both the INSERT trigger, seeing the inserted rows, and the UPDATE trigger, seeing the updated
ones), the ORM, other processes, cleanups.

- AFTER INSERT: for each (instrument, interval) pair among the inserted rows, the latest bar the bar
  table now holds at that pair (one index probe); per instrument the best of those is upserted,
  replacing the stored row only when it starts later, or at the same start at an equal-or-finer
  interval. The stored row was the latest before the statement, so the merge is the latest after it.
  Rows go in instrument order: one lock order for concurrent writers.
- AFTER UPDATE / AFTER DELETE: recompute exactly, from `marketdata_bar`, the latest row of every
  instrument the statement touched (old and new instrument of an update): drop the row, re-insert
  what the bar table now says (one index probe per interval); no bars left, no row.
- AFTER TRUNCATE: empty the table.
PostgreSQL refuses transition tables on a trigger with more than one event: hence one trigger each.

Why the INSERT trigger probes the bar table instead of sorting the inserted rows (DISTINCT ON over the
transition table): on the marketdata bench's 500k-bar load the sort took ~0.5 s and the load rate
fell 23 %; hashing the distinct (instrument, interval) pairs and one probe per pair costs ~0.1-0.2 s
(-9 %).

PostgreSQL only; nothing on SQLite. TimescaleDB hypertables (0003) do not support transition tables:
there the triggers and the backfill are skipped and the selectors keep reading the bar table.

The tie order of intervals is frozen here (finest first, as selectors.INTERVALS_FINEST_FIRST):
a new interval needs a migration that redefines marketdata_interval_rank.
"""

import django.db.models.deletion
from django.db import migrations, models

INTERVALS_FINEST_FIRST = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1mo")
_RANKS = "'{" + ",".join(INTERVALS_FINEST_FIRST) + "}'::varchar[]"

CREATE_SQL = f"""
CREATE OR REPLACE FUNCTION marketdata_interval_rank(iv varchar) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT array_position({_RANKS}, iv) $$;

-- Upsert, per instrument, the latest bar stored at any of the given (instrument, interval) pairs
-- (parallel arrays). A later start wins; at the same start the finer interval, and an equal one
-- replaces the stored row so a revised close of the current latest bar lands.
CREATE OR REPLACE FUNCTION marketdata_latestbar_refresh(ids bigint[], intervals varchar[]) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO marketdata_latestbar AS l (instrument_id, interval, ts, close)
    SELECT DISTINCT ON (p.id) p.id, b.interval, b.ts, b.close
    FROM unnest(ids, intervals) AS p(id, iv)
    CROSS JOIN LATERAL (
        SELECT interval, ts, close FROM marketdata_bar
        WHERE instrument_id = p.id AND interval = p.iv
        ORDER BY ts DESC LIMIT 1
    ) AS b
    ORDER BY p.id, b.ts DESC, marketdata_interval_rank(b.interval)
    ON CONFLICT (instrument_id) DO UPDATE
        SET interval = EXCLUDED.interval, ts = EXCLUDED.ts, close = EXCLUDED.close
        WHERE EXCLUDED.ts > l.ts
           OR (EXCLUDED.ts = l.ts
               AND marketdata_interval_rank(EXCLUDED.interval) <= marketdata_interval_rank(l.interval));
END
$$;

-- Exactly what the bar table says for these instruments, whatever the table held before.
CREATE OR REPLACE FUNCTION marketdata_latestbar_recompute(ids bigint[]) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM marketdata_latestbar WHERE instrument_id = ANY(ids);
    PERFORM marketdata_latestbar_refresh(array_agg(p.id), array_agg(iv.name))
    FROM unnest(ids) AS p(id) CROSS JOIN unnest({_RANKS}) AS iv(name);
END
$$;

CREATE OR REPLACE FUNCTION marketdata_latestbar_after_insert() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM marketdata_latestbar_refresh(array_agg(instrument_id), array_agg(interval))
    FROM (SELECT DISTINCT instrument_id, interval FROM new_bars) AS pairs;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION marketdata_latestbar_after_update() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM marketdata_latestbar_recompute(ARRAY(
        SELECT instrument_id FROM old_bars UNION SELECT instrument_id FROM new_bars ORDER BY 1
    ));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION marketdata_latestbar_after_delete() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM marketdata_latestbar_recompute(ARRAY(SELECT DISTINCT instrument_id FROM old_bars ORDER BY 1));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION marketdata_latestbar_after_truncate() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM marketdata_latestbar;
    RETURN NULL;
END
$$;

CREATE TRIGGER marketdata_latestbar_insert AFTER INSERT ON marketdata_bar
    REFERENCING NEW TABLE AS new_bars
    FOR EACH STATEMENT EXECUTE FUNCTION marketdata_latestbar_after_insert();
CREATE TRIGGER marketdata_latestbar_update AFTER UPDATE ON marketdata_bar
    REFERENCING OLD TABLE AS old_bars NEW TABLE AS new_bars
    FOR EACH STATEMENT EXECUTE FUNCTION marketdata_latestbar_after_update();
CREATE TRIGGER marketdata_latestbar_delete AFTER DELETE ON marketdata_bar
    REFERENCING OLD TABLE AS old_bars
    FOR EACH STATEMENT EXECUTE FUNCTION marketdata_latestbar_after_delete();
CREATE TRIGGER marketdata_latestbar_truncate AFTER TRUNCATE ON marketdata_bar
    FOR EACH STATEMENT EXECUTE FUNCTION marketdata_latestbar_after_truncate();
"""

# The backfill: every instrument with bars, found by a skip scan of the primary key (one index
# descent per instrument instead of reading every bar).
BACKFILL_SQL = """
SELECT marketdata_latestbar_recompute(ARRAY(
    WITH RECURSIVE ids(id) AS (
        (SELECT instrument_id FROM marketdata_bar ORDER BY instrument_id LIMIT 1)
        UNION ALL
        SELECT (SELECT instrument_id FROM marketdata_bar WHERE instrument_id > ids.id
                ORDER BY instrument_id LIMIT 1)
        FROM ids WHERE ids.id IS NOT NULL
    )
    SELECT id FROM ids WHERE id IS NOT NULL
));
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS marketdata_latestbar_insert ON marketdata_bar;
DROP TRIGGER IF EXISTS marketdata_latestbar_update ON marketdata_bar;
DROP TRIGGER IF EXISTS marketdata_latestbar_delete ON marketdata_bar;
DROP TRIGGER IF EXISTS marketdata_latestbar_truncate ON marketdata_bar;
DROP FUNCTION IF EXISTS marketdata_latestbar_after_insert();
DROP FUNCTION IF EXISTS marketdata_latestbar_after_update();
DROP FUNCTION IF EXISTS marketdata_latestbar_after_delete();
DROP FUNCTION IF EXISTS marketdata_latestbar_after_truncate();
DROP FUNCTION IF EXISTS marketdata_latestbar_recompute(bigint[]);
DROP FUNCTION IF EXISTS marketdata_latestbar_refresh(bigint[], varchar[]);
DROP FUNCTION IF EXISTS marketdata_interval_rank(varchar);
"""


def _bars_are_hypertable(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
    if cursor.fetchone() is None:
        return False
    cursor.execute(
        "SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'marketdata_bar'"
    )
    return cursor.fetchone() is not None


def forwards(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        if _bars_are_hypertable(cursor):
            return
        cursor.execute(CREATE_SQL)
        cursor.execute(BACKFILL_SQL)


def backwards(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        cursor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("marketdata", "0005_tick_instrument_without_db_constraint"),
    ]

    operations = [
        migrations.CreateModel(
            name="LatestBar",
            fields=[
                (
                    "instrument",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="marketdata.instrument",
                    ),
                ),
                (
                    "interval",
                    models.CharField(
                        choices=[
                            ("1m", "1m"),
                            ("5m", "5m"),
                            ("15m", "15m"),
                            ("30m", "30m"),
                            ("1h", "1h"),
                            ("4h", "4h"),
                            ("1d", "1d"),
                            ("1w", "1w"),
                            ("1mo", "1mo"),
                        ],
                        max_length=4,
                    ),
                ),
                ("ts", models.DateTimeField(help_text="Start of the bar, UTC.")),
                ("close", models.FloatField()),
            ],
            options={
                "db_table": "marketdata_latestbar",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
