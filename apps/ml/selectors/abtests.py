"""Reads of A/B tests: one test, the running test of a model with its arms, the arm of each request
key, and the report: per-arm metrics on realized records (kernels.abtest.arm_metrics) and the
significance of the difference between each pair of arms on the rows both scored (shadow records
give pairs: one served and one shadow record per row and arm, matched by request key, symbol and bar).

Significance per pair (a, b): Diebold-Mariano with h = the test's horizon (squared loss) and a
paired bootstrap of the mean loss differential (seed fixed, so a report is reproducible); with fewer
pairs than the tests need (DM: max(3, 2h); bootstrap: 2), `too_few_pairs` says so and no statistic
is given."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from apps.platform.exceptions import NotFoundError

from ..kernels.abtest import arm_metrics, assign_arms, diebold_mariano, paired_bootstrap
from ..models import ABTest, ABTestArm, ABTestStatus, PredictionRecord

BOOTSTRAP_SEED = 20240101
BOOTSTRAP_DRAWS = 2000
METRICS = ("n", "mae", "rmse", "ic", "rank_ic", "hit_rate")


class ABTestNotFound(NotFoundError):
    """No A/B test with that id."""


def abtest_get(pk: int) -> ABTest:
    found = ABTest.objects.select_related("model", "created_by").filter(pk=pk).first()
    if found is None:
        raise ABTestNotFound(f"No A/B test {pk}.")
    return found


@dataclass(frozen=True)
class RunningTest:
    test_id: int
    name: str
    shadow: bool
    horizon: int
    arms: tuple[ABTestArm, ...]  # in position order, each with its version loaded

    def assign(self, keys: list[str]) -> np.ndarray:
        """The position of the arm serving each request key."""
        return assign_arms(keys, str(self.test_id), [a.weight for a in self.arms])


def running_test(model_id: int) -> RunningTest | None:
    """The model's running test, or None (one query)."""
    arms = list(
        ABTestArm.objects.filter(test__model_id=model_id, test__status=ABTestStatus.RUNNING)
        .select_related("test", "version")
        .order_by("position")
    )
    if not arms:
        return None
    test = arms[0].test
    return RunningTest(
        test_id=test.pk, name=test.name, shadow=test.shadow, horizon=test.horizon, arms=tuple(arms)
    )


def records_frame(test: ABTest) -> pd.DataFrame:
    """The test's records: arm (position), role, request_key, symbol, bar_ts, predicted, realized."""
    rows = PredictionRecord.objects.filter(test=test).values_list(
        "arm__position", "role", "request_key", "symbol", "bar_ts", "predicted_return", "realized_return"
    )
    columns = ["arm", "role", "request_key", "symbol", "bar_ts", "predicted", "realized"]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    frame["realized"] = frame["realized"].astype(float)
    return frame


def metrics_table(frame: pd.DataFrame, by: str) -> dict:
    """{group: {n, mae, ...}} on the realized rows of `frame` (columns `by`, predicted, realized)."""
    done = frame[frame["realized"].notna()]
    if done.empty:
        return {}
    table = arm_metrics(done[by].to_numpy(), done["predicted"], done["realized"])
    return {
        k: {m: (int(v) if m == "n" else (None if not np.isfinite(v) else float(v))) for m, v in row.items()}
        for k, row in table.iterrows()
    }


def _pairs(frame: pd.DataFrame, a: int, b: int) -> pd.DataFrame:
    keys = ["request_key", "symbol", "bar_ts"]
    done = frame[frame["realized"].notna()]
    left = done[done["arm"] == a].drop_duplicates(keys)[[*keys, "predicted", "realized"]]
    right = done[done["arm"] == b].drop_duplicates(keys)[[*keys, "predicted"]]
    return left.merge(right, on=keys, suffixes=("_a", "_b")).sort_values("bar_ts", kind="stable")


def significance(frame: pd.DataFrame, a: int, b: int, horizon: int) -> dict:
    """DM and paired bootstrap of arms a vs b on their paired realized rows (see the docstring)."""
    pairs = _pairs(frame, a, b)
    n = len(pairs)
    out: dict = {"arms": [a, b], "pairs": n, "loss": "squared", "h": horizon}
    if n < max(3, 2 * horizon):
        out["too_few_pairs"] = f"{n} paired outcomes; the tests need at least {max(3, 2 * horizon)}"
        return out
    args = (pairs["realized"], pairs["predicted_a"], pairs["predicted_b"])
    dm = diebold_mariano(*args, h=horizon)
    boot = paired_bootstrap(*args, seed=BOOTSTRAP_SEED, n_boot=BOOTSTRAP_DRAWS)
    out["diebold_mariano"] = {
        "statistic": _num(dm.statistic),
        "p_value": _num(dm.p_value),
        "mean_loss_difference": _num(dm.mean_diff),
    }
    out["bootstrap"] = {
        "mean_loss_difference": _num(boot.mean_diff),
        "ci_low": _num(boot.ci_low),
        "ci_high": _num(boot.ci_high),
        "p_value": _num(boot.p_value),
        "draws": boot.n_boot,
    }
    return out


def _num(value: float) -> float | None:
    """A number for JSON: NaN (a constant loss differential) is null."""
    return float(value) if np.isfinite(value) else None


def abtest_report(test: ABTest) -> dict:
    """The test, its arms with their served/shadow counts and metrics, and the pairwise tests."""
    arms = list(test.arms.select_related("version").order_by("position"))
    frame = records_frame(test)
    served = frame[frame["role"] == "served"]
    counts = frame.groupby(["arm", "role"]).size() if not frame.empty else pd.Series(dtype=int)
    open_ = frame["realized"].isna().groupby(frame["arm"]).sum() if not frame.empty else pd.Series(dtype=int)
    # Metrics of each arm on every row it scored (served and shadow); the served-only ones too.
    scored, served_only = metrics_table(frame, "arm"), metrics_table(served, "arm")
    out_arms = []
    for arm in arms:
        p = arm.position
        out_arms.append(
            {
                "arm": p,
                "version": arm.version.number,
                "weight": arm.weight,
                "served": int(counts.get((p, "served"), 0)),
                "shadow": int(counts.get((p, "shadow"), 0)),
                "open": int(open_.get(p, 0)),
                "metrics": scored.get(p),
                "served_metrics": served_only.get(p),
            }
        )
    positions = [a.position for a in arms]
    tests = [
        significance(frame, a, b, test.horizon) for i, a in enumerate(positions) for b in positions[i + 1 :]
    ]
    return {"arms": out_arms, "comparisons": tests}
