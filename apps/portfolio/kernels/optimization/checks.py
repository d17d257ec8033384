"""Whether a QP answer can be trusted: a certificate of optimality from the answer itself.

OSQP's ADMM iterates stop at a tolerance; its polishing step guesses the active constraints from
them and solves that equality-constrained system exactly. The guess can be wrong, and polishing can
fail, so an answer is accepted only when, on the weights clipped to their own bounds (which removes
round-off of ~1e-16 below a bound of zero) and the auxiliaries set to their least values
(`QP.tighten`):

- every row holds: l - 1e-9 <= Ax <= u + 1e-9 (PRIMAL_TOL);
- it is stationary: P x + q + A'y = 0 to a relative 1e-7 (the KKT gradient condition);
- each multiplier has the sign of its bound and sits on an active row (y_i < 0 only where Ax_i = l_i,
  y_i > 0 only where Ax_i = u_i).

For a convex QP these three are the KKT conditions: together they prove the answer optimal, whatever
the solver did to reach it. Anything else goes to the fallback chain.
"""

from __future__ import annotations

import numpy as np

from .qp import QP

PRIMAL_TOL = 1e-9
STATIONARY_TOL = 1e-7  # relative to the largest term of the gradient


def primal_violation(qp: QP, x: np.ndarray) -> float:
    ax = qp.A @ x
    return float(max(np.max(qp.l - ax, initial=0.0), np.max(ax - qp.u, initial=0.0), 0.0))


def rejection(qp: QP, x: np.ndarray, y: np.ndarray) -> str | None:
    """None when (x, y) passes the checks (module docstring), else why not."""
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        return "the answer is not finite"
    violation = primal_violation(qp, x)
    if violation > PRIMAL_TOL:
        return f"constraint violation {violation:.2g} > {PRIMAL_TOL:g}"
    px = qp.hessian_times(x)
    aty = qp.A.T @ y
    scale = max(1.0, np.abs(px).max(), np.abs(qp.q).max(), np.abs(aty).max())
    gradient = float(np.abs(px + qp.q + aty).max())
    if gradient > STATIONARY_TOL * scale:
        return f"not stationary: gradient {gradient:.2g}"
    ax = qp.A @ x
    y_tol = STATIONARY_TOL * max(1.0, float(np.abs(y).max()))
    wrong = ((y < -y_tol) & (ax > qp.l + PRIMAL_TOL)) | ((y > y_tol) & (ax < qp.u - PRIMAL_TOL))
    if wrong.any():
        return f"{int(wrong.sum())} multipliers on inactive rows"
    return None
