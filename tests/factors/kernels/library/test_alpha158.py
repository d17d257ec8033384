"""Alpha158: Qlib's exact names and order, every formula compiles and equals a direct pandas
computation (alpha158_reference) on the synthetic market, NaN positions included."""

from __future__ import annotations

import numpy as np
import pytest

from apps.factors.kernels.library import ALPHA158, fields_of
from apps.factors.kernels.library.alpha158 import ROLLING_TEMPLATES, WINDOWS

from .alpha158_reference import ROLLING, reference
from .conftest import evaluate_formula


def test_alpha158_has_qlibs_158_names_in_qlibs_order():
    kbar = ["KMID", "KLEN", "KMID2", "KUP", "KUP2", "KLOW", "KLOW2", "KSFT", "KSFT2"]
    price = ["OPEN0", "HIGH0", "LOW0", "VWAP0"]
    rolling = [f"{prefix}{d}" for prefix, _ in ROLLING_TEMPLATES for d in (5, 10, 20, 30, 60)]
    assert list(ALPHA158) == kbar + price + rolling
    assert len(ALPHA158) == 158
    assert [prefix for prefix, _ in ROLLING_TEMPLATES] == list(ROLLING)  # a reference per template


@pytest.mark.parametrize(
    ("name", "formula"),
    [
        ("KUP2", "($high-Greater($open, $close))/($high-$low+1e-12)"),
        ("VWAP0", "$vwap/$close"),
        ("RSV20", "($close-Min($low, 20))/(Max($high, 20)-Min($low, 20)+1e-12)"),
        ("CORD30", "Corr($close/Ref($close,1), Log($volume/Ref($volume, 1)+1), 30)"),
        ("CNTD60", "Mean($close>Ref($close, 1), 60)-Mean($close<Ref($close, 1), 60)"),
        (
            "WVMA5",
            "Std(Abs($close/Ref($close, 1)-1)*$volume, 5)/(Mean(Abs($close/Ref($close, 1)-1)*$volume, 5)+1e-12)",
        ),
    ],
)
def test_formula_texts_are_qlibs(name, formula):
    assert ALPHA158[name] == formula


@pytest.mark.parametrize("name", list(ALPHA158))
def test_alpha158_equals_pandas(name, market, frames):
    formula = ALPHA158[name]
    assert set(fields_of(formula)) <= {"open", "high", "low", "close", "volume", "vwap"}
    ours = evaluate_formula(formula, market)
    expected = reference(name, frames).to_numpy()
    assert ours.shape == expected.shape
    # rtol 1e-9; near-zero slopes and residuals come out of a cancellation, so they also get an
    # absolute 1e-11 of the feature's largest magnitude (the two ways round differ by ~1e-15).
    scale = np.nanmax(np.abs(expected))
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-11 * scale, equal_nan=True)
    # Full windows: the longest template window (60) plus Ref's day of history, and nothing earlier.
    assert np.isfinite(ours[max(WINDOWS) + 1 :]).mean() > 0.9
