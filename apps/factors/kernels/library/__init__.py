"""The factor library: well-known factor sets written as formulas of the expression language.

    from apps.factors.kernels.library import LIBRARY, fields_of
    formula = LIBRARY["alpha101"]["alpha042"]
    fields = fields_of(formula)          # {"close": "series", "vwap": "series"}

- `ALPHA158`: Qlib's Alpha158 features, Qlib's names and formula texts, in Qlib's order.
- `ALPHA101`: Kakushadze's 101 Formulaic Alphas ("alpha001".."alpha101"), translated to our
  operators; `ALPHA101_FIELDS` lists what each reads ($cap, $sector/$industry/$subindustry for some).

Each module's docstring says where its formulas come from and where our operator semantics make a
value differ from the original (full windows instead of Qlib's partial ones, NaN comparisons).
"""

from .alpha101 import ALPHA101, ALPHA101_FIELDS
from .alpha158 import ALPHA158
from .fields import GROUP_FIELDS, fields_of
from .sets import LIBRARY

__all__ = ["ALPHA101", "ALPHA101_FIELDS", "ALPHA158", "GROUP_FIELDS", "LIBRARY", "fields_of"]
