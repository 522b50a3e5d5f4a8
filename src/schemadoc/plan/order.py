"""The order plan steps run in: dependency order, the same for the same changes.

Each kind of change belongs to a :class:`Phase`; changes run phase by phase, and within a phase
in the order the comparison listed them (which is sorted, so the whole order is deterministic).
A change's own steps stay together and in their order (``ADD ... NOT VALID`` before its
``VALIDATE``), except where :func:`schemadoc.plan.phases.parts` splits them (a new table's
foreign keys). The phase of a change is looked up by its class in a dispatch table; a class
the table does not know runs with the other objects at the end, or, when destructive, with the
drops. The table itself is in :mod:`schemadoc.plan.phases`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum

from schemadoc.compare.changes import Change, Step
from schemadoc.plan.model import PlannedStep


class Phase(IntEnum):
    """When a kind of change runs. Gaps leave room for kinds added later."""

    PREPARE = 10  # schemas, extensions, types, new enum values
    DROP_DEPENDENTS = 20  # views, triggers, policies dropped before the changes under them
    DROP_ROUTINES = 22  # after the triggers that call them
    DROP_FOREIGN_KEYS = 25  # before the keys they reference
    DROP_CONSTRAINTS = 27  # uniques, checks, primary keys, indexes
    EARLY_ROUTINES = 28  # routines that tables, domains or indexes call (defaults, CHECKs)
    TABLES = 30
    COLUMNS = 40  # new columns
    COLUMN_IDENTITY = 41  # identity and generation: before defaults (an ex-identity takes one)
    COLUMN_TYPES = 42  # types and collations: before defaults
    COLUMN_DEFAULTS = 43
    ROUTINES = 45  # other routines: their signatures and bodies may name tables and columns
    NOT_NULL = 48
    KEYS = 50  # PRIMARY KEY, UNIQUE
    RELAX_NOT_NULL = 52  # DROP NOT NULL: after a column leaves the primary key
    CHECKS = 54  # CHECK and exclusion constraints
    INDEXES = 56  # before the foreign keys that reference a unique index
    FOREIGN_KEYS = 60  # after the keys they reference
    VIEWS = 80
    TRIGGERS = 82
    POLICIES = 84
    GRANTS = 86  # grants, then row level security switched on (after its policies)
    COMMENTS = 88
    OTHER = 89  # a kind of change the dispatch table does not know
    DROP_COLUMNS = 90
    DROP_TABLES = 95
    DROP_TYPES = 97  # types, sequences, schemas no table uses any more


def _table(phases: Mapping[type[Change], Phase] | None) -> Mapping[type[Change], Phase]:
    if phases is not None:
        return phases
    from schemadoc.plan import phases as known

    return known.PHASES


def phase_of(change: Change, phases: Mapping[type[Change], Phase] | None = None) -> Phase:
    """The phase of ``change``'s class (or of its nearest base in the table)."""
    if phases is None:
        from schemadoc.plan.phases import phase_by_content

        by_content = phase_by_content(change)
        if by_content is not None:
            return by_content
    table = _table(phases)
    for cls in type(change).__mro__:
        phase = table.get(cls)
        if phase is not None:
            return phase
    return Phase.DROP_TABLES if change.destructive else Phase.OTHER


def order_changes(
    changes: Sequence[Change], phases: Mapping[type[Change], Phase] | None = None
) -> list[Change]:
    """``changes`` in the order they run: by phase, then in the order given."""
    ranked = sorted(enumerate(changes), key=lambda item: (phase_of(item[1], phases), item[0]))
    return [change for _, change in ranked]


def order_steps(
    changes: Sequence[Change], phases: Mapping[type[Change], Phase] | None = None
) -> tuple[PlannedStep, ...]:
    """The steps of ``changes`` in the order they run, numbered from 1. A change runs in one
    piece, in its phase, except one whose steps :func:`schemadoc.plan.phases.parts` splits: a
    new table's foreign keys wait for the foreign-key phase, after every new table exists (so
    new tables may reference each other)."""
    from schemadoc.plan.phases import parts

    pieces: list[tuple[Phase, int, int, Change, tuple[Step, ...]]] = []
    for position, change in enumerate(order_changes(changes, phases)):
        for number, (phase, steps) in enumerate(parts(change, phase_of(change, phases))):
            pieces.append((phase, position, number, change, steps))
    pieces.sort(key=lambda piece: piece[:3])
    out: list[PlannedStep] = []
    for _, _, _, change, steps in pieces:
        for step in steps:
            out.append(PlannedStep(len(out) + 1, step, change))
    return tuple(out)
