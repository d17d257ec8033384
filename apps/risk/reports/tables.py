"""The report's figures as flat tables (one list of row dicts per section), the shape every renderer
but JSON starts from. Each row names its portfolio; `KEYS` says which columns identify a row."""

from __future__ import annotations

from .data import PortfolioRisk, RiskReportData

SECTIONS = ("summary", "limits", "breaches", "var", "components", "stress", "stress_positions")
# Columns that identify a row of each section (the CSV's `name`); the others are its fields.
KEYS = {
    "summary": ("portfolio",),
    "limits": ("portfolio", "limit_id"),
    "breaches": ("portfolio", "breach_id"),
    "var": ("portfolio", "method"),
    "components": ("portfolio", "symbol"),
    "stress": ("portfolio", "scenario"),
    "stress_positions": ("portfolio", "scenario", "symbol"),
}
BREACH_FIELDS = (
    "limit_type",
    "scope",
    "scope_value",
    "status",
    "level",
    "breach_threshold",
    "last_value",
    "peak_value",
    "last_utilization",
    "peak_utilization",
    "opened_at",
    "escalation_level",
)


def _summary(p: PortfolioRisk) -> dict:
    return {
        "portfolio": p.portfolio,
        "currency": p.currency,
        "nav": p.nav,
        "verdict": (p.check or {}).get("verdict"),
        "open_breaches": len(p.breaches),
        "missing": "; ".join(f"{k}: {v}" for k, v in p.errors.items()),
    }


def _limits(p: PortfolioRisk) -> list[dict]:
    rows = []
    for limit in p.limits:
        side = limit.get("after") or {}
        rows.append(
            {
                "portfolio": p.portfolio,
                "limit_id": limit["id"],
                "limit_type": limit["limit_type"],
                "name": limit.get("name") or "",
                "scope": limit["scope"],
                "scope_value": limit.get("scope_value") or "",
                "unit": limit["unit"],
                "severity": limit.get("severity"),
                "warn_threshold": limit.get("warn_threshold"),
                "breach_threshold": limit["breach_threshold"],
                "value": side.get("value"),
                "utilization": side.get("utilization"),
                "status": side.get("status"),
                "bucket": side.get("bucket") or "",
                "breach_probability": side.get("breach_probability"),
            }
        )
    return rows


def _var(p: PortfolioRisk) -> list[dict]:
    return [
        {
            "portfolio": p.portfolio,
            "method": method,
            "confidence": answer["confidence"],
            "horizon_days": answer["horizon_days"],
            "observations": answer["window"]["observations"],
            "var": answer["var"],
            "es": answer["es"],
            "var_pct_nav": answer["var_pct_nav"],
            "es_pct_nav": answer["es_pct_nav"],
        }
        for method, answer in p.var.items()
    ]


def _components(p: PortfolioRisk) -> list[dict]:
    # The decomposition is the same (normal parametric, Euler) in every method's answer.
    answer = p.var.get("normal") or next(iter(p.var.values()), None)
    if answer is None:
        return []
    return [
        {
            "portfolio": p.portfolio,
            "symbol": row["symbol"],
            "value": row["value"],
            "weight": row["weight"],
            "marginal_var": row["marginal_var"],
            "component_var": row["component_var"],
            "component_share": row["component_share"],
        }
        for row in answer["positions"]
    ]


def _stress(p: PortfolioRisk) -> tuple[list[dict], list[dict]]:
    totals, positions = [], []
    for result in (p.stress or {}).get("results", []):
        name = result["scenario"]["name"]
        totals.append(
            {
                "portfolio": p.portfolio,
                "scenario": name,
                "kind": result["scenario"]["kind"],
                "pnl": result["pnl"],
                "pnl_pct_nav": result["pnl_pct_nav"],
            }
        )
        positions += [
            {
                "portfolio": p.portfolio,
                "scenario": name,
                "symbol": row["symbol"],
                "value": row["value"],
                "shock": row["shock"],
                "pnl": row["pnl"],
                "pnl_pct_nav": row["pnl_pct_nav"],
            }
            for row in result["positions"]
        ]
    return totals, positions


def report_tables(data: RiskReportData) -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = {s: [] for s in SECTIONS}
    for p in data.portfolios:
        tables["summary"].append(_summary(p))
        tables["limits"] += _limits(p)
        tables["breaches"] += [
            {"portfolio": p.portfolio, "breach_id": b["id"], **{k: b.get(k) for k in BREACH_FIELDS}}
            for b in p.breaches
        ]
        tables["var"] += _var(p)
        tables["components"] += _components(p)
        totals, positions = _stress(p)
        tables["stress"] += totals
        tables["stress_positions"] += positions
    return tables
