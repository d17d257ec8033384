"""The tear sheet as a PDF: a metrics page, an attribution page, then one page per chart
(matplotlib's PdfPages)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from .charts import charts_all
from .data import ReportData
from .render_html import metric_display
from .render_tables import attribution_frame, brinson_frame, brinson_title

# Securities listed on the attribution page (largest absolute contributions first); every sector is.
PDF_SECURITY_ROWS = 40


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


def _table(ax, frame, text_columns) -> None:
    rows = [
        [str(r[c]) if c in text_columns else metric_display(c, r[c]) for c in frame.columns]
        for r in frame.to_dict("records")
    ]
    table = ax.table(
        cellText=rows or [["–"] * len(frame.columns)], colLabels=list(frame.columns), loc="upper center"
    )
    table.auto_set_font_size(False)
    table.set_fontsize(6)


def _attribution_page(data: ReportData) -> Figure:
    fig = Figure(figsize=(8.27, 11.69))
    FigureCanvasAgg(fig)
    frame = attribution_frame(data)
    sectors = frame[frame["level"] == "sector"]
    securities = frame[frame["level"] == "security"]
    top = securities.reindex(securities["return_contribution"].abs().sort_values(ascending=False).index)
    shown = [(sectors, "Contribution by sector"), (top.head(PDF_SECURITY_ROWS), "Contribution by security")]
    brinson = brinson_frame(data)
    if len(brinson):
        shown.append((brinson, brinson_title(data)))
    for i, (part, title) in enumerate(shown):
        ax = fig.add_subplot(len(shown), 1, i + 1)
        ax.axis("off")
        ax.set_title(title, fontsize=9)
        _table(ax, part, ("level", "name", "sector"))
    return fig


def page_count(data: ReportData) -> int:
    """Pages render_pdf writes for this data: the metrics and attribution pages plus one per chart."""
    return 2 + len(charts_all(data))


def render_pdf(data: ReportData) -> bytes:
    buf = io.BytesIO()
    with PdfPages(buf) as pdf:
        pdf.savefig(_metrics_page(data))
        pdf.savefig(_attribution_page(data))
        for _name, fig in charts_all(data):
            pdf.savefig(fig, bbox_inches="tight")
    return buf.getvalue()
