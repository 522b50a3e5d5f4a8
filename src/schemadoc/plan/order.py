"""The order plan steps run in: dependency order, the same for the same changes.

Each kind of change belongs to a :class:`Phase`; changes run phase by phase, and within a phase
in the order the comparison listed them (which is sorted, so the whole order is deterministic).
A change's own steps stay together and in their order (``ADD ... NOT VALID`` before its
``VALIDATE``). The phase of a change is looked up by its class in a dispatch table; a class
the table does not know runs with the other objects at the end, or, when destructive, with the
drops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum

from schemadoc.compare.changes import Change


class Phase(IntEnum):
    """When a kind of change runs. Gaps leave room for kinds added later."""

    PREPARE = 10  # schemas, extensions, types, new enum values
    DROP_DEPENDENTS = 20  # views, triggers, policies dropped before the changes under them
    DROP_ROUTINES = 22  # after the triggers that call them
    DROP_FOREIGN_KEYS = 25  # before the keys they reference
    DROP_CONSTRAINTS = 27  # uniques, checks, primary keys, indexes
    TABLES = 30
    COLUMNS = 40  # add, change type, defaults, drop NOT NULL
    ROUTINES = 45  # functions: before the CHECKs, defaults and index expressions that call them
    KEYS = 50  # NOT NULL, CHECK, UNIQUE, PRIMARY KEY
    FOREIGN_KEYS = 60  # after the keys they reference
    INDEXES = 70
    VIEWS = 80
    TRIGGERS = 82
    POLICIES = 84
    GRANTS = 86
    COMMENTS = 88
    OTHER = 89  # a kind of change the dispatch table does not know
    DROP_COLUMNS = 90
    DROP_TABLES = 95
    DROP_TYPES = 97  # types, sequences, schemas no table uses any more


# The phase of each kind of change, by class. Filled with the change classes of
# :mod:`schemadoc.compare`; a subclass takes the phase of its nearest listed base.
PHASES: dict[type[Change], Phase] = {}


def phase_of(change: Change, phases: Mapping[type[Change], Phase] | None = None) -> Phase:
    table = PHASES if phases is None else phases
    for cls in type(change).__mro__:
        phase = table.get(cls)
        if phase is not None:
            return phase
    return Phase.DROP_TABLES if change.destructive else Phase.OTHER


def order_changes(
    changes: Sequence[Change], phases: Mapping[type[Change], Phase] | None = None
) -> list[Change]:
    """``changes`` in the order their steps run: by phase, then in the order given."""
    ranked = sorted(enumerate(changes), key=lambda item: (phase_of(item[1], phases), item[0]))
    return [change for _, change in ranked]
