"""This engine's part of `manage.py load_demo`: a handful of factor definitions to list, calculate
and analyse, and the library's sets (Alpha158, the 101 alphas that read only fields the platform has)
as definitions named "alpha158.KMID", "alpha101.alpha001"... Idempotent: `definition_save` keeps the
version of an unchanged formula."""

from __future__ import annotations

from django.core.management.base import OutputWrapper

from .services.definitions import definition_save, library_install

# name, formula, library, description
DEFINITIONS = (
    ("demo.mom_20", "$close/Ref($close, 20) - 1", "", "20-day momentum"),
    ("demo.ma_ratio_20", "Mean($close, 20)/$close", "", "20-day moving average over the close"),
    ("demo.vol_20", "Std($close/Ref($close, 1) - 1, 20)", "", "20-day volatility of daily returns"),
    ("demo.corr_close_volume_20", "Corr($close, Log($volume+1), 20)", "", "price-volume correlation"),
    ("demo.rsv_20", "($close-Min($low, 20))/(Max($high, 20)-Min($low, 20)+1e-12)", "", "place in the range"),
    ("demo.reversal_5_ranked", "cs_rank(-1 * ($close/Ref($close, 5) - 1))", "", "5-day reversal, ranked"),
    ("demo.sector_neutral_mom", "cs_neutralize($close/Ref($close, 20) - 1, $sector)", "", "sector-neutral"),
)


def seed(*, stdout: OutputWrapper | None = None) -> None:
    """Idempotent; called by load_demo in registry order (after marketdata)."""
    saved = [
        definition_save(name=name, formula=formula, library=library, description=description)
        for name, formula, library, description in DEFINITIONS
    ]
    installed = {library: library_install(library) for library in ("alpha158", "alpha101")}
    if stdout is not None:
        stdout.write(f"factors: {len(saved)} demo factor definitions ({', '.join(d.label for d in saved)})")
        for library, (done, skipped) in installed.items():
            why = (
                f"; skipped {len(skipped)} reading fields the platform lacks ({', '.join(skipped)})"
                if skipped
                else ""
            )
            stdout.write(f"factors: {len(done)} {library} definitions{why}")
