"""Maximum diversification against skfolio's MaximumDiversification."""

from __future__ import annotations

import numpy as np
import pytest
from skfolio.optimization import MaximumDiversification

from apps.portfolio.kernels.optimization import Constraints, max_diversification
from apps.portfolio.kernels.optimization.methods import diversification_ratio
from tests.portfolio.kernels.optimization.checks import assert_holds

TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10}


@pytest.mark.parametrize("upper", [None, 0.08])
def test_max_diversification_equals_skfolio(sp500, upper):
    cov = np.cov(sp500.returns, rowvar=False)
    c = Constraints(upper=upper)
    result = max_diversification(cov, c)
    w = assert_holds(result, c)
    kwargs = {} if upper is None else {"max_weights": upper}
    theirs = MaximumDiversification(solver_params=TIGHT, **kwargs).fit(sp500.returns).weights_
    np.testing.assert_allclose(w, theirs, atol=1e-4)
    ratio = diversification_ratio(w, cov)
    assert f"diversification ratio {ratio:.6g}" in result.notes
    assert ratio > diversification_ratio(np.full(20, 0.05), cov)
