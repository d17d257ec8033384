"""Loading a version's artifact: read the file the engine wrote, check its sha256 against the
registry BEFORE unpickling (a pickle runs code when loaded, so bytes that are not the registered ones
are never handed to joblib), and keep loaded objects per process.

- The cache is keyed by (version id, sha256) and bounded (ML_ARTIFACT_CACHE_SIZE, least recently
  used dropped first); versions are immutable, so an entry never goes stale.
- A refused artifact (missing file, wrong size or checksum) raises ArtifactRefused, is logged, and is
  recorded where every process sees it (a Redis hash; this process's memory as well, so a Redis
  outage loses nothing locally): `artifact_failures()` lists them. A later successful check clears
  the version's record. /health reports them (the facade's `health_checks`, which the platform's
  health finds by name) as "ml: N refused model artifact(s)", the engine degraded.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import redis
from django.conf import settings

from apps.platform.redis_client import platform_redis
from apps.platform.timestamps import iso_utc

from ..kernels.artifacts import artifact_load, sha256_hex
from ..models import ModelVersion, VersionStatus

log = logging.getLogger("apps.ml.artifacts")

FAILURES_KEY = "nautilus:ml:artifact_failures"


class ArtifactRefused(Exception):
    """A version's artifact cannot be used: it was not loaded and nothing may be predicted with it."""

    def __init__(self, version: ModelVersion, reason: str, *, actual_sha256: str | None = None) -> None:
        self.version_id = version.pk
        self.model_id = version.model_id
        self.number = version.number
        self.reason = reason
        self.expected_sha256 = version.artifact_sha256
        self.actual_sha256 = actual_sha256
        super().__init__(f"artifact of model {version.model_id} v{version.number} refused: {reason}")


class ArtifactChecksumError(ArtifactRefused):
    """The file is there but its bytes are not the ones registered (size or sha256 differ)."""


class ArtifactMissingError(ArtifactRefused):
    """The registered file is not there (or the version has no artifact: a failed version)."""


def artifact_root() -> Path:
    return Path(settings.ML_ARTIFACT_ROOT).resolve()


def artifact_file(relative_path: str) -> Path:
    """The absolute path of an artifact; ValueError if `relative_path` would leave the root."""
    root = artifact_root()
    path = (root / relative_path).resolve()
    if not relative_path or Path(relative_path).is_absolute() or not path.is_relative_to(root):
        raise ValueError(f"artifact path {relative_path!r} is not inside ML_ARTIFACT_ROOT")
    return path


def artifact_checksum(data: bytes) -> str:
    return sha256_hex(data)


# --- the per-process cache ------------------------------------------------------------------------

_cache: OrderedDict[tuple[int, str], object] = OrderedDict()
_cache_lock = threading.Lock()


def _cached(key: tuple[int, str]) -> tuple[bool, object]:
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return True, _cache[key]
    return False, None


def _remember(key: tuple[int, str], obj: object) -> None:
    with _cache_lock:
        _cache[key] = obj
        _cache.move_to_end(key)
        while len(_cache) > max(settings.ML_ARTIFACT_CACHE_SIZE, 0):
            _cache.popitem(last=False)


def artifact_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


def artifact_cache_keys() -> list[tuple[int, str]]:
    """(version id, sha256) of what this process holds, least recently used first."""
    with _cache_lock:
        return list(_cache)


# --- refusals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArtifactFailure:
    version_id: int
    model_id: int
    number: int
    reason: str
    expected_sha256: str
    actual_sha256: str | None
    at: str  # ISO 8601 UTC


_local_failures: dict[int, ArtifactFailure] = {}
_local_lock = threading.Lock()


def _record(exc: ArtifactRefused) -> None:
    failure = ArtifactFailure(
        version_id=exc.version_id,
        model_id=exc.model_id,
        number=exc.number,
        reason=exc.reason,
        expected_sha256=exc.expected_sha256,
        actual_sha256=exc.actual_sha256,
        at=iso_utc(time.time()),
    )
    log.error(
        "refused the artifact of model %s v%s (version %s): %s",
        exc.model_id,
        exc.number,
        exc.version_id,
        exc.reason,
    )
    with _local_lock:
        _local_failures[exc.version_id] = failure
    try:
        platform_redis().hset(FAILURES_KEY, str(exc.version_id), json.dumps(failure.__dict__))
    except redis.RedisError as err:  # kept locally; the refusal itself must not fail differently
        log.warning("could not share the artifact refusal of version %s: %s", exc.version_id, err)


def _clear(version_id: int) -> None:
    with _local_lock:
        known = _local_failures.pop(version_id, None) is not None
    try:
        platform_redis().hdel(FAILURES_KEY, str(version_id))
    except redis.RedisError as err:
        if known:
            log.warning("could not clear the artifact refusal of version %s: %s", version_id, err)


def artifact_failures() -> list[ArtifactFailure]:
    """Every artifact refused and not verified since, by version id: the shared record, plus this
    process's own when Redis cannot be read."""
    found: dict[int, ArtifactFailure] = {}
    try:
        for raw in platform_redis().hvals(FAILURES_KEY):
            f = ArtifactFailure(**json.loads(raw))
            found[f.version_id] = f
    except redis.RedisError as err:
        log.warning("could not read the shared artifact refusals: %s", err)
        with _local_lock:
            found.update(_local_failures)
    return [found[k] for k in sorted(found)]


# --- loading --------------------------------------------------------------------------------------


def _verified_bytes(version: ModelVersion) -> bytes:
    if version.status != VersionStatus.READY or not version.artifact_path:
        raise ArtifactMissingError(version, f"version is {version.status}, it has no artifact")
    try:
        data = artifact_file(version.artifact_path).read_bytes()
    except (OSError, ValueError) as exc:
        raise ArtifactMissingError(version, f"cannot read {version.artifact_path}: {exc}") from None
    if len(data) != version.artifact_bytes:
        raise ArtifactChecksumError(
            version,
            f"size {len(data)} bytes, registered {version.artifact_bytes}",
            actual_sha256=artifact_checksum(data),
        )
    actual = artifact_checksum(data)
    if not hmac.compare_digest(actual, version.artifact_sha256):
        raise ArtifactChecksumError(version, "sha256 differs from the registry", actual_sha256=actual)
    return data


def version_artifact(version: ModelVersion) -> object:
    """The version's loaded artifact (from this process's cache when it holds it). Raises
    ArtifactChecksumError or ArtifactMissingError (both ArtifactRefused), recorded for
    `artifact_failures()`; the bytes are never unpickled then."""
    key = (version.pk, version.artifact_sha256)
    hit, obj = _cached(key)
    if hit:
        return obj
    try:
        data = _verified_bytes(version)
    except ArtifactRefused as exc:
        _record(exc)
        raise
    obj = artifact_load(data, version.artifact_sha256)  # checks the sha256 once more, then unpickles
    _remember(key, obj)
    _clear(version.pk)
    return obj
