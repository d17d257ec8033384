"""Stress scenarios: validation of a whole scenario and create/update/delete. A scenario is either
shocks — returns by instrument, sector, currency or factor — or a historical replay of a stored
window (selectors/stress.py runs them against a book; selectors/scenarios.py checks the parts)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ..models import StressScenario
from ..selectors.scenarios import _window_has_prices, scenario_get, shocks_validate, window_validate

__all__ = ["scenario_create", "scenario_delete", "scenario_get", "scenario_update", "scenario_validate"]


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
