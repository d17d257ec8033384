"""The tear sheet as one self-contained HTML file: charts embedded as PNG data URIs."""

from __future__ import annotations

import base64
import math

from django.template.loader import render_to_string

from .charts import charts_all, figure_png
from .data import DATE_FIELDS, ReportData

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
    context = {"data": data, "charts": charts, "metrics": metrics, "monthly": monthly, "months": MONTHS}
    return render_to_string("analytics/tearsheet.html", context).encode("utf-8")
