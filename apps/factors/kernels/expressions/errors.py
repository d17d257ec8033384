"""The one exception a user's formula can cause, pointing at the offending span of the text."""

from __future__ import annotations


class FormulaError(Exception):
    """A formula the user wrote is wrong: `position` is the 0-based character offset of the offending
    span and `length` its width (at least 1, so a caret always shows). `formula` is the text when the
    raiser knew it; `caret()` renders it with a `^^^` marker under the span."""

    def __init__(self, message: str, position: int, length: int = 1, formula: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = max(0, position)
        self.length = max(1, length)
        self.formula = formula

    def __str__(self) -> str:
        return f"{self.message} (at {self.position})"

    def with_formula(self, formula: str) -> FormulaError:
        """The same error knowing the text (the checker raises from a tree that has no text)."""
        if not self.formula:
            self.formula = formula
        return self

    def caret(self, formula: str | None = None) -> str:
        """The formula on one line and, under it, `^` marks under the offending span. Newlines and
        tabs in the formula are shown as spaces so the marker stays aligned."""
        text = formula if formula is not None else self.formula
        line = text.replace("\n", " ").replace("\r", " ").replace("\t", " ")
        start = min(self.position, len(line))
        width = max(1, min(self.length, len(line) - start))
        return f"{line}\n{' ' * start}{'^' * width}"

    def to_dict(self) -> dict[str, object]:
        """JSON-safe form for an API's 400 answer."""
        return {"message": self.message, "position": self.position, "length": self.length}
