"""series_ingest: FRED layouts, vintages (realtime_start) kept as rows, validation with the row report."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.marketdata.models import SeriesObservation
from apps.marketdata.services import IngestRejected, series_ingest

pytestmark = pytest.mark.django_db
KNOWN = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


def test_alfred_vintages_become_separate_known_at_rows():
    csv = b"""observation_date,GDPC1,realtime_start
2024-01-01,22.70,2024-04-25
2024-01-01,22.76,2024-05-30
2024-04-01,23.01,2024-07-25
"""
    report = series_ingest(source=csv)
    assert report.rows_written == 3 and report.groups["GDPC1"]["count"] == 3
    rows = list(
        SeriesObservation.objects.order_by("date", "known_at").values_list("date", "known_at", "value")
    )
    assert rows == [
        (dt.date(2024, 1, 1), dt.datetime(2024, 4, 25, tzinfo=dt.UTC), 22.70),
        (dt.date(2024, 1, 1), dt.datetime(2024, 5, 30, tzinfo=dt.UTC), 22.76),
        (dt.date(2024, 4, 1), dt.datetime(2024, 7, 25, tzinfo=dt.UTC), 23.01),
    ]


def test_long_layout_with_a_code_column_and_reload():
    csv = b"code,date,value\nunrate,2024-01-01,3.7\ncpi,2024-01-01,308.4\nunrate,2024-02-01,3.9\n"
    series_ingest(source=csv, known_at=KNOWN)
    series_ingest(source=csv.replace(b"3.9", b"3.8"), known_at=KNOWN)  # same vintage: a correction
    values = dict(SeriesObservation.objects.filter(series__code="UNRATE").values_list("date", "value"))
    assert values == {dt.date(2024, 1, 1): 3.7, dt.date(2024, 2, 1): 3.8}
    assert SeriesObservation.objects.count() == 3


def test_bad_rows_are_reported_and_nothing_is_written():
    csv = b"DATE,VALUE\n2024-01-01,1.0\n2024-13-45,2.0\n2024-03-01,abc\n2024-01-01,1.5\n2024-05-01,.\n"
    with pytest.raises(IngestRejected) as err:
        series_ingest(source=csv, code="X", known_at=KNOWN)
    assert err.value.report.errors == [
        {"row": 3, "column": "date", "reason": "unparseable timestamp: 2024-13-45"},
        {"row": 4, "column": "value", "reason": "not a number: abc"},
        {"row": 5, "column": "date", "reason": "duplicate date for this series (first at row 2)"},
    ]
    assert not SeriesObservation.objects.exists()
    report = series_ingest(source=csv, code="X", known_at=KNOWN, skip_invalid=True)
    assert report.rows_written == 2  # 2024-01-01 and the missing 2024-05-01 (".")


def test_naive_known_at_and_missing_date_column_are_field_errors():
    with pytest.raises(ValidationError) as err:
        series_ingest(source=b"DATE,VALUE\n2024-01-01,1\n", code="X", known_at=dt.datetime(2024, 1, 1))
    assert "known_at" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        series_ingest(source=b"when,VALUE\n2024-01-01,1\n", code="X")
    assert "no date column" in err.value.message_dict["file"][0]


def test_series_admin_lists_codes_with_observation_counts(admin_client):
    series_ingest(source=b"DATE,VALUE\n2024-01-01,1\n2024-02-01,2\n", code="ADMINX", known_at=KNOWN)
    resp = admin_client.get("/admin/marketdata/economicseries/")
    assert resp.status_code == 200
    assert b"ADMINX" in resp.content
    assert admin_client.get("/admin/marketdata/economicseries/?o=6").status_code == 200
