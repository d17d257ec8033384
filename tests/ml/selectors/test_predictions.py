"""The batch path (the facade's predict_returns, for other engines): a frame, symbols and rows give
the same predictions, equal to LightGBM's own predict on the values used; missing cells come from the
online store or the training median, as `sources` says; a feature the store does not know is filled
and noted; bad input is refused by field; the row cap is ML_PREDICT_MAX_ROWS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.ml import facade
from apps.ml.selectors.predictions import BODY, FILL, STORE
from tests.ml.serving import FEATURES, price_bundle, price_store, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle(user):
    b = price_bundle()
    register("aapl-ret", "price", "lightgbm", b, user=user)
    return b


def test_a_frame_symbols_and_rows_predict_alike(bundle):
    last = price_store(stored=FEATURES[:2])
    frame = pd.DataFrame(
        {
            "symbol": ["AAPL", "MSFT", None],
            "rsi_14": [np.nan, 44.0, 50.0],
            "roc_5@1": [1.0, np.nan, np.nan],
            "current_price": [10.0, np.nan, 20.0],
        }
    )
    got = facade.predict_returns("aapl-ret", frame)
    X = np.array(
        [
            [last["AAPL"]["rsi_14@1"][0], last["AAPL"]["sma_10@1"][0], 1.0],
            [44.0, last["MSFT"]["sma_10@1"][0], bundle.fill[2]],
            [50.0, bundle.fill[1], bundle.fill[2]],
        ]
    )
    np.testing.assert_array_equal(got.values, X)
    np.testing.assert_allclose(got.predicted_return, bundle.estimator.predict(X), rtol=1e-12)
    np.testing.assert_allclose(got.upper_return - got.predicted_return, bundle.halfwidth, rtol=1e-12)
    np.testing.assert_array_equal(
        got.sources, [[STORE, STORE, BODY], [BODY, STORE, FILL], [BODY, FILL, FILL]]
    )
    np.testing.assert_allclose(got.predicted_price[[0, 2]], [10.0, 20.0] * (1 + got.predicted_return[[0, 2]]))
    assert np.isnan(got.predicted_price[1]) and got.symbols == ("AAPL", "MSFT", None)
    assert got.frame()["rsi_14@1"].tolist() == X[:, 0].tolist()

    rows = [
        {"symbol": "AAPL", "features": {"roc_5": 1.0}, "current_price": 10.0},
        {"symbol": "MSFT", "features": {"rsi_14@1": 44.0}},
        {"symbol": None, "features": {"rsi_14": 50.0}, "current_price": 20.0},
    ]
    by_rows = facade.predict_returns("aapl-ret", rows)
    np.testing.assert_array_equal(by_rows.predicted_return, got.predicted_return)
    by_symbols = facade.predict_returns(None, ["AAPL", "MSFT"])  # None: the champion price model
    stored = [[last[s]["rsi_14@1"][0], last[s]["sma_10@1"][0]] for s in ("AAPL", "MSFT")]
    np.testing.assert_array_equal(by_symbols.values[:, :2], stored)
    assert (by_symbols.sources[:, 2] == FILL).all() and by_symbols.served.alias == "champion"


def test_a_feature_the_store_does_not_know_is_filled_and_noted(bundle):
    price_store(stored=FEATURES[:2])
    from apps.features.models import FeatureDefinition

    FeatureDefinition.objects.filter(name="roc_5").delete()
    got = facade.predict_returns("aapl-ret", ["AAPL"])
    assert got.sources.tolist() == [[STORE, STORE, FILL]]
    assert got.notes == ("the feature store does not know roc_5@1: filled with the training median",)


@pytest.mark.parametrize(
    "rows, field",
    [
        (pd.DataFrame({"rsi_99": [1.0]}), "features"),
        (pd.DataFrame({"rsi_14": ["a"]}), "features"),
        (pd.DataFrame({"rsi_14": [True]}), "features"),
        ([{"symbol": "AAPL", "features": {"rsi_14": "x"}}], "rows"),
        ([{"symbol": "AAPL", "current_price": "ten"}], "rows"),
        (["AAPL", 3], "rows"),
        (["NOPE"], "rows"),
    ],
)
def test_bad_input_is_refused_by_field(bundle, rows, field):
    price_store(symbols=("AAPL",))
    with pytest.raises(facade.PredictionInputError) as err:
        facade.predict_returns("aapl-ret", rows)
    assert set(err.value.errors) == {field}


def test_the_row_cap_is_a_setting(bundle, settings):
    settings.ML_PREDICT_MAX_ROWS = 3
    frame = pd.DataFrame(dict.fromkeys(FEATURES, [1.0] * 4))
    with pytest.raises(facade.PredictionInputError, match="at most 3 rows"):
        facade.predict_returns("aapl-ret", frame)
    assert len(facade.predict_returns("aapl-ret", frame.iloc[:3])) == 3


def test_values_that_overflow_the_prediction_are_refused(user):
    from sklearn.linear_model import Ridge

    from apps.ml.kernels.bundles import PriceBundle
    from tests.ml.serving import register

    ridge = Ridge().fit(np.eye(3), [0.0, 1.0, 2.0])
    ridge.coef_ = np.array([1e300, 0.0, 0.0])  # finite inputs, an infinite prediction
    bundle = PriceBundle("linear", ridge, FEATURES, (0.0, 0.0, 0.0), "return_5d", 5, "1d", 0.1, 0.01)
    register("huge", "price", "linear", bundle, user=user)
    with pytest.raises(facade.PredictionInputError) as err:
        facade.predict_returns("huge", pd.DataFrame({"rsi_14": [1e15, 1.0]}))
    assert "row(s) [0]" in err.value.errors["features"]
