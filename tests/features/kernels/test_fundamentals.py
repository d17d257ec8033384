"""Point-in-time fundamentals on bars (kernels/fundamentals.py): a hand-worked example of the as-of
rule (restatements, an older period restated late, a report exactly at a close, one after the last
close, NaN before the first report), a brute-force scan on random reports, and the ratios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.features.kernels.fundamentals import (
    as_of_values,
    dividend_yield,
    earnings_yield,
    fundamental_field,
    fundamental_input,
    fundamentals_aligned,
    price_to_book,
    price_to_earnings,
)


def _utc(*stamps: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(stamps, tz="UTC")


# Bar closes (a daily bar stamped D closes at D + 1 day, midnight UTC).
CLOSES = _utc(
    "2023-10-01", "2024-01-10", "2024-01-20", "2024-01-30", "2024-02-09", "2024-02-10", "2024-03-01"
)
# (period_end, reported_at, value): the store's rows for one symbol's eps.
ROWS = [
    ("2023-09-30", "2023-10-20T21:00", 1.80),  # A: Q3
    ("2023-12-31", "2024-01-15T12:00", 2.00),  # B: Q4, the latest period from Jan 15
    ("2023-09-30", "2024-01-25T00:00", 1.00),  # C: Q3 restated after Q4 came out: Q4 stays the figure
    ("2023-12-31", "2024-02-10T00:00", 2.50),  # D: Q4 restated, published exactly at a close
    ("2024-03-31", "2024-03-01T00:00:01", 3.00),  # E: Q1, a second after the last close
]
# Worked by hand from the rule "latest period reported by the close, its latest restatement by then".
EXPECTED = [np.nan, 1.80, 2.00, 2.00, 2.00, 2.50, 2.50]


def _frame(rows, field: str = "eps") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "field": field,
            "period_end": [pd.Timestamp(r[0]).date() for r in rows],
            "reported_at": pd.DatetimeIndex([r[1] for r in rows], tz="UTC"),
            "value": [r[2] for r in rows],
        }
    )


def test_the_hand_worked_example():
    f = _frame(ROWS)
    got = as_of_values(CLOSES, f["reported_at"], f["period_end"], f["value"])
    np.testing.assert_array_equal(got, EXPECTED)


def test_row_order_does_not_matter():
    f = _frame(ROWS).iloc[[3, 0, 4, 2, 1]]
    got = as_of_values(CLOSES[::-1], f["reported_at"], f["period_end"], f["value"])
    np.testing.assert_array_equal(got, EXPECTED[::-1])


def test_rows_published_at_one_instant_in_either_order():
    # Q4 and a Q3 restatement in one filing: Q4 is the latest period whichever row comes first.
    rows = [("2023-12-31", "2024-01-15", 2.0), ("2023-09-30", "2024-01-15", 1.0)]
    for order in (rows, rows[::-1]):
        f = _frame(order)
        got = as_of_values(_utc("2024-01-14", "2024-01-15"), f["reported_at"], f["period_end"], f["value"])
        np.testing.assert_array_equal(got, [np.nan, 2.0])


def test_a_restatement_published_later_never_changes_an_earlier_bar():
    before = _frame(ROWS[:3])  # what the store held until Feb 10 (no D, no E)
    after = _frame(ROWS)
    old = as_of_values(CLOSES, before["reported_at"], before["period_end"], before["value"])
    new = as_of_values(CLOSES, after["reported_at"], after["period_end"], after["value"])
    first_changed = CLOSES.get_loc(pd.Timestamp("2024-02-10", tz="UTC"))
    np.testing.assert_array_equal(new[:first_changed], old[:first_changed])
    assert new[first_changed] == 2.50 and old[first_changed] == 2.00


def test_a_figure_reported_after_the_close_is_invisible():
    # E is one second late for the last close; at a close one second later it is the figure.
    f = _frame(ROWS)
    closes = _utc("2024-03-01T00:00:00", "2024-03-01T00:00:01")
    got = as_of_values(closes, f["reported_at"], f["period_end"], f["value"])
    np.testing.assert_array_equal(got, [2.50, 3.00])


def test_nan_before_the_first_report_and_without_rows():
    f = _frame(ROWS)
    early = _utc("2000-01-01", "2023-10-20T20:59:59")
    assert np.isnan(as_of_values(early, f["reported_at"], f["period_end"], f["value"])).all()
    assert np.isnan(as_of_values(CLOSES, [], [], [])).all()


def _scan(closes, rows) -> np.ndarray:
    """The rule read as plainly as possible: per close, the max (period_end, reported_at) known."""
    out = []
    for c in closes:
        known = [(pe, r, v) for pe, r, v in rows if r <= c]
        out.append(max(known, key=lambda k: (k[0], k[1]))[2] if known else np.nan)
    return np.array(out)


@pytest.mark.parametrize("seed", range(5))
def test_random_reports_equal_a_plain_scan(seed):
    rng = np.random.default_rng(seed)
    rows = []
    for q in range(12):
        period_end = pd.Timestamp("2020-03-31") + pd.offsets.QuarterEnd(q)
        first = period_end.tz_localize("UTC") + pd.Timedelta(hours=int(rng.integers(20 * 24, 60 * 24)))
        for version in range(int(rng.integers(1, 4))):  # restatements up to a year and a half later
            reported = first + pd.Timedelta(hours=int(rng.integers(1, 13000)) * (version > 0))
            rows.append((period_end, reported, float(rng.normal())))
    rows = list({(pe, r): v for pe, r, v in rows}.items())
    rows = [(pe, r, v) for (pe, r), v in rows]
    closes = pd.date_range("2020-01-01", "2024-06-30", freq="D", tz="UTC") + pd.Timedelta(hours=21)
    got = as_of_values(closes, [r[1] for r in rows], [r[0] for r in rows], [r[2] for r in rows])
    np.testing.assert_array_equal(got, _scan(closes, rows))


def test_aligned_inputs_per_field_with_nan_for_a_field_without_rows():
    rows = pd.concat([_frame(ROWS), _frame([("2023-12-31", "2024-01-05", 40.0)], "book_value")])
    got = fundamentals_aligned(CLOSES, rows, ["eps", "book_value", "dividend_per_share", "eps"])
    assert list(got) == ["fundamental:eps", "fundamental:book_value", "fundamental:dividend_per_share"]
    assert all(v.shape == (len(CLOSES), 1) for v in got.values())
    np.testing.assert_array_equal(got["fundamental:eps"][:, 0], EXPECTED)
    np.testing.assert_array_equal(got["fundamental:book_value"][:, 0], [np.nan] + [40.0] * 6)
    assert np.isnan(got["fundamental:dividend_per_share"]).all()
    empty = fundamentals_aligned(CLOSES, rows.iloc[:0], ["eps"])
    assert np.isnan(empty["fundamental:eps"]).all()


def test_input_names():
    assert fundamental_input("eps") == "fundamental:eps"
    assert fundamental_field("fundamental:book_value") == "book_value"
    assert fundamental_field("close") is None


# Two instruments, five bars: a normal case, a loss, zero, not reported yet, a non-positive close.
CLOSE = np.array([[100.0, 50.0], [110.0, 50.0], [120.0, 0.0], [90.0, -5.0], [80.0, np.nan]])
PER_SHARE = np.array([[5.0, 2.0], [-1.0, 2.0], [0.0, 2.0], [np.nan, 2.0], [4.0, 2.0]])


def test_price_multiples_are_nan_for_a_non_positive_or_missing_denominator():
    expected = np.array(
        [[20.0, 25.0], [np.nan, 25.0], [np.nan, 0.0], [np.nan, -2.5], [20.0, np.nan]]
    )  # 100/5, 50/2; a loss, zero or no report has no multiple; the close itself may be anything
    np.testing.assert_array_equal(price_to_earnings(CLOSE, PER_SHARE), expected)
    np.testing.assert_array_equal(price_to_book(CLOSE, PER_SHARE), expected)


def test_yields_keep_a_negative_numerator_and_refuse_a_non_positive_close():
    expected = np.array(
        [[0.05, 0.04], [-1 / 110, 0.04], [0.0, np.nan], [np.nan, np.nan], [0.05, np.nan]]
    )  # 5/100, 2/50; a loss is a negative yield; a close of 0, -5 or NaN has no yield
    np.testing.assert_allclose(earnings_yield(CLOSE, PER_SHARE), expected, rtol=1e-15)
    np.testing.assert_allclose(dividend_yield(CLOSE, PER_SHARE), expected, rtol=1e-15)


def test_ratios_refuse_panels_of_different_shapes():
    with pytest.raises(ValueError, match="share one"):
        price_to_earnings(CLOSE, PER_SHARE[:, :1])
