"""The API's shared guards against hostile input: bounded pagination, depth-limited JSON, and the
field types every engine's serializers take numbers and instants with."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import pkgutil
import random
from decimal import Decimal

import django_filters
import pandas as pd
import pytest
from django.db import models
from django.test import override_settings
from rest_framework import serializers

import apps
from apps.platform import fields
from apps.platform.parsers import JSONTooDeep, loads_bounded, nesting_depth
from apps.portfolio.services import portfolio_create

PF = "/api/portfolio/portfolios/"
TX = "/api/portfolio/transactions/"


# --- pagination -----------------------------------------------------------------------------------


@pytest.fixture
def three_portfolios(user, db):
    return [portfolio_create(code=f"p{i}", name=f"P{i}", owner=user) for i in range(3)]


@override_settings(API_PAGE_MAX_LIMIT=2)
def test_a_limit_beyond_int64_is_lowered_to_the_maximum(api_client, three_portfolios):
    resp = api_client.get(PF, {"limit": str(2**63)})
    assert resp.status_code == 200
    body = resp.json()
    assert [p["code"] for p in body["results"]] == ["p0", "p1"]
    assert "limit=2" in body["next"] and body["count"] == 3


@pytest.mark.parametrize("limit", ["7.2e32", "-1", "0", "ten", "1.5", "9" * 40])
def test_a_limit_that_is_no_whole_number_is_a_400_naming_limit(api_client, three_portfolios, limit):
    resp = api_client.get(PF, {"limit": limit})
    assert resp.status_code == 400
    assert list(resp.json()) == ["limit"]


@override_settings(API_PAGE_MAX_OFFSET=1000)
@pytest.mark.parametrize("offset", ["1001", str(2**63), "9" * 40, "-3", "1e3"])
def test_an_offset_beyond_its_bound_or_not_whole_is_a_400_naming_offset(api_client, three_portfolios, offset):
    for url in (PF, TX):
        resp = api_client.get(url, {"offset": offset, "limit": "10"})
        assert resp.status_code == 400, url
        assert list(resp.json()) == ["offset"]


def test_limit_and_offset_within_bounds_page_as_before(api_client, three_portfolios):
    body = api_client.get(PF, {"limit": "1", "offset": "1"}).json()
    assert [p["code"] for p in body["results"]] == ["p1"] and body["count"] == 3
    assert [p["code"] for p in api_client.get(PF, {"limit": "", "offset": ""}).json()["results"]] == [
        "p0",
        "p1",
        "p2",
    ]


# --- JSON depth -----------------------------------------------------------------------------------


def _depth_of(value) -> int:
    """Independent reference: the depth of the parsed structure, walked recursively."""
    if isinstance(value, dict):
        return 1 + max((_depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth_of(v) for v in value), default=0)
    return 0


def _random_json(rng: random.Random, depth: int):
    if depth == 0 or rng.random() < 0.2:
        return rng.choice([1, 2.5, None, True, 'a "[{" string', "]]}}\\", "plain"])
    if rng.random() < 0.5:
        return [_random_json(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    return {f"k{i}[": _random_json(rng, depth - 1) for i in range(rng.randint(0, 3))}


def test_nesting_depth_matches_the_parsed_structure_and_ignores_brackets_in_strings():
    rng = random.Random(7)
    for _ in range(300):
        doc = _random_json(rng, rng.randint(0, 12))
        text = json.dumps(doc)
        assert nesting_depth(text) == _depth_of(doc), text


def test_loads_bounded_refuses_one_level_more_than_the_limit_as_a_decode_error():
    assert loads_bounded("[" * 64 + "]" * 64, limit=64) == json.loads("[" * 64 + "]" * 64)
    with pytest.raises(json.JSONDecodeError) as err:
        loads_bounded("[" * 65 + "]" * 65, limit=64)
    assert isinstance(err.value, JSONTooDeep) and "nested deeper than 64 levels" in str(err.value)
    # Thousands of levels: refused before the decoder recurses (no RecursionError).
    with pytest.raises(JSONTooDeep):
        loads_bounded('{"a":' * 5000 + "1" + "}" * 5000)


@pytest.mark.django_db
def test_a_body_nested_980_levels_is_a_400_not_a_recursion_error(api_client, user):
    resp = api_client.generic("POST", TX, "[" * 980 + "]" * 980, content_type="application/json")
    assert resp.status_code == 400
    assert resp.json() == {"detail": "JSON nested deeper than 64 levels."}


@pytest.mark.django_db
def test_a_body_at_the_depth_limit_is_parsed_and_judged_by_its_fields(api_client, user):
    inner = "[" * 63 + "]" * 63
    resp = api_client.generic("POST", TX, f'{{"portfolio": {inner}}}', content_type="application/json")
    assert resp.status_code == 400 and "portfolio" in resp.json()
    deeper = "[" * 64 + "]" * 64
    resp = api_client.generic("POST", TX, f'{{"portfolio": {deeper}}}', content_type="application/json")
    assert resp.status_code == 400 and resp.json() == {"detail": "JSON nested deeper than 64 levels."}


@pytest.mark.django_db
def test_nan_and_infinity_in_a_body_stay_refused(api_client, user):
    resp = api_client.generic(
        "POST", TX, '{"portfolio": "x", "amount": NaN}', content_type="application/json"
    )
    assert resp.status_code == 400 and "NaN" in resp.json()["detail"]


# --- field types ----------------------------------------------------------------------------------


def test_bounded_integer_takes_the_columns_range():
    small = fields.BoundedIntegerField(model_field=models.PositiveSmallIntegerField())
    assert (small.min_value, small.max_value) == (0, 32767)
    column = fields.BoundedIntegerField(model_field=models.PositiveIntegerField(), min_value=1)
    assert (column.min_value, column.max_value) == (1, 2**31 - 1)
    plain = fields.BoundedIntegerField()
    assert (plain.min_value, plain.max_value) == (-(2**63), 2**63 - 1)
    with pytest.raises(serializers.ValidationError):
        column.run_validation(10**400)
    assert column.run_validation("2147483647") == 2**31 - 1


def test_column_decimal_takes_the_model_fields_digits_and_the_magnitude_bound():
    field = fields.ColumnDecimalField(models.DecimalField(max_digits=28, decimal_places=8))
    assert (field.max_digits, field.decimal_places) == (28, 8)
    assert field.run_validation("1e15") == Decimal("1000000000000000")
    for bad in ("99999999999999999999", "1000000000000000.01", "0.000000001", "NaN", "Infinity"):
        with pytest.raises(serializers.ValidationError):
            field.run_validation(bad)


def test_bounded_float_refuses_non_finite_and_huge_values():
    field = fields.BoundedFloatField()
    assert field.run_validation("-1e15") == -1e15
    for bad in ("1e308", "1e309", "nan", "-inf", 10**400):
        with pytest.raises(serializers.ValidationError):
            field.run_validation(bad)
    tight = fields.BoundedFloatField(min_value=0, max_value=1e20)
    assert (tight.min_value, tight.max_value) == (0.0, 1e15)


@override_settings(
    API_TIMESTAMP_MIN=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    API_TIMESTAMP_MAX=dt.datetime(2001, 1, 1, tzinfo=dt.UTC),
)
def test_instants_are_judged_against_the_configured_range():
    assert fields.instant_problem(dt.date(2000, 6, 1)) is None
    assert fields.instant_problem(dt.datetime(2000, 6, 1)) is None  # naive = UTC
    assert fields.instant_problem(dt.datetime(1999, 12, 31, 23, tzinfo=dt.UTC)) is not None
    assert fields.instant_problem(pd.Timestamp("-1")) is not None  # year -1 cannot even be compared
    stamp = fields.TimestampField()
    assert stamp.run_validation("2000-03-01T12:00:00+01:00") == dt.datetime(2000, 3, 1, 11, tzinfo=dt.UTC)
    with pytest.raises(serializers.ValidationError, match="2000-01-01 and 2001-01-01"):
        stamp.run_validation("2024-03-01T00:00:00Z")
    text = fields.InstantTextField()
    assert text.run_validation(" 2000-05-01 ") == "2000-05-01"
    for bad in ("2000-02-30", "2000-01-01T25:00", "2000-01-01T00:00+99:00", "-1", "9999-12-31", "soon"):
        with pytest.raises(serializers.ValidationError):
            text.run_validation(bad)


def test_symbols_must_be_printable():
    field = fields.SymbolField()
    assert field.run_validation(" BRK.B ") == "BRK.B"
    for bad in ("AB\x01C", "A\u200bB", "A\nB", "A\x7fB", "X" * 33):
        with pytest.raises(serializers.ValidationError):
            field.run_validation(bad)


# --- every engine serializer takes numbers and instants through these types ----------------------


def _api_modules(package, *, inside: bool = False):
    """Modules named serializers*/filters*/api* and everything inside such packages (api/,
    api/serializers/)."""
    for sub in pkgutil.iter_modules(package.__path__):
        if inside or sub.name.startswith(("serializers", "filters", "api")):
            module = importlib.import_module(f"{package.__name__}.{sub.name}")
            yield module
            if sub.ispkg:
                yield from _api_modules(module, inside=True)


def _engine_modules():
    for info in pkgutil.iter_modules(apps.__path__):
        yield from _api_modules(importlib.import_module(f"apps.{info.name}"))


def _writable_leaves(field, path: str):
    if getattr(field, "read_only", False):
        return
    if isinstance(field, serializers.ListSerializer | serializers.ListField):
        yield from _writable_leaves(field.child, f"{path}[]")
    elif isinstance(field, serializers.Serializer):
        for name, child in field.fields.items():
            yield from _writable_leaves(child, f"{path}.{name}")
    else:
        yield path, field


def _unbounded(field) -> bool:
    low, high = fields.BIGINT_RANGE
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return field.min_value is None or field.max_value is None or abs(float(field.max_value)) > 1e15
    if isinstance(field, serializers.IntegerField):
        return field.min_value is None or field.max_value is None or not low <= field.max_value <= high
    if isinstance(field, serializers.DateTimeField):
        return not isinstance(field, fields.TimestampField)
    return isinstance(field, serializers.DateField)


# Shapes of answers only (the schema's response side): they never read a request.
RESPONSE_SHAPES = {
    "CalculateResponseSerializer",
    "PnlFiguresSerializer",
    "PnlGroupSerializer",
    "PnlPositionSerializer",
    "PnlSummarySerializer",
    "CheckResponseSerializer",
    "CheckLimitSerializer",
    "CheckSideSerializer",
    "MonitorScheduleSerializer",
    "MonitorStatusSerializer",
    "LastTaskSerializer",
    "EngineHealthSerializer",
    "EngineHealthDetailSerializer",
    "LaneSerializer",
    "EngineSerializer",
    "OptimizationSerializer",
    "FrontierPointSerializer",
    "FrontierSerializer",
    "OrderSerializer",
    "ProposalSerializer",
}


def test_no_serializer_takes_an_unbounded_number_or_instant():
    found, unbounded = 0, []
    for module in _engine_modules():
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, serializers.Serializer) or cls.__module__ != module.__name__:
                continue
            if name in RESPONSE_SHAPES:
                continue
            for path, field in _writable_leaves(cls(), f"{module.__name__}.{name}"):
                found += 1
                if _unbounded(field):
                    unbounded.append(f"{path}: {type(field).__name__}")
    assert found > 100  # the walk reaches the engines' serializers
    assert unbounded == []


def test_no_filter_takes_an_unchecked_instant():
    checked = unchecked = 0
    for module in _engine_modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, django_filters.FilterSet) or cls.__module__ != module.__name__:
                continue
            for name, flt in cls.base_filters.items():
                if isinstance(flt, django_filters.IsoDateTimeFilter | django_filters.DateFilter):
                    ok = fields.instant_validator in flt.extra.get("validators", [])
                    checked, unchecked = checked + ok, unchecked + (not ok)
                    assert ok, f"{cls.__name__}.{name}"
    assert checked >= 2 and unchecked == 0
