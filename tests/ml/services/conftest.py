"""Fixtures of the outcome tests: a price model with two versions and stored bars."""

from tests.ml.abtesting import bars, bundles, two_versions  # noqa: F401
