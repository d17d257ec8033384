"""What an API request names, resolved: feature definitions (by "name", "name@version" or a feature
set) and instruments (by symbol, or all active ones). Each problem is a ValidationError keyed by the
request's field, with the allowed values where there is a short list of them."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata

from ..models import FeatureDefinition
from .definitions import definition_by_label
from .panels import FeatureNotComputable, definition_checked
from .sets import set_get


def definitions_requested(
    *, features: Sequence[str] = (), set_name: str | None = None, computable: bool = False
) -> list[FeatureDefinition]:
    """The definitions named by `features` and the members of the set `set_name`, each once, in the
    order named (a set's members by name, version). `computable`: also refuse definitions that
    stored bars cannot compute."""
    if not features and not set_name:
        raise ValidationError({"features": ["give features (name or name@version) or a set"]})
    found: list[FeatureDefinition] = []
    unknown = []
    for item in dict.fromkeys(features):
        d = definition_by_label(item)
        if d is None:
            unknown.append(item)
        else:
            found.append(d)
    if unknown:
        raise ValidationError({"features": [f"unknown definition: {', '.join(unknown)}"]})
    if set_name:
        fs = set_get(set_name)
        if fs is None:
            raise ValidationError({"set": [f"unknown feature set {set_name!r}"]})
        found += list(fs.members.all())
    unique = list({d.pk: d for d in found}.values())
    if computable:
        problems = []
        for d in unique:
            try:
                definition_checked(d)
            except FeatureNotComputable as exc:
                problems.append(str(exc))
        if problems:
            raise ValidationError({"features": problems})
    return unique


def instruments_requested(
    symbols: Sequence[str] | str, *, cap: int, field: str = "symbols"
) -> dict[str, int]:
    """{symbol: instrument id} in the order asked ("all": every active instrument, by symbol)."""
    if symbols == "all":
        infos = {i.symbol: i for i in sorted(marketdata.instruments_active(), key=lambda i: i.symbol)}
    else:
        asked = list(dict.fromkeys(str(s).strip().upper() for s in symbols if str(s).strip()))
        if not asked:
            raise ValidationError({field: ['give at least one symbol, or "all"']})
        found = marketdata.instruments_by_symbols(asked)
        unknown = [s for s in asked if s not in found]
        if unknown:
            raise ValidationError({field: [f"unknown symbol: {', '.join(unknown[:20])}"]})
        infos = {s: found[s] for s in asked}
    if len(infos) > cap:
        raise ValidationError({field: [f"at most {cap} symbols per request, got {len(infos)}"]})
    return {s: i.id for s, i in infos.items()}


def intervals_with_bars(definitions: Sequence[FeatureDefinition], symbols: Sequence[str]) -> None:
    """Refuse (field "interval") a definition interval at which none of `symbols` has bars to build from."""
    for interval in sorted({d.interval for d in definitions}):
        sources = marketdata.bar_sources(list(symbols), interval)
        if not any(sources.values()):
            raise ValidationError(
                {"interval": [f"no bars at {interval} (stored or finer to build from) for the symbols asked"]}
            )
