"""The bars' version token (apps.platform.versions), one per instrument: replaced after every commit
that writes bars of the instrument, at any interval (a daily history can be resampled from finer
bars), so a reader that keeps an instrument's history in memory (the risk engine's book cache) reads
it again only when a bar was written or corrected, not on a timer.

`bars_upsert` is the one writer (feeds, uploads, the demo and benches go through it). A write that
bypasses it (raw SQL, the ORM's bulk_create) sends no bump: readers also bound an entry's age."""

from __future__ import annotations

from collections.abc import Iterable

from apps.platform.versions import version_bump_on_commit


def bars_version_name(instrument_id: int) -> str:
    return f"marketdata.bars.{int(instrument_id)}"


def bars_changed_on_commit(instrument_ids: Iterable[int]) -> None:
    for instrument_id in instrument_ids:
        version_bump_on_commit(bars_version_name(instrument_id))
