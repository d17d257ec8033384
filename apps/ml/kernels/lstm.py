"""A small LSTM return regressor (PyTorch, CPU) over feature sequences, and the windows it reads.

PyTorch is an optional extra (`pip install -e ".[lstm]"`): this module imports it only inside
`fit` / `predict`, so the registry, the checks and every other kind work without it; `available()`
says whether it is installed (training refuses the kind with a 400 when it is not).

- `sequence_windows(X, groups, lookback)`: for each row i of a (n, k) feature matrix whose rows are
  in time order within each group (symbol), the last `lookback` rows of its group up to and
  including i, as (m, lookback, k), for the m rows that have a full window (the others are dropped;
  the caller counts them).
- `LSTMRegressor`: an sklearn-like estimator, fit(X_seq (n, L, k), y (n,)) / predict(X_seq). Inputs
  are standardized with the training mean and scale of each feature, and the target too (returns
  are ~1e-2: unscaled, Adam's first steps would dwarf them). The network is an `nn.LSTM` whose last
  hidden state goes through dropout to one linear output. Training is minibatch Adam on the mean
  squared error, shuffled by a seeded generator, with `torch.manual_seed`, deterministic algorithms
  and one thread, so the same data and seed give the same weights. The fitted object keeps a
  state_dict of numpy arrays and its configuration, not the torch module: it pickles small, and
  unpickles without building anything until it predicts.
"""

from __future__ import annotations

import contextlib
import importlib.util
from typing import Any

import numpy as np


def available() -> bool:
    """Whether PyTorch (the `lstm` extra) is installed."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # an import hook refusing it, a half-imported module
        return False


def sequence_windows(X, groups, lookback: int) -> tuple[np.ndarray, np.ndarray]:
    """(X_seq (m, lookback, k), rows (m,)): the windows of the rows with a full one, and those rows'
    indices in X, ascending. Rows of a group must be in time order (groups may interleave)."""
    X = np.asarray(X, dtype=float)
    groups = np.asarray(groups)
    n, lookback = len(X), int(lookback)
    if lookback < 1:
        raise ValueError("lookback must be at least 1")
    if n < lookback:
        return np.empty((0, lookback, X.shape[1])), np.empty(0, dtype=np.int64)
    order = np.argsort(groups, kind="stable")  # stable: each group keeps its time order
    g = groups[order]
    run_start = np.r_[True, g[1:] != g[:-1]]
    first = np.maximum.accumulate(np.where(run_start, np.arange(n), 0))
    ends = np.flatnonzero(np.arange(n) - first >= lookback - 1)  # sorted positions with a full window
    windows = np.lib.stride_tricks.sliding_window_view(order, lookback)[ends - lookback + 1]
    rows = order[ends]
    back = np.argsort(rows)
    return X[windows[back]], rows[back]


@contextlib.contextmanager
def _torch_settings(torch, seed: int):
    """One thread (the worker's process pool is the parallelism), deterministic kernels, seeded;
    the process's previous settings are restored after."""
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _network(torch, n_features: int, hidden_size: int, num_layers: int, dropout: float):
    nn = torch.nn

    class _Net(nn.Module):
        def __init__(self):
            super().__init__()
            # LSTM dropout applies between stacked layers only; the head's dropout also acts on one.
            self.lstm = nn.LSTM(
                n_features,
                hidden_size,
                num_layers=num_layers,
                batch_first=True,
                dropout=dropout if num_layers > 1 else 0.0,
            )
            self.drop = nn.Dropout(dropout)
            self.head = nn.Linear(hidden_size, 1)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(self.drop(out[:, -1, :])).squeeze(-1)

    return _Net()


class LSTMRegressor:
    """See the module docstring. Hyperparameters as in `estimators.KINDS["lstm"]`."""

    def __init__(
        self,
        *,
        hidden_size: int = 16,
        num_layers: int = 1,
        lookback: int = 10,
        epochs: int = 30,
        learning_rate: float = 0.01,
        batch_size: int = 64,
        dropout: float = 0.0,
        random_state: int = 0,
    ):
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.lookback = int(lookback)
        self.epochs = int(epochs)
        self.learning_rate = float(learning_rate)
        self.batch_size = int(batch_size)
        self.dropout = float(dropout)
        self.random_state = int(random_state)
        self.state: dict[str, np.ndarray] | None = None
        self.n_features: int | None = None
        self.x_mean = self.x_scale = None
        self.y_mean = self.y_scale = 0.0
        self._net = None  # the module rebuilt from `state`, not pickled

    def _window(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 3 or X.shape[1] < self.lookback:
            raise ValueError(f"X must be (n, >= lookback={self.lookback}, k) sequences, got {X.shape}")
        return X[:, -self.lookback :, :]  # a longer window: its last `lookback` rows

    def fit(self, X, y) -> LSTMRegressor:
        import torch

        X, y = self._window(X), np.asarray(y, dtype=float)
        if y.shape != (X.shape[0],) or not len(y):
            raise ValueError(f"y must be (n,) with n = {X.shape[0]} > 0, got {y.shape}")
        flat = X.reshape(-1, X.shape[2])
        self.n_features = X.shape[2]
        self.x_mean = flat.mean(axis=0)
        self.x_scale = np.where(flat.std(axis=0) > 0, flat.std(axis=0), 1.0)
        self.y_mean = float(y.mean())
        self.y_scale = float(y.std()) or 1.0
        xs = torch.as_tensor((X - self.x_mean) / self.x_scale, dtype=torch.float32)
        ys = torch.as_tensor((y - self.y_mean) / self.y_scale, dtype=torch.float32)
        with _torch_settings(torch, self.random_state):
            net = _network(torch, self.n_features, self.hidden_size, self.num_layers, self.dropout)
            optimizer = torch.optim.Adam(net.parameters(), lr=self.learning_rate)
            shuffle = torch.Generator().manual_seed(self.random_state)
            net.train()
            for _ in range(self.epochs):
                for batch in torch.randperm(len(ys), generator=shuffle).split(self.batch_size):
                    optimizer.zero_grad()
                    loss = torch.nn.functional.mse_loss(net(xs[batch]), ys[batch])
                    loss.backward()
                    optimizer.step()
            net.eval()
        self.state = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
        self._net = net
        return self

    def predict(self, X) -> np.ndarray:
        import torch

        if self.state is None:
            raise ValueError("the LSTM is not fitted")
        X = self._window(X)
        if X.shape[2] != self.n_features:
            raise ValueError(f"the LSTM reads {self.n_features} features, got {X.shape[2]}")
        with _torch_settings(torch, self.random_state):
            if self._net is None:
                net = _network(torch, self.n_features, self.hidden_size, self.num_layers, self.dropout)
                net.load_state_dict({k: torch.as_tensor(v) for k, v in self.state.items()})
                self._net = net.eval()
            with torch.no_grad():
                xs = torch.as_tensor((X - self.x_mean) / self.x_scale, dtype=torch.float32)
                out = self._net(xs).numpy().astype(float)
        return out * self.y_scale + self.y_mean

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_net"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._net = None
