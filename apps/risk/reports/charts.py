"""The report's charts per portfolio as matplotlib Figures on an Agg canvas (no pyplot state, so
worker threads and a headless server never touch a display backend)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from apps.platform.charts import figure

from .data import PortfolioRisk

STATUS_COLORS = {"ok": "tab:green", "warn": "tab:orange", "breach": "tab:red", "no_data": "tab:gray"}
CHART_NAMES = ("utilization", "pnl_distribution", "stress")


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="gray")
    ax.set_xticks([])
    ax.set_yticks([])


def chart_utilization(p: PortfolioRisk) -> Figure:
    """Utilization (value / breach level) of every limit, coloured by status; the breach level at 1."""
    limits = p.limits
    fig, ax = figure(f"{p.portfolio}: limit utilization", size=(10, max(3.0, 0.35 * len(limits) + 1.5)))
    if not limits:
        _empty(ax, "no limits apply to this portfolio")
        return fig
    labels = [f"{x['limit_type']} ({x['scope_value'] or x['scope']})" for x in limits]
    util = [(x["after"] or {}).get("utilization") for x in limits]
    colors = [STATUS_COLORS.get((x["after"] or {}).get("status"), "tab:gray") for x in limits]
    ax.barh(range(len(limits)), [u if u is not None else 0.0 for u in util], color=colors)
    ax.set_yticks(range(len(limits)), labels, fontsize=8)
    ax.axvline(1.0, color="tab:red", linestyle="--", linewidth=1, label="breach level")
    ax.invert_yaxis()
    ax.set_xlabel("utilization (value / breach threshold)")
    ax.legend(loc="lower right")
    return fig


def chart_pnl_distribution(p: PortfolioRisk) -> Figure:
    """Histogram of the holdings-based daily P&L with the historical VaR and ES as losses."""
    fig, ax = figure(f"{p.portfolio}: daily P&L distribution ({p.currency})")
    pnl = p.pnl.to_numpy(dtype=float) if len(p.pnl) else np.zeros(0)
    if not len(pnl):
        _empty(ax, "no price history")
        return fig
    ax.hist(pnl, bins=min(50, max(10, len(pnl) // 5)), color="tab:blue", alpha=0.7)
    hist = p.var.get("historical")
    if hist and hist["var"] is not None:
        c = hist["confidence"]
        ax.axvline(-hist["var"], color="tab:orange", linewidth=2, label=f"VaR {c:.1%}: {hist['var']:,.0f}")
        if hist["es"] is not None:
            ax.axvline(-hist["es"], color="tab:red", linewidth=2, label=f"ES {c:.1%}: {hist['es']:,.0f}")
        ax.legend(loc="upper left")
    ax.set_xlabel(f"one-day P&L ({p.currency})")
    return fig


def chart_stress(p: PortfolioRisk) -> Figure:
    results = (p.stress or {}).get("results", [])
    fig, ax = figure(
        f"{p.portfolio}: stress P&L ({p.currency})", size=(10, max(3.0, 0.4 * len(results) + 1.5))
    )
    if not results:
        _empty(ax, "no stress scenario")
        return fig
    pnl = [r["pnl"] for r in results]
    ax.barh(range(len(results)), pnl, color=["tab:red" if v < 0 else "tab:green" for v in pnl])
    ax.set_yticks(range(len(results)), [r["scenario"]["name"] for r in results], fontsize=8)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_xlabel(f"P&L ({p.currency})")
    return fig


def charts_all(p: PortfolioRisk) -> list[tuple[str, Figure]]:
    return [
        ("utilization", chart_utilization(p)),
        ("pnl_distribution", chart_pnl_distribution(p)),
        ("stress", chart_stress(p)),
    ]
