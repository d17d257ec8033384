"""Time-series storage by backend.

- PostgreSQL with the TimescaleDB extension available: bars, quotes and trades become hypertables
  (partitioned by `ts`) with compression after 30 days (segmented by instrument).
- Plain PostgreSQL: a BRIN index on `ts` (tiny, and right for append-mostly time columns).
- SQLite: nothing more; the primary keys already index (instrument, ..., ts).
"""

from django.db import migrations

HYPERTABLES = {
    "marketdata_bar": "instrument_id, interval",
    "marketdata_quote": "instrument_id",
    "marketdata_trade": "instrument_id",
}


def _timescale_available(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    return cursor.fetchone() is not None


def forwards(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        if _timescale_available(cursor):
            cursor.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
            for table, segment_by in HYPERTABLES.items():
                cursor.execute(
                    f"SELECT create_hypertable('{table}', 'ts', migrate_data => true, if_not_exists => true)"
                )
                cursor.execute(
                    f"ALTER TABLE {table} SET (timescaledb.compress, "
                    f"timescaledb.compress_segmentby = '{segment_by}')"
                )
                cursor.execute(f"SELECT add_compression_policy('{table}', INTERVAL '30 days', if_not_exists => true)")
        else:
            for table in HYPERTABLES:
                cursor.execute(f"CREATE INDEX IF NOT EXISTS {table}_ts_brin ON {table} USING brin (ts)")


def backwards(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        for table in HYPERTABLES:
            cursor.execute(f"DROP INDEX IF EXISTS {table}_ts_brin")


class Migration(migrations.Migration):
    dependencies = [("marketdata", "0002_timeseries")]
    operations = [migrations.RunPython(forwards, backwards)]
