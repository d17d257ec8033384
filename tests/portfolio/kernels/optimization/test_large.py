"""A 500-asset minimum variance with bounds and sector caps, next to PyPortfolioOpt on the same
problem (the bench measures the speed; this checks the answer)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pypfopt import EfficientFrontier

from apps.portfolio.kernels.optimization import Constraints, min_variance
from tests.portfolio.kernels.optimization.checks import assert_holds
from tests.portfolio.kernels.optimization.conftest import simulated_market


def test_500_asset_min_variance_with_bounds_and_sector_caps_equals_pypfopt():
    market = simulated_market(500, 750, seed=23)
    caps = {f"S{i}": (None, 0.11) for i in range(10)}
    caps["S3"] = (0.09, 0.11)
    c = Constraints(upper=0.006, sectors=market.sectors, sector_caps=caps, names=market.names)
    result = min_variance(market.cov, c)
    w = assert_holds(result, c)
    assert result.solver == "OSQP"  # the direct path the bench times, certified at this size too

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ef = EfficientFrontier(
            None,
            market.cov,
            weight_bounds=(0, 0.006),
            solver="CLARABEL",
            solver_options={"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10},
        )
        ef.add_sector_constraints(
            dict(enumerate(market.sectors)), {"S3": 0.09}, {k: v[1] for k, v in caps.items()}
        )
        theirs = np.array(list(ef.min_volatility().values()))
    np.testing.assert_allclose(w, theirs, atol=1e-4)
    # the constraints bind: some names at the cap, some sectors at theirs
    assert (w > 0.006 - 1e-7).sum() > 10
    sector_weights = pd.Series(w).groupby(market.sectors).sum()
    assert (sector_weights > 0.11 - 1e-7).sum() >= 1
    assert result.volatility < np.sqrt(np.full(500, 1 / 500) @ market.cov @ np.full(500, 1 / 500))
