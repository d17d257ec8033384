"""The tear sheet's charts as matplotlib Figures, drawn without pyplot.

Figures are built on the object API with an Agg canvas: no global pyplot state, so concurrent
worker threads and a headless server never touch a display backend.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from apps.platform.charts import figure

from .data import ReportData

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def chart_equity(data: ReportData) -> Figure:
    fig, ax = figure("Equity curve (growth of 1)")
    s = data.series
    ax.plot(s.index, s["wealth"], label=data.portfolio)
    if "benchmark_returns" in s:
        ax.plot(s.index, (1.0 + s["benchmark_returns"].fillna(0.0)).cumprod(), label=data.benchmark)
    ax.legend(loc="best")
    fig.autofmt_xdate()
    return fig


def chart_drawdown(data: ReportData) -> Figure:
    fig, ax = figure("Drawdown")
    s = data.series
    ax.fill_between(s.index, s["drawdown"].to_numpy(), 0.0, color="tab:red", alpha=0.4)
    fig.autofmt_xdate()
    return fig


def chart_monthly_heatmap(data: ReportData) -> Figure:
    table = data.monthly
    fig, ax = figure("Monthly returns", size=(10, max(2.0, 0.4 * len(table) + 1.5)))
    ax.grid(False)
    values = table[list(range(1, 13))].to_numpy(dtype=float) if len(table) else np.zeros((0, 12))
    limit = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
    ax.imshow(values, cmap="RdYlGn", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(12), MONTHS)
    ax.set_yticks(range(len(table)), [str(y) for y in table.index])
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.1%}", ha="center", va="center", fontsize=7)
    return fig


def chart_rolling(data: ReportData, column: str, title: str) -> Figure:
    fig, ax = figure(f"{title} ({data.performance['window']} periods)")
    ax.plot(data.series.index, data.series[column])
    fig.autofmt_xdate()
    return fig


def charts_all(data: ReportData) -> list[tuple[str, Figure]]:
    """(name, figure) of every chart the data supports, in tear-sheet order."""
    charts = [
        ("equity", chart_equity(data)),
        ("drawdown", chart_drawdown(data)),
        ("monthly_returns", chart_monthly_heatmap(data)),
        ("rolling_sharpe", chart_rolling(data, "rolling_sharpe", "Rolling Sharpe")),
    ]
    if "rolling_beta" in data.series:
        charts.append(("rolling_beta", chart_rolling(data, "rolling_beta", "Rolling beta")))
    return charts
