"""Uploaded files on their way to a worker: kept under MEDIA_ROOT/uploads/ (a directory the web and
worker processes share), named by a random id, removed once the job that reads them is done."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile


def uploads_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_store(file: UploadedFile) -> str:
    """Write the upload (streamed in chunks, never whole in memory) and return its path."""
    suffix = Path(file.name or "").suffix.lower()[:10]
    path = uploads_dir() / f"{uuid.uuid4().hex}{suffix}"
    with path.open("wb") as out:
        for chunk in file.chunks():
            out.write(chunk)
    return str(path)


def upload_discard(path: str) -> None:
    """Remove a stored upload; only ever a file inside the uploads directory."""
    target = Path(path).resolve()
    if target.parent == uploads_dir().resolve():
        target.unlink(missing_ok=True)
