"""selectors.fundamentals.fundamentals_history: every report and restatement up to an instant, in
publication order, typed the same when there is none."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from apps.marketdata.models import Fundamental
from apps.marketdata.selectors.fundamentals import fundamentals_history

pytestmark = pytest.mark.django_db


def _utc_typed(column: pd.Series) -> bool:
    return isinstance(column.dtype, pd.DatetimeTZDtype) and str(column.dtype.tz) == "UTC"


@pytest.fixture
def reports(instruments):
    aapl, jpm = instruments["AAPL"], instruments["JPM"]
    rows = [
        (aapl, "book_value", date(2023, 12, 31), datetime(2024, 2, 1, 21, 30, tzinfo=UTC), 4.0),
        (aapl, "eps", date(2023, 12, 31), datetime(2024, 2, 1, 21, 30, tzinfo=UTC), 2.18),
        (aapl, "eps", date(2023, 9, 30), datetime(2023, 11, 2, 20, 0, tzinfo=UTC), 1.46),
        (aapl, "eps", date(2023, 12, 31), datetime(2024, 3, 5, tzinfo=UTC), 2.10),  # restated
        (jpm, "eps", date(2023, 12, 31), datetime(2024, 1, 12, 11, 0, tzinfo=UTC), 3.04),
    ]
    Fundamental.objects.bulk_create(
        [
            Fundamental(instrument=i, field=f, period="Q", period_end=pe, reported_at=r, value=v)
            for i, f, pe, r, v in rows
        ]
    )
    return {"AAPL": aapl.pk, "JPM": jpm.pk}


def test_rows_up_to_until_in_publication_order(reports):
    got = fundamentals_history(ids=reports, fields=["eps"], until=pd.Timestamp("2024-03-05", tz="UTC"))
    assert got[["symbol", "period_end", "value"]].values.tolist() == [
        ["AAPL", date(2023, 9, 30), 1.46],
        ["AAPL", date(2023, 12, 31), 2.18],
        ["AAPL", date(2023, 12, 31), 2.10],  # reported_at == until: included
        ["JPM", date(2023, 12, 31), 3.04],
    ]
    assert _utc_typed(got["reported_at"])
    earlier = fundamentals_history(ids=reports, fields=["eps"], until=pd.Timestamp("2024-03-04", tz="UTC"))
    assert earlier["value"].tolist() == [1.46, 2.18, 3.04]
    both = fundamentals_history(ids=reports, fields=["eps", "book_value"], until=None)
    assert sorted(both["field"].unique()) == ["book_value", "eps"] and len(both) == 5


def test_nothing_reported_is_an_empty_frame_typed_like_a_full_one(reports):
    got = fundamentals_history(ids=reports, fields=["eps"], until=pd.Timestamp("2020-01-01", tz="UTC"))
    assert got.empty
    assert list(got.columns) == ["symbol", "field", "period", "period_end", "reported_at", "value"]
    assert _utc_typed(got["reported_at"]) and got["value"].dtype == float
