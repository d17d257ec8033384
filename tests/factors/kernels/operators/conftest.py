"""Panels shared by the operator tests."""

import numpy as np
import pytest


@pytest.fixture
def random_panels():
    """Two 60 x 5 panels with scattered NaNs; column 4 of x is rounded so windows hold ties."""
    rng = np.random.default_rng(13)
    x = rng.normal(size=(60, 5))
    y = 0.5 * x + rng.normal(size=(60, 5))
    x[:, 4] = np.round(x[:, 4])
    x[[3, 20, 21, 40], [0, 1, 1, 3]] = np.nan
    y[[10, 33], [2, 0]] = np.nan
    return x, y
