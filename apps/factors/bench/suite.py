"""`python manage.py bench factors`: correlation of many factor series (correlation.py), the formula
mix evaluated in memory next to pandas (evaluation.py), the cheapest formula next to a bare numpy
division (ceiling.py), the mix over stored bars (stored.py), the whole Alpha158 set and screening
throughput (library.py).
Sizes: FULL by default, QUICK with --quick, any of them with --set (e.g. --set eval_instruments=100)."""

from __future__ import annotations

from . import ceiling, correlation, evaluation, library, stored


def run(*, quick: bool = False, progress: bool = True, **params) -> dict:
    full = {**correlation.FULL, **evaluation.FULL, **library.FULL}
    sizes = {**({**correlation.QUICK, **evaluation.QUICK, **library.QUICK} if quick else full)}
    sizes.update({k: int(v) for k, v in params.items() if k in full})
    corr_figures, corr_notes = correlation.measure(sizes, progress)
    eval_figures, eval_notes, panels = evaluation.measure(sizes, progress)
    pandas_per_s = next(f["baseline"] for f in eval_figures if f["name"] == "formulas_per_s[cold]")
    stored_figures, stored_notes = stored.measure(
        panels, pandas_per_s=pandas_per_s, repeats=sizes["eval_repeats"], progress=progress
    )
    floor_figures, floor_notes = ceiling.measure(panels, repeats=sizes["eval_repeats"])
    library_figures, library_notes = library.measure(sizes, progress)
    return {
        "engine": "factors",
        "sizes": sizes,
        "notes": corr_notes + eval_notes + floor_notes + stored_notes + library_notes,
        "figures": corr_figures + eval_figures + floor_figures + stored_figures + library_figures,
    }
