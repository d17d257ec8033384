"""model_train with estimator "lstm" (skipped without PyTorch; CI installs the `lstm` extra), on arch's
S&P 500 bars with features computed by the features engine: the samples become per-symbol windows
of their symbol's bars with complete features, labelled or not (the short ones dropped and counted), the stored bundle predicts exactly what an LSTMRegressor fitted
directly on the fit part's windows predicts, its conformal half-width is the calibration residuals'
quantile; after a round trip through the artifact store it predicts identically, through the facade
from sequences too; the single-row predict API refuses it with a 400 on "model"."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from apps.features.selectors.online_cache import online_cache_clear  # noqa: E402
from apps.ml import facade  # noqa: E402
from apps.ml.kernels.conformal import split_conformal_halfwidth  # noqa: E402
from apps.ml.kernels.estimators import hyperparams_resolve  # noqa: E402
from apps.ml.kernels.evaluation import time_holdout_split  # noqa: E402
from apps.ml.kernels.lstm import LSTMRegressor  # noqa: E402
from apps.ml.kernels.validation import purged_kfold_splits  # noqa: E402
from apps.ml.selectors import artifacts  # noqa: E402
from apps.ml.selectors.artifacts import version_artifact  # noqa: E402
from apps.ml.selectors.training_data import feature_history, price_samples  # noqa: E402
from apps.ml.services.training import model_train  # noqa: E402

pytestmark = pytest.mark.django_db
SYMBOLS = ["AAA", "BBB"]
PARAMS = {"hidden_size": 4, "lookback": 6, "epochs": 3, "batch_size": 64}


@pytest.fixture
def trained(core_features, user):
    return model_train(
        name="spy-lstm",
        kind="price",
        estimator="lstm",
        target="return_5d",
        feature_set="core",
        symbols=SYMBOLS,
        hyperparameters=PARAMS,
        validation={"method": "purged_kfold", "n_splits": 3, "embargo_pct": 0.01},
        alpha=0.2,
        seed=7,
        alias="champion",
        user=user,
    )


def sample_windows():
    """(samples, windows, rows): the labelled samples, and for those with a full one, the window of
    the 6 history rows of their symbol ending at them, by a loop over the history."""
    s = price_samples(feature_set="core", symbols=SYMBOLS, start=None, end=None, horizon=5)
    h = feature_history(feature_set="core", symbols=SYMBOLS, start=None, end=None)
    position = {(sym, t): i for i, (sym, t) in enumerate(zip(h.symbols, h.t0, strict=True))}
    windows, rows = [], []
    for j, (sym, t) in enumerate(zip(s.symbols, s.t0, strict=True)):
        i = position[(sym, t)]  # every sample is a history row
        mine = np.flatnonzero(h.symbols[: i + 1] == sym)
        if len(mine) >= 6:
            windows.append(h.X[mine[-6:]])
            rows.append(j)
    return s, np.array(windows), np.array(rows)


def test_lstm_training_fits_windows_with_the_same_validation_and_calibration(trained):
    v = trained.version
    s, windows, rows = sample_windows()
    t0, t1, y = s.t0[rows], s.t1[rows], s.y[rows]
    fit, cal = time_holdout_split(t0, t1, 0.2)
    data = v.metrics["data"]
    assert data["lookback"] == 6 and data["n_short_window"] == len(s.y) - len(rows) > 0
    assert (data["n_fit"], data["n_calibration"]) == (len(fit), len(cal))
    splits = purged_kfold_splits(t0[fit], t1[fit], n_splits=3, embargo_pct=0.01)
    folds = v.metrics["validation"]["folds"]
    assert [(f["n_train"], f["n_test"]) for f in folds] == [(len(a), len(b)) for a, b in splits]

    bundle = version_artifact(v)
    assert bundle.estimator_kind == "lstm" and bundle.lookback == 6 and bundle.is_sequence
    direct = LSTMRegressor(**hyperparams_resolve("lstm", PARAMS), random_state=7).fit(windows[fit], y[fit])
    pred, lower, upper = bundle.predict(windows[cal])
    np.testing.assert_array_equal(pred, direct.predict(windows[cal]))
    q = split_conformal_halfwidth(y[cal], pred, 0.2)
    assert bundle.halfwidth == pytest.approx(q, rel=1e-12)
    np.testing.assert_allclose(upper - lower, 2 * q)
    np.testing.assert_allclose(bundle.fill, np.median(windows[fit].reshape(-1, windows.shape[2]), axis=0))
    assert v.hyperparameters == hyperparams_resolve("lstm", PARAMS)
    assert "torch" in v.library_versions


def test_the_bundle_round_trips_through_the_store_and_the_facade_predicts_sequences(trained):
    _, windows, _ = sample_windows()
    first = version_artifact(trained.version).predict(windows[-40:])
    artifacts.artifact_cache_clear()  # the next read unpickles the stored file afresh
    again = version_artifact(trained.version)
    assert again.estimator._net is None
    for a, b in zip(again.predict(windows[-40:]), first, strict=True):
        np.testing.assert_array_equal(a, b)
    got = facade.predict_return_sequences("spy-lstm", windows[-40:], alias="champion")
    np.testing.assert_array_equal(got.predicted_return, first[0])
    np.testing.assert_array_equal(got.upper_return, first[2])
    assert (got.lookback, got.horizon, got.coverage) == (6, 5, pytest.approx(0.8))
    assert got.features == tuple(trained.version.metrics["data"]["features"])
    with pytest.raises(facade.PredictionInputError) as e:
        facade.predict_return_sequences("spy-lstm", windows[-3:, 1:], alias="champion")
    assert "(n, 6, 3)" in e.value.errors["sequences"]
    bad = windows[-3:].copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(facade.PredictionInputError, match="finite"):
        facade.predict_return_sequences("spy-lstm", bad, alias="champion")


def last_windows(symbols):
    """Each symbol's last 6 rows of its whole feature history, by a loop: what prediction reads."""
    h = feature_history(feature_set="core", symbols=SYMBOLS, start=None, end=None)
    return np.array([h.X[np.flatnonzero(h.symbols == s)[-6:]] for s in symbols])


def test_the_api_and_facade_predict_an_lstm_from_each_symbols_last_rows(trained, api_client):
    online_cache_clear()
    bundle = version_artifact(trained.version)
    want = bundle.predict(last_windows(["BBB", "AAA", "BBB"]))
    got = facade.predict_returns("spy-lstm", ["BBB", "AAA", "BBB"], alias="champion")
    np.testing.assert_array_equal(got.predicted_return, want[0])
    np.testing.assert_array_equal(got.lower_return, want[1])
    np.testing.assert_array_equal(got.values, last_windows(["BBB", "AAA", "BBB"])[:, -1, :])
    assert (got.sources == 1).all() and not np.isnat(got.known_at).any()  # all from the store
    r = api_client.post(
        "/api/ml/predict/price", {"model": "spy-lstm", "symbol": "AAA", "current_price": 10.0}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert r.json()["predicted_return"] == pytest.approx(want[0][1], rel=1e-12)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"symbol": "AAA", "features": {"rsi_14": 50.0}}, "features", "give no feature values"),
        ({"features": {}}, "symbol", "give a symbol"),
        ({"symbol": "ZZZ"}, "symbol", "unknown symbol(s): ZZZ"),
    ],
)
def test_bad_lstm_requests_are_400_naming_the_field(trained, api_client, body, field, message):
    r = api_client.post("/api/ml/predict/price", {"model": "spy-lstm", **body}, format="json")
    assert r.status_code == 400, r.json()
    assert message in " ".join(map(str, r.json()[field]))


def test_without_torch_an_lstm_version_is_refused_on_model(trained, api_client, monkeypatch):
    monkeypatch.setattr("apps.ml.kernels.lstm.available", lambda: False)
    r = api_client.post("/api/ml/predict/price", {"model": "spy-lstm", "symbol": "AAA"}, format="json")
    assert r.status_code == 400 and "install the lstm extra" in r.json()["model"][0]
    with pytest.raises(facade.PredictionInputError, match="install the lstm extra"):
        facade.predict_return_sequences("spy-lstm", np.zeros((1, 6, 3)), alias="champion")
