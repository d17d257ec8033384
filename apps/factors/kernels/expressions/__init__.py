"""The factor expression language: text -> parse tree -> checked canonical tree -> panels.

    tree = parse("cs_rank(ts_corr($close, $volume, 10)) - 0.5")
    checked = check(tree, operators=operator_named, fields={"close": "series", "volume": "series"})
    [values] = evaluate([checked], fields=load_panel, shape=(T, N), cache=cache, context=data_id)

`parse` knows only the syntax (precedence climbing over `lexer` tokens, infix operators mapped to
canonical operator names); `check` resolves names, arity and argument kinds against an operator
lookup passed in (the registry lives in `..operators`), and names every node with a canonical
`key`/`digest`; `evaluate` computes each distinct sub-expression once per call (and across calls
through a `PanelCache`). Every mistake in a formula is a `FormulaError` with a position.
"""

from .cache import PanelCache
from .canonical import Apply, Checked, CheckedNode, Const, FieldRef, fields_used, lookback, rows_needed, walk
from .checker import FieldKind, Operators, check, compile_formula, literal_value
from .errors import FormulaError
from .evaluator import evaluate, evaluate_tail, history_rows, require_history
from .lexer import Token, tokenize
from .nodes import Call, Field, Node, Number, Span
from .parser import parse

__all__ = [
    "Apply",
    "Call",
    "Checked",
    "CheckedNode",
    "Const",
    "Field",
    "FieldKind",
    "FieldRef",
    "FormulaError",
    "Node",
    "Number",
    "Operators",
    "PanelCache",
    "Span",
    "Token",
    "check",
    "compile_formula",
    "evaluate",
    "evaluate_tail",
    "fields_used",
    "history_rows",
    "literal_value",
    "lookback",
    "parse",
    "require_history",
    "rows_needed",
    "tokenize",
    "walk",
]
