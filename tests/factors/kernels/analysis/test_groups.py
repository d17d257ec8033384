"""IC and quantile returns by sector against alphalens's by_group=True results."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from apps.factors.kernels.analysis import (
    clean_factor,
    forward_returns,
    ic_by_group,
    information_coefficient,
    quantile_returns_by_group,
)
from tests.factors.kernels.analysis.conftest import HORIZONS

RTOL = 1e-10
ATOL = 1e-15


@pytest.fixture(scope="module")
def prepared(panel):
    fwd = forward_returns(panel.prices, HORIZONS)
    return fwd, clean_factor(panel.factor, fwd, groups=panel.groups)


@pytest.mark.parametrize("group_adjust", [False, True])
def test_ic_by_group_equals_alphalens(panel, factor_data, fwd_columns, prepared, group_adjust):
    import alphalens.performance as ap

    fwd, clean = prepared
    labels, ours = ic_by_group(clean.factor, fwd, panel.groups, group_adjust=group_adjust)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = ap.factor_information_coefficient(factor_data, group_adjust=group_adjust, by_group=True)
    np.testing.assert_array_equal(labels, [0, 1, 2])
    for g, label in enumerate(labels):
        part = theirs.xs(label, level="group")
        for k, col in enumerate(fwd_columns):
            np.testing.assert_allclose(ours[g, k], panel.by_date(part[col]), rtol=RTOL, atol=ATOL)
    # a group's IC is not the whole universe's
    assert np.nanmax(np.abs(ours[0] - information_coefficient(clean.factor, fwd))) > 1e-2


@pytest.mark.parametrize(("demeaned", "group_adjust"), [(True, False), (False, False), (True, True)])
def test_quantile_returns_by_group_equal_alphalens(
    panel, factor_data, fwd_columns, prepared, demeaned, group_adjust
):
    import alphalens.performance as ap

    fwd, clean = prepared
    ours = quantile_returns_by_group(
        fwd, clean.buckets, panel.groups, demeaned=demeaned, group_adjust=group_adjust
    )
    mean, se = ap.mean_return_by_quantile(
        factor_data, by_group=True, demeaned=demeaned, group_adjust=group_adjust
    )
    mean_d, se_d = ap.mean_return_by_quantile(
        factor_data, by_date=True, by_group=True, demeaned=demeaned, group_adjust=group_adjust
    )
    r = ours.returns
    for g, label in enumerate(ours.labels):
        for k, col in enumerate(fwd_columns):
            for q in range(1, 6):
                np.testing.assert_allclose(
                    r.mean[g, k, q - 1], mean.loc[(q, label), col], rtol=RTOL, atol=ATOL
                )
                np.testing.assert_allclose(
                    r.std_error[g, k, q - 1], se.loc[(q, label), col], rtol=RTOL, atol=ATOL
                )
                by_date = mean_d[col].xs((q, label), level=["factor_quantile", "group"])
                np.testing.assert_allclose(
                    r.mean_by_date[g, k, q - 1], panel.by_date(by_date), rtol=RTOL, atol=ATOL
                )
                se_by_date = se_d[col].xs((q, label), level=["factor_quantile", "group"])
                np.testing.assert_allclose(
                    r.std_error_by_date[g, k, q - 1], panel.by_date(se_by_date), rtol=RTOL, atol=ATOL
                )
