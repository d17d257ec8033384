"""The Event record and its encoding as stream entry fields."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..timestamps import iso_utc

# Short field names: every entry carries them, and streams hold up to BUS_STREAM_MAXLEN entries.
F_TOPIC, F_PRIORITY, F_PAYLOAD, F_TIME = "t", "p", "d", "ts"


@dataclass(frozen=True)
class Event:
    id: str  # the durable stream id, "1700000000000-0"; resume with subscribe(last_id=id)
    topic: str
    priority: str
    payload: dict[str, Any] = field(hash=False)
    published_at: float  # epoch seconds, when publish() was called (not when a buffer flushed)
    # Encodings derived from the event in this process (one Event object is shared by every reader
    # that receives it, e.g. a frame sent to many WebSocket connections): computed once, by key.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def published_at_iso(self) -> str:
        return iso_utc(self.published_at)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form: what fan-out tasks and WebSocket clients receive."""
        return {
            "id": self.id,
            "topic": self.topic,
            "priority": self.priority,
            "payload": self.payload,
            "published_at": self.published_at_iso,
        }


def encode_payload(payload: object) -> str:
    if not isinstance(payload, dict):
        raise ValueError("payload must be a dict")
    try:
        return json.dumps(payload, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"payload is not JSON-serializable: {exc}") from None


def decode_entry(entry_id: str | bytes, fields: dict) -> Event:
    def s(v: str | bytes) -> str:
        return v.decode() if isinstance(v, bytes) else v

    f = {s(k): s(v) for k, v in fields.items()}
    return Event(
        id=s(entry_id),
        topic=f[F_TOPIC],
        priority=f[F_PRIORITY],
        payload=json.loads(f[F_PAYLOAD]),
        published_at=float(f[F_TIME]),
    )


def id_key(entry_id: str) -> tuple[int, int]:
    """Stream ids compare numerically, not as strings ("9-0" < "10-0")."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
