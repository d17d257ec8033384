"""PSI against a hand computation: reference 1..10 in two bins (median edge 5.5), live values 1, 2
and 9: e = (0.5, 0.5), a = (2/3, 1/3), PSI = (1/6) ln(4/3) + (-1/6) ln(2/3)."""

import numpy as np
import pytest

from apps.ml.kernels.drift import EPS, psi


def test_psi_equals_the_hand_computation():
    expected = (2 / 3 - 0.5) * np.log((2 / 3) / 0.5) + (1 / 3 - 0.5) * np.log((1 / 3) / 0.5)
    assert psi(np.arange(1, 11), [1, 2, 9], bins=2) == pytest.approx(expected, rel=1e-12)


def test_same_sample_is_zero_and_an_empty_bin_is_floored():
    x = np.random.default_rng(0).normal(size=1000)
    assert psi(x, x) == pytest.approx(0.0, abs=1e-12)
    # Everything live above the reference's median: e = (0.5, 0.5), a = (EPS, 1).
    expected = (EPS - 0.5) * np.log(EPS / 0.5) + 0.5 * np.log(1 / 0.5)
    assert psi(np.arange(1, 11), [20, 30], bins=2) == pytest.approx(expected, rel=1e-12)
    assert np.isnan(psi([], [1.0])) and np.isnan(psi([1.0], [np.nan]))
