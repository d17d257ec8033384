"""A hand-written precedence-climbing parser from formula text to the tree in `nodes`.

Grammar, lowest precedence first (all binary operators left-associative unless noted):

    formula  := ternary END
    ternary  := or ( '?' ternary ':' ternary )?          right-associative: a ? b : c ? d : e
    or       := and ( '||' and )*
    and      := equality ( '&&' equality )*
    equality := compare ( ('==' | '!=') compare )*
    compare  := sum ( ('<' | '<=' | '>' | '>=') sum )*
    sum      := product ( ('+' | '-') product )*
    product  := unary ( ('*' | '/') unary )*
    unary    := ('-' | '!') unary | power
    power    := atom ( '^' unary )?                      right-associative, and tighter than a
                                                         unary minus on its left: -2^2 = -(2^2)
    atom     := NUMBER | FIELD | IDENT '(' args? ')' | '(' ternary ')' | IDENT (with bare_fields)
    args     := ternary ( ',' ternary )*

Infix operators become calls of their canonical operator names (`+` add, `-` sub, `*` mul, `/` div,
`^` power, unary `-` neg, `<` lt, `<=` le, `>` gt, `>=` ge, `==` eq, `!=` ne, `&&` and, `||` or,
`!` not, `c ? a : b` if_else). Names are not resolved here: that is the checker's job.
"""

from __future__ import annotations

from dataclasses import replace

from .errors import FormulaError
from .lexer import Token, tokenize
from .nodes import Call, Field, Node, Number, Span

BINARY: dict[str, tuple[int, str]] = {
    "||": (1, "or"),
    "&&": (2, "and"),
    "==": (3, "eq"),
    "!=": (3, "ne"),
    "<": (4, "lt"),
    "<=": (4, "le"),
    ">": (4, "gt"),
    ">=": (4, "ge"),
    "+": (5, "add"),
    "-": (5, "sub"),
    "*": (6, "mul"),
    "/": (6, "div"),
}
UNARY = {"-": "neg", "!": "not"}
POWER = "power"
IF_ELSE = "if_else"

# Parentheses, calls and prefix operators nest by recursion; past this depth the formula is refused
# with a FormulaError rather than letting Python's recursion limit answer with a RecursionError.
MAX_NESTING = 64
# The checker and evaluator walk the tree recursively, one frame per level: the same reasoning.
MAX_DEPTH = 200


def parse(text: str, *, bare_fields: bool = False) -> Node:
    """The tree of `text`. With `bare_fields`, an identifier not followed by `(` is a field (`close`
    reads as `$close`, as the 101-alphas paper writes them); whether it exists is the checker's
    question. Raises FormulaError, carrying `text`, for anything that is not a formula."""
    try:
        root = _Parser(text, bare_fields).formula()
        _check_depth(root)
        return root
    except FormulaError as error:
        raise error.with_formula(text) from None


class _Parser:
    def __init__(self, text: str, bare_fields: bool) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.bare_fields = bare_fields
        self.nesting = 0

    # -- token helpers -------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def is_op(self, *symbols: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in symbols

    def fail(self, message: str, tok: Token | None = None, *, found: bool = True) -> FormulaError:
        """An error at `tok` (default: the current token); `found` appends what was there instead."""
        tok = tok or self.tok
        if tok.kind == "end":
            message = f"unexpected end of formula: {message}"
        elif found:
            message = f"{message}, found {tok.describe()}"
        return FormulaError(message, tok.start, max(1, tok.end - tok.start), self.text)

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.fail(f"formula nested too deeply (more than {MAX_NESTING} levels)", found=False)

    # -- grammar -------------------------------------------------------------------------------
    def formula(self) -> Node:
        if self.tok.kind == "end":
            raise FormulaError("empty formula", 0, 1, self.text)
        node = self.ternary()
        if self.tok.kind != "end":
            what = "no '(' to close" if self.tok.kind == ")" else "the formula is already complete"
            raise self.fail(f"trailing input: unexpected {self.tok.describe()} ({what})", found=False)
        return node

    def ternary(self) -> Node:
        cond = self.binary(1)
        if self.is_op("?"):
            self.enter()
            question = self.advance()
            then = self.ternary()
            if not self.is_op(":"):
                raise self.fail(f"expected ':' for the '?' at {question.start}")
            self.advance()
            other = self.ternary()
            cond = Call(
                IF_ELSE,
                (cond, then, other),
                cond.span.to(other.span),
                Span(question.start, question.end),
                "?:",
            )
            self.nesting -= 1
        return cond

    def binary(self, min_precedence: int) -> Node:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in BINARY:
            precedence, name = BINARY[self.tok.text]
            if precedence < min_precedence:
                break
            op = self.advance()
            right = self.binary(precedence + 1)  # +1: left-associative
            left = Call(name, (left, right), left.span.to(right.span), Span(op.start, op.end), op.text)
        return left

    def unary(self) -> Node:
        if self.is_op(*UNARY):
            self.enter()
            op = self.advance()
            operand = self.unary()
            self.nesting -= 1
            span = Span(op.start, op.end)
            return Call(UNARY[op.text], (operand,), span.to(operand.span), span, op.text)
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.is_op("^"):
            self.enter()
            op = self.advance()
            exponent = self.unary()  # right-associative; allows 2^-1
            self.nesting -= 1
            return Call(POWER, (base, exponent), base.span.to(exponent.span), Span(op.start, op.end), "^")
        return base

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            assert tok.value is not None
            return Number(tok.value, Span(tok.start, tok.end))
        if tok.kind == "field":
            self.advance()
            return Field(tok.text[1:], Span(tok.start, tok.end))
        if tok.kind == "ident":
            self.advance()
            if self.tok.kind == "(":
                return self.call(tok)
            if self.bare_fields:
                return Field(tok.text, Span(tok.start, tok.end))
            raise self.fail(
                f"'{tok.text}' is neither a field nor a call: write a field as ${tok.text}, "
                f"a call as {tok.text}(...)",
                tok,
                found=False,
            )
        if tok.kind == "(":
            self.enter()
            self.advance()
            inner = self.ternary()
            if self.tok.kind != ")":
                raise self.fail(f"expected ')' to close the '(' at {tok.start}")
            closing = self.advance()
            self.nesting -= 1
            # The span covers the parentheses, so an enclosing node's span covers them too.
            return replace(inner, span=Span(tok.start, closing.end))
        raise self.fail("expected a number, field, call or '('")

    def call(self, name: Token) -> Node:
        self.enter()
        opening = self.advance()
        args: list[Node] = []
        if self.tok.kind != ")":
            while True:
                args.append(self.ternary())
                if self.tok.kind == ",":
                    self.advance()
                    continue
                if self.tok.kind == ")":
                    break
                raise self.fail(f"expected ',' or ')' to close the call opened at {opening.start}")
        closing = self.advance()
        self.nesting -= 1
        return Call(name.text, tuple(args), Span(name.start, closing.end), Span(name.start, name.end))


def _check_depth(root: Node) -> None:
    """Refuse trees deeper than MAX_DEPTH (a 300-term sum is one long left-leaning chain)."""
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FormulaError(
                f"formula nested too deeply (more than {MAX_DEPTH} levels)", node.span.start, node.span.length
            )
        if isinstance(node, Call):
            stack.extend((arg, depth + 1) for arg in node.args)
