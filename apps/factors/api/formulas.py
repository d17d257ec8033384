"""The 400 answer for a wrong formula: `{"formula": {"message", "position", "length", "caret"}}`
(or `{"formulas": {"<k>": {...}}}`), with position and length as numbers. DRF's ValidationError
would turn every leaf of its detail into a string, so this one keeps the detail as given."""

from __future__ import annotations

from rest_framework import exceptions

from ..kernels.expressions import FormulaError
from ..selectors.evaluation import formula_compile
from ..services.definitions import formula_error_detail


class FormulaInvalid(exceptions.ValidationError):
    def __init__(self, detail: dict) -> None:  # no super().__init__(): it would stringify the leaves
        self.detail = detail


def formula_checked(text: str, *, field: str = "formula") -> None:
    """Raise FormulaInvalid keyed `field` when `text` is not a valid formula."""
    try:
        formula_compile(text)
    except FormulaError as exc:
        raise FormulaInvalid({field: formula_error_detail(exc.with_formula(text))}) from None
