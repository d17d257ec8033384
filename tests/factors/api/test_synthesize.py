"""POST /api/factors/synthesize: the composite is saved as a factor whose formula, evaluated like any
other, equals the kernel's composite (kernels.synthesis with missing="nan", the rule a formula's NaN
propagation states) — plain and Gram-Schmidt orthogonalized; the weights and ICs are the kernel's on
the training dates; symmetric orthogonalization is refused with the reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.factors.kernels.analysis import forward_returns
from apps.factors.kernels.synthesis import synthesize
from apps.factors.models import FactorDefinition
from apps.factors.selectors.evaluation import factor_values, formula_compile

from .conftest import SYMBOLS

pytestmark = pytest.mark.django_db
URL = "/api/factors/synthesize"


def _reference(price_factors, window, *, method, orthogonalize, horizon=1):
    """The factors and close over the window, and the kernel's synthesis on the default split."""
    start = pd.Timestamp(window["start"], tz="UTC")
    end = pd.Timestamp(window["end"], tz="UTC") + pd.Timedelta(days=1)
    values = factor_values(
        [formula_compile(d.formula) for d in price_factors] + [formula_compile("$close")],
        symbols=SYMBOLS,
        start=start,
        end=end,
    )
    factors = np.stack(values.values[:-1])
    t = len(values.dates)
    train = np.zeros(t, dtype=bool)
    train[: int(t * 0.7) - (horizon - 1)] = True
    fwd = forward_returns(values.values[-1], [horizon])[0]
    fit = synthesize(factors, fwd, method, train=train, orthogonalize=orthogonalize, missing="nan")
    return values, fit, (start, end), train


@pytest.mark.parametrize(
    ("method", "orthogonalize"),
    [("equal", None), ("icir", None), ("ic", "gram_schmidt"), ("max_icir", "gram_schmidt")],
)
def test_the_saved_formula_evaluates_to_the_kernels_composite(
    api_client, factor_market, price_factors, window, method, orthogonalize
):
    body = {
        "factors": ["mom_5", "rev_3", "range_hl"],
        "symbols": SYMBOLS,
        **window,
        "method": method,
        "orthogonalize": orthogonalize,
        "name": "combo",
    }
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 200, resp.content
    out = resp.json()
    values, fit, (start, end), train = _reference(
        price_factors, window, method=method, orthogonalize=orthogonalize
    )
    np.testing.assert_allclose(list(out["weights"].values()), fit.weights, rtol=1e-12)
    assert list(out["weights"]) == ["mom_5@1", "rev_3@1", "range_hl@1"]
    assert out["ic_in_sample"] == pytest.approx(fit.ic_in_sample, rel=1e-12)
    test = np.arange(len(values.dates)) >= int(len(values.dates) * 0.7)
    assert out["ic_out_of_sample"] == pytest.approx(np.nanmean(fit.composite_ic[test]), rel=1e-12)
    assert out["train_dates"] == train.sum() and out["test_dates"] == test.sum()

    saved = FactorDefinition.objects.get(pk=out["composite"]["id"])
    assert saved.library == "composite" and saved.formula == out["composite"]["formula"]
    assert ("cs_residual" in saved.formula) == (orthogonalize == "gram_schmidt")
    evaluated = factor_values([formula_compile(saved.formula)], symbols=SYMBOLS, start=start, end=end).values[
        0
    ]
    assert np.isfinite(evaluated).sum() > 1000
    np.testing.assert_array_equal(np.isnan(evaluated), np.isnan(fit.composite))
    np.testing.assert_allclose(evaluated, fit.composite, rtol=1e-9, atol=1e-12)


def test_the_plain_composite_equals_pandas_zscores_weighted(api_client, factor_market, price_factors, window):
    body = {"factors": ["mom_5", "rev_3"], "symbols": SYMBOLS, **window, "method": "equal", "name": "pair"}
    out = api_client.post(URL, body, format="json").json()
    saved = FactorDefinition.objects.get(pk=out["composite"]["id"])
    start = pd.Timestamp(window["start"], tz="UTC")
    end = pd.Timestamp(window["end"], tz="UTC") + pd.Timedelta(days=1)
    values = factor_values(
        [formula_compile(d.formula) for d in price_factors[:2]] + [formula_compile(saved.formula)],
        symbols=SYMBOLS,
        start=start,
        end=end,
    )
    z = [
        pd.DataFrame(v).sub(pd.DataFrame(v).mean(axis=1), axis=0).div(pd.DataFrame(v).std(axis=1), axis=0)
        for v in values.values[:2]
    ]
    expected = 0.5 * z[0] + 0.5 * z[1]  # NaN where either is missing
    np.testing.assert_allclose(values.values[2], expected.to_numpy(), rtol=1e-9, atol=1e-12)


def test_a_second_fit_with_other_weights_is_a_new_version(api_client, factor_market, price_factors, window):
    body = {"factors": ["mom_5", "rev_3"], "symbols": SYMBOLS, **window, "name": "pair"}
    first = api_client.post(URL, {**body, "method": "equal"}, format="json").json()
    second = api_client.post(URL, {**body, "method": "icir"}, format="json").json()
    assert (first["composite"]["version"], second["composite"]["version"]) == (1, 2)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"orthogonalize": "symmetric"}, "orthogonalize", "cannot be saved as a formula"),
        ({"orthogonalize": "pca"}, "orthogonalize", ""),
        ({"method": "best"}, "method", ""),
        ({"factors": ["mom_5"]}, "factors", "at least two"),
        ({"name": "bad name"}, "name", "letters"),
        ({"name": "mom_5"}, "name", "not a composite"),
        ({"train_end": "2020-01-01"}, "train_end", "fewer than 2"),
        ({"horizon": 0}, "horizon", ""),
        ({"symbols": ["ZZZ"]}, "symbols", "unknown symbol"),
    ],
)
def test_bad_requests_are_400_naming_the_field(
    api_client, factor_market, price_factors, window, change, field, message
):
    body = {"factors": ["mom_5", "rev_3"], "symbols": SYMBOLS, **window, "name": "combo", **change}
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json() and message in str(resp.json()[field])
    assert not FactorDefinition.objects.filter(library="composite").exists()


def test_the_regression_composite_is_the_ml_engines_ridge_on_the_pooled_cells(
    api_client, factor_market, price_factors, window
):
    from sklearn.linear_model import Ridge

    from apps.factors.kernels.synthesis import regression_design

    body = {"factors": ["mom_5", "rev_3", "range_hl"], "symbols": SYMBOLS, **window, "method": "regression",
            "name": "combo_ridge"}  # fmt: skip
    resp = api_client.post(URL, body, format="json")
    assert resp.status_code == 200, resp.content
    out = resp.json()
    values, _fit, (start, end), train = _reference(price_factors, window, method="equal", orthogonalize=None)
    fwd = forward_returns(values.values[-1], [1])[0]
    X, y = regression_design(np.stack(values.values[:-1]), fwd, train)
    coef = Ridge(alpha=1.0).fit(X, y).coef_
    np.testing.assert_allclose(list(out["weights"].values()), coef / np.abs(coef).sum(), rtol=1e-10)
    saved = FactorDefinition.objects.get(pk=out["composite"]["id"])
    evaluated = factor_values([formula_compile(saved.formula)], symbols=SYMBOLS, start=start, end=end).values[
        0
    ]
    reference = synthesize(np.stack(values.values[:-1]), fwd, "equal", train=train, missing="nan",
                           weights=coef).composite  # fmt: skip
    np.testing.assert_allclose(evaluated, reference, rtol=1e-9, atol=1e-12)
    assert out["method"] == "regression"
