"""Stress scenarios: validation and create/update/delete. A scenario is either shocks — returns by
instrument, sector, currency or factor — or a historical replay of a stored window (services/
stress.py runs them against a book)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.marketdata import facade as marketdata
from apps.platform.fields import instant_problem

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
    try:
        value = float(value)
    except OverflowError:  # a JSON integer of 400 digits
        return None
    return value if math.isfinite(value) else None


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


def scenario_validate(data: dict, instance: StressScenario | None = None) -> dict:
    """The scenario's fields after applying `data` to `instance` (or to a new one), checked:
    a shocks scenario needs valid shocks and no window; a historical one a window with start < end
    in which stored prices exist, and no shocks. Raises ValidationError keyed by field."""
    current = {
        "name": instance.name if instance else "",
        "description": instance.description if instance else "",
        "kind": instance.kind if instance else StressScenario.Kind.SHOCKS,
        "shocks": instance.shocks if instance else {},
        "window_start": instance.window_start if instance else None,
        "window_end": instance.window_end if instance else None,
    }
    merged = {**current, **{k: v for k, v in data.items() if k in current}}
    errors = {}
    merged["name"] = str(merged["name"] or "").strip()
    if not merged["name"]:
        errors["name"] = "required"
    elif (
        StressScenario.objects.filter(name__iexact=merged["name"])
        .exclude(pk=getattr(instance, "pk", None))
        .exists()
    ):
        errors["name"] = f"a scenario named {merged['name']!r} exists"
    if merged["kind"] not in StressScenario.Kind.values:
        errors["kind"] = f"one of {', '.join(StressScenario.Kind.values)}"
    elif merged["kind"] == StressScenario.Kind.SHOCKS:
        try:
            merged["shocks"] = shocks_validate(merged["shocks"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
        switching = instance is not None and instance.kind == StressScenario.Kind.HISTORICAL
        if switching and "window_start" not in data and "window_end" not in data:
            merged["window_start"] = merged["window_end"] = None  # switching kind drops the old window
        if merged["window_start"] or merged["window_end"]:
            errors["window_start"] = "a shocks scenario has no window"
    else:
        if data.get("shocks"):
            errors["shocks"] = "a historical scenario replays prices; it takes no shocks"
        merged["shocks"] = {}
        missing = [f for f in ("window_start", "window_end") if not merged[f]]
        for f in missing:
            errors[f] = "required for a historical scenario"
        if not missing:
            try:
                start, end = window_validate(
                    merged["window_start"], merged["window_end"], "window_start", "window_end"
                )
                merged["window_start"], merged["window_end"] = start, end
                if not _window_has_prices(start, end):
                    errors["window_start"] = "no stored prices in this window"
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return merged


# --- CRUD -----------------------------------------------------------------------------------------


def scenario_get(key) -> StressScenario | None:
    """By id (an int or digits) or by name (case-insensitive)."""
    if isinstance(key, int) or str(key).strip().isdigit():
        found = StressScenario.objects.filter(pk=int(key)).first()
        if found is not None:
            return found
    return StressScenario.objects.filter(name__iexact=str(key).strip()).first()


@transaction.atomic
def scenario_create(*, data: dict, user=None) -> StressScenario:
    clean = scenario_validate(data)
    try:
        with transaction.atomic():
            return StressScenario.objects.create(
                **clean, created_by=user if getattr(user, "pk", None) else None
            )
    except IntegrityError as exc:  # a concurrent create with the same name
        raise ValidationError({"name": f"a scenario named {clean['name']!r} exists"}) from exc


@transaction.atomic
def scenario_update(*, scenario_id: int, data: dict, user=None) -> StressScenario:
    scenario = StressScenario.objects.select_for_update().get(pk=scenario_id)
    for field, value in scenario_validate(data, instance=scenario).items():
        setattr(scenario, field, value)
    scenario.save()
    return scenario


@transaction.atomic
def scenario_delete(*, scenario_id: int, user=None) -> None:
    StressScenario.objects.filter(pk=scenario_id).delete()
