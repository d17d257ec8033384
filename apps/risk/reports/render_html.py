"""The report as one self-contained HTML file: per portfolio its tables and charts (PNG data URIs).
Every cell carries the exact value in `data-value` (the text is for people), and every row its
section and name, so a machine can read the figures back."""

from __future__ import annotations

import base64
import math

from django.template.loader import render_to_string

from apps.platform.charts import figure_png

from .charts import charts_all
from .data import RiskReportData
from .render_tables import cell
from .tables import KEYS, SECTIONS, report_tables

TITLES = {
    "summary": "Summary",
    "limits": "Limits and utilization",
    "breaches": "Open breaches",
    "var": "Value at Risk and Expected Shortfall",
    "components": "Component VaR (normal parametric, Euler)",
    "stress": "Stress tests",
    "stress_positions": "Stress P&L by position",
}
PCT_FIELDS = {
    "utilization",
    "breach_probability",
    "var_pct_nav",
    "es_pct_nav",
    "pnl_pct_nav",
    "weight",
    "component_share",
    "shock",
    "last_utilization",
    "peak_utilization",
    "confidence",
}


def display(field: str, value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if field in PCT_FIELDS:
        return f"{value:.2%}"
    if isinstance(value, int):
        return str(value)
    return f"{value:,.2f}"


def _rows(section: str, rows: list[dict]) -> tuple[list[str], list[dict]]:
    """A table's header and rows: each cell with its exact value (data-value) and its display text."""
    if not rows:
        return [], []
    keys = KEYS[section]
    header = [h for h in rows[0] if h != "portfolio"]
    out = []
    for row in rows:
        cells = [
            {
                "kind": "num" if isinstance(row[h], int | float) else "text",
                "field": h,
                "value": cell(row[h]),
                "display": display(h, row[h]),
            }
            for h in header
        ]
        out.append({"name": "|".join(cell(row[k]) for k in keys[1:]) or row["portfolio"], "cells": cells})
    return header, out


def render_html(data: RiskReportData) -> bytes:
    """Rendered through templates/risk/report.html (Django escapes every value)."""
    tables = report_tables(data)
    portfolios = []
    for p in data.portfolios:
        sections = []
        for section in SECTIONS:
            header, rows = _rows(section, [r for r in tables[section] if r["portfolio"] == p.portfolio])
            sections.append({"key": section, "title": TITLES[section], "header": header, "rows": rows})
        charts = [
            {
                "name": name,
                "src": "data:image/png;base64," + base64.b64encode(figure_png(fig)).decode("ascii"),
            }
            for name, fig in charts_all(p)
        ]
        portfolios.append(
            {
                "code": p.portfolio,
                "currency": p.currency,
                "sections": sections,
                "errors": [{"key": k, "why": why} for k, why in p.errors.items()],
                "charts": charts,
            }
        )
    context = {
        "data": data,
        "confidence": f"{data.confidence:.2%}",
        "scenarios": ", ".join(data.scenarios) or "none",
        "portfolios": portfolios,
    }
    return render_to_string("risk/report.html", context).encode("utf-8")
