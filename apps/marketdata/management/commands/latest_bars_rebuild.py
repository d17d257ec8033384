"""`manage.py latest_bars_rebuild`: rebuild the latest bar table from the bar table.

The triggers of migration marketdata 0006 keep `marketdata_latestbar` right for every writer; only
writes that bypass triggers leave it stale (a `pg_restore --disable-triggers`, a session with
`session_replication_role = replica`, triggers disabled by hand). This recomputes every row in one
transaction, so readers see the old table or the new one, never a half-built one."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from apps.marketdata.models import Bar, LatestBar
from apps.marketdata.selectors import latest as selectors

# Every instrument with bars, by a skip scan of the bar table's primary key (one index descent per
# instrument, not a read of every bar), recomputed by the migration's own function.
_REBUILD = f"""
DELETE FROM {LatestBar._meta.db_table};
SELECT marketdata_latestbar_recompute(ARRAY(
    WITH RECURSIVE ids(id) AS (
        (SELECT instrument_id FROM {Bar._meta.db_table} ORDER BY instrument_id LIMIT 1)
        UNION ALL
        SELECT (SELECT instrument_id FROM {Bar._meta.db_table} WHERE instrument_id > ids.id
                ORDER BY instrument_id LIMIT 1)
        FROM ids WHERE ids.id IS NOT NULL
    )
    SELECT id FROM ids WHERE id IS NOT NULL
));
"""


class Command(BaseCommand):
    help = "Rebuild the latest-bar-per-instrument table from the stored bars (after writes that bypassed triggers)."

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The latest bar table is kept on PostgreSQL only; here reads use the bars.")
        selectors.latest_bar_table_forget()
        if not selectors.latest_bar_table_kept():
            raise CommandError(
                "The latest bar triggers are not installed (a TimescaleDB hypertable, or dropped by hand): "
                "reads use the bar table; run `migrate marketdata` to install them."
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_REBUILD)
        self.stdout.write(f"latest bars rebuilt: {LatestBar.objects.count():,} instruments")
