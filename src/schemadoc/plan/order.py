"""The order plan steps run in: dependency order, the same for the same changes.

Each kind of change belongs to a :class:`Phase`; changes run phase by phase, and within a phase
in the order the comparison listed them (which is sorted, so the whole order is deterministic).
A change's own steps stay together and in their order (``ADD ... NOT VALID`` before its
``VALIDATE``). The phase of a change is looked up by its class in a dispatch table; a class
the table does not know runs with the other objects at the end, or, when destructive, with the
drops. The table itself is in :mod:`schemadoc.plan.phases`.
"""

from __future__ import annotations

import heapq
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
    EARLY_ROUTINES = 28  # routines whose bodies are not checked against tables (plpgsql...)
    TABLES = 30
    COLUMNS = 40  # new columns
    COLUMN_IDENTITY = 41  # identity and generation: before defaults (an ex-identity takes one)
    COLUMN_TYPES = 42  # types and collations: before defaults
    COLUMN_DEFAULTS = 43
    ROUTINES = 45  # SQL-language routines: their bodies are checked against tables and columns
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
    """``changes`` in the order their steps run: by phase, then in the order given, except that
    a change runs after the changes of its phase that make what it needs (a new table after
    the new tables its foreign keys reference)."""
    table = _table(phases)
    by_phase: dict[Phase, list[Change]] = {}
    for change in changes:
        by_phase.setdefault(phase_of(change, table), []).append(change)
    out: list[Change] = []
    for phase in sorted(by_phase):
        out.extend(_dependencies_first(by_phase[phase]))
    return out


def _dependencies_first(items: list[Change]) -> list[Change]:
    """``items`` in their order, each moved after the items that make what it needs; a cycle
    is broken at its earliest item."""
    from schemadoc.plan.phases import makes, needs

    maker: dict[object, int] = {}
    for i, change in enumerate(items):
        for thing in makes(change):
            maker.setdefault(thing, i)
    waits_for: list[set[int]] = []
    for i, change in enumerate(items):
        waits_for.append({maker[t] for t in needs(change) if t in maker and maker[t] != i})
    if not any(waits_for):
        return list(items)
    unblocks: dict[int, list[int]] = {}
    for i, before in enumerate(waits_for):
        for j in before:
            unblocks.setdefault(j, []).append(i)
    ready = [i for i, before in enumerate(waits_for) if not before]
    heapq.heapify(ready)
    done: set[int] = set()
    out: list[Change] = []
    while len(out) < len(items):
        if not ready:  # a cycle: the earliest item left goes first
            heapq.heappush(ready, min(i for i in range(len(items)) if i not in done))
        i = heapq.heappop(ready)
        if i in done:
            continue
        done.add(i)
        out.append(items[i])
        for j in unblocks.get(i, ()):
            waits_for[j].discard(i)
            if not waits_for[j] and j not in done:
                heapq.heappush(ready, j)
    return out
