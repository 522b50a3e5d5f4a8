"""``schemadoc plan``: the ordered, online steps from a live database to the document, with what
was left out, the data pre-checks and the proof on a scratch copy."""

from schemadoc.plan.build import Differ, make_plan, number_steps
from schemadoc.plan.model import (
    LeftOut,
    LeftOutReason,
    Plan,
    PlannedStep,
    PreCheckResult,
    ProofFailure,
    Rename,
    TableSize,
    WrongDatabase,
)
from schemadoc.plan.order import Phase, order_changes
from schemadoc.plan.prechecks import run_prechecks

__all__ = [
    "Differ",
    "LeftOut",
    "LeftOutReason",
    "Phase",
    "Plan",
    "PlannedStep",
    "PreCheckResult",
    "ProofFailure",
    "Rename",
    "TableSize",
    "WrongDatabase",
    "make_plan",
    "number_steps",
    "order_changes",
    "run_prechecks",
]
