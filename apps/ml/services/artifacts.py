"""Writing model artifacts: serialize (joblib), checksum (sha256) and write the file atomically.

The bytes and their checksum come from kernels/artifacts.py (joblib, sha256). The file is written
to a temporary name in its final directory, flushed to disk, then renamed over the final name
(os.replace, atomic on one filesystem): a reader never sees half a file, and a failed write leaves
nothing behind."""

from __future__ import annotations

import contextlib
import os
import platform
import tempfile
from importlib import metadata

from ..kernels.artifacts import artifact_dump
from ..selectors.artifacts import artifact_checksum, artifact_file

# What a version records about the libraries it was trained with (those installed).
LIBRARIES = (
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "joblib",
    "lightgbm",
    "statsmodels",
    "arch",
    "hmmlearn",
    "torch",
    "vaderSentiment",
    "optuna",
)

__all__ = ["artifact_checksum", "artifact_remove", "artifact_serialize", "artifact_write", "library_versions"]


def artifact_serialize(obj: object) -> bytes:
    """The bytes stored for a fitted object; bytes given are stored as they are (already a joblib
    payload made by the engine, never a user's upload)."""
    if isinstance(obj, bytes | bytearray | memoryview):
        return bytes(obj)
    return artifact_dump(obj).data


def artifact_write(relative_path: str, data: bytes) -> None:
    """Write `data` at ML_ARTIFACT_ROOT/relative_path atomically (temporary file, fsync, os.replace).
    On any failure the temporary file is removed and the final name is left as it was."""
    path = artifact_file(relative_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def artifact_remove(relative_path: str) -> None:
    """Remove an artifact file if it is there (a model's deletion, a version that was not saved)."""
    with contextlib.suppress(FileNotFoundError):
        artifact_file(relative_path).unlink()


def library_versions() -> dict[str, str]:
    """Python and the installed versions of the libraries a model may depend on."""
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found
