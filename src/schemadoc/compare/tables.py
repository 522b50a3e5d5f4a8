"""Tables: one only a side has, and the differences inside one both sides have (its columns,
constraints, row level security and partitioning, each compared by its own module)."""

from __future__ import annotations

from typing import ClassVar

from schemadoc.compare import codes
from schemadoc.compare.access import AddPolicy, GrantsOn, column_grant_steps, regrant_steps
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
from schemadoc.compare.routines import AddTrigger
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.text import comment_diag, show
from schemadoc.model import ColumnGrant, ForeignKey, Grant, Index, Policy, QName, Schema, Table, Trigger
from schemadoc.records import record, replace
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


@record
class AddTable(Change):
    """A table the database lacks, with everything the document puts on it: its keys, UNIQUE,
    CHECK and exclusion constraints, its own indexes (built plainly: the table is new and
    empty), its foreign keys, row level security and comments, and its triggers, policies and
    grants (table and column grants). It is reported as one difference; the objects on it are
    not reported again. ``parent``: the table a partition belongs to (its cloned constraints
    are not written again).

    The steps come in parts that run at different times (:func:`schemadoc.plan.phases.parts`):
    the table, then its foreign keys once every new table exists, its triggers once the
    routines they call exist, its policies once the routines and views they read exist, and
    its grants."""

    code: ClassVar[str] = codes.TABLE_MISSING
    table: Table
    indexes: tuple[Index, ...] = ()
    parent: Table | None = None
    triggers: tuple[Trigger, ...] = ()
    policies: tuple[Policy, ...] = ()
    grants: tuple[Grant, ...] = ()
    column_grants: tuple[ColumnGrant, ...] = ()

    def message(self) -> str:
        return f"table {self.table.qname} is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        return (
            self.create_steps()
            + self.foreign_key_steps()
            + self.trigger_steps()
            + self.policy_steps()
            + self.grant_steps()
        )

    def create_steps(self) -> tuple[Step, ...]:
        """The table, its indexes, row level security and comments: everything but its
        foreign keys, which may reference a table created after this one."""
        t = self.table
        q = t.qname
        # a new partition locks its parent, a child table its first parent; a new table
        # locks nothing that exists
        lock, on = Lock.NONE, q
        if t.partition_of:
            lock, on = Lock.ACCESS_EXCLUSIVE, t.partition_of
        elif t.inherits:
            lock, on = Lock.SHARE_UPDATE_EXCLUSIVE, t.inherits[0]
        steps = [Step(table_statement(t, self.parent).sql, lock, on)]
        steps += [Step(index_statement(i).sql, Lock.SHARE, q) for i in self.indexes]
        steps += [Step(s.sql, Lock.ACCESS_EXCLUSIVE, q) for s in rls_statements([t])]
        described = Schema(tables={q: t}, indexes={i.qname: i for i in self.indexes})
        steps += [Step(s.sql, Lock.NONE, q) for s in comment_statements(described)]
        return tuple(steps)

    def foreign_key_steps(self) -> tuple[Step, ...]:
        """The table's foreign keys: each locks the table it references (SHARE ROW EXCLUSIVE)
        for a moment; the new table is empty, so there is nothing to validate."""
        t = self.table
        return tuple(
            Step(s.sql, Lock.SHARE_ROW_EXCLUSIVE, fk.ref_table)
            for fk, s in zip(_own_fks(t, self.parent), foreign_key_statements(t, self.parent), strict=True)
        )

    def trigger_steps(self) -> tuple[Step, ...]:
        """CREATE TRIGGER for each trigger on the table, as a trigger the database lacks is made."""
        return tuple(step for t in self.triggers for step in AddTrigger(trigger=t).steps())

    def policy_steps(self) -> tuple[Step, ...]:
        """CREATE POLICY for each policy on the table, as a policy the database lacks is made."""
        return tuple(step for p in self.policies for step in AddPolicy(policy=p).steps())

    def grant_steps(self) -> tuple[Step, ...]:
        """The privileges the document grants on the table, then on its columns (catalog only:
        GRANT waits for no table lock)."""
        return regrant_steps(self.grants) + column_grant_steps(self.column_grants)

    def inverse(self) -> Change:
        return DropTable(self.table)


def _own_fks(table: Table, parent: Table | None) -> list[ForeignKey]:
    """The foreign keys :func:`foreign_key_statements` writes, in its order."""
    return [fk for fk in sorted_foreign_keys(table) if not (parent and fk in parent.foreign_keys)]


@record
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


@record
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


@record
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


@record
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


class _OnTables:
    """What a schema puts on each of its tables (indexes, triggers, policies, table and column
    grants), grouped on first use: only a new table needs them."""

    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        self._grants = GrantsOn(schema)
        self._grouped = False
        self._indexes: dict[QName, list[Index]] = {}
        self._triggers: dict[QName, list[Trigger]] = {}
        self._policies: dict[QName, list[Policy]] = {}
        self._column_grants: dict[QName, list[ColumnGrant]] = {}

    def _group(self) -> None:
        s = self._schema
        for index in sorted(s.indexes.values(), key=lambda i: i.name):
            self._indexes.setdefault(index.table, []).append(index)
        for key in sorted(s.triggers):
            self._triggers.setdefault(key[0], []).append(s.triggers[key])
        for key in sorted(s.policies):
            self._policies.setdefault(key[0], []).append(s.policies[key])
        for g in s.column_grants:
            self._column_grants.setdefault(g.table, []).append(g)
        self._grouped = True

    def add_table(self, table: Table, spans: DocSpans) -> AddTable:
        if not self._grouped:
            self._group()
        q = table.qname
        return AddTable(
            table,
            tuple(self._indexes.get(q, ())),
            self._schema.tables.get(table.partition_of) if table.partition_of else None,
            triggers=tuple(self._triggers.get(q, ())),
            policies=tuple(self._policies.get(q, ())),
            grants=self._grants("TABLE", q),
            column_grants=tuple(self._column_grants.get(q, ())),
            span=spans.table(q),
        )


def diff_tables(expected: Schema, actual: Schema, spans: DocSpans) -> list[Change]:
    out: list[Change] = []
    on_tables = _OnTables(expected)
    for qname in sorted(set(expected.tables) | set(actual.tables)):
        e, a = expected.tables.get(qname), actual.tables.get(qname)
        if a is None:
            assert e is not None
            out.append(on_tables.add_table(e, spans))
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
    keeps its SetNotNull change (it is still a difference to report), without steps; a new
    identity on a column a new PRIMARY KEY covers leaves NOT NULL to the key."""
    by_key: set[str] = set()
    for c in changes:
        if isinstance(c, AddPrimaryKey | ChangePrimaryKey):
            by_key.update(c.nullable)
    by_identity = {
        c.column.name
        for c in changes
        if isinstance(c, ChangeIdentity)
        and c.actual.identity is None
        and c.column.identity
        and c.actual.nullable
    }
    if not (by_key or by_identity):
        return changes
    out: list[Change] = []
    for c in changes:
        if (isinstance(c, SetNotNull) and c.column.name in by_key | by_identity) or (
            isinstance(c, ChangeIdentity) and c.column.name in by_key
        ):
            c = replace(c, covered=True)
        out.append(c)
    return out
