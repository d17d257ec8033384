"""Economic series at many instants, hand-worked: the newest date published so far, in its latest
version; an older date's revision changes nothing; before the first release, NaN."""

from __future__ import annotations

import numpy as np

from apps.factors.kernels.economic import known_values


def test_the_value_in_force_follows_releases_and_revisions_of_the_newest_date():
    # known_at order: Jan released at 10 (1.0), Feb at 20 (2.0), Jan revised at 25 (9.0: older date,
    # no effect), Feb revised at 30 (2.5), Mar released at 40 as missing (NaN).
    dates = np.array([1, 2, 1, 2, 3])
    known = np.array([10, 20, 25, 30, 40])
    values = np.array([1.0, 2.0, 9.0, 2.5, np.nan])
    instants = np.array([5, 10, 19, 20, 26, 30, 39, 40, 100])
    got = known_values(dates, known, values, instants)
    np.testing.assert_array_equal(got, [np.nan, 1.0, 1.0, 2.0, 2.0, 2.5, 2.5, np.nan, np.nan])
    assert np.isnan(known_values(dates[:0], known[:0], values[:0], instants)).all()
