"""Tables: one only a side has, and the differences inside one both sides have (its columns,
constraints, row level security and partitioning, each compared by its own module)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from schemadoc.compare import codes
from schemadoc.compare.changes import Change, Hazard, Lock, Noted, Step
from schemadoc.compare.columns import ChangeIdentity, SetNotNull, diff_columns
from schemadoc.compare.constraints import (
    AddPrimaryKey,
    ChangePrimaryKey,
    diff_checks,
    diff_primary_key,
    diff_uniques,
)
from schemadoc.compare.foreign_keys import diff_foreign_keys
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.text import comment_diag, show
from schemadoc.model import ForeignKey, Index, QName, Schema, Table
from schemadoc.sqlnames import quote_qualified
from schemadoc.write import ddl_alter as alter
from schemadoc.write.ddl_access import rls_statements
from schemadoc.write.ddl_comments import comment_statements
from schemadoc.write.ddl_tables import (
    foreign_key_statements,
    index_statement,
    sorted_foreign_keys,
    table_statement,
)


@dataclass(frozen=True, slots=True)
class AddTable(Change):
    """A table the database lacks, with what its CREATE brings: its keys, UNIQUE, CHECK and
    exclusion constraints, its own indexes (built plainly: the table is new and empty), its
    foreign keys, row level security and comments. ``parent``: the table a partition belongs
    to (its cloned constraints are not written again)."""

    code: ClassVar[str] = codes.TABLE_MISSING
    table: Table
    indexes: tuple[Index, ...] = ()
    parent: Table | None = None

    def message(self) -> str:
        return f"table {self.table.qname} is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        t = self.table
        q = t.qname
        # a new partition locks its parent; a new table locks nothing that exists
        lock, on = (Lock.ACCESS_EXCLUSIVE, t.partition_of) if t.partition_of else (Lock.NONE, q)
        steps = [Step(table_statement(t, self.parent).sql, lock, on)]
        steps += [Step(index_statement(i).sql, Lock.SHARE, q) for i in self.indexes]
        # a foreign key locks the table it references (SHARE ROW EXCLUSIVE) for a moment
        steps += [
            Step(s.sql, Lock.SHARE_ROW_EXCLUSIVE, fk.ref_table)
            for fk, s in zip(_own_fks(t, self.parent), foreign_key_statements(t, self.parent), strict=True)
        ]
        steps += [Step(s.sql, Lock.ACCESS_EXCLUSIVE, q) for s in rls_statements([t])]
        described = Schema(tables={q: t}, indexes={i.qname: i for i in self.indexes})
        steps += [Step(s.sql, Lock.NONE, q) for s in comment_statements(described)]
        return tuple(steps)

    def inverse(self) -> Change:
        return DropTable(self.table)


def _own_fks(table: Table, parent: Table | None) -> list[ForeignKey]:
    """The foreign keys :func:`foreign_key_statements` writes, in its order."""
    return [fk for fk in sorted_foreign_keys(table) if not (parent and fk in parent.foreign_keys)]


@dataclass(frozen=True, slots=True)
class DropTable(Change):
    code: ClassVar[str] = codes.TABLE_EXTRA
    table: Table

    def message(self) -> str:
        return f"table {self.table.qname} is in the database but not in the document"

    def steps(self) -> tuple[Step, ...]:
        q = self.table.qname
        return (
            Step(alter.drop_table(q), Lock.ACCESS_EXCLUSIVE, q, hazards=frozenset({Hazard.DELETES_DATA})),
        )

    def inverse(self) -> Change:
        return AddTable(self.table)


@dataclass(frozen=True, slots=True)
class ChangeRowSecurity(Change):
    """``enabled``: what the document says (the database has the other)."""

    code: ClassVar[str] = codes.RLS_ENABLED
    table: QName
    enabled: bool

    def message(self) -> str:
        state = "disabled" if self.enabled else "enabled"
        return (
            f"table {self.table}: row level security is {state} in the database, the document says "
            f"{'enabled' if self.enabled else 'disabled'}"
        )

    def steps(self) -> tuple[Step, ...]:
        return (
            Step(
                alter.alter_table(self.table, alter.row_security(self.enabled)),
                Lock.ACCESS_EXCLUSIVE,
                self.table,
            ),
        )

    def inverse(self) -> Change:
        return ChangeRowSecurity(self.table, not self.enabled)


@dataclass(frozen=True, slots=True)
class ChangeRowSecurityForced(Change):
    """``forced``: what the document says (the database has the other)."""

    code: ClassVar[str] = codes.RLS_FORCED
    table: QName
    forced: bool

    def message(self) -> str:
        return (
            f"table {self.table}: row level security is {'not ' if self.forced else ''}forced in the "
            f"database, the document says it is {'' if self.forced else 'not '}forced"
        )

    def steps(self) -> tuple[Step, ...]:
        action = alter.row_security_forced(self.forced)
        return (Step(alter.alter_table(self.table, action), Lock.ACCESS_EXCLUSIVE, self.table),)

    def inverse(self) -> Change:
        return ChangeRowSecurityForced(self.table, not self.forced)


@dataclass(frozen=True, slots=True)
class ChangePartitioning(Change):
    """PARTITION BY, PARTITION OF or a partition bound differs. No steps: repartitioning a
    table moves its rows, which is for a person to plan."""

    code: ClassVar[str] = codes.PARTITIONING
    table: QName
    label: str  # "PARTITION BY", "PARTITION OF" or "partition bound"
    expected: str | QName | None
    actual: str | QName | None

    def message(self) -> str:
        return (
            f"table {self.table}: {self.label} is {show(self.actual)} in the database, "
            f"the document says {show(self.expected)}"
        )


def diff_tables(expected: Schema, actual: Schema, spans: DocSpans) -> list[Change]:
    out: list[Change] = []
    for qname in sorted(set(expected.tables) | set(actual.tables)):
        e, a = expected.tables.get(qname), actual.tables.get(qname)
        if a is None:
            assert e is not None
            parent = expected.tables.get(e.partition_of) if e.partition_of else None
            indexes = tuple(expected.indexes_on(qname))
            out.append(AddTable(e, indexes, parent, span=spans.table(qname)))
        elif e is None:
            out.append(DropTable(a))
        else:
            out += diff_table(e, a, spans)
    return out


def diff_table(expected: Table, actual: Table, spans: DocSpans) -> list[Change]:
    """Differences inside one table that both sides have."""
    q = expected.qname
    nullable = [c.name for c in actual.columns if c.nullable]
    out = diff_columns(expected, actual, spans)
    out += diff_primary_key(q, expected.primary_key, actual.primary_key, spans, nullable)
    out += diff_uniques(q, expected.uniques, actual.uniques, spans)
    out += diff_checks(q, expected.checks, actual.checks, spans)
    out += diff_foreign_keys(q, expected.foreign_keys, actual.foreign_keys, spans)
    span = spans.table(q)
    if expected.rls_enabled != actual.rls_enabled:
        hint = (
            f"ALTER TABLE {quote_qualified(q)} {'ENABLE' if expected.rls_enabled else 'DISABLE'} "
            "ROW LEVEL SECURITY"
        )
        out.append(ChangeRowSecurity(q, expected.rls_enabled, span=span, hint_text=hint))
    if expected.rls_forced != actual.rls_forced:
        out.append(ChangeRowSecurityForced(q, expected.rls_forced, span=span))
    for label, ev, av in (
        ("PARTITION BY", expected.partition_by, actual.partition_by),
        ("PARTITION OF", expected.partition_of, actual.partition_of),
        ("partition bound", expected.partition_bound, actual.partition_bound),
    ):
        if ev != av:
            out.append(ChangePartitioning(q, label, ev, av, span=span))
    if expected.comment != actual.comment:
        out.append(Noted.of(comment_diag(f"table {q}", expected.comment, actual.comment, span, f"table {q}")))
    return _covered(out)


def _covered(changes: list[Change]) -> list[Change]:
    """A column that a new PRIMARY KEY or a new identity makes NOT NULL in its own steps
    keeps its SetNotNull change (it is still a difference to report), without steps."""
    by_others: set[str] = set()
    for c in changes:
        if isinstance(c, AddPrimaryKey | ChangePrimaryKey):
            by_others.update(c.nullable)
    for c in changes:
        adds_identity = isinstance(c, ChangeIdentity) and c.actual.identity is None and c.column.identity
        if adds_identity and isinstance(c, ChangeIdentity) and c.actual.nullable:
            by_others.add(c.column.name)
    if not by_others:
        return changes
    return [
        replace(c, covered=True) if isinstance(c, SetNotNull) and c.column.name in by_others else c
        for c in changes
    ]
