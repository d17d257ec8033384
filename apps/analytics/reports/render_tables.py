"""The report's figures as tables: one long-format CSV, or an Excel workbook with the sheets
`metrics`, `returns`, `monthly`, `attribution` (and `brinson` when a model benchmark was named)."""

from __future__ import annotations

import io

import pandas as pd

from apps.platform.timestamps import iso_utc

from .data import DATE_FIELDS, ReportData

CSV_COLUMNS = ["section", "name", "ts", "value"]
ATTRIBUTION_COLUMNS = ["level", "name", "sector", "weight", "return_contribution", "risk_contribution"]
BRINSON_COLUMNS = [
    "sector",
    "portfolio_weight",
    "benchmark_weight",
    "allocation",
    "selection",
    "interaction",
    "trading",
    "total",
]


def _naive(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    # Excel has no time zones; the report's stamps are UTC by convention.
    return index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index


def _metrics_frame(data: ReportData) -> pd.DataFrame:
    """Numbers in `value`, the drawdown dates in `date`, so each column keeps a single type."""
    rows = []
    for name, value in data.metrics.items():
        if name in DATE_FIELDS:
            rows.append({"name": name, "value": None, "date": value})
        else:
            rows.append({"name": name, "value": None if value is None else float(value), "date": None})
    return pd.DataFrame(rows, columns=["name", "value", "date"])


def attribution_frame(data: ReportData) -> pd.DataFrame:
    """Contribution to return and risk: one row per sector, then one per security (the attribution
    API's figures, unrounded)."""
    a = data.attribution or {"sectors": [], "securities": []}
    rows = [{"level": "sector", "name": s["sector"], **s} for s in a["sectors"]]
    rows += [{"level": "security", "name": s["symbol"], **s} for s in a["securities"]]
    return pd.DataFrame(rows, columns=ATTRIBUTION_COLUMNS)


def brinson_frame(data: ReportData) -> pd.DataFrame:
    """Brinson effects per sector, then the trading effect and the totals (empty without a model)."""
    if data.brinson is None:
        return pd.DataFrame(columns=BRINSON_COLUMNS)
    b = data.brinson
    rows = [dict(s) for s in b["sectors"]]
    rows.append({"sector": "Trading", "trading": b["totals"]["trading"], "total": b["totals"]["trading"]})
    rows.append({"sector": "Total", **b["totals"]})
    return pd.DataFrame(rows, columns=BRINSON_COLUMNS)


def brinson_title(data: ReportData) -> str:
    """What the Brinson table measures against, in words."""
    bench = (data.brinson or {}).get("benchmark") or {}
    if "portfolio" in bench:
        return f"Brinson-Fachler against portfolio {bench['portfolio']}"
    if "weights" in bench:
        parts = ", ".join(f"{s} {w:.0%}" for s, w in bench["weights"].items())
        return f"Brinson-Fachler against a model rebalanced each period to {parts}"
    return "Brinson-Fachler against the given benchmark sectors"


def _attribution_long(data: ReportData) -> pd.DataFrame:
    """Attribution in the CSV's long format: name "level:name:figure" (brinson: "sector:effect")."""
    frames = []
    attr = attribution_frame(data)
    if len(attr):
        long = attr.melt(id_vars=["level", "name", "sector"], var_name="figure", value_name="value")
        long["name"] = long["level"] + ":" + long["name"] + ":" + long["figure"]
        frames.append(long.assign(section="attribution", ts=None))
    brinson = brinson_frame(data)
    if len(brinson):
        long = brinson.melt(id_vars=["sector"], var_name="figure", value_name="value").dropna(
            subset=["value"]
        )
        long["name"] = long["sector"] + ":" + long["figure"]
        frames.append(long.assign(section="brinson", ts=None))
    if not frames:
        return pd.DataFrame(columns=CSV_COLUMNS)
    return pd.concat(frames, ignore_index=True)[CSV_COLUMNS]


def render_csv(data: ReportData) -> bytes:
    """Long format (section, name, ts, value) so one file holds metrics, returns, monthly returns and
    the attribution (section "attribution"/"brinson") and still parses as a single table."""
    metrics = _metrics_frame(data).rename(columns={"date": "ts"}).assign(section="metrics")
    series = data.series.drop(columns=["wealth"])
    returns = series.reset_index().melt(id_vars="ts", var_name="name", value_name="value")
    returns["ts"] = returns["ts"].map(iso_utc)
    returns["section"] = "returns"
    monthly = pd.DataFrame(
        [
            {"name": f"{int(year):04d}-{month:02d}", "value": row[month]}
            for year, row in data.monthly.iterrows()
            for month in range(1, 13)
            if pd.notna(row[month])
        ],
        columns=["name", "value"],
    ).assign(section="monthly", ts=None)
    out = pd.concat(
        [metrics[CSV_COLUMNS], returns[CSV_COLUMNS], monthly[CSV_COLUMNS], _attribution_long(data)],
        ignore_index=True,
    )
    return out.to_csv(index=False, float_format="%.17g").encode("utf-8")


def render_xlsx(data: ReportData) -> bytes:
    series = data.series.copy()
    series.index = _naive(series.index)
    monthly = data.monthly.rename(columns={**{m: f"{m:02d}" for m in range(1, 13)}, "year": "year_total"})
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        _metrics_frame(data).to_excel(writer, sheet_name="metrics", index=False)
        series.to_excel(writer, sheet_name="returns", index_label="ts")
        monthly.to_excel(writer, sheet_name="monthly", index_label="year")
        attribution_frame(data).to_excel(writer, sheet_name="attribution", index=False)
        if data.brinson is not None:
            brinson_frame(data).to_excel(writer, sheet_name="brinson", index=False)
    return buf.getvalue()
