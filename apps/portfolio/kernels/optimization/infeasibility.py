"""Why a problem is infeasible: a minimal set of named constraints that conflict, and the smallest
relaxation that makes the problem feasible.

The conflict is an irreducible infeasible subset (IIS) of the named scalar constraints (problem.py),
found in two stages (Chinneck's filters):
1. elastic filter: give every constraint a nonnegative slack and minimize their sum; the constraints
   that need slack are made hard and the rest stay elastic, until the hard ones alone are infeasible.
   That set holds a conflict and is usually small, so stage 2 is cheap even for 500 assets;
2. deletion filter: drop each constraint of that set in turn; if the others are still infeasible it
   is not needed and stays out, otherwise it is part of the conflict and goes back. What is left is
   infeasible, and removing any one of its constraints makes it feasible.
Structural constraints (auxiliary variables, binary links) are always hard.

The relaxation adds a nonnegative slack to each constraint of the conflict, keeps the rest hard and
minimizes the total slack (in the constraints' own units: weight, return, volatility), a slack on
long-only or the budget counting 10 times (they define the portfolio; limits move first); a cap gets
"raise to", a floor "lower to", an equality "change to". LPs are solved by HiGHS's simplex, whose
vertex answers move as few constraints as they can. When relaxing the conflict alone is not
enough (the problem has a second, disjoint conflict), every constraint gets a slack instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from .problem import Block
from .solvers import SolveOutcome, SolverAttempt, SolverSpec, solve_chain, solve_mixed_integer

SLACK_TOL = 1e-7  # slack above this marks a constraint as needing relaxation (elastic filter)
REPORT_TOL = 1e-5  # ... and is reported in a relaxation (below it: MIP and interior-point noise)
Element = tuple[int, int]  # (block index, position in the block)


@dataclass(frozen=True)
class Relaxation:
    constraint: str  # its name, e.g. "sector cap Technology <= 0.2"
    slack: float  # how far it has to move, in its own units
    suggestion: str  # e.g. "sector cap Technology <= 0.2: raise to 0.35"


@dataclass(frozen=True)
class Infeasible:
    method: str
    conflict: tuple[str, ...]  # an irreducible set of named constraints that cannot hold together
    relaxations: tuple[Relaxation, ...]  # the smallest change found that makes the problem feasible
    message: str
    proven: bool = True  # False: a heuristic found no portfolio, which does not prove there is none
    attempts: tuple[SolverAttempt, ...] = ()  # the solve that failed
    notes: tuple[str, ...] = ()


def _masks(blocks: Sequence[Block], elements) -> list[np.ndarray]:
    masks = [np.zeros(len(b.names), dtype=bool) for b in blocks]
    for b, i in elements:
        masks[b][i] = True
    return masks


def _solve(constraints: list, objective, integer: bool, time_limit: float) -> SolveOutcome:
    problem = cp.Problem(cp.Minimize(objective), constraints)
    if integer:
        return solve_mixed_integer(problem, time_limit=time_limit)
    # HiGHS's simplex for LPs: a vertex, so the least relaxation moves as few constraints as it can
    first = [SolverSpec("HIGHS", time_limit)] if problem.is_lp() else []
    return solve_chain(problem, [*first, SolverSpec("CLARABEL", time_limit), SolverSpec("SCS", time_limit)])


class _Checker:
    def __init__(self, blocks: Sequence[Block], structural: Sequence, integer: bool, time_limit: float):
        self.blocks, self.structural, self.integer, self.time_limit = (
            blocks,
            list(structural),
            integer,
            time_limit,
        )
        self.undecided = 0  # feasibility checks no solver could settle

    def hard(self, elements) -> list:
        out = list(self.structural)
        for block, mask in zip(self.blocks, _masks(self.blocks, elements), strict=True):
            if mask.any():
                out += block.constraints(mask)
        return out

    def feasible(self, elements) -> bool:
        outcome = _solve(self.hard(elements), 0, self.integer, self.time_limit)
        if not outcome.solved and not outcome.infeasible:
            self.undecided += 1
        # an undecided check counts as feasible: the constraint stays in the conflict (still a
        # conflict, possibly not an irreducible one)
        return not outcome.infeasible

    def elastic(self, hard_elements, soft_elements) -> tuple[SolveOutcome, dict]:
        """Minimize the total slack of `soft_elements` with `hard_elements` hard; {element: slack}."""
        constraints = self.hard(hard_elements)
        slacks = {}
        total = 0
        for b, (block, mask) in enumerate(zip(self.blocks, _masks(self.blocks, soft_elements), strict=True)):
            if not mask.any():
                continue
            s = cp.Variable(int(mask.sum()), nonneg=True)
            constraints += block.constraints(mask, slack=s)
            total = total + block.relax_weight * cp.sum(s)
            slacks[b] = (np.flatnonzero(mask), s)
        outcome = _solve(constraints, total, self.integer, self.time_limit)
        values = {}
        if outcome.solved:
            for b, (idx, s) in slacks.items():
                values.update(
                    {(b, int(i)): float(v) for i, v in zip(idx, np.atleast_1d(s.value), strict=True)}
                )
        return outcome, values


def find_conflict(
    blocks: Sequence[Block], structural: Sequence = (), *, integer: bool = False, time_limit: float = 30.0
) -> tuple[list[Element], list[str]]:
    """(conflict elements, notes): an IIS of the named constraints (module docstring). Empty when the
    structural constraints alone are infeasible."""
    checker = _Checker(blocks, structural, integer, time_limit)
    everything = [(b, i) for b, block in enumerate(blocks) for i in range(len(block.names))]
    notes: list[str] = []
    enforced: list[Element] = []
    while True:
        hard = set(enforced)
        soft = [e for e in everything if e not in hard]
        outcome, slack = checker.elastic(enforced, soft)
        if outcome.infeasible:
            break
        needing = [e for e, v in slack.items() if v > SLACK_TOL]
        if not outcome.solved or not needing:
            # nothing needs slack (the constraints are feasible after all) or the solver gave up
            notes.append(
                f"the elastic filter stopped ({outcome.status}): the conflict covers every constraint"
            )
            enforced = everything
            break
        enforced += needing
    conflict = sorted(enforced)  # in the order the constraints were stated
    for element in list(conflict):
        trial = [e for e in conflict if e != element]
        if not checker.feasible(trial):
            conflict = trial
    if checker.undecided:
        notes.append(
            f"{checker.undecided} feasibility checks were undecided; the conflict may not be minimal"
        )
    return conflict, notes


def _suggestion(block: Block, i: int, slack: float) -> str:
    name, shown = block.names[i], float(block.shown_values()[i])
    if block.sense == "<=":
        return f"{name}: raise to {shown + slack:.6g}"
    if block.sense == ">=":
        return f"{name}: lower to {shown - slack:.6g}"
    value = float(np.atleast_1d(block.expr.value)[i])
    return f"{name}: change to {value:.6g}"


def smallest_relaxation(
    blocks: Sequence[Block],
    structural: Sequence,
    conflict: Sequence[Element],
    *,
    integer: bool = False,
    time_limit: float = 30.0,
) -> tuple[list[Relaxation], list[str]]:
    """(relaxations, notes): the least total slack on the conflict (or, failing that, on every
    constraint) that makes the problem feasible; empty when none was found."""
    checker = _Checker(blocks, structural, integer, time_limit)
    everything = [(b, i) for b, block in enumerate(blocks) for i in range(len(block.names))]
    in_conflict = set(conflict)
    outcome, slack = checker.elastic([e for e in everything if e not in in_conflict], list(conflict))
    notes: list[str] = []
    if not outcome.solved:
        outcome, slack = checker.elastic([], everything)
        notes.append(
            "relaxing the conflict alone is not enough (another conflict remains): every constraint may move"
        )
    if not outcome.solved:
        return [], [*notes, f"no relaxation found ({outcome.status})"]
    relaxations = [
        Relaxation(blocks[b].names[i], v, _suggestion(blocks[b], i, v))
        for (b, i), v in sorted(slack.items())
        if v > REPORT_TOL
    ]
    return relaxations, notes


def diagnose(
    method: str,
    blocks: Sequence[Block],
    structural: Sequence = (),
    *,
    integer: bool = False,
    attempts: tuple[SolverAttempt, ...] = (),
    time_limit: float = 30.0,
    notes: Sequence[str] = (),
) -> Infeasible:
    """The `Infeasible` answer for constraints known to be infeasible: conflict and relaxation."""
    elements, conflict_notes = find_conflict(blocks, structural, integer=integer, time_limit=time_limit)
    relaxations, relax_notes = smallest_relaxation(
        blocks, structural, elements, integer=integer, time_limit=time_limit
    )
    names = tuple(blocks[b].names[i] for b, i in elements)
    if names:
        message = "infeasible: these constraints cannot hold together: " + "; ".join(names)
    else:
        message = "infeasible even without the stated constraints"
    return Infeasible(
        method=method,
        conflict=names,
        relaxations=tuple(relaxations),
        message=message,
        attempts=attempts,
        notes=(*notes, *conflict_notes, *relax_notes),
    )
