"""Prediction tests read the features engine through its process caches: start each test afresh."""

from tests.ml.serving import fresh_feature_caches  # noqa: F401 - an autouse fixture
