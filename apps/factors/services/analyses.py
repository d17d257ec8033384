"""Writes of factor analyses: `analysis_run` evaluates the factors of a request together, analyses
each one on alphalens's sample (kernels/analysis/report.py) and stores a FactorAnalysis per factor.

Reproducible: a row is keyed by the definition version, the universe (its instrument ids in
order), the window, the horizons, the quantiles and the fingerprint of the data the factor's
analysis read (its fields, the adjusted close, the sectors). A request whose key matches a stored
row gets that row back, not a duplicate (nor a recomputation).

Multiple testing: `p_value_adjusted` is Benjamini-Hochberg over the p-values (first horizon's rank
IC t-test) of all the factors of the run, stored on the rows the run creates; a row found stored
keeps the adjustment of the run that created it (its `results.family` names that run's factors).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.marketdata import facade as marketdata
from apps.platform.numbers import finite_or_none, json_safe
from apps.platform.timestamps import iso_utc

from ..kernels.analysis import benjamini_hochberg
from ..kernels.analysis.ic import ICSummary
from ..kernels.analysis.report import FactorReport, factor_report
from ..models import FactorAnalysis, FactorDefinition
from ..selectors.analysis_panels import AnalysisPanel, analysis_panel

MAX_HORIZON = 250
MAX_QUANTILES = 20
SAMPLE = (
    "alphalens's: cells with a finite factor, every horizon's forward return (adjusted close, "
    "within the window) and a quantile bucket; a date whose quantile edges are not unique is dropped"
)


def horizons_checked(horizons: Sequence[int]) -> list[int]:
    values = sorted({int(h) for h in horizons})
    if not values or values[0] < 1 or values[-1] > MAX_HORIZON:
        raise ValidationError({"horizons": [f"give horizons in bars between 1 and {MAX_HORIZON}"]})
    return values


def universe_key(symbols: Sequence[str]) -> str:
    """sha1 of the universe's instrument ids, in order."""
    infos = marketdata.instruments_by_symbols(symbols)
    return hashlib.sha1(",".join(str(infos[s].id) for s in symbols).encode()).hexdigest()


def _summary(s: ICSummary) -> dict:
    return {
        name: getattr(s, name).tolist()
        for name in (
            "mean",
            "std",
            "risk_adjusted",
            "t_stat",
            "p_value",
            "skew",
            "kurtosis",
            "hit_rate",
            "n_dates",
        )
    }


def _mean(values: np.ndarray) -> np.ndarray:
    present = ~np.isnan(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present, values, 0.0).sum(axis=-1) / present.sum(axis=-1)


def analysis_results(report: FactorReport, panel: AnalysisPanel, family: Sequence[str]) -> dict:
    """Everything of one factor's report as JSON-safe data (NaN -> null)."""
    return json_safe(
        {
            "sample": SAMPLE,
            "cells": int(report.kept.sum()),
            "interval": panel.interval,
            "dates": [iso_utc(d) for d in panel.dates],
            "horizons": list(report.horizons),
            "ic": _summary(report.ic_summary),
            "rank_ic": _summary(report.rank_ic_summary),
            "quantile_mean": report.quantile_mean.tolist(),
            "spread_mean": _mean(report.spread_by_date).tolist(),
            "turnover_top_mean": _mean(report.turnover_top).tolist(),
            "turnover_bottom_mean": _mean(report.turnover_bottom).tolist(),
            "rank_autocorrelation_mean": _mean(report.rank_autocorrelation).tolist(),
            "decay": {
                "horizons": list(report.decay_horizons),
                "rank_ic_mean": report.decay.tolist(),
                "half_life": float(report.half_life),
            },
            "by_sector": {
                "sectors": [panel.sector_names[g] for g in report.group_labels],
                "rank_ic_mean": _mean(report.group_rank_ic).tolist(),
                "n_dates": (~np.isnan(report.group_rank_ic)).sum(axis=-1).tolist(),
            },
            "series": {
                "ic": report.ic.tolist(),
                "rank_ic": report.rank_ic.tolist(),
                "spread": report.spread_by_date.tolist(),
                "turnover_top": report.turnover_top.tolist(),
                "turnover_bottom": report.turnover_bottom.tolist(),
                "rank_autocorrelation": report.rank_autocorrelation.tolist(),
            },
            "family": list(family),
        }
    )


def _headline(report: FactorReport) -> dict:
    """The first horizon's numbers, as the model's columns (the rank IC's test: alphalens's IC)."""
    rank = report.rank_ic_summary
    return {
        "ic_mean": finite_or_none(report.ic_summary.mean[0]),
        "rank_ic_mean": finite_or_none(rank.mean[0]),
        "icir": finite_or_none(rank.risk_adjusted[0]),
        "t_stat": finite_or_none(rank.t_stat[0]),
        "p_value": finite_or_none(rank.p_value[0]),
        "spread": finite_or_none(_mean(report.spread_by_date[0])),
        "turnover": finite_or_none(_mean(report.turnover_top[0])),
        "decay_half_life": finite_or_none(report.half_life),
    }


def analysis_run(
    *,
    definitions: Sequence[FactorDefinition],
    symbols: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    horizons: Sequence[int] = (1, 5, 10),
    quantiles: int = 5,
    user=None,
) -> list[FactorAnalysis]:
    """Analyse `definitions` over `symbols` (resolved, upper case) in [start, end); one stored
    FactorAnalysis per definition, in order. Raises ValidationError keyed by field."""
    horizons = horizons_checked(horizons)
    if not 2 <= int(quantiles) <= MAX_QUANTILES:
        raise ValidationError({"quantiles": [f"give 2 to {MAX_QUANTILES} quantiles"]})
    quantiles = int(quantiles)
    panel = analysis_panel(definitions, symbols=symbols, start=start, end=end)
    key = {
        "universe": universe_key(panel.symbols),
        "start": start.to_pydatetime(),
        "end": end.to_pydatetime(),
        "horizons": horizons,
        "quantiles": quantiles,
    }
    family = [d.label for d in panel.definitions]
    stored: dict[int, FactorAnalysis] = {}
    reports: dict[int, FactorReport] = {}
    forward = None  # the close's forward returns, computed once for every factor that needs a report
    for k, d in enumerate(panel.definitions):  # K factors; each analysis is vectorized over (T, N)
        found = FactorAnalysis.objects.filter(
            definition=d, data_fingerprint=panel.fingerprints[k], **key
        ).first()
        if found is not None:
            stored[k] = found
        else:
            forward = forward if forward is not None else panel.forward(max(horizons))
            reports[k] = factor_report(
                panel.factors[k],
                panel.close,
                horizons=horizons,
                quantiles=quantiles,
                groups=panel.sectors,
                forward=forward,
            )
    p_values = np.array(
        [
            np.nan
            if (p := stored[k].p_value if k in stored else _headline(reports[k])["p_value"]) is None
            else p
            for k in range(len(panel.definitions))
        ]
    )
    adjusted = benjamini_hochberg(p_values)
    with transaction.atomic():
        for k, report in reports.items():
            d = panel.definitions[k]
            stored[k], _ = FactorAnalysis.objects.get_or_create(
                definition=d,
                data_fingerprint=panel.fingerprints[k],
                **key,
                defaults={
                    "digest": d.digest,
                    "symbols": list(panel.symbols),
                    **_headline(report),
                    "p_value_adjusted": finite_or_none(adjusted[k]),
                    "results": analysis_results(report, panel, family),
                    "created_by": user if getattr(user, "is_authenticated", False) else None,
                },
            )
    return [stored[k] for k in range(len(panel.definitions))]
