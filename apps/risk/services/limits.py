"""Risk limits: validation against the catalog, and create/update/delete with an audit row and a bus event.

Every write goes through here (API, admin form, admin list editing, bulk delete), so every change
leaves a LimitChange row (who, when, old → new) and an event on `risk.limits.{portfolio code}` —
`risk.limits.global` for the global defaults — sent after the commit, so a subscriber never reads a
limit that was rolled back.

Threshold sanity bounds (a database constraint cannot see per-type rules, so they live here):
- money types, unit "absolute": any finite positive amount in the portfolio's base currency.
- money types, unit "pct_nav": a fraction of NAV up to 10 (1000 % of NAV). 10× NAV of gross or of
  anything else is beyond any real mandate, so a larger figure is someone typing 5 for 5 % — and
  even 5 is allowed, so say it in the unit: 0.05 is 5 %.
- ratio types: fractions up to 100 (100× leverage, 100× ADV), except concentration_limit and
  drawdown, which cannot exceed 1 by definition (a breach level above 1 would never fire).
"""

from __future__ import annotations

import logging
import math
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.marketdata import facade as marketdata_facade
from apps.platform import bus
from apps.platform.timestamps import iso_utc
from apps.portfolio import facade as portfolio_facade

from ..kernels import catalog
from ..models import EscalationPolicy, LimitChange, RiskLimit
from ..models.limits import DEFINITION_FIELDS
from .limit_versions import limits_changed_on_commit
from .monitor.changes import EVERYTHING, changes_note_on_commit

logger = logging.getLogger("apps.risk.services.limits")

# The fields a caller may set, in the order the snapshot lists them.
FIELDS = ("portfolio", *DEFINITION_FIELDS, "escalation_policy")
DEFAULTS = {
    "portfolio": None,
    "name": "",
    "scope": "portfolio",
    "scope_value": "",
    "unit": None,  # the type's first unit: absolute for money, ratio for ratio types
    "warn_threshold": None,
    "severity": "high",
    "enabled": True,
    "confidence": 0.99,
    "horizon_days": 1.0,
    "window_days": 1,
    "resolve_after_seconds": None,
    "escalation_policy": None,
}
PCT_NAV_MAX = 10.0
RATIO_MAX = 100.0
AT_MOST_ONE = frozenset({"concentration_limit", "drawdown"})
INT_MAX = 2**31 - 1  # PositiveIntegerField's ceiling
GLOBAL_TOPIC = "global"


def limits_topic(portfolio_code: str | None) -> str:
    return f"risk.limits.{portfolio_code or GLOBAL_TOPIC}"


def limit_portfolio_code(limit: RiskLimit) -> str | None:
    return limit.portfolio.code if limit.portfolio_id else None


def limit_snapshot(limit: RiskLimit, portfolio_code: str | None = None) -> dict:
    """The limit's fields as JSON: what the audit trail stores as old/new and events carry."""
    code = portfolio_code if portfolio_code is not None else limit_portfolio_code(limit)
    return {
        "id": limit.pk,
        "portfolio": code,
        "name": limit.name,
        "limit_type": limit.limit_type,
        "scope": limit.scope,
        "scope_value": limit.scope_value,
        "unit": limit.unit,
        "warn_threshold": limit.warn_threshold,
        "breach_threshold": limit.breach_threshold,
        "severity": limit.severity,
        "enabled": limit.enabled,
        "confidence": limit.confidence,
        "horizon_days": limit.horizon_days,
        "window_days": limit.window_days,
        "resolve_after_seconds": limit.resolve_after_seconds,
        "escalation_policy": limit.escalation_policy_id,
    }


# --- validation ----------------------------------------------------------------------------------


def _number(value, field: str, errors: dict) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        errors[field] = "Must be a number."
        return None
    try:
        number = float(value)
    except ValueError:
        errors[field] = "Must be a number."
        return None
    except OverflowError:  # a JSON integer of 400 digits
        errors[field] = "Must be a finite number."
        return None
    if not math.isfinite(number):
        errors[field] = "Must be a finite number."
        return None
    return number


def _integer(value, field: str, errors: dict, *, minimum: int) -> int | None:
    number = _number(value, field, errors)
    if number is None:
        return None
    if number != int(number):
        errors[field] = "Must be a whole number."
        return None
    if not minimum <= number <= INT_MAX:
        errors[field] = f"Must be between {minimum} and {INT_MAX}."
        return None
    return int(number)


def _clean_portfolio(value, errors: dict) -> tuple[str | None, int | None]:
    if value is None or value == "":
        return None, None
    code = getattr(value, "code", value)  # the admin hands the Portfolio chosen in its form
    info = portfolio_facade.portfolio_get(str(code)) if isinstance(code, str) else None
    if info is None or info.code != code:
        errors["portfolio"] = f"Unknown portfolio {code!r}."
        return None, None
    return info.code, info.id


def _clean_scope_value(scope: str, raw, errors: dict) -> str:
    value = raw.strip() if isinstance(raw, str) else raw
    if scope == "portfolio":
        if value not in (None, ""):
            errors["scope_value"] = "A portfolio-scoped limit names no bucket; leave scope_value empty."
        return ""
    if not isinstance(value, str) or not value:
        errors["scope_value"] = f"Required for scope {scope!r}: the {scope} the limit is on."
        return ""
    if len(value) > 128:
        errors["scope_value"] = "At most 128 characters."
        return value
    if scope == "instrument":
        info = marketdata_facade.instrument_get(value)
        if info is None:
            errors["scope_value"] = f"Unknown symbol {value!r}."
            return value
        return info.symbol
    if scope == "currency":
        code = value.upper()
        if not marketdata_facade.CURRENCY_PATTERN.match(code):
            errors["scope_value"] = f"{value!r} is not a 3-letter ISO 4217 currency code."
        return code
    return value  # sector / industry: free text matched against the instruments' own


def _clean_thresholds(ltype, unit: str, merged: dict, errors: dict) -> tuple[float | None, float | None]:
    breach = merged.get("breach_threshold")
    if breach is None:
        errors["breach_threshold"] = "Required."
    else:
        breach = _number(breach, "breach_threshold", errors)
    warn = merged.get("warn_threshold")
    if warn is not None:
        warn = _number(warn, "warn_threshold", errors)
    if breach is not None and breach <= 0:
        errors["breach_threshold"] = "Must be greater than 0."
    if warn is not None and warn < 0:
        errors["warn_threshold"] = "Must be 0 or more."
    if breach is not None and warn is not None and "breach_threshold" not in errors and warn > breach:
        errors["warn_threshold"] = (
            f"The warn level ({warn:g}) is above the breach level ({breach:g}): "
            "a limit warns before it breaches, so warn must be at most breach."
        )
    if breach is not None and "breach_threshold" not in errors and ltype is not None:
        if unit == "pct_nav" and breach > PCT_NAV_MAX:
            errors["breach_threshold"] = (
                f"As a fraction of NAV (0.05 = 5 %) at most {PCT_NAV_MAX:g} ({PCT_NAV_MAX:.0%} of NAV)."
            )
        elif unit == "ratio":
            cap = 1.0 if ltype.code in AT_MOST_ONE else RATIO_MAX
            if breach > cap:
                errors["breach_threshold"] = f"{ltype.label} is a fraction; at most {cap:g}."
    return warn, breach


def _merged(data: dict, instance: RiskLimit | None, errors: dict) -> tuple[dict, str | None]:
    """The limit as it would be: the instance's fields (or the defaults) overlaid with `data`."""
    for field in data:
        if field not in FIELDS:
            errors[field] = "Unknown field."
    if instance is None:
        return {**DEFAULTS, **{k: v for k, v in data.items() if k in FIELDS}}, None
    current = limit_snapshot(instance)
    current.pop("id")
    merged = {**current, **{k: v for k, v in data.items() if k in FIELDS}}
    # Moving to another scope drops the old bucket unless a new one is given.
    if merged["scope"] != current["scope"] and "scope_value" not in data:
        merged["scope_value"] = ""
    return merged, current["portfolio"]


def _clean(data: dict, instance: RiskLimit | None) -> tuple[dict, int | None]:
    errors: dict = {}
    merged, current_code = _merged(data, instance, errors)

    if instance is None:
        code, portfolio_id = _clean_portfolio(merged["portfolio"], errors)
    else:
        requested = merged["portfolio"]
        requested = getattr(requested, "code", requested) or None
        code, portfolio_id = current_code, instance.portfolio_id
        if requested != current_code:
            errors["portfolio"] = (
                "A limit stays with its portfolio (its breaches refer to it); create a new limit instead."
            )

    ltype = catalog.BY_CODE.get(merged.get("limit_type"))
    if ltype is None:
        known = ", ".join(catalog.TYPE_CODES)
        errors["limit_type"] = f"Unknown limit type {merged.get('limit_type')!r}; known: {known}."

    scope = merged["scope"]
    if scope not in catalog.SCOPES:
        errors["scope"] = f"Unknown scope {scope!r}; known: {', '.join(catalog.SCOPES)}."
    elif ltype is not None and scope not in ltype.scopes:
        errors["scope"] = f"{ltype.code} accepts the scopes {', '.join(ltype.scopes)}, not {scope!r}."
    scope_value = _clean_scope_value(scope, merged["scope_value"], errors) if "scope" not in errors else ""

    unit = merged["unit"]
    if unit is None and ltype is not None:
        unit = ltype.units[0]
    if unit not in catalog.UNITS:
        errors["unit"] = f"Unknown unit {unit!r}; known: {', '.join(catalog.UNITS)}."
    elif ltype is not None and unit not in ltype.units:
        errors["unit"] = (
            f"{ltype.code} measures {'an amount' if ltype.measure == catalog.MONEY else 'a ratio'}; "
            f"its thresholds are in {' or '.join(ltype.units)}, not {unit!r}."
        )
    warn, breach = _clean_thresholds(ltype, unit, merged, errors)

    severity = merged["severity"]
    if severity not in catalog.SEVERITIES:
        errors["severity"] = f"Unknown severity {severity!r}; known: {', '.join(catalog.SEVERITIES)}."
    name = merged["name"] if merged["name"] is not None else ""
    if not isinstance(name, str) or len(name) > 120:
        errors["name"] = "Text of at most 120 characters."
    if not isinstance(merged["enabled"], bool):
        errors["enabled"] = "Must be true or false."

    confidence = _number(merged["confidence"], "confidence", errors)
    if confidence is not None and not 0 < confidence < 1:
        errors["confidence"] = "Must be strictly between 0 and 1 (0.99 = 99 %)."
    horizon = _number(merged["horizon_days"], "horizon_days", errors)
    if horizon is not None and horizon <= 0:
        errors["horizon_days"] = "Must be greater than 0."
    window = _integer(merged["window_days"], "window_days", errors, minimum=1)
    resolve_after = merged["resolve_after_seconds"]
    if resolve_after is not None:
        resolve_after = _integer(resolve_after, "resolve_after_seconds", errors, minimum=0)

    policy = merged["escalation_policy"]
    policy = getattr(policy, "pk", policy)
    if policy is not None and (
        isinstance(policy, bool)
        or not isinstance(policy, int)
        or not EscalationPolicy.objects.filter(pk=policy).exists()
    ):
        errors["escalation_policy"] = f"Unknown escalation policy {policy!r}."

    if errors:
        raise ValidationError(errors)
    cleaned = {
        "portfolio": code,
        "name": name,
        "limit_type": ltype.code,
        "scope": scope,
        "scope_value": scope_value,
        "unit": unit,
        "warn_threshold": warn,
        "breach_threshold": breach,
        "severity": severity,
        "enabled": merged["enabled"],
        "confidence": confidence,
        "horizon_days": horizon,
        "window_days": window,
        "resolve_after_seconds": resolve_after,
        "escalation_policy": policy,
    }
    return cleaned, portfolio_id


def limit_validate(data: dict, instance: RiskLimit | None = None) -> dict:
    """The limit `data` describes (overlaid on `instance` for an update), checked against the catalog
    and normalized (symbol and currency upper-cased, unit defaulted from the type). Returns the full
    field set in the audit/JSON shape (portfolio as its code, escalation_policy as its id); raises
    ValidationError keyed by field, every problem at once, each with its reason."""
    return _clean(data, instance)[0]


# --- writes --------------------------------------------------------------------------------------


def _model_values(cleaned: dict, portfolio_id: int | None) -> dict:
    values = {k: v for k, v in cleaned.items() if k not in ("portfolio", "escalation_policy")}
    return values | {"portfolio_id": portfolio_id, "escalation_policy_id": cleaned["escalation_policy"]}


def _actor(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _publish(topic: str, payload: dict) -> None:
    try:
        bus.publish(topic, payload)
    except Exception:  # the change is committed and audited; a bus fault must not turn it into an error
        logger.exception("could not publish %s", topic)


def _record(*, limit_id: int, code: str | None, action: str, user, old, new) -> LimitChange:
    actor = _actor(user)
    change = LimitChange.objects.create(
        limit_id=limit_id, portfolio_code=code or "", action=action, changed_by=actor, old=old, new=new
    )
    payload = {
        "action": action,
        "limit": limit_id,
        "portfolio": code,
        "old": old,
        "new": new,
        "by": actor.get_username() if actor else None,
        "change_id": change.pk,
        "at": iso_utc(change.changed_at),
    }
    topic = limits_topic(code)
    transaction.on_commit(lambda: _publish(topic, payload))
    return change


def _changed(portfolio_id: int | None) -> None:
    """Tell the monitor's next incremental run (after commit): this portfolio's limits changed, or
    every portfolio's when the limit is a global default."""
    changes_note_on_commit([EVERYTHING if portfolio_id is None else f"p:{portfolio_id}"])
    limits_changed_on_commit()  # deletes too, which send no post_save


def _locked(limit_id: int) -> RiskLimit:
    """The limit, row-locked so two concurrent edits audit a consistent old → new. Raises
    RiskLimit.DoesNotExist."""
    return RiskLimit.objects.select_for_update(of=("self",)).select_related("portfolio").get(pk=limit_id)


@transaction.atomic
def limit_create(*, data: dict, user) -> RiskLimit:
    cleaned, portfolio_id = _clean(data, None)
    limit = RiskLimit.objects.create(**_model_values(cleaned, portfolio_id), created_by=_actor(user))
    _changed(limit.portfolio_id)
    new = limit_snapshot(limit, cleaned["portfolio"])
    _record(limit_id=limit.pk, code=cleaned["portfolio"], action="create", user=user, old=None, new=new)
    return limit


@transaction.atomic
def limit_update(*, limit_id: int, data: dict, user) -> RiskLimit:
    """Change some fields. An update that changes nothing writes nothing: no audit row, no event."""
    limit = _locked(limit_id)
    old = limit_snapshot(limit)
    cleaned, _ = _clean(data, limit)
    if cleaned == {k: v for k, v in old.items() if k != "id"}:
        return limit
    _changed(limit.portfolio_id)  # the portfolio it leaves, if it moves
    for field, value in _model_values(cleaned, limit.portfolio_id).items():
        setattr(limit, field, value)
    limit.save()
    _changed(limit.portfolio_id)
    new = limit_snapshot(limit, cleaned["portfolio"])
    _record(limit_id=limit.pk, code=cleaned["portfolio"], action="update", user=user, old=old, new=new)
    return limit


@transaction.atomic
def limit_delete(*, limit_id: int, user) -> None:
    """Delete the limit; its audit trail stays (LimitChange keeps the id) and its breaches keep their
    copy of the definition."""
    limit = _locked(limit_id)
    old = limit_snapshot(limit)
    _changed(limit.portfolio_id)
    limit.delete()
    _record(limit_id=limit_id, code=old["portfolio"], action="delete", user=user, old=old, new=None)
