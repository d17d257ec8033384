"""The report as a PDF (matplotlib's PdfPages): per portfolio a page of its key tables (summary,
VaR/ES by method, the limits, stress totals), then its three charts."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from .charts import charts_all
from .data import PortfolioRisk, RiskReportData
from .render_html import display
from .tables import report_tables

PAGE_TABLES = (
    ("var", ("method", "var", "es", "var_pct_nav", "es_pct_nav")),
    ("limits", ("limit_type", "scope_value", "value", "utilization", "status")),
    ("breaches", ("limit_type", "status", "level", "last_value", "last_utilization")),
    ("stress", ("scenario", "pnl", "pnl_pct_nav")),
)


def _tables_page(p: PortfolioRisk, tables: dict, data: RiskReportData) -> Figure:
    fig = Figure(figsize=(8.27, 11.69))  # A4 portrait
    FigureCanvasAgg(fig)
    fig.suptitle(
        f"Risk report: {p.portfolio} ({p.currency})\nNAV {display('nav', p.nav)} · "
        f"confidence {data.confidence:.2%} · {data.generated_at[:19]}",
        fontsize=11,
    )
    for k, (section, columns) in enumerate(PAGE_TABLES):
        ax = fig.add_subplot(len(PAGE_TABLES), 1, k + 1)
        ax.axis("off")
        ax.set_title(section, fontsize=9, loc="left")
        rows = [r for r in tables[section] if r["portfolio"] == p.portfolio][:20]
        if not rows:
            ax.text(0, 0.5, "none", fontsize=8)
            continue
        cells = [[display(c, r.get(c)) for c in columns] for r in rows]
        table = ax.table(cellText=cells, colLabels=list(columns), loc="upper center", cellLoc="right")
        table.auto_set_font_size(False)
        table.set_fontsize(7)
    return fig


def page_count(data: RiskReportData) -> int:
    """Pages render_pdf writes: one tables page plus one per chart, per portfolio."""
    return sum(1 + len(charts_all(p)) for p in data.portfolios)


def render_pdf(data: RiskReportData) -> bytes:
    tables = report_tables(data)
    buf = io.BytesIO()
    with PdfPages(buf) as pdf:
        for p in data.portfolios:
            pdf.savefig(_tables_page(p, tables, data))
            for _name, fig in charts_all(p):
                pdf.savefig(fig, bbox_inches="tight")
    return buf.getvalue()
