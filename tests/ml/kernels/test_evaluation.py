"""Training's scoring kernels against independent references: fold metrics against scikit-learn and
scipy; the time hold-out split hand-worked and checked pair by pair; one-step variance forecasts
against `arch`'s own conditional variance with fixed parameters; out-of-fold predictions against
LightGBM fitted fold by fold; the text classifier's hold-out against scikit-learn's split and scores."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from arch.data import sp500
from scipy import stats
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from apps.ml.kernels.estimators import hyperparams_resolve
from apps.ml.kernels.evaluation import (
    cross_val_predictions,
    fold_metrics,
    metrics_mean,
    text_classifier_holdout,
    time_holdout_split,
    variance_forecast_path,
    variance_losses,
    vol_holdout,
)
from apps.ml.kernels.validation import purged_kfold_splits
from apps.ml.kernels.volatility import vol_fit


def test_fold_metrics_equal_sklearn_and_scipy():
    rng = np.random.default_rng(0)
    y = rng.normal(size=90)
    pred = 0.3 * y + rng.normal(size=90)
    fold = np.repeat([0, 1, 2], 30)
    got = fold_metrics(fold, pred, y)
    assert list(got.index) == [0, 1, 2]
    for j in range(3):
        yy, pp = y[fold == j], pred[fold == j]
        row = got.loc[j]
        assert row["n"] == 30
        assert row["mse"] == pytest.approx(mean_squared_error(yy, pp), rel=1e-12)
        assert row["mae"] == pytest.approx(mean_absolute_error(yy, pp), rel=1e-12)
        assert row["ic"] == pytest.approx(stats.pearsonr(pp, yy).statistic, rel=1e-10)
        assert row["rank_ic"] == pytest.approx(stats.spearmanr(pp, yy).statistic, rel=1e-10)
        assert row["hit_rate"] == pytest.approx(np.mean(np.sign(pp) == np.sign(yy)))
    mean = metrics_mean(got)
    assert mean["mse"] == pytest.approx(
        np.mean([mean_squared_error(y[fold == j], pred[fold == j]) for j in range(3)])
    )


def test_time_holdout_split_hand_worked():
    # 10 times, two instruments each (rows sorted by time), labels end 2 steps later.
    t0 = np.repeat(np.arange(10.0), 2)
    t1 = t0 + 2
    kept, holdout = time_holdout_split(t0, t1, 0.2)
    # The last 2 of 10 times (8, 9) are the hold-out; rows at times 6 and 7 end at 8 and 9: purged.
    assert holdout.tolist() == list(range(16, 20))
    assert kept.tolist() == list(range(0, 12))


def test_time_holdout_split_never_keeps_a_label_that_meets_the_holdout():
    rng = np.random.default_rng(3)
    t0 = np.sort(rng.integers(0, 100, 400)).astype(float)
    t1 = t0 + rng.integers(0, 8, 400)
    kept, holdout = time_holdout_split(t0, t1, 0.25)
    assert (t1[kept] < t0[holdout].min()).all()
    assert np.unique(t0[holdout]).size == pytest.approx(0.25 * np.unique(t0).size, abs=1)
    # Everything not kept or held out overlaps the hold-out.
    dropped = np.setdiff1d(np.arange(400), np.concatenate([kept, holdout]))
    assert (t1[dropped] >= t0[holdout].min()).all()


@pytest.fixture(scope="module")
def returns():
    return sp500.load()["Adj Close"].pct_change().dropna().to_numpy()[-1200:]


@pytest.mark.parametrize("kind", ["garch", "gjr", "egarch"])
def test_variance_forecast_path_equals_arch_with_fixed_parameters(returns, kind):
    spec = {
        "garch": {"p": 1, "q": 1},
        "gjr": {"p": 1, "o": 1, "q": 1},
        "egarch": {"vol": "EGARCH", "p": 1, "o": 1, "q": 1},
    }
    head = returns[:1000]
    fit = vol_fit(head, kind)
    path = variance_forecast_path(kind, fit.params, fit.next_variance, returns[1000:])
    # arch filters the whole series with the head's parameters: its conditional variance at each
    # tail bar is the one-step forecast made before that bar.
    fixed = arch_model(100 * returns, mean="Constant", **spec[kind]).fix(pd.Series(fit.params))
    reference = fixed.conditional_volatility[1000:] ** 2 / 1e4
    np.testing.assert_allclose(path, reference, rtol=1e-9)


def test_variance_losses_hand_worked():
    got = variance_losses([1.0, 4.0], [2.0, 2.0])
    assert got["mse"] == pytest.approx((1 + 4) / 2)
    assert got["qlike"] == pytest.approx(np.log(2) + (0.5 + 2) / 2)
    assert np.isfinite(variance_losses([0.0], [1.0])["qlike"])  # a zero return is fine
    with pytest.raises(ValueError):
        variance_losses([1.0], [0.0])


def test_vol_holdout_equals_arch_on_the_split(returns):
    got = vol_holdout(returns, "garch", dist="normal", mean="constant", fraction=0.2)
    cut = int(len(returns) * 0.8)
    ref = arch_model(100 * returns[:cut], mean="Constant", p=1, q=1).fit(disp="off")
    fixed = arch_model(100 * returns, mean="Constant", p=1, q=1).fix(ref.params)
    h = fixed.conditional_volatility[cut:] ** 2 / 1e4
    eps2 = (returns[cut:] - ref.params["mu"] / 100) ** 2
    assert got["n"] == len(returns) - cut
    assert got["qlike"] == pytest.approx(np.mean(np.log(h) + eps2 / h), rel=1e-8)
    assert got["mse"] == pytest.approx(np.mean((eps2 - h) ** 2), rel=1e-8)
    const = np.mean((returns[:cut] - ref.params["mu"] / 100) ** 2)
    assert got["qlike_constant"] == pytest.approx(np.mean(np.log(const) + eps2 / const), rel=1e-10)


def test_cross_val_predictions_equal_lightgbm_fold_by_fold():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 3))
    y = X @ [0.5, -0.2, 0.1] + rng.normal(scale=0.5, size=200)
    t = np.arange(200.0)
    splits = purged_kfold_splits(t, t + 3, n_splits=4, embargo_pct=0.02)
    params = {"n_estimators": 15, "num_leaves": 4}
    got = cross_val_predictions("lightgbm", params, X, y, splits, seed=1)
    for j, (train, test) in enumerate(splits):
        ref = lgb.LGBMRegressor(
            **hyperparams_resolve("lightgbm", params),
            subsample_freq=1,
            random_state=1,
            n_jobs=1,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        ).fit(X[train], y[train])
        np.testing.assert_array_equal(got.pred[got.fold == j], ref.predict(X[test]))
        np.testing.assert_array_equal(got.index[got.fold == j], test)
        np.testing.assert_array_equal(got.y[got.fold == j], y[test])


def test_text_classifier_holdout_equals_sklearn():
    texts = [f"shares rally on strong results {i}" for i in range(8)] + [
        f"stock plunges after weak guidance {i}" for i in range(8)
    ]
    labels = ["pos"] * 8 + ["neg"] * 8
    got = text_classifier_holdout(texts, labels, seed=4, fraction=0.25, C=1.0, max_features=None)
    train, test = train_test_split(np.arange(16), test_size=0.25, random_state=4, stratify=labels)
    ref = Pipeline(
        [
            ("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("clf", LogisticRegression(C=1.0, max_iter=1000, random_state=4)),
        ]
    ).fit([texts[i] for i in train], [labels[i] for i in train])
    pred = ref.predict([texts[i] for i in test])
    truth = [labels[i] for i in test]
    assert (got["n_train"], got["n_test"]) == (12, 4)
    assert got["accuracy"] == accuracy_score(truth, pred)
    assert got["f1_macro"] == f1_score(truth, pred, average="macro")
