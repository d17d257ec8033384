"""The tear sheet as one self-contained HTML file: charts embedded as PNG data URIs."""

from __future__ import annotations

import base64
import math

from django.template.loader import render_to_string

from apps.platform.charts import figure_png

from .charts import charts_all
from .data import DATE_FIELDS, ReportData
from .render_tables import attribution_frame, brinson_frame, brinson_title

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# Counts and ratios that read better as plain numbers than as percentages.
PLAIN = {
    "sharpe",
    "sortino",
    "calmar",
    "omega",
    "skew",
    "kurtosis",
    "beta",
    "correlation",
    "information_ratio",
}


def metric_display(name: str, value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if name in DATE_FIELDS:
        return str(value)[:10]
    if isinstance(value, int) or name.endswith(("_periods", "_days")):
        return str(value)
    if name in PLAIN or name.endswith(("_capture",)):
        return f"{value:.3f}"
    return f"{value:.2%}"


def _raw(value) -> str:
    # repr keeps every digit of a float, so the value round-trips exactly.
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _cells(frame, text_columns: tuple[str, ...]) -> list[dict]:
    """Rows of a table: text columns as they are, figures as percentages with the exact value kept
    in data-value (NaN/None shown as a dash)."""
    rows = []
    for record in frame.to_dict("records"):
        row = {"text": [record[c] for c in text_columns], "figures": []}
        for c in frame.columns:
            if c in text_columns:
                continue
            v = record[c]
            v = None if v is None or (isinstance(v, float) and not math.isfinite(v)) else float(v)
            row["figures"].append({"name": c, "display": metric_display(c, v), "raw": _raw(v)})
        rows.append(row)
    return rows


def render_html(data: ReportData) -> bytes:
    charts = [{"name": name, "src": _data_uri(figure_png(fig))} for name, fig in charts_all(data)]
    metrics = [
        # data-value keeps the exact figure for machines; the cell text is for people.
        {"name": k, "display": metric_display(k, v), "raw": _raw(v)}
        for k, v in data.metrics.items()
    ]
    monthly = [
        {
            "year": year,
            "cells": [metric_display("m", row.get(m)) for m in range(1, 13)],
            "total": metric_display("y", row.get("year")),
        }
        for year, row in ((y, r.to_dict()) for y, r in data.monthly.iterrows())
    ]
    attribution = attribution_frame(data)
    brinson = brinson_frame(data)
    context = {
        "data": data,
        "charts": charts,
        "metrics": metrics,
        "monthly": monthly,
        "months": MONTHS,
        "attribution_columns": list(attribution.columns),
        "attribution": _cells(attribution, ("level", "name", "sector")),
        "brinson_columns": list(brinson.columns),
        "brinson": _cells(brinson, ("sector",)),
        "brinson_title": brinson_title(data),
    }
    return render_to_string("analytics/tearsheet.html", context).encode("utf-8")
