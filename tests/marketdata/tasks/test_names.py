"""The tasks package registers every market-data task under the name it had as a flat tasks.py
module: messages already queued and jobs recorded by name keep running."""

from __future__ import annotations

from nautilus.celery import app

NAMES = {
    "apps.marketdata.tasks.ping",
    "apps.marketdata.tasks.bars_upload",
    "apps.marketdata.tasks.series_upload",
    "apps.marketdata.tasks.fundamentals_upload",
    "apps.marketdata.tasks.fx_upload",
}


def test_autodiscovery_registers_every_task_under_its_old_name():
    app.loader.import_default_modules()
    registered = {name for name in app.tasks if name.startswith("apps.marketdata.")}
    assert registered == NAMES
