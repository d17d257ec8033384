"""The report's figures as tables: one long-format CSV, or an Excel workbook with the sheets
`metrics`, `returns` and `monthly`."""

from __future__ import annotations

import io

import pandas as pd

from .data import DATE_FIELDS, ReportData

CSV_COLUMNS = ["section", "name", "ts", "value"]


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


def render_csv(data: ReportData) -> bytes:
    """Long format (section, name, ts, value) so one file holds metrics, returns and monthly returns
    and still parses as a single table."""
    metrics = _metrics_frame(data).rename(columns={"date": "ts"}).assign(section="metrics")
    series = data.series.drop(columns=["wealth"])
    returns = series.reset_index().melt(id_vars="ts", var_name="name", value_name="value")
    returns["ts"] = returns["ts"].map(lambda t: t.isoformat())
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
    out = pd.concat([metrics[CSV_COLUMNS], returns[CSV_COLUMNS], monthly[CSV_COLUMNS]], ignore_index=True)
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
    return buf.getvalue()
