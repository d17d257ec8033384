"""model_train on real data (arch's S&P 500 bars, features computed by the features engine):
the version's metrics equal a direct recomputation with LightGBM / scikit-learn / scipy on the
splits the service used, those splits never let a training label meet a test label, the stored
bundle predicts exactly what the estimator fitted directly predicts, the conformal half-width is
the hand-computed order statistic, AutoML's trials are all recorded and the best is used, the seed
makes training repeatable; volatility, regime and sentiment versions equal their libraries."""

from __future__ import annotations

import math

import lightgbm as lgb
import numpy as np
import pytest
from arch import arch_model
from hmmlearn.hmm import GaussianHMM
from scipy import stats
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error
from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression

from apps.ml.kernels.estimators import hyperparams_resolve
from apps.ml.kernels.evaluation import text_classifier_holdout, time_holdout_split
from apps.ml.kernels.sentiment import text_classifier_fit
from apps.ml.kernels.validation import embargo_size, purged_kfold_splits, walk_forward_splits
from apps.ml.models import AliasMove, ModelAlias, ModelVersion
from apps.ml.selectors.artifacts import version_artifact
from apps.ml.selectors.training_data import price_samples, return_series
from apps.ml.services.training import model_train

pytestmark = pytest.mark.django_db
SYMBOLS = ["AAA", "BBB"]
LGB_PARAMS = {"n_estimators": 20, "num_leaves": 7, "min_child_samples": 10}


def lgb_direct(params, seed):
    return lgb.LGBMRegressor(
        **hyperparams_resolve("lightgbm", params),
        subsample_freq=1,
        random_state=seed,
        n_jobs=1,
        deterministic=True,
        force_row_wise=True,
        verbose=-1,
    )


def train_price(**over):
    body = {
        "name": "spy-ret",
        "kind": "price",
        "estimator": "lightgbm",
        "target": "return_5d",
        "feature_set": "core",
        "symbols": SYMBOLS,
        "hyperparameters": LGB_PARAMS,
        "validation": {"method": "purged_kfold", "n_splits": 4, "embargo_pct": 0.02},
        "alpha": 0.2,
        "seed": 3,
    }
    return model_train(**{**body, **over})


def samples_split(h=5):
    s = price_samples(feature_set="core", symbols=SYMBOLS, start=None, end=None, horizon=h)
    fit, cal = time_holdout_split(s.t0, s.t1, 0.2)
    return s, fit, cal


def test_price_metrics_equal_a_direct_recomputation_on_purged_splits(core_features, user):
    trained = train_price(user=user)
    v = trained.version
    s, fit, cal = samples_split()
    X, y, t0, t1 = s.X[fit], s.y[fit], s.t0[fit], s.t1[fit]
    # Nothing the model was fitted on has a label reaching into the calibration tail.
    assert (s.t1[fit] < s.t0[cal].min()).all()
    splits = purged_kfold_splits(t0, t1, n_splits=4, embargo_pct=0.02)
    folds = v.metrics["validation"]["folds"]
    assert [(f["n_train"], f["n_test"]) for f in folds] == [(len(a), len(b)) for a, b in splits]
    embargo = embargo_size(len(y), 0.02)
    assert embargo > 0
    for f, (train, test) in zip(folds, splits, strict=True):
        # The split used: no training label interval meets a test label interval ...
        a0, a1 = t0[train].asi8, t1[train].asi8
        b0, b1 = t0[test].asi8, t1[test].asi8
        assert not ((a0[:, None] <= b1[None, :]) & (a1[:, None] >= b0[None, :])).any()
        # ... and the `embargo` rows after the purged ones are left out too.
        after = np.flatnonzero(t0.asi8 > b1.max())
        assert not np.isin(after[:embargo], train).any()
        if after.size > embargo:
            assert np.isin(after[embargo:], train).all()
        pred = lgb_direct(LGB_PARAMS, 3).fit(X[train], y[train]).predict(X[test])
        assert f["mse"] == pytest.approx(mean_squared_error(y[test], pred), rel=1e-9)
        assert f["mae"] == pytest.approx(mean_absolute_error(y[test], pred), rel=1e-9)
        assert f["ic"] == pytest.approx(stats.pearsonr(pred, y[test]).statistic, rel=1e-9)
        assert f["rank_ic"] == pytest.approx(stats.spearmanr(pred, y[test]).statistic, rel=1e-9)
        assert f["hit_rate"] == pytest.approx(np.mean(np.sign(pred) == np.sign(y[test])))
    mean = v.metrics["validation"]["mean"]
    for k in ("mse", "mae", "ic", "rank_ic", "hit_rate"):
        assert mean[k] == pytest.approx(np.mean([f[k] for f in folds]), rel=1e-12)

    # The stored bundle predicts what LightGBM fitted directly on the fit part predicts.
    bundle = version_artifact(v)
    final = lgb_direct(LGB_PARAMS, 3).fit(X, y)
    pred, lower, upper = bundle.predict(s.X[cal])
    np.testing.assert_array_equal(pred, final.predict(s.X[cal]))
    scores = np.sort(np.abs(s.y[cal] - pred))
    n = len(scores)
    # MAPIE's convention (kernels/conformal.py): numpy's "higher" quantile at (n + 1)(1 - alpha) / n,
    # the sorted score at index ceil(level * (n - 1)), never below the textbook ⌈(n+1)(1-α)⌉-th.
    q = scores[math.ceil((n + 1) * (1 - 0.2) / n * (n - 1))]
    assert q >= scores[math.ceil((n + 1) * (1 - 0.2)) - 1]
    assert bundle.halfwidth == pytest.approx(q, rel=1e-12)
    np.testing.assert_allclose(upper - lower, 2 * q)
    assert v.metrics["calibration"]["covered"] == pytest.approx(np.mean(np.abs(s.y[cal] - pred) <= q))
    assert v.metrics["calibration"]["mse"] == pytest.approx(mean_squared_error(s.y[cal], pred), rel=1e-9)
    assert bundle.features == s.features and bundle.horizon == 5 and bundle.alpha == 0.2
    np.testing.assert_allclose(bundle.fill, np.median(X, axis=0))
    assert bundle.coverage == pytest.approx(0.8)
    # The version row says how it was made.
    used = np.concatenate([fit, cal])
    assert v.train_start == s.t0[used].min() and v.train_end == s.t1[used].max()
    assert v.hyperparameters == hyperparams_resolve("lightgbm", LGB_PARAMS)
    assert v.library_versions["lightgbm"] == lgb.__version__
    assert v.feature_set_version == 1 and v.trained_by == user
    assert v.metrics["data"]["n_fit"] == len(fit) and v.metrics["data"]["n_calibration"] == len(cal)
    assert v.metrics["training"]["seed"] == 3 and v.metrics["training"]["symbols"] == SYMBOLS
    assert trained.model.feature_set_name == "core" and trained.model.feature_set_version == 1


def test_walk_forward_trains_each_fold_on_the_past_only(core_features):
    v = train_price(
        estimator="linear",
        hyperparameters={"alpha": 0.5},
        validation={"method": "walk_forward", "n_splits": 3},
    ).version
    s, fit, _ = samples_split()
    X, y, t0, t1 = s.X[fit], s.y[fit], s.t0[fit], s.t1[fit]
    splits = walk_forward_splits(t0, t1, n_splits=3, test_size=len(y) // 4)
    folds = v.metrics["validation"]["folds"]
    assert [(f["n_train"], f["n_test"]) for f in folds] == [(len(a), len(b)) for a, b in splits]
    for f, (train, test) in zip(folds, splits, strict=True):
        assert t1[train].max() < t0[test].min()  # every training label ends before the test starts
        pred = Ridge(alpha=0.5, random_state=3).fit(X[train], y[train]).predict(X[test])
        assert f["mse"] == pytest.approx(mean_squared_error(y[test], pred), rel=1e-9)


def test_automl_records_every_trial_and_uses_the_best(core_features):
    v = train_price(
        estimator="linear", hyperparameters={"fit_intercept": True}, automl={"trials": 4}, seed=11
    ).version
    trials = v.metrics["trials"]
    assert [t["number"] for t in trials] == [0, 1, 2, 3]
    assert all(
        t["state"] == "COMPLETE" and set(t["params"]) == {"alpha"} for t in trials
    )  # fit_intercept held
    best = min(trials, key=lambda t: t["score"])
    assert v.metrics["automl"]["best_number"] == best["number"]
    assert v.hyperparameters == {"alpha": best["params"]["alpha"], "fit_intercept": True}
    # The trial's score is the mean validation MSE on the same splits: the version's own mean.
    assert v.metrics["validation"]["mean"]["mse"] == pytest.approx(best["score"], rel=1e-12)


def test_the_seed_makes_training_repeatable(core_features):
    forest = {"estimator": "forest", "hyperparameters": {"n_estimators": 10, "max_depth": 4}}
    a = train_price(name="a", **forest, seed=0).version
    b = train_price(name="b", **forest, seed=0).version
    c = train_price(name="c", **forest, seed=1).version
    s, _, cal = samples_split()
    pa, pb, pc = (version_artifact(v).predict(s.X[cal])[0] for v in (a, b, c))
    np.testing.assert_array_equal(pa, pb)
    assert a.metrics["validation"] == b.metrics["validation"]
    assert not np.array_equal(pa, pc)


def test_versions_follow_each_other_aliases_move_audited_and_a_job_is_trained_once(core_features, user):
    first = train_price(alias="champion", user=user)
    second = train_price(alias="champion", user=user, job_id="job-1")
    assert (first.version.number, second.version.number) == (1, 2)
    assert ModelAlias.objects.get(model=first.model, name="champion").version == second.version
    moves = AliasMove.objects.filter(model=first.model).order_by("id")
    assert [(m.from_version_id, m.to_version_id) for m in moves] == [
        (None, first.version.pk),
        (first.version.pk, second.version.pk),
    ]
    assert all(m.moved_by == user for m in moves)
    again = train_price(alias="champion", user=user, job_id="job-1")  # a redelivered job
    assert again.version == second.version and not again.created
    assert ModelVersion.objects.filter(model=first.model).count() == 2


def test_volatility_version_equals_arch(market):
    v = model_train(
        name="vol", kind="volatility", estimator="gjr", symbols=SYMBOLS, hyperparameters={"dist": "t"}
    )
    bundle = version_artifact(v.version)
    returns = return_series(symbols=SYMBOLS, start=None, end=None)
    for symbol, r in returns.items():
        ref = arch_model(100 * r.to_numpy(), mean="Constant", vol="GARCH", p=1, o=1, q=1, dist="t").fit(
            disp="off"
        )
        assert bundle.params[symbol] == pytest.approx(ref.params.to_dict(), rel=1e-12)
        one = ref.forecast(horizon=1, reindex=False).variance.iloc[-1, 0] / 1e4
        assert bundle.next_variance[symbol] == pytest.approx(one, rel=1e-10)
        assert bundle.last_ts[symbol] == r.index[-1].isoformat().replace("+00:00", "Z")
        m = v.version.metrics["symbols"][symbol]
        assert m["loglik"] == pytest.approx(ref.loglikelihood) and m["n_obs"] == len(r)
        assert m["holdout"]["n"] == len(r) - int(len(r) * 0.8)
    assert (bundle.kind, bundle.dist, bundle.mean) == ("gjr", "t", "constant")
    assert v.version.hyperparameters == {"dist": "t", "mean": "constant"}


def test_hmm_regimes_equal_hmmlearn_on_the_standardized_returns(market):
    v = model_train(name="reg", kind="regime", estimator="hmm", symbols=SYMBOLS, seed=4).version
    bundle = version_artifact(v)
    r = return_series(symbols=SYMBOLS, start=None, end=None)
    X = np.concatenate([r[s].to_numpy() for s in SYMBOLS])[:, None]
    z = (X - X.mean()) / X.std()
    ref = GaussianHMM(n_components=2, covariance_type="full", n_iter=100, random_state=4)
    ref.fit(z, lengths=[len(r[s]) for s in SYMBOLS])
    order = np.argsort(ref.covars_[:, 0, 0])
    lo = 0
    for s in SYMBOLS:
        hi = lo + len(r[s])
        np.testing.assert_allclose(
            bundle.last_probabilities[s], ref.predict_proba(z[lo:hi])[-1][order], atol=1e-8
        )
        lo = hi
    assert bundle.inputs == ("return",) and bundle.state_names == ("calm", "turbulent")
    assert bundle.params.covars[0, 0, 0] < bundle.params.covars[1, 0, 0]
    assert v.metrics["state_share"]["calm"] + v.metrics["state_share"]["turbulent"] == pytest.approx(1.0)


def test_markov_regimes_equal_statsmodels_filter(market):
    v = model_train(name="ms", kind="regime", estimator="markov", symbols=SYMBOLS).version
    bundle = version_artifact(v)
    r = return_series(symbols=SYMBOLS, start=None, end=None)
    joined = np.concatenate([r[s].to_numpy() for s in SYMBOLS])
    res = MarkovRegression(joined, k_regimes=2, trend="c", switching_variance=True).fit(disp=False)
    order = np.argsort(res.params[-2:])  # sigma2[0], sigma2[1]
    for s in SYMBOLS:
        own = MarkovRegression(r[s].to_numpy(), k_regimes=2, trend="c", switching_variance=True)
        ref = own.filter(res.params).filtered_marginal_probabilities[-1][order]
        np.testing.assert_allclose(bundle.last_probabilities[s], ref, atol=1e-8)
    assert v.metrics["loglik"] == pytest.approx(res.llf, rel=1e-9)


HEADLINES = [f"shares rally on record profit {i}" for i in range(7)] + [
    f"stock slumps after profit warning {i}" for i in range(7)
]
LABELS = ["positive"] * 7 + ["negative"] * 7


def test_sentiment_versions(db):
    vader = model_train(name="vader", kind="sentiment", estimator="vader").version
    assert version_artifact(vader).method == "vader" and version_artifact(vader).pipeline is None
    assert set(vader.metrics) == {"training"}  # no scores: nothing was fitted
    tfidf = model_train(
        name="tfidf", kind="sentiment", estimator="tfidf", texts=HEADLINES, labels=LABELS, seed=2
    ).version
    bundle = version_artifact(tfidf)
    direct = text_classifier_fit(HEADLINES, LABELS, seed=2)
    probe = ["profit rally", "profit warning slumps"]
    np.testing.assert_array_equal(bundle.pipeline.predict_proba(probe), direct.predict_proba(probe))
    assert bundle.labels == ("negative", "positive")
    holdout = text_classifier_holdout(HEADLINES, LABELS, seed=2, fraction=0.25, C=1.0, max_features=50_000)
    assert {k: tfidf.metrics["holdout"][k] for k in holdout} == holdout
    assert tfidf.metrics["classes"] == {"negative": 7, "positive": 7}


def test_a_trained_hmm_is_carried_over_new_bars_by_the_prediction_as_by_its_own_filter(market):
    # Training and prediction meet here: trained on all but the last ten bars, the prediction filters
    # those ten from the stored probabilities, in the standardized units the model was fitted in.
    from apps.ml import facade

    whole = return_series(symbols=["AAA"], start=None, end=None)["AAA"]
    end = whole.index[-10]
    model_train(
        name="reg-new", kind="regime", estimator="hmm", symbols=SYMBOLS, end=end, seed=4, alias="champion"
    )
    bundle = facade.model_load("reg-new", "champion")
    got = facade.regime_probabilities("AAA", "reg-new")
    assert got.new_observations == 10
    expected = bundle.filter(whole.to_numpy()[:, None])[-1]  # the filter over the whole sequence
    np.testing.assert_allclose(got.probabilities, expected, atol=1e-10)
