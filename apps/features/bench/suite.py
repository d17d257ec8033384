"""`python manage.py bench features`: the catalogue through the batched kernel next to a plain TA-Lib
loop (catalogue.py), then the store: the catalogue computed from stored bars and written, and the
incremental update after one new bar (store.py); the point-in-time join (historical.py); online reads (online.py)."""

from __future__ import annotations

from .catalogue import FULL, QUICK
from .catalogue import measure as catalogue_measure
from .historical import measure as historical_measure
from .online import measure as online_measure
from .store import measure as store_measure


def run(*, quick: bool = False, progress: bool = True, **params) -> dict:
    sizes = {**(QUICK if quick else FULL), **{k: int(v) for k, v in params.items() if k in FULL}}
    figures, notes, panel, baseline_s = catalogue_measure(sizes=sizes, progress=progress)
    store_figures, store_notes = store_measure(panel, baseline_s=baseline_s, progress=progress)
    historical_figures = historical_measure(quick=quick, progress=progress)
    online_figures = online_measure(quick=quick, progress=progress)
    return {
        "engine": "features",
        "sizes": sizes,
        "notes": notes
        + store_notes
        + ["historical and online: see apps/features/bench/historical.py and online.py"],
        "figures": figures + store_figures + historical_figures + online_figures,
    }
