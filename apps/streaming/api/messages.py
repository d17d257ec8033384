"""Control frames from a client: size, depth and shape checked before anything acts on them."""

from __future__ import annotations

import json

from apps.platform import bus
from apps.platform.bus.reader import normalize_id
from apps.platform.parsers import JSONTooDeep, loads_bounded

MAX_MESSAGE_BYTES = 64 * 1024
MAX_PATTERNS = 100


class BadMessage(ValueError):
    pass


def parse_patterns(msg) -> list[str]:
    patterns = msg.get("patterns")
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
        raise BadMessage("patterns must be a non-empty list of strings")
    if len(patterns) > MAX_PATTERNS:
        raise BadMessage(f"at most {MAX_PATTERNS} patterns per connection")
    for p in patterns:
        try:
            bus.validate_pattern(p)
        except ValueError as exc:
            raise BadMessage(str(exc)) from None
    return patterns


def parse_message(text_data: str | None) -> dict:
    if text_data is None:
        raise BadMessage("send JSON text frames")
    if len(text_data) > MAX_MESSAGE_BYTES:
        raise BadMessage(f"message larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        msg = loads_bounded(text_data)  # deep nesting: JSONTooDeep, not RecursionError
    except JSONTooDeep as exc:
        raise BadMessage(exc.msg) from None
    except json.JSONDecodeError:
        raise BadMessage("invalid JSON") from None
    if not isinstance(msg, dict):
        raise BadMessage("a message must be a JSON object")
    return msg


def parse_last_id(last_id) -> str | None:
    if last_id is None:
        return None
    try:
        if not isinstance(last_id, str):
            raise ValueError("last_id must be a string")
        return normalize_id(last_id)
    except ValueError as exc:
        raise BadMessage(str(exc)) from None
