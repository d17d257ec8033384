"""Subscription filters, checked case by case against hand-worked expectations."""

from __future__ import annotations

import pytest

from apps.platform.bus import Event
from apps.risk.kernels.catalog import SEVERITIES as RISK_SEVERITIES
from apps.streaming.kernels.filters import SEVERITIES, FilterError, compile_filter
from apps.streaming.selectors.event_fields import EventFields


def ev(topic: str, payload: dict) -> EventFields:
    return EventFields(Event("1-0", topic, "high", payload, 0.0))


def test_the_severity_order_is_the_risk_engines():
    assert SEVERITIES == RISK_SEVERITIES


BAR = ev("market.data.bars.AAPL", {"symbol": "AAPL", "close": 150.0, "volume": 10, "flag": True})
BREACH = ev(
    "risk.breaches.alice_001",
    {
        "event": "opened",
        "breach": {"portfolio": "alice_001", "portfolio_id": 3, "severity": "high", "level": "breach"},
    },
)
LOW = ev("risk.alerts.x", {"severity": "low", "portfolio": "mal_001"})


@pytest.mark.parametrize(
    "spec,event,expected",
    [
        ({"symbol": ["aapl", "MSFT"]}, BAR, True),
        ({"symbol": ["MSFT"]}, BAR, False),
        ({"symbol": ["BRK-B"]}, ev("market.data.quotes.BRK-B", {"bid": 1}), True),  # from the topic
        ({"symbol": ["AAPL"]}, BREACH, False),  # no symbol at all
        ({"severity": "high"}, BREACH, True),  # breach.severity, at least high
        ({"severity": "critical"}, BREACH, False),
        ({"severity": "medium"}, LOW, False),
        ({"severity": "low"}, LOW, True),
        ({"severity": "low"}, BAR, False),  # no severity: not at least anything
        ({"portfolio": ["alice_001"]}, BREACH, True),
        ({"portfolio": [3]}, BREACH, True),
        ({"portfolio": [4, "mal_001"]}, BREACH, False),
        ({"fields": [{"field": "close", "op": ">", "value": 149.5}]}, BAR, True),
        ({"fields": [{"field": "close", "op": ">=", "value": 150}]}, BAR, True),
        ({"fields": [{"field": "close", "op": "<", "value": 150}]}, BAR, False),
        ({"fields": [{"field": "close", "op": "<=", "value": 150}]}, BAR, True),
        ({"fields": [{"field": "close", "op": "=", "value": 150}]}, BAR, True),
        ({"fields": [{"field": "close", "op": "!=", "value": 150}]}, BAR, False),
        ({"fields": [{"field": "close", "op": ">", "value": "a"}]}, BAR, False),  # number vs string
        ({"fields": [{"field": "missing", "op": "!=", "value": 1}]}, BAR, False),  # absent never matches
        ({"fields": [{"field": "volume", "op": "in", "value": [1, 10]}]}, BAR, True),
        ({"fields": [{"field": "flag", "op": "=", "value": 1}]}, BAR, False),  # true is not 1
        ({"fields": [{"field": "flag", "op": "=", "value": True}]}, BAR, True),
        ({"fields": [{"field": "breach.level", "op": "=", "value": "breach"}]}, BREACH, True),
        ({"symbol": ["AAPL"], "fields": [{"field": "close", "op": ">", "value": 200}]}, BAR, False),  # AND
    ],
)
def test_filter_matches(spec, event, expected):
    assert compile_filter(spec).matches(event) is expected


@pytest.mark.parametrize(
    "spec,named",
    [
        ([1], "filters must be a JSON object"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"symbol": "AAPL"}, "filters.symbol must be a non-empty list"),
        ({"symbol": [1]}, "filters.symbol[]"),
        ({"severity": "huge"}, "filters.severity must be one of low, medium, high, critical"),
        ({"portfolio": [0]}, "filters.portfolio[]"),
        ({"portfolio": list(range(1, 102))}, "at most 100 items"),
        ({"fields": [{"field": "a", "op": "~", "value": 1}]}, "filters.fields[0].op"),
        ({"fields": [{"field": "a..b", "op": "=", "value": 1}]}, "filters.fields[0].field"),
        ({"fields": [{"field": "a", "op": "="}]}, "filters.fields[0].value is required"),
        ({"fields": [{"field": "a", "op": "<", "value": None}]}, "number or a string"),
        (
            {"fields": [{"field": "a", "op": "in", "value": 3}]},
            "filters.fields[0].value must be a non-empty list",
        ),
        (
            {"fields": [{"field": "a", "op": "=", "value": {"x": 1}}]},
            "filters.fields[0].value must be a string",
        ),
        (
            {"fields": [{"field": "a", "op": "=", "value": 1}]} | {"fields": "x"},
            "filters.fields must be a list",
        ),
    ],
)
def test_invalid_filters_name_the_problem(spec, named):
    with pytest.raises(FilterError, match=named.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        compile_filter(spec)
