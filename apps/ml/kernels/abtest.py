"""A/B tests of model versions: deterministic traffic assignment, per-arm error metrics, and tests of
the difference in accuracy (Diebold-Mariano, paired bootstrap).

Assignment. A request key (a symbol, a client id) goes to the same arm of a test on every call, on
every process and machine: u = blake2b("<len(test_id)>:<test_id>:<key>", 8 bytes) read as a
big-endian integer, its top 53 bits scaled to [0, 1); arm k is the one with
cum[k-1] <= u < cum[k], cum the cumulative weights over their sum (weights >= 0). Python's `hash()`
is salted per process and would reassign keys on restart; the test id in the hash makes different
tests split traffic independently.

Metrics per arm (`arm_metrics`), over the rows whose outcome is known (finite realized value):
n, MAE, RMSE, IC (Pearson correlation of prediction and realized), rank IC (Spearman: Pearson of
average ranks), hit rate (share with sign(prediction) == sign(realized); a zero matches only zero).

Diebold-Mariano (1995). With errors e = realized - prediction of arms a and b and a loss L
(squared or absolute), d_t = L(e_a,t) - L(e_b,t) over T paired outcomes; negative means a is more
accurate. The long-run variance of d is Newey-West's (Bartlett weights 1 - k/h over h - 1 lags, the
autocorrelation an h-step forecast error carries):
    gamma_k = (1/T) sum_{t>=k} (d_t - dbar)(d_{t-k} - dbar),   LRV = gamma_0 + 2 sum_{k=1}^{h-1} (1 - k/h) gamma_k
    DM = dbar / sqrt(LRV / T),
then Harvey, Leybourne & Newbold's (1997) small-sample correction
    DM* = DM * sqrt((T + 1 - 2h + h(h - 1)/T) / T),
two-sided p-value from Student's t with T - 1 degrees of freedom. At h = 1 the Bartlett and the
original (uniform) weights agree; for h > 1 Bartlett keeps the variance positive. NaN when d is
constant (LRV = 0).

Paired bootstrap: the T pairs are resampled with replacement `n_boot` times (a seeded numpy
Generator), giving bootstrap means of d; the percentile interval at `confidence`, and the p-value of
mean d = 0 from the centred means: (1 + #{|m*_b - dbar| >= |dbar|}) / (n_boot + 1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

Loss = Literal["squared", "absolute"]
LOSSES = ("squared", "absolute")
_BOOT_CELLS = 1 << 22  # resampled indices per chunk: bounds the bootstrap's memory


def assignment_uniform(keys: Iterable[str], test_id: str) -> np.ndarray:
    """The uniform in [0, 1) each key hashes to in test `test_id` (see the module docstring)."""
    prefix = f"{len(str(test_id))}:{test_id}:".encode()
    hashed = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(prefix + str(k).encode(), digest_size=8).digest(), "big") >> 11
            for k in keys
        ),
        dtype=np.uint64,
    )
    return hashed * 2.0**-53


def assign_arms(keys: Iterable[str], test_id: str, weights) -> np.ndarray:
    """The arm index (0..len(weights) - 1) of each key."""
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0 or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative, with a positive sum")
    cum = np.cumsum(w) / w.sum()
    cum[-1] = 1.0  # rounding must not leave a sliver of [0, 1) past the last arm
    return np.searchsorted(cum, assignment_uniform(keys, test_id), side="right")


def arm_metrics(arm, prediction, realized) -> pd.DataFrame:
    """One row per arm (sorted): n, mae, rmse, ic, rank_ic, hit_rate; rows with no outcome skipped."""
    df = pd.DataFrame(
        {"arm": np.asarray(arm), "pred": np.asarray(prediction, float), "real": np.asarray(realized, float)}
    )
    df = df[np.isfinite(df["pred"]) & np.isfinite(df["real"])]
    err = df["real"] - df["pred"]
    df = df.assign(
        abs_err=err.abs(),
        sq_err=err**2,
        hit=(np.sign(df["pred"]) == np.sign(df["real"])).astype(float),
        pred_rank=df.groupby("arm")["pred"].rank(),
        real_rank=df.groupby("arm")["real"].rank(),
    )
    g = df.groupby("arm", sort=True)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "mae": g["abs_err"].mean(),
            "rmse": np.sqrt(g["sq_err"].mean()),
            "ic": g.apply(lambda x: _pearson(x["pred"], x["real"]), include_groups=False),
            "rank_ic": g.apply(lambda x: _pearson(x["pred_rank"], x["real_rank"]), include_groups=False),
            "hit_rate": g["hit"].mean(),
        }
    )
    out.index.name = "arm"
    return out


@dataclass(frozen=True)
class DieboldMariano:
    statistic: float  # HLN-corrected DM; negative: arm a has the smaller loss
    p_value: float
    mean_diff: float  # mean of L(e_a) - L(e_b)
    long_run_variance: float
    n: int
    h: int
    loss: str


def loss_differential(realized, pred_a, pred_b, loss: Loss = "squared") -> np.ndarray:
    """d_t = L(realized - pred_a) - L(realized - pred_b), over the rows where all three are finite."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    y, a, b = (np.asarray(v, dtype=float) for v in (realized, pred_a, pred_b))
    if not y.shape == a.shape == b.shape or y.ndim != 1:
        raise ValueError("realized and both predictions must be 1-D of the same length")
    ok = np.isfinite(y) & np.isfinite(a) & np.isfinite(b)
    ea, eb = y[ok] - a[ok], y[ok] - b[ok]
    return ea**2 - eb**2 if loss == "squared" else np.abs(ea) - np.abs(eb)


def diebold_mariano(realized, pred_a, pred_b, *, h: int = 1, loss: Loss = "squared") -> DieboldMariano:
    """Diebold-Mariano test of equal accuracy with the HLN correction (see the module docstring)."""
    d = loss_differential(realized, pred_a, pred_b, loss)
    n = d.size
    if h < 1 or n < max(3, 2 * h):
        raise ValueError(f"need h >= 1 and at least max(3, 2h) paired outcomes, got h={h}, n={n}")
    dbar = float(d.mean())
    dc = d - dbar
    lags = np.arange(1, h)
    # One dot product per lag (h - 1 of them): the autocovariances of d.
    gamma = np.array([dc @ dc] + [dc[k:] @ dc[:-k] for k in lags]) / n
    lrv = float(gamma[0] + 2 * np.sum((1 - lags / h) * gamma[1:]))
    if lrv <= 0:
        return DieboldMariano(np.nan, np.nan, dbar, lrv, n, h, loss)
    dm = dbar / np.sqrt(lrv / n)
    statistic = float(dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n))
    p_value = float(2 * stats.t.sf(abs(statistic), df=n - 1))
    return DieboldMariano(statistic, p_value, dbar, lrv, n, h, loss)


@dataclass(frozen=True)
class BootstrapResult:
    mean_diff: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    n_boot: int


def paired_bootstrap(
    realized,
    pred_a,
    pred_b,
    *,
    seed: int,
    loss: Loss = "squared",
    n_boot: int = 10_000,
    confidence: float = 0.95,
) -> BootstrapResult:
    """Paired bootstrap of the mean loss differential (see the module docstring)."""
    d = loss_differential(realized, pred_a, pred_b, loss)
    n = d.size
    if n < 2 or n_boot < 1 or not 0 < confidence < 1:
        raise ValueError("need at least 2 paired outcomes, n_boot >= 1 and confidence in (0, 1)")
    means = bootstrap_means(d, n_boot, np.random.default_rng(seed))
    dbar = float(d.mean())
    tail = (1 - confidence) / 2
    lo, hi = np.quantile(means, [tail, 1 - tail])
    p = (1 + np.count_nonzero(np.abs(means - dbar) >= abs(dbar))) / (n_boot + 1)
    return BootstrapResult(dbar, float(lo), float(hi), float(p), n, n_boot)


def bootstrap_means(d: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of `n_boot` resamples of d with replacement: row b uses the b-th row of
    rng.integers(0, n, (n_boot, n)), drawn in chunks of rows to bound memory."""
    n = d.size
    rows = max(1, _BOOT_CELLS // n)
    return np.concatenate(
        [d[rng.integers(0, n, (min(rows, n_boot - i), n))].mean(axis=1) for i in range(0, n_boot, rows)]
    )


def _pearson(x: pd.Series, y: pd.Series) -> float:
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return np.nan
    return float(np.corrcoef(x, y)[0, 1])
