"""The LSTM regressor (skipped without PyTorch, the `lstm` extra; CI installs it): the same seed gives
the same weights and predictions; it learns a target that depends on a lagged feature, which only
its window sees, far better than a constant and than a ridge on the current row; it pickles as
arrays, small, and predicts the same after; its hyperparameter space refuses values out of range."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.linear_model import Ridge  # noqa: E402

from apps.ml.kernels import estimators  # noqa: E402
from apps.ml.kernels.lstm import LSTMRegressor, sequence_windows  # noqa: E402

SMALL = {"hidden_size": 8, "lookback": 5, "epochs": 12, "learning_rate": 0.02, "batch_size": 32}


@pytest.fixture(scope="module")
def lagged():
    """Two symbols, two features; the target of row t is feature 0 three rows earlier (same symbol)
    plus a little noise: invisible in row t, inside a window of 5."""
    rng = np.random.default_rng(0)
    n = 700
    X = rng.normal(size=(n, 2))
    groups = np.array(["AAA", "BBB"] * (n // 2))
    windows, rows = sequence_windows(X, groups, 5)
    y = 0.01 * windows[:, -4, 0] + rng.normal(scale=0.001, size=len(rows))
    return windows, y


def test_same_seed_same_model_other_seed_another(lagged):
    X, y = lagged
    a = estimators.fit("lstm", SMALL, X[:300], y[:300], seed=4)
    b = estimators.fit("lstm", SMALL, X[:300], y[:300], seed=4)
    c = estimators.fit("lstm", SMALL, X[:300], y[:300], seed=5)
    for k in a.state:
        np.testing.assert_array_equal(a.state[k], b.state[k])
    np.testing.assert_array_equal(estimators.predict(a, X[300:]), estimators.predict(b, X[300:]))
    assert not np.array_equal(estimators.predict(a, X[300:]), estimators.predict(c, X[300:]))


def test_learns_a_lagged_signal_only_its_window_sees(lagged):
    X, y = lagged
    train, test = slice(0, 500), slice(500, None)
    threads = torch.get_num_threads()
    model = estimators.fit("lstm", SMALL, X[train], y[train], seed=0)
    assert torch.get_num_threads() == threads  # fit's one thread is not left on the process
    mse = np.mean((estimators.predict(model, X[test]) - y[test]) ** 2)
    constant = np.mean((y[train].mean() - y[test]) ** 2)
    row_only = Ridge(alpha=1e-6).fit(X[train, -1], y[train]).predict(X[test, -1])
    assert mse < 0.2 * constant
    assert mse < 0.2 * np.mean((row_only - y[test]) ** 2)


def test_pickles_small_as_arrays_and_predicts_the_same(lagged):
    X, y = lagged
    model = estimators.fit("lstm", {**SMALL, "epochs": 2}, X[:200], y[:200], seed=1)
    before = model.predict(X[200:260])
    blob = pickle.dumps(model)
    assert len(blob) < 20_000 and b"torch" not in blob  # a state_dict of numpy arrays, no module
    again = pickle.loads(blob)
    assert again._net is None
    np.testing.assert_array_equal(again.predict(X[200:260]), before)
    # A window longer than lookback is read by its last `lookback` rows.
    longer = np.concatenate([np.zeros((60, 3, 2)), X[200:260]], axis=1)
    np.testing.assert_array_equal(again.predict(longer), before)


def test_shapes_and_hyperparameters_are_checked(lagged):
    X, y = lagged
    assert estimators.hyperparams_validate("lstm", {"dropout": 0.9, "lookback": 1, "hidden_size": 2.5}) == {
        "dropout": "must be between 0 and 0.5",
        "lookback": "must be between 2 and 252",
        "hidden_size": "must be an integer",
    }
    with pytest.raises(ValueError, match=r"\(n, lookback, k\)"):
        estimators.fit("lstm", SMALL, X[:50, -1], y[:50], seed=0)
    with pytest.raises(ValueError, match="lookback=5"):
        LSTMRegressor(lookback=5).fit(X[:50, -3:], y[:50])
    with pytest.raises(ValueError, match="not fitted"):
        LSTMRegressor().predict(X[:5])
