"""The tear sheet as a PDF: a metrics page, then one page per chart (matplotlib's PdfPages)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from .charts import charts_all
from .data import ReportData
from .render_html import metric_display


def _metrics_page(data: ReportData) -> Figure:
    fig = Figure(figsize=(8.27, 11.69))  # A4 portrait
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.axis("off")
    ax.set_title(
        f"Tear sheet: {data.portfolio}\n{data.start[:10]} to {data.end[:10]} · {data.annualization}",
        fontsize=11,
    )
    rows = [[k, metric_display(k, v)] for k, v in data.metrics.items()]
    table = ax.table(cellText=rows, colLabels=["metric", "value"], loc="upper center", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    return fig


def page_count(data: ReportData) -> int:
    """Pages render_pdf writes for this data: the metrics page plus one per chart."""
    return 1 + len(charts_all(data))


def render_pdf(data: ReportData) -> bytes:
    buf = io.BytesIO()
    with PdfPages(buf) as pdf:
        pdf.savefig(_metrics_page(data))
        for _name, fig in charts_all(data):
            pdf.savefig(fig, bbox_inches="tight")
    return buf.getvalue()
