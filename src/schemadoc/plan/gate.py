"""What the plan leaves out until the user allows it: destructive changes, probable renames,
and everything when the database is not the document's at all."""

from __future__ import annotations

from collections.abc import Sequence

from schemadoc.compare.changes import DESTRUCTIVE, Change, Hazard
from schemadoc.model import Column, QName, Schema, Table
from schemadoc.plan.model import LeftOut, LeftOutReason, Rename, WrongDatabase
from schemadoc.plan.phases import covered
from schemadoc.records import record

# Below this share of the document's tables present (and with tables of its own) a database is
# taken for the wrong one.
WRONG_DATABASE_SHARE = 0.2


@record
class Gated:
    planned: tuple[Change, ...]
    left_out: tuple[LeftOut, ...]
    renames: tuple[Rename, ...]


def wrong_database(expected: Schema, actual: Schema) -> WrongDatabase | None:
    """A summary when ``actual`` holds less than a fifth of the document's tables and tables
    the document does not have; None otherwise (an empty database is a fine target)."""
    wanted = set(expected.tables)
    have = set(actual.tables)
    shared = len(wanted & have)
    own = len(have - wanted)
    if not wanted or not own or shared >= WRONG_DATABASE_SHARE * len(wanted):
        return None
    return WrongDatabase(len(wanted), shared, own)


def _shape(columns: Sequence[Column]) -> tuple[tuple[str, str], ...]:
    return tuple((c.name, c.type) for c in columns)


def _table_shape(table: Table) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(_shape(table.columns)))


def find_renames(expected: Schema, actual: Schema) -> list[Rename]:
    """Tables the database has and the document does not, paired with a table of the same
    columns (names and types) the document has and the database does not; and within a table
    both have, a column that disappears paired with one of the same type that appears. A pair
    is reported only when it is the only candidate both ways."""
    out: list[Rename] = []
    gone = [actual.tables[q] for q in sorted(set(actual.tables) - set(expected.tables))]
    new = [expected.tables[q] for q in sorted(set(expected.tables) - set(actual.tables))]
    for old in gone:
        shape = _table_shape(old)
        if not shape:
            continue
        same = [t for t in new if _table_shape(t) == shape]
        back = [t for t in gone if _table_shape(t) == shape]
        if len(same) == 1 and len(back) == 1:
            out.append(Rename(old.qname, same[0].qname))
    for qname in sorted(set(expected.tables) & set(actual.tables)):
        wanted, have = expected.tables[qname], actual.tables[qname]
        wanted_names = {c.name for c in wanted.columns}
        have_names = {c.name for c in have.columns}
        gone_cols = [c for c in have.columns if c.name not in wanted_names]
        new_cols = [c for c in wanted.columns if c.name not in have_names]
        for col in gone_cols:
            same_cols = [c for c in new_cols if c.type == col.type]
            back_cols = [c for c in gone_cols if c.type == col.type]
            if len(same_cols) == 1 and len(back_cols) == 1:
                out.append(Rename(qname, qname, (col.name, same_cols[0].name)))
    return out


def _tables_of(change: Change) -> set[QName]:
    return {step.table for step in change.steps() if step.table is not None}


def _rename_side(change: Change, renames: Sequence[Rename]) -> bool:
    """Whether ``change`` is one side of a probable rename: it touches a renamed table (either
    name), or it is a destructive change on a table with a renamed column."""
    tables = _tables_of(change)
    for rename in renames:
        if rename.column is None and tables & {rename.old, rename.new}:
            return True
        if rename.column is not None and rename.new in tables and change.destructive:
            return True
    return False


def gate(changes: Sequence[Change], renames: Sequence[Rename], allow: frozenset[Hazard]) -> Gated:
    """Split ``changes`` into those planned and those left out. A change whose steps another
    change carries is dropped; both sides of a probable rename are left out unless deleting data
    is allowed (then they run as written: a drop and an add); one with a destructive hazard not
    in ``allow`` is left out (even without steps: an enum value PostgreSQL cannot drop); any
    other change without steps is left for the user."""
    blocking = [] if Hazard.DELETES_DATA in allow else list(renames)
    planned: list[Change] = []
    left: list[LeftOut] = []
    for change in changes:
        if covered(change):
            continue
        if blocking and _rename_side(change, blocking):
            left.append(LeftOut(change, LeftOutReason.RENAME, change.hazards & DESTRUCTIVE))
            continue
        refused = (change.hazards & DESTRUCTIVE) - allow
        if refused:
            left.append(LeftOut(change, LeftOutReason.DESTRUCTIVE, frozenset(refused)))
            continue
        if not change.steps():
            left.append(LeftOut(change, LeftOutReason.UNPLANNABLE))
            continue
        planned.append(change)
    return Gated(tuple(planned), tuple(left), tuple(blocking))
