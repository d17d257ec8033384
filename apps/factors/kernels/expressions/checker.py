"""Resolves a parse tree against an operator registry and the known fields.

`check` answers a `Checked` canonical tree or raises FormulaError at the offending span for: an
unknown operator (with close matches from `operator_names`), a wrong number of arguments, a window
or number argument that is not a number written in the formula, a window below 1 after flooring,
an unknown field (listing the known ones), a group field used as a series, and a series given where
a group field is required.

Argument kinds (see `operators.spec.ArgKind`):
- series: any expression or a number (the evaluator broadcasts it); never a group field.
- window: a literal number, possibly negated, floored to an int; must be >= 1 (`9.5` -> 9).
- number: a literal number, possibly negated, kept as a float.
- group: a field whose kind is "group".
Omitted trailing arguments take their spec defaults; a variadic spec's last argument repeats and is
given at least once. A negated literal (`-1`) becomes the constant itself, wherever it appears.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from ..operators.spec import Arg, ArgKind, OperatorSpec
from .canonical import Apply, Checked, CheckedNode, Const, FieldRef
from .errors import FormulaError
from .nodes import Call, Field, Node, Number, Span
from .parser import parse

Operators = Callable[[str], OperatorSpec | None]
FieldKind = Literal["series", "group"]
_NEG = "neg"
_LISTED_FIELDS = 40  # how many known fields an "unknown field" message lists


def check(
    tree: Node,
    *,
    operators: Operators,
    fields: Mapping[str, FieldKind],
    operator_names: Iterable[str] = (),
    source: str = "",
) -> Checked:
    """The canonical tree of `tree`. `operators(name)` resolves a name or alias (as written, then
    lower-cased) to its spec; `operator_names` are offered as suggestions for an unknown name;
    `fields` maps every known field name (without `$`) to its kind; `source` is the formula text,
    attached to errors so `caret()` can show it."""
    checker = _Checker(operators, fields, tuple(operator_names))
    try:
        return Checked(source=source, root=checker.node(tree, "series", None))
    except FormulaError as error:
        raise error.with_formula(source) from None


def compile_formula(
    text: str,
    *,
    operators: Operators,
    fields: Mapping[str, FieldKind],
    operator_names: Iterable[str] = (),
    bare_fields: bool = False,
) -> Checked:
    """`parse` then `check`, errors carrying the text."""
    tree = parse(text, bare_fields=bare_fields)
    return check(tree, operators=operators, fields=fields, operator_names=operator_names, source=text)


def literal_value(node: Node) -> float | None:
    """The value of a number written in the formula, allowing negation (`-5`, `-(-5)`), else None."""
    sign = 1.0
    while isinstance(node, Call) and node.op == _NEG and len(node.args) == 1:
        sign, node = -sign, node.args[0]
    return sign * node.value if isinstance(node, Number) else None


def _error(message: str, span: Span) -> FormulaError:
    return FormulaError(message, span.start, span.length)


def _signature(spec: OperatorSpec) -> str:
    parts = []
    for i, arg in enumerate(spec.args):
        text = arg.name if arg.default is None else f"{arg.name}={_number(arg.default)}"
        parts.append(f"{text}..." if spec.variadic and i == len(spec.args) - 1 else text)
    return f"{spec.name}({', '.join(parts)})"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class _Checker:
    def __init__(self, operators: Operators, fields: Mapping[str, FieldKind], names: tuple[str, ...]) -> None:
        self.operators = operators
        self.fields = fields
        self.names = names

    def node(self, node: Node, kind: ArgKind, owner: tuple[OperatorSpec, Arg] | None) -> CheckedNode:
        if kind in ("window", "number"):
            return self.literal(node, kind, owner)
        if kind == "group":
            return self.group(node, owner)
        value = literal_value(node)
        if value is not None:
            return Const(value, node.span)
        if isinstance(node, Field):
            self.known_field(node)
            if self.fields[node.name] == "group":
                raise _error(
                    f"${node.name} is a group field (labels such as sectors), not a series; "
                    "pass it as the group argument of an operator that takes one",
                    node.span,
                )
            return FieldRef(node.name, "series", node.span)
        assert isinstance(node, Call)
        return self.call(node)

    def literal(self, node: Node, kind: ArgKind, owner: tuple[OperatorSpec, Arg] | None) -> Const:
        assert owner is not None  # the root is checked as a series
        spec, arg = owner
        value = literal_value(node)
        if value is None:
            what = "a count of rows" if kind == "window" else "a constant"
            raise _error(
                f"argument '{arg.name}' of {spec.name} must be a number written in the formula ({what})",
                node.span,
            )
        if kind == "window":
            rows = math.floor(value)
            if rows < 1:
                raise _error(
                    f"window '{arg.name}' of {spec.name} must be at least 1 row (got {_number(value)})",
                    node.span,
                )
            return Const(rows, node.span)
        return Const(value, node.span)

    def group(self, node: Node, owner: tuple[OperatorSpec, Arg] | None) -> FieldRef:
        assert owner is not None
        spec, arg = owner
        if isinstance(node, Field):
            self.known_field(node)
            if self.fields[node.name] == "group":
                return FieldRef(node.name, "group", node.span)
        groups = sorted(f"${name}" for name, kind in self.fields.items() if kind == "group")
        known = f" (group fields: {', '.join(groups)})" if groups else " (no group fields are available)"
        raise _error(f"argument '{arg.name}' of {spec.name} must be a group field{known}", node.span)

    def known_field(self, node: Field) -> None:
        if node.name in self.fields:
            return
        names = sorted(self.fields)
        close = difflib.get_close_matches(node.name, names, n=3)
        hint = f"; did you mean {', '.join('$' + c for c in close)}?" if close else ""
        listed = ", ".join(f"${n}" for n in names[:_LISTED_FIELDS])
        more = f" and {len(names) - _LISTED_FIELDS} more" if len(names) > _LISTED_FIELDS else ""
        raise _error(f"unknown field ${node.name}{hint} (known fields: {listed}{more})", node.span)

    def resolve(self, node: Call) -> OperatorSpec:
        spec = self.operators(node.op)
        if spec is None and node.op.lower() != node.op:
            spec = self.operators(node.op.lower())
        if spec is not None:
            return spec
        if node.infix:
            raise _error(f"'{node.infix}' needs the operator {node.op}, which is not available", node.op_span)
        candidates = sorted(set(self.names))
        close = difflib.get_close_matches(node.op, candidates, n=5, cutoff=0.6)
        close += [c for c in difflib.get_close_matches(node.op.lower(), candidates, n=5) if c not in close]
        hint = f"; did you mean {', '.join(close[:5])}?" if close else ""
        raise _error(f"unknown operator '{node.op}'{hint}", node.op_span)

    def call(self, node: Call) -> Apply:
        spec = self.resolve(node)
        params = spec.args
        given = len(node.args)
        if spec.variadic:
            if given < len(params):
                raise _error(
                    f"{_signature(spec)} takes at least {len(params)} arguments, got {given}", node.span
                )
        else:
            required = len(params)
            while required and params[required - 1].default is not None:
                required -= 1
            if given < required or given > len(params):
                count = str(len(params)) if required == len(params) else f"{required} to {len(params)}"
                span = node.span if given < required else node.args[len(params)].span.to(node.args[-1].span)
                raise _error(f"{_signature(spec)} takes {count} arguments, got {given}", span)
        args: list[CheckedNode] = []
        kinds: list[ArgKind] = []
        for i, arg_node in enumerate(node.args):
            param = params[min(i, len(params) - 1)]
            args.append(self.node(arg_node, param.kind, (spec, param)))
            kinds.append(param.kind)
        end = Span(node.span.end, node.span.end)
        for param in params[given:]:
            assert param.default is not None
            value = math.floor(param.default) if param.kind == "window" else param.default
            args.append(Const(value, end))
            kinds.append(param.kind)
        return Apply(spec, tuple(args), tuple(kinds), node.span, node.op_span)
