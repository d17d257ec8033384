"""Prediction tests read the features engine through its process caches: start each test afresh."""

from tests.ml.abtesting import bars, bundles, two_versions  # noqa: F401 - fixtures of the A/B tests
from tests.ml.serving import fresh_feature_caches  # noqa: F401 - an autouse fixture
