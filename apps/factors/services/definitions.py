"""Writes of factor definitions: save a formula under a name, as a new version only when what it
computes changed (its canonical text, interval or adjustment; respelling `Mean` as `ts_mean` is the
same factor)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from apps.marketdata.facade import bar_intervals

from ..kernels.expressions import FormulaError
from ..models import FactorDefinition
from ..models.definitions import name_validator
from ..selectors.evaluation import formula_compile

# What makes two versions the same factor (the formula's spelling, description, created_* do not).
SPEC_FIELDS = ("digest", "interval", "adjusted")
MAX_NAME = 96


def formula_error_detail(exc: FormulaError) -> dict:
    """A FormulaError as the API's field detail: the message, where, and the formula marked."""
    return {"message": exc.message, "position": exc.position, "length": exc.length, "caret": exc.caret()}


def _name(name: str) -> str:
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        raise ValidationError({"name": f"give a name of 1 to {MAX_NAME} characters"})
    try:
        name_validator(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from None
    return name


def _lock_name(name: str) -> None:
    """Serialize saves of one name until the transaction ends, even before its first row exists."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"factors.definition:{name}"])


@transaction.atomic
def definition_save(
    *,
    name: str,
    formula: str,
    description: str = "",
    library: str = "",
    interval: str = "1d",
    adjusted: bool = True,
    user=None,
) -> FactorDefinition:
    """Save `formula` under `name`: the latest version unchanged when it computes the same (canonical
    text, interval, adjusted), else version latest+1 (1 for a new name). Earlier versions are never
    changed. Raises ValidationError keyed by field: "name", "formula" (the FormulaError's message with
    its position), "interval" (the allowed ones), "adjusted". Concurrency as the features engine's
    definitions: row locks on the name plus an advisory lock for a new name on PostgreSQL."""
    name = _name(name)
    if not isinstance(formula, str) or not formula.strip():
        raise ValidationError({"formula": "give a formula, e.g. Mean($close, 20)/$close"})
    try:
        checked = formula_compile(formula)
    except FormulaError as exc:
        raise ValidationError({"formula": f"{exc.message} (at {exc.position})"}) from None
    intervals = bar_intervals()
    if interval not in intervals:
        raise ValidationError({"interval": f"unknown interval {interval!r}; one of: {', '.join(intervals)}"})
    if not isinstance(adjusted, bool):
        raise ValidationError({"adjusted": "give true or false"})
    wanted = {"digest": checked.digest, "interval": interval, "adjusted": adjusted}
    _lock_name(name)
    versions = list(FactorDefinition.objects.select_for_update().filter(name=name).order_by("-version"))
    latest = versions[0] if versions else None
    if latest is not None and all(getattr(latest, f) == wanted[f] for f in SPEC_FIELDS):
        return latest
    return FactorDefinition.objects.create(
        name=name,
        version=(latest.version + 1) if latest else 1,
        formula=formula,
        canonical=checked.key,
        lookback=checked.lookback,
        library=library,
        description=description,
        created_by=user,
        **wanted,
    )


def library_install(library: str, *, user=None) -> tuple[list[FactorDefinition], dict[str, str]]:
    """Save every factor of a library set ("alpha158", "alpha101") as a definition named
    "<library>.<factor>" (library=<library>), idempotent like definition_save. A factor that reads a
    field the platform does not have (the 101 alphas' $cap or $subindustry) is skipped with the
    reason. Returns (saved, skipped)."""
    from ..kernels.library import LIBRARY

    saved, skipped = [], {}
    for factor, formula in LIBRARY[library].items():
        try:
            saved.append(
                definition_save(name=f"{library}.{factor}", formula=formula, library=library, user=user)
            )
        except ValidationError as exc:
            skipped[factor] = "; ".join(exc.message_dict.get("formula", exc.messages))
    return saved, skipped


def generated_materialize(references) -> list[FactorDefinition]:
    """Save each generated catalogue entry named in `references` ("gen.ts_mean.close.w20.rank", no
    "@version") that is not a definition yet, so requests can name any of the catalogue's factors
    like a stored one (library "generated"); the catalogue itself stays rows-free until a factor is
    used. Other references are left alone (the request's own resolution reports unknown ones)."""
    from ..kernels.generated import generated_named
    from ..models import FactorDefinition as Definition

    saved = []
    for reference in dict.fromkeys(str(r).strip() for r in (references or ())):
        if not reference.startswith("gen.") or "@" in reference:
            continue
        if Definition.objects.filter(name=reference).exists():
            continue
        try:
            entry = generated_named(reference)
        except KeyError:
            continue
        saved.append(definition_save(name=entry.name, formula=entry.formula, library="generated"))
    return saved
