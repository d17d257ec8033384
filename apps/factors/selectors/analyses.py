"""Reads of stored factor analyses: one by id, the latest of each factor, and the JSON document the
API and the analysis job answer with."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from apps.platform.timestamps import iso_utc

from ..models import FactorAnalysis

HEADLINE = (
    "ic_mean",
    "rank_ic_mean",
    "icir",
    "t_stat",
    "p_value",
    "p_value_adjusted",
    "spread",
    "turnover",
    "decay_half_life",
)


def analysis_get(analysis_id: int) -> FactorAnalysis | None:
    return FactorAnalysis.objects.select_related("definition").filter(pk=analysis_id).first()


def analyses_latest(*, library: str | None = None) -> list[FactorAnalysis]:
    """The most recent analysis of each factor (by name, whichever version it analysed)."""
    latest = (
        FactorAnalysis.objects.filter(definition__name=OuterRef("definition__name"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    rows = FactorAnalysis.objects.select_related("definition").filter(pk=Subquery(latest))
    if library is not None:
        rows = rows.filter(definition__library=library)
    return list(rows.order_by("definition__name"))


def analysis_window(analysis: FactorAnalysis) -> dict:
    """Where a stored analysis's numbers come from: its universe and window."""
    return {
        "analysis_id": analysis.pk,
        "symbols": list(analysis.symbols),
        "universe": analysis.universe,
        "start": iso_utc(analysis.start),
        "end": iso_utc(analysis.end),
        "horizons": list(analysis.horizons),
        "quantiles": analysis.quantiles,
    }


def analysis_document(analysis: FactorAnalysis, *, with_results: bool = True) -> dict:
    d = analysis.definition
    doc = {
        "id": analysis.pk,
        "factor": {"id": d.pk, "name": d.name, "version": d.version, "label": d.label, "library": d.library},
        "digest": analysis.digest,
        **analysis_window(analysis),
        "data_fingerprint": analysis.data_fingerprint,
        **{name: getattr(analysis, name) for name in HEADLINE},
        "created_at": iso_utc(analysis.created_at),
    }
    del doc["analysis_id"]
    if with_results:
        doc["results"] = analysis.results
    return doc


def analyses_of(definition) -> list[FactorAnalysis]:
    """A definition's analyses, newest first."""
    return list(
        FactorAnalysis.objects.select_related("definition")
        .filter(definition=definition)
        .order_by("-created_at", "-pk")
    )
