"""Writes of feature definitions: save a recipe under a name, as a new version only when it changed."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from apps.marketdata.facade import bar_intervals, instrument_get

from ..kernels.catalog import BadParameter, FunctionSpec, UnknownFunction
from ..kernels.functions import feature_function, feature_params_resolve
from ..models import FeatureDefinition
from ..models.definitions import name_validator

# What makes two versions the same recipe (created_by/created_at do not).
SPEC_FIELDS = ("function", "params", "output", "interval", "adjusted", "benchmark")
BENCHMARK_INPUT = "benchmark"


def _function(function: str) -> FunctionSpec:
    try:
        return feature_function(function)
    except UnknownFunction as exc:
        hint = f"; did you mean {', '.join(exc.close)}?" if exc.close else ""
        raise ValidationError({"function": f"unknown function {function!r}{hint}"}) from None


def _params(spec: FunctionSpec, params: dict | None) -> dict:
    if params is not None and not isinstance(params, dict):
        raise ValidationError({"params": "give an object of parameter names to values"})
    try:
        return feature_params_resolve(spec, params)
    except BadParameter as exc:
        raise ValidationError({f"params.{exc.field}": str(exc)}) from None


def _output(spec: FunctionSpec, output: str | None) -> str:
    if output is None or output == "":
        return spec.outputs[0]
    if output not in spec.outputs:
        raise ValidationError(
            {"output": f"{spec.name} has no output {output!r}; one of: {', '.join(spec.outputs)}"}
        )
    return output


def _benchmark(spec: FunctionSpec, benchmark: str | None) -> str:
    """The benchmark's symbol (upper case) for a function that reads one, "" for the others. A
    benchmark on a function that does not read it is refused rather than ignored: stored, it would
    make a new version of the same values."""
    if benchmark is not None and not isinstance(benchmark, str):
        raise ValidationError({"benchmark": "give a symbol"})
    symbol = (benchmark or "").strip().upper()
    if BENCHMARK_INPUT not in spec.inputs:
        if symbol:
            raise ValidationError({"benchmark": f"{spec.name} reads no benchmark; leave it blank"})
        return ""
    if not symbol:
        raise ValidationError({"benchmark": f"{spec.name} reads a benchmark: give its symbol (e.g. SPY)"})
    if instrument_get(symbol) is None:
        raise ValidationError({"benchmark": f"unknown instrument {symbol!r}"})
    return symbol


def _name(name: str) -> str:
    if not isinstance(name, str) or not name or len(name) > 64:
        raise ValidationError({"name": "give a name of 1 to 64 characters"})
    try:
        name_validator(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from None
    return name


def _lock_name(name: str) -> None:
    """Serialize saves of one name until the transaction ends, even before its first row exists."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"features.definition:{name}"])


@transaction.atomic
def definition_save(
    *,
    name: str,
    function: str,
    params: dict | None = None,
    output: str | None = None,
    interval: str = "1d",
    adjusted: bool = True,
    benchmark: str | None = "",
    user=None,
) -> FeatureDefinition:
    """Save the recipe under `name`: the latest version unchanged when its resolved spec (function,
    params with defaults filled, output, interval, adjusted, benchmark) is the same, else a new
    version latest+1 (1 for a new name). Earlier versions are never changed or removed.

    Raises ValidationError keyed by field: "name", "function" (with near names), "params.<name>",
    "output" (the allowed ones), "interval" (the allowed ones), "benchmark" (required by the
    functions that read one, rolling_beta and rolling_correlation, a known instrument's symbol;
    refused for every other function).

    Concurrency: the name's rows are locked (SELECT ... FOR UPDATE) before the latest version is read,
    and (name, version) is unique in the database, so two saves of one name never produce one version
    twice. A brand-new name has no rows to lock, so on PostgreSQL a transaction-scoped advisory lock on
    the name serializes those saves too (the second then finds the first's version 1); elsewhere the
    constraint alone decides and the loser fails with IntegrityError, writing nothing.

    Values keep the version they came from: nothing else to do yet (no values are stored so far; when
    they are, they will reference the FeatureDefinition row, i.e. the exact version).
    """
    name = _name(name)
    spec = _function(function)
    resolved = _params(spec, params)
    chosen_output = _output(spec, output)
    intervals = bar_intervals()
    if interval not in intervals:
        raise ValidationError({"interval": f"unknown interval {interval!r}; one of: {', '.join(intervals)}"})
    if not isinstance(adjusted, bool):
        raise ValidationError({"adjusted": "give true or false"})
    chosen_benchmark = _benchmark(spec, benchmark)
    wanted = {
        "function": spec.name,
        "params": resolved,
        "output": chosen_output,
        "interval": interval,
        "adjusted": adjusted,
        "benchmark": chosen_benchmark,
    }
    _lock_name(name)
    versions = list(FeatureDefinition.objects.select_for_update().filter(name=name).order_by("-version"))
    latest = versions[0] if versions else None
    if latest is not None and all(getattr(latest, f) == wanted[f] for f in SPEC_FIELDS):
        return latest
    return FeatureDefinition.objects.create(
        name=name, version=(latest.version + 1) if latest else 1, created_by=user, **wanted
    )
