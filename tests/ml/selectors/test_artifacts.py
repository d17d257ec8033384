"""version_artifact: the sha256 is checked before anything is unpickled (a tampered file whose
unpickling would run code is refused and never run), refusals are recorded for /health and cleared
when the file checks out again, and loaded objects are cached per process, bounded, LRU."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from apps.ml.selectors import artifacts
from apps.ml.selectors.artifacts import (
    ArtifactChecksumError,
    ArtifactMissingError,
    ArtifactRefused,
    artifact_cache_keys,
    artifact_failures,
    version_artifact,
)
from apps.ml.services.versions import version_create
from apps.platform.redis_client import platform_redis

from ..conftest import fit, make_version

pytestmark = pytest.mark.django_db


class _Payload:
    """Unpickling this creates a directory: proof that code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_a_verified_artifact_loads_as_the_fitted_model(v1, xy):
    loaded = version_artifact(v1)
    np.testing.assert_allclose(loaded.predict(xy[0]), fit(xy, 1.0).predict(xy[0]), rtol=0, atol=0)
    assert artifact_failures() == []


def test_a_tampered_artifact_is_refused_before_it_is_unpickled(v1, artifact_root, tmp_path):
    marker = tmp_path / "code-ran"
    payload = pickle.dumps(_Payload(str(marker)))
    pickle.loads(payload)  # the payload is live: loading it does run code
    assert marker.is_dir()
    marker.rmdir()

    (artifact_root / v1.artifact_path).write_bytes(payload)
    with pytest.raises(ArtifactChecksumError) as err:
        version_artifact(v1)
    assert not marker.exists()
    assert err.value.version_id == v1.pk and err.value.expected_sha256 == v1.artifact_sha256
    assert artifact_cache_keys() == []


def test_a_same_size_change_is_caught_by_the_checksum(v1, artifact_root):
    path = artifact_root / v1.artifact_path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactChecksumError, match="sha256 differs"):
        version_artifact(v1)


def test_refusals_are_logged_recorded_for_health_and_cleared_when_fixed(v1, artifact_root, caplog):
    path = artifact_root / v1.artifact_path
    good = path.read_bytes()
    path.write_bytes(good + b"junk")
    with caplog.at_level("ERROR", logger="apps.ml.artifacts"), pytest.raises(ArtifactChecksumError):
        version_artifact(v1)
    assert any("refused the artifact" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    (failure,) = artifact_failures()
    assert (failure.version_id, failure.number, failure.expected_sha256) == (v1.pk, 1, v1.artifact_sha256)
    assert failure.actual_sha256 is not None and failure.actual_sha256 != v1.artifact_sha256
    assert platform_redis().hexists(artifacts.FAILURES_KEY, str(v1.pk))  # seen by every process

    path.write_bytes(good)
    version_artifact(v1)
    assert artifact_failures() == []


def test_a_missing_file_is_refused_and_recorded(v1, artifact_root):
    (artifact_root / v1.artifact_path).unlink()
    with pytest.raises(ArtifactMissingError):
        version_artifact(v1)
    assert [f.version_id for f in artifact_failures()] == [v1.pk]


def test_a_failed_version_has_nothing_to_load(price_model):
    failed = version_create(model=price_model, artifact=None, status="failed", error="diverged")
    with pytest.raises(ArtifactRefused, match="failed"):
        version_artifact(failed)


def test_this_process_remembers_refusals_when_redis_is_unreachable(v1, artifact_root, monkeypatch):
    import redis

    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise redis.ConnectionError("down")

            return fail

    (artifact_root / v1.artifact_path).write_bytes(b"not it")
    monkeypatch.setattr(artifacts, "platform_redis", lambda: Down())
    with pytest.raises(ArtifactChecksumError):
        version_artifact(v1)
    assert [f.version_id for f in artifact_failures()] == [v1.pk]


def test_a_loaded_artifact_is_served_from_the_cache(v1, artifact_root):
    first = version_artifact(v1)
    (artifact_root / v1.artifact_path).unlink()  # a cache hit does not read the file
    assert version_artifact(v1) is first
    assert artifact_cache_keys() == [(v1.pk, v1.artifact_sha256)]
    artifacts.artifact_cache_clear()
    with pytest.raises(ArtifactMissingError):
        version_artifact(v1)


def test_the_cache_is_bounded_and_drops_the_least_recently_used(price_model, xy, settings):
    settings.ML_ARTIFACT_CACHE_SIZE = 2
    a, b, c = (make_version(price_model, xy, alpha=k) for k in (1.0, 2.0, 3.0))
    version_artifact(a)
    version_artifact(b)
    version_artifact(a)  # a is now the most recent
    version_artifact(c)
    assert artifact_cache_keys() == [(a.pk, a.artifact_sha256), (c.pk, c.artifact_sha256)]


def test_artifact_paths_stay_inside_the_root(artifact_root):
    assert artifacts.artifact_file("m/v1.joblib") == (artifact_root / "m" / "v1.joblib").resolve()
    for bad in ("", "../x", "/abs/x", "m/../../x"):
        with pytest.raises(ValueError):
            artifacts.artifact_file(bad)
