"""`manage.py bench ENGINE [--json] [--quick] [--set KEY=VALUE ...]`

Dispatches to `apps.<engine>.bench.run(**options) -> dict` ("platform" → apps/platform/bench/).
The contract every bench module follows:

    run(*, quick: bool = False, progress: bool = True, **params) -> dict

`quick` shrinks the sizes for tests, `progress` allows tqdm bars on stderr, `params` are the
`--set` values (JSON-decoded when possible, else strings). A bench package may also define
`add_arguments(group)` to give the command flags of its own (`bench streaming --clients 1000`):
they reach `run` as params like --set values, and only for that engine. The returned dict is JSON-safe and
holds a "figures" list; each figure is a dict with "name", "value", "unit" and, when it has one,
"baseline" (measured in the same run) and "ratio" (value / baseline). Everything else in the dict
("engine", "sizes", "notes", ...) is printed as-is.
"""

from __future__ import annotations

import importlib
import importlib.util
import json

from django.core.management.base import BaseCommand, CommandError

from workers.registry import ENGINES

BENCHABLE = ("platform", *(e.key for e in ENGINES))


def available_benches() -> list[str]:
    """Engines whose `bench` package defines `run` (an engine not built yet has an empty one)."""
    return [
        key
        for key in BENCHABLE
        if importlib.util.find_spec(f"apps.{key}.bench") is not None
        and hasattr(importlib.import_module(f"apps.{key}.bench"), "run")
    ]


def _parse_set(values: list[str]) -> dict:
    params: dict = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise CommandError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            params[key.replace("-", "_")] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.replace("-", "_")] = raw
    return params


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return "" if value is None else str(value)


def format_table(result: dict) -> str:
    figures = result.get("figures", [])
    rows = [("figure", "value", "unit", "baseline", "ratio")]
    rows += [
        (
            f["name"],
            _fmt(f.get("value")),
            f.get("unit", ""),
            _fmt(f.get("baseline")),
            f"{f['ratio']:.2f}x" if isinstance(f.get("ratio"), int | float) else "",
        )
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            str(c).ljust(w) if i in (0, 2) else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    extras = [f"{k}: {json.dumps(v)}" for k, v in result.items() if k != "figures"]
    return "\n".join(extras + [""] + lines)


class Command(BaseCommand):
    help = "Measure an engine against a baseline measured in the same run (see SPEC.md, Performance)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("engine", help=f"one of: {', '.join(BENCHABLE)}")
        self.engine_flags: dict[str, list[str]] = {}
        for key in available_benches():
            module = importlib.import_module(f"apps.{key}.bench")
            if hasattr(module, "add_arguments"):
                group = parser.add_argument_group(f"bench {key}")
                before = {a.dest for a in parser._actions}
                module.add_arguments(group)
                self.engine_flags[key] = [a.dest for a in parser._actions if a.dest not in before]
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--quick", action="store_true", help="small sizes (for tests and smoke runs)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
        parser.add_argument(
            "--set", action="append", default=[], metavar="KEY=VALUE", help="bench-specific parameter"
        )

    def handle(self, *args, **options) -> None:
        key = options["engine"]
        available = available_benches()
        if key not in available:
            known = ", ".join(available) or "none yet"
            why = "unknown engine" if key not in BENCHABLE else "no bench for engine"
            raise CommandError(f"{why} {key!r}; benches available: {known}")
        params = _parse_set(options["set"])
        for engine, dests in getattr(self, "engine_flags", {}).items():
            given = {d: options[d] for d in dests if options.get(d) is not None}
            if given and engine != key:
                flags = ", ".join(f"--{d.replace('_', '-')}" for d in given)
                raise CommandError(f"{flags}: only for bench {engine}")
            params.update(given)
        module = importlib.import_module(f"apps.{key}.bench")
        result = module.run(quick=options["quick"], progress=not options["no_progress"], **params)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, default=str))
        else:
            self.stdout.write(format_table(result))
