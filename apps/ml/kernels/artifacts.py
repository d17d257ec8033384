"""Model artifacts: a fitted model as bytes with its SHA-256, and a loader that checks the checksum
before unpickling anything.

`artifact_dump(obj)` writes the object with joblib (pickle, numpy arrays stored efficiently,
zlib-compressed) into memory and returns the bytes and their hex SHA-256. `artifact_load(data,
expected_sha256)` hashes the bytes first and raises `ArtifactChecksumError` if they differ from the
checksum the registry recorded: unpickling runs code chosen by whoever wrote the bytes, so bytes
that are not exactly the ones the engine wrote are never unpickled. The comparison is constant-time
(`hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from typing import Any

import joblib

COMPRESS = 3  # joblib's zlib level: models shrink ~3-5x at little cost


class ArtifactChecksumError(Exception):
    """The artifact's bytes do not match the checksum recorded for them."""


@dataclass(frozen=True)
class Artifact:
    data: bytes
    sha256: str  # hex digest of data


def artifact_dump(obj: Any) -> Artifact:
    buffer = io.BytesIO()
    joblib.dump(obj, buffer, compress=COMPRESS)
    data = buffer.getvalue()
    return Artifact(data=data, sha256=sha256_hex(data))


def artifact_load(data: bytes, expected_sha256: str) -> Any:
    """The object in `data`, only if sha256(data) is `expected_sha256` (hex, any case)."""
    actual = sha256_hex(data)
    if not hmac.compare_digest(actual, str(expected_sha256).lower()):
        raise ArtifactChecksumError(
            f"artifact checksum {actual} does not match the recorded {expected_sha256}"
        )
    return joblib.load(io.BytesIO(data))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
