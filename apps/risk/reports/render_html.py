"""The report as one self-contained HTML file: per portfolio its tables and charts (PNG data URIs).
Every cell carries the exact value in `data-value` (the text is for people), and every row its
section and name, so a machine can read the figures back."""

from __future__ import annotations

import base64
import math
from html import escape

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
STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f0f0f0; }
td.text { text-align: left; }
img { max-width: 100%; display: block; margin: 1em 0; }
.missing { color: #a00; }
"""


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


def _table(section: str, rows: list[dict]) -> str:
    if not rows:
        return "<p>None.</p>"
    keys = KEYS[section]
    header = [h for h in rows[0] if h != "portfolio"]
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    out = [f'<table data-section="{section}"><tr>{head}</tr>']
    for row in rows:
        name = "|".join(cell(row[k]) for k in keys[1:]) or row["portfolio"]
        cells = "".join(
            '<td class="{}" data-field="{}" data-value="{}">{}</td>'.format(
                "num" if isinstance(row[h], int | float) else "text",
                escape(h),
                escape(cell(row[h])),
                escape(display(h, row[h])),
            )
            for h in header
        )
        out.append(
            f'<tr data-section="{section}" data-portfolio="{escape(row["portfolio"])}" '
            f'data-name="{escape(name)}">{cells}</tr>'
        )
    out.append("</table>")
    return "".join(out)


def render_html(data: RiskReportData) -> bytes:
    tables = report_tables(data)
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Risk report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Risk report</h1>",
        f"<p>Generated {escape(data.generated_at)} · confidence {data.confidence:.2%} · "
        f"scenarios: {escape(', '.join(data.scenarios) or 'none')}</p>",
    ]
    for p in data.portfolios:
        parts.append(
            f'<section id="portfolio-{escape(p.portfolio)}"><h2>{escape(p.portfolio)} ({escape(p.currency)})</h2>'
        )
        for section in SECTIONS:
            rows = [r for r in tables[section] if r["portfolio"] == p.portfolio]
            parts.append(f"<h3>{TITLES[section]}</h3>{_table(section, rows)}")
        for key, why in p.errors.items():
            parts.append(f'<p class="missing">{escape(key)}: {escape(why)}</p>')
        for name, fig in charts_all(p):
            src = "data:image/png;base64," + base64.b64encode(figure_png(fig)).decode("ascii")
            parts.append(f'<img id="chart-{escape(p.portfolio)}-{name}" alt="{name}" src="{src}">')
        parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts).encode("utf-8")
