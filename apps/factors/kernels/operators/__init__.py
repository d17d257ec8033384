"""The factor operator library: vectorized kernels over (T, N) panels, each described by an
`OperatorSpec` (see `spec`). `OPERATORS` holds them by canonical name; `operator_named` resolves
canonical names and the Qlib / 101-alphas aliases."""

from .registry import OPERATORS, operator_named
from .spec import UNBOUNDED, Arg, OperatorSpec

__all__ = ["OPERATORS", "UNBOUNDED", "Arg", "OperatorSpec", "operator_named"]
