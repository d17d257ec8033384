"""Artifacts: a fitted model round-trips with its checksum, and bytes that differ from the recorded
checksum are refused before anything is unpickled."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from apps.ml.kernels.artifacts import ArtifactChecksumError, artifact_dump, artifact_load
from apps.ml.kernels.estimators import fit, predict

UNPICKLED: list[str] = []


def _record(tag: str) -> str:
    UNPICKLED.append(tag)
    return tag


class Tripwire:
    """Unpickling it calls _record: the proof that a load ran pickle's code."""

    def __reduce__(self):
        return (_record, ("unpickled",))


def test_a_fitted_model_round_trips():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((200, 3)), rng.standard_normal(200)
    model = fit("lightgbm", {"n_estimators": 20}, X, y, seed=1)
    artifact = artifact_dump(model)
    assert artifact.sha256 == hashlib.sha256(artifact.data).hexdigest()
    loaded = artifact_load(artifact.data, artifact.sha256.upper())
    np.testing.assert_array_equal(predict(loaded, X), predict(model, X))
    assert artifact_dump({"a": np.arange(3)}).sha256 == artifact_dump({"a": np.arange(3)}).sha256


def test_tampered_bytes_are_refused_without_unpickling():
    UNPICKLED.clear()
    artifact = artifact_dump({"model": Tripwire(), "weights": np.arange(1000.0)})
    # the tripwire works: a genuine load runs it
    assert artifact_load(artifact.data, artifact.sha256)["model"] == "unpickled"
    assert UNPICKLED == ["unpickled"]
    UNPICKLED.clear()
    for position in (0, len(artifact.data) // 2, len(artifact.data) - 1):
        tampered = bytearray(artifact.data)
        tampered[position] ^= 0x01
        with pytest.raises(ArtifactChecksumError, match="does not match"):
            artifact_load(bytes(tampered), artifact.sha256)
    with pytest.raises(ArtifactChecksumError):
        artifact_load(artifact.data, "0" * 64)
    assert UNPICKLED == []
