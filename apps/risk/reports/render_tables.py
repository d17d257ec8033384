"""The report as data: JSON (every service answer verbatim), CSV (one long table) and Excel (one sheet
per section)."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import Workbook

from apps.platform.numbers import json_safe

from .data import RiskReportData
from .tables import KEYS, SECTIONS, report_tables

CSV_COLUMNS = ["section", "portfolio", "name", "field", "value"]


def report_json(data: RiskReportData) -> dict:
    return {
        "generated_at": data.generated_at,
        "confidence": data.confidence,
        "scenarios": data.scenarios,
        "portfolios": [
            {
                "portfolio": p.portfolio,
                "currency": p.currency,
                "nav": p.nav,
                "limits": p.check,
                "breaches": p.breaches,
                "var": p.var,
                "stress": p.stress,
                "missing": p.errors,
            }
            for p in data.portfolios
        ],
    }


def render_json(data: RiskReportData) -> bytes:
    return json.dumps(json_safe(report_json(data)), indent=2, allow_nan=False).encode("utf-8")


def cell(value) -> str:
    """Text of one value: repr keeps every digit of a float so it parses back exactly."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def render_csv(data: RiskReportData) -> bytes:
    """Long format (section, portfolio, name, field, value): `name` identifies the row within its
    section (limit id, breach id, method, symbol, scenario, "scenario|symbol")."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for section, rows in report_tables(data).items():
        keys = KEYS[section]
        for row in rows:
            name = "|".join(cell(row[k]) for k in keys[1:]) or row["portfolio"]
            for field, value in row.items():
                if field not in keys:
                    writer.writerow([section, row["portfolio"], name, field, cell(value)])
    return buf.getvalue().encode("utf-8")


def render_xlsx(data: RiskReportData) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    tables = report_tables(data)
    for section in SECTIONS:
        ws = wb.create_sheet(section)
        rows = tables[section]
        if not rows:
            ws.append(list(KEYS[section]))
            continue
        header = list(rows[0])
        ws.append(header)
        for row in rows:
            ws.append([row[h] for h in header])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
