"""JSON with its nesting depth bounded, for request bodies (DEFAULT_PARSER_CLASSES) and ws/stream
messages alike. Python's decoder recurses once per level: about a thousand levels raise
RecursionError (a 500, or a WebSocket dropped without a close frame), and every engine walks
parsed bodies recursively again. The depth is measured on the raw text, before anything is built."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def max_depth() -> int:
    return settings.API_JSON_MAX_DEPTH


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in JSON `text` (brackets inside strings do not count)."""
    if text.count("[") + text.count("{") == 0:
        return 0
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).encode("ascii")
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(steps.cumsum().max(initial=0))


class JSONTooDeep(json.JSONDecodeError):
    def __init__(self, doc: str, limit: int):
        super().__init__(f"JSON nested deeper than {limit} levels", doc, 0)


def loads_bounded(text: str | bytes, *, limit: int | None = None, strict: bool = False) -> Any:
    """json.loads that first refuses nesting deeper than `limit` (default API_JSON_MAX_DEPTH) with
    JSONTooDeep, a JSONDecodeError. `strict`: NaN and ±Infinity are refused too (ValueError)."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    limit = max_depth() if limit is None else limit
    if text.count("[") + text.count("{") > limit and nesting_depth(text) > limit:
        raise JSONTooDeep(text, limit)
    if strict:
        return json.loads(text, parse_constant=_refuse_constant)
    return json.loads(text)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSONParser (strict about NaN/Infinity as DRF is) behind the depth check: a body nested
    deeper than API_JSON_MAX_DEPTH answers 400 "JSON nested deeper than N levels"."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        try:
            return loads_bounded(text, strict=api_settings.STRICT_JSON)
        except JSONTooDeep as exc:
            raise ParseError(f"{exc.msg}.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
