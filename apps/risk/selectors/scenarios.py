"""Stress scenarios, read side: look one up, and check shocks and replay windows (the checks
read the instrument universe and stored prices). services/scenarios.py writes them; selectors/
stress.py runs them against a book."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.marketdata import facade as marketdata
from apps.platform.fields import instant_problem
from apps.platform.numbers import finite_or_none

from ..models import StressScenario

SHOCK_KEYS = ("instrument", "sector", "currency", "factor")


# --- validation -----------------------------------------------------------------------------------


def parse_instant(value, field: str):
    """An aware UTC datetime from a datetime, an ISO datetime or a bare date (midnight UTC), inside
    the API's timestamp range."""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        parsed = value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
    else:
        text = str(value or "").strip()
        try:  # well-formed but impossible (2024-02-30, hour 25, offset +99:00) raises ValueError
            parsed = parse_datetime(text) if text else None
            if parsed is None and text:
                day = parse_date(text)
                parsed = None if day is None else dt.datetime(day.year, day.month, day.day)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError({field: f"not a date or ISO datetime: {value!r}"})
        parsed = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)
    problem = instant_problem(parsed)
    if problem:
        raise ValidationError({field: problem})
    return parsed


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return finite_or_none(value)


def _factor_known(keys: list[str]) -> list[str]:
    """Factor keys that are neither an instrument nor a stored economic series."""
    instruments = marketdata.instruments_by_symbols(keys)
    unknown = []
    for key in keys:
        if key.upper() in instruments:
            continue
        try:
            marketdata.series_as_of(key, as_of=timezone.now(), start=timezone.now())
        except marketdata.UnknownSeriesError:
            unknown.append(key)
    return unknown


# A shock is a return: above -1 (a price cannot fall 100 %) and at most +1,000 % (beyond that it is
# a typo, and a huge one would overflow the P&L it multiplies).
SHOCK_MAX = 10.0


def shocks_validate(shocks, field: str = "shocks") -> dict:
    """The shocks normalized ({kind: {key: return}}, symbols and currencies upper-case), or a
    ValidationError under `field` listing every problem: unknown kinds, non-numbers, returns ≤ -1
    (a price cannot fall by 100 % or more) or above SHOCK_MAX, unknown instrument or factor symbols."""
    if not isinstance(shocks, dict) or not shocks:
        raise ValidationError({field: f"give a non-empty object with keys among {', '.join(SHOCK_KEYS)}"})
    problems, clean = [], {}
    for kind, entries in shocks.items():
        if kind not in SHOCK_KEYS:
            problems.append(f"{kind}: unknown kind of shock; use {', '.join(SHOCK_KEYS)}")
            continue
        if not isinstance(entries, dict) or not entries:
            problems.append(f"{kind}: give a non-empty object of name → return")
            continue
        out = {}
        for key, value in entries.items():
            key = str(key).strip()
            number = _number(value)
            if not key:
                problems.append(f"{kind}: empty name")
            elif number is None or number <= -1 or number > SHOCK_MAX:
                problems.append(
                    f"{kind}.{key}: must be a return above -1 and at most {SHOCK_MAX:g}, got {value!r}"
                )
            elif kind == "currency" and not marketdata.CURRENCY_PATTERN.match(key.upper()):
                problems.append(f"currency.{key}: not a 3-letter currency code")
            else:
                out[key.upper() if kind in ("instrument", "currency") else key] = number
        clean[kind] = out
    if "instrument" in clean:
        known = marketdata.instruments_by_symbols(list(clean["instrument"]))
        problems += [f"instrument.{s}: unknown symbol" for s in clean["instrument"] if s not in known]
    if clean.get("factor"):
        problems += [
            f"factor.{k}: neither an instrument nor a stored series"
            for k in _factor_known(list(clean["factor"]))
        ]
        # An instrument factor is keyed by its (upper-case) symbol, like instrument shocks.
        known = marketdata.instruments_by_symbols(list(clean["factor"]))
        clean["factor"] = {(k.upper() if k.upper() in known else k): v for k, v in clean["factor"].items()}
    if problems:
        raise ValidationError({field: problems})
    return clean


def window_validate(start, end, field_start: str, field_end: str) -> tuple:
    errors = {}
    try:
        start = parse_instant(start, field_start)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        end = parse_instant(end, field_end)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if not start < end:
        raise ValidationError({field_end: "must be after the start of the window"})
    return start, end


def _window_has_prices(start, end, symbols: list[str] | None = None) -> bool:
    symbols = symbols if symbols is not None else [i.symbol for i in marketdata.instruments_active()]
    if not symbols:
        return False
    panel = marketdata.price_panel(symbols, start=start, end=end + pd.Timedelta(microseconds=1))
    return bool(panel.notna().to_numpy().any())


def scenario_get(key) -> StressScenario | None:
    """By id (an int or digits) or by name (case-insensitive)."""
    if isinstance(key, int) or str(key).strip().isdigit():
        found = StressScenario.objects.filter(pk=int(key)).first()
        if found is not None:
            return found
    return StressScenario.objects.filter(name__iexact=str(key).strip()).first()


def scenarios_list():
    """Every stored scenario by name, with its creator."""
    return StressScenario.objects.select_related("created_by").order_by("name")


def scenario_by_id(scenario_id: int) -> StressScenario | None:
    return StressScenario.objects.filter(pk=scenario_id).first()
