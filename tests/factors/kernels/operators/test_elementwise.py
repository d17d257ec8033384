"""Elementwise operators against hand-worked values on a 3 x 3 panel with NaNs."""

import numpy as np
import pytest

from apps.factors.kernels.operators import OPERATORS

nan = np.nan
X = np.array([[1.0, -2.0, nan], [0.0, 4.0, 9.0], [2.5, -1.0, 0.0]])
Y = np.array([[2.0, 0.0, 1.0], [0.0, nan, 3.0], [-1.0, -1.0, 0.5]])


def run(name, *args):
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    out = OPERATORS[name].kernel(*args)
    for before, after in zip(copies, args, strict=True):  # inputs untouched
        if isinstance(before, np.ndarray):
            np.testing.assert_array_equal(before, after)
    assert out.dtype == np.float64 and out.shape == args[0].shape
    return out


CASES = {
    # name: (args, expected), each value worked out by hand from X and Y above.
    "add": ((X, Y), [[3, -2, nan], [0, nan, 12], [1.5, -2, 0.5]]),
    "sub": ((X, Y), [[-1, -2, nan], [0, nan, 6], [3.5, 0, -0.5]]),
    "mul": ((X, Y), [[2, -0.0, nan], [0, nan, 27], [-2.5, 1, 0]]),
    # -2/0 and 0/0 are NaN, never ±inf
    "div": ((X, Y), [[0.5, nan, nan], [nan, nan, 3], [-2.5, 1, 0]]),
    "neg": ((X,), [[-1, 2, nan], [-0.0, -4, -9], [-2.5, 1, -0.0]]),
    # (-2)^0 = 1, 0^0 = 1, (-1)^-1 = -1, 0^0.5 = 0, 2.5^-1 = 0.4
    "power": ((X, Y), [[1, 1, nan], [1, nan, 729], [0.4, -1, 0]]),
    "abs": ((X,), [[1, 2, nan], [0, 4, 9], [2.5, 1, 0]]),
    "sign": ((X,), [[1, -1, nan], [0, 1, 1], [1, -1, 0]]),
    "log": ((X,), [[0, nan, nan], [nan, np.log(4), np.log(9)], [np.log(2.5), nan, nan]]),
    "sqrt": ((X,), [[1, nan, nan], [0, 2, 3], [np.sqrt(2.5), nan, 0]]),
    "exp": ((X,), [[np.e, np.exp(-2), nan], [1, np.exp(4), np.exp(9)], [np.exp(2.5), np.exp(-1), 1]]),
    "signed_power": ((X, 2.0), [[1, -4, nan], [0, 16, 81], [6.25, -1, 0]]),
    "greater": ((X, Y), [[2, 0, nan], [0, nan, 9], [2.5, -1, 0.5]]),
    "less": ((X, Y), [[1, -2, nan], [0, nan, 3], [-1, -1, 0]]),
    "gt": ((X, Y), [[0, 0, nan], [0, nan, 1], [1, 0, 0]]),
    "ge": ((X, Y), [[0, 0, nan], [1, nan, 1], [1, 1, 0]]),
    "lt": ((X, Y), [[1, 1, nan], [0, nan, 0], [0, 0, 1]]),
    "le": ((X, Y), [[1, 1, nan], [1, nan, 0], [0, 1, 1]]),
    "eq": ((X, Y), [[0, 0, nan], [1, nan, 0], [0, 1, 0]]),
    "ne": ((X, Y), [[1, 1, nan], [0, nan, 1], [1, 0, 1]]),
    "and": ((X, Y), [[1, 0, nan], [0, nan, 1], [1, 1, 0]]),
    "or": ((X, Y), [[1, 1, nan], [0, nan, 1], [1, 1, 1]]),
    "not": ((X,), [[0, 0, nan], [1, 0, 0], [0, 0, 1]]),
    "fill_nan": ((X, -7.0), [[1, -2, -7], [0, 4, 9], [2.5, -1, 0]]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hand_worked_values(name):
    args, expected = CASES[name]
    np.testing.assert_allclose(run(name, *args), np.array(expected, dtype=float), rtol=1e-15)


def test_every_elementwise_operator_has_a_hand_worked_case():
    elementwise = {n for n, s in OPERATORS.items() if s.category == "elementwise"}
    assert elementwise - set(CASES) == {"if_else"}  # tested on its own below


def test_if_else_takes_the_chosen_branch_and_is_nan_where_cond_is_nan():
    cond = np.array([[1.0, 0.0, nan], [-3.0, 0.0, 2.0], [0.0, nan, 1.0]])
    a = np.array([[10.0, 11.0, 12.0], [nan, 14.0, 15.0], [16.0, 17.0, 18.0]])
    b = np.array([[20.0, nan, 22.0], [23.0, 24.0, 25.0], [nan, 27.0, 28.0]])
    # cond row 0: a, b(nan), nan; row 1: a(nan), b, a; row 2: b(nan), nan, a
    expected = [[10, nan, nan], [nan, 24, 15], [nan, nan, 18]]
    np.testing.assert_array_equal(run("if_else", cond, a, b), np.array(expected, dtype=float))


def test_overflow_and_infinite_results_become_nan():
    big = np.array([[1000.0, 1e308], [-1e308, 0.0]])
    assert np.isnan(run("exp", big)[0, 0])
    assert np.isnan(run("mul", big, big)[0, 1])
    assert np.isnan(run("power", big, np.full((2, 2), -1.0))[1, 1])  # 0 ** -1
    assert np.isnan(run("signed_power", big, -1.0)[1, 1])
    assert np.isnan(run("fill_nan", np.array([[nan, 1.0], [1.0, 1.0]]), np.inf)[0, 0])
    for name in ("exp", "log", "sqrt", "neg", "abs"):
        assert not np.isinf(run(name, big)).any(), name
