"""The facade other engines read: stored, generated and ad-hoc factors as frames equal to the
evaluation selector's values; unknown names and bad formulas raise plain exceptions."""

from __future__ import annotations

import numpy as np
import pytest

from apps.factors import facade
from apps.factors.selectors.evaluation import factor_values, formula_compile
from apps.factors.services.definitions import definition_save

pytestmark = pytest.mark.django_db


def test_stored_generated_and_formula_factors_come_back_as_frames(factor_market):
    dates = factor_market["AAA"].index
    definition_save(name="fac_mom", formula="$close/Ref($close, 5) - 1")
    got = facade.factor_panel(
        ["AAA", "BBB"],
        factors=["fac_mom", "gen.ts_mean.close.w20.by_close"],
        formulas=["Std($close, 10)"],
        start=dates[30],
        end=dates[60],
    )
    assert list(got) == ["fac_mom@1", "gen.ts_mean.close.w20.by_close@1", "Std($close, 10)"]
    expected = factor_values(
        [formula_compile("Mean($close, 20)/$close")], symbols=["AAA", "BBB"], start=dates[30], end=dates[60]
    ).frame()
    np.testing.assert_array_equal(got["gen.ts_mean.close.w20.by_close@1"].to_numpy(), expected.to_numpy())
    assert list(got["fac_mom@1"].columns) == ["AAA", "BBB"] and len(got["Std($close, 10)"]) == 30
    with pytest.raises(facade.UnknownFactor):
        facade.factor_panel(["AAA"], factors=["nope"], start=dates[0], end=dates[5])
    with pytest.raises(facade.FormulaError):
        facade.factor_panel(["AAA"], formulas=["Mean($close"], start=dates[0], end=dates[5])
