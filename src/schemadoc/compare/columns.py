"""Columns of a table both sides have: one typed change per kind of difference."""

from __future__ import annotations

from typing import ClassVar

from schemadoc import sequence_options
from schemadoc.compare import codes
from schemadoc.compare.changes import Change, Hazard, Lock, Noted, PreCheck, Step
from schemadoc.compare.recipes import not_null_steps, precheck
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.text import comment_diag, show
from schemadoc.compare.type_changes import (
    INTEGER_BOUNDS,
    default_rewrites,
    narrows,
    parse_type,
    skips_rewrite,
    truncating_cast,
)
from schemadoc.model import Column, QName, Span, Table
from schemadoc.records import record, replace
from schemadoc.sqlnames import quote_ident, quote_qualified
from schemadoc.write import ddl_alter as alter
from schemadoc.write import prechecks


def _where(table: QName, column: Column) -> str:
    return f"column {table}.{column.name}"


def _alter(table: QName, *actions: str) -> str:
    return alter.alter_table(table, *actions)


def _short(table: QName, *actions: str, hazards: frozenset[Hazard] = frozenset()) -> Step:
    """An ALTER TABLE that holds ACCESS EXCLUSIVE only for a catalog change."""
    return Step(_alter(table, *actions), Lock.ACCESS_EXCLUSIVE, table, hazards=hazards)


@record
class AddColumn(Change):
    code: ClassVar[str] = codes.COLUMN_MISSING
    table: QName
    column: Column

    def message(self) -> str:
        return f"column {self.table}.{self.column.name} ({self.column.type}) is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        c = self.column
        hazards: set[Hazard] = set()
        check: PreCheck | None = None
        # an identity or stored generated column, or a default evaluated per row, fills every row
        if c.identity or c.generated is not None or default_rewrites(c.default):
            hazards.add(Hazard.REWRITES_TABLE)
        if not c.nullable and c.default is None and c.identity is None and c.generated is None:
            hazards.add(Hazard.CAN_FAIL_ON_DATA)
            check = precheck(
                f"rows of {self.table} (a NOT NULL column without a default fails on any row)",
                prechecks.any_rows(self.table),
            )
        step = Step(
            _alter(self.table, alter.add_column(c)),
            Lock.ACCESS_EXCLUSIVE,
            self.table,
            hazards=frozenset(hazards),
            precheck=check,
        )
        return (step,)

    def inverse(self) -> Change:
        return DropColumn(self.table, self.column)


@record
class DropColumn(Change):
    code: ClassVar[str] = codes.COLUMN_EXTRA
    table: QName
    column: Column

    def message(self) -> str:
        return (
            f"column {self.table}.{self.column.name} ({self.column.type}) is in the database "
            "but not in the document"
        )

    def steps(self) -> tuple[Step, ...]:
        return (
            _short(self.table, alter.drop_column(self.column.name), hazards=frozenset({Hazard.DELETES_DATA})),
        )

    def inverse(self) -> Change:
        return AddColumn(self.table, self.column)


@record
class AlterColumnType(Change):
    """``column``: as the document builds it; ``actual``: as the database has it."""

    code: ClassVar[str] = codes.COLUMN_TYPE
    table: QName
    column: Column
    actual: Column

    def message(self) -> str:
        return (
            f"{_where(self.table, self.column)}: type is {self.actual.type} in the database, "
            f"the document says {self.column.type}"
        )

    def steps(self) -> tuple[Step, ...]:
        old, new = self.actual.type, self.column.type
        hazards: set[Hazard] = set()
        if not skips_rewrite(old, new):
            hazards.add(Hazard.REWRITES_TABLE)
        check = None
        if narrows(old, new):
            hazards.add(Hazard.NARROWS_TYPE)
            check = self._refused()
            if check is not None:
                hazards.add(Hazard.CAN_FAIL_ON_DATA)
        # an explicit cast would cut a value too long for varchar(n); the assignment cast refuses it
        action = alter.set_data_type(self.column, using=not truncating_cast(new))
        step = Step(
            _alter(self.table, action),
            Lock.ACCESS_EXCLUSIVE,
            self.table,
            hazards=frozenset(hazards),
            precheck=check,
        )
        return (step,)

    def _refused(self) -> PreCheck | None:
        """Rows the new type refuses, where that can be said in SQL on any server version."""
        new, old = parse_type(self.column.type), parse_type(self.actual.type)
        if new is None or old is None or new.array or old.array:
            return None
        col = quote_ident(self.column.name)
        if truncating_cast(self.column.type) and new.length is not None:
            condition = f"char_length({col}::text) > {new.length}"
        elif new.name in INTEGER_BOUNDS:
            low, high = INTEGER_BOUNDS[new.name]
            condition = f"{col} NOT BETWEEN {low} AND {high}"
        else:
            return None
        return precheck(
            f"rows of {self.table} whose {self.column.name} does not fit {self.column.type}",
            prechecks.rows_where(self.table, condition),
        )

    def inverse(self) -> Change:
        return AlterColumnType(self.table, self.actual, self.column)


@record
class SetNotNull(Change):
    """``covered``: another change on the table (a new PRIMARY KEY, a new identity) brings
    the column to NOT NULL in its own steps, so this one has none."""

    code: ClassVar[str] = codes.COLUMN_NULLABLE
    table: QName
    column: Column
    covered: bool = False

    def message(self) -> str:
        return f"{_where(self.table, self.column)} is nullable in the database, the document says NOT NULL"

    def steps(self) -> tuple[Step, ...]:
        return () if self.covered else not_null_steps(self.table, (self.column.name,))

    def inverse(self) -> Change:
        return DropNotNull(self.table, self.column)


@record
class DropNotNull(Change):
    code: ClassVar[str] = codes.COLUMN_NULLABLE
    table: QName
    column: Column

    def message(self) -> str:
        return (
            f"{_where(self.table, self.column)} is NOT NULL in the database, the document says it is nullable"
        )

    def steps(self) -> tuple[Step, ...]:
        action = alter.alter_column(self.column.name, "DROP NOT NULL")
        return (_short(self.table, action, hazards=frozenset({Hazard.DROPS_CONSTRAINT})),)

    def inverse(self) -> Change:
        return SetNotNull(self.table, self.column)


@record
class ChangeDefault(Change):
    """``covered``: the column becomes an identity, whose steps drop the default first."""

    code: ClassVar[str] = codes.COLUMN_DEFAULT
    table: QName
    column: Column
    actual: Column
    covered: bool = False

    def message(self) -> str:
        return (
            f"{_where(self.table, self.column)}: default is {show(self.actual.default)} in the database, "
            f"the document says {show(self.column.default)}"
        )

    def steps(self) -> tuple[Step, ...]:
        return () if self.covered else (_short(self.table, alter.set_default(self.column)),)

    def inverse(self) -> Change:
        return ChangeDefault(self.table, self.actual, self.column)


@record
class ChangeIdentity(Change):
    """A new identity needs the column NOT NULL first: its steps do that online, unless
    ``covered`` (a new PRIMARY KEY on the column does it)."""

    code: ClassVar[str] = codes.COLUMN_IDENTITY
    table: QName
    column: Column
    actual: Column
    covered: bool = False

    def message(self) -> str:
        return (
            f"{_where(self.table, self.column)}: identity is {show(self.actual.identity)} in the database, "
            f"the document says {show(self.column.identity)}"
        )

    def steps(self) -> tuple[Step, ...]:
        name = self.column.name
        action = alter.set_identity(self.column, self.actual.identity is not None)
        if self.column.identity is None or self.actual.identity is not None:
            return (_short(self.table, action),)
        # a new identity: the column must be NOT NULL and lose its default first, and the new
        # sequence must start after the values the column already holds
        needs_not_null = self.actual.nullable and not self.covered
        steps = list(not_null_steps(self.table, (name,)) if needs_not_null else ())
        actions = [alter.alter_column(name, "DROP DEFAULT")] if self.actual.default is not None else []
        steps.append(_short(self.table, *actions, action))
        values = sequence_options.effective(self.column.type, self.column.identity_options)
        if int(values["increment"]) > 0:  # a descending one starts where its options say
            restart = alter.identity_restart(self.table, name, int(values["start"]))
            steps.append(Step(restart, Lock.ACCESS_SHARE, self.table))
        return tuple(steps)

    def inverse(self) -> Change:
        return ChangeIdentity(self.table, self.actual, self.column, self.covered)


@record
class ChangeIdentityOptions(Change):
    """Other values of the identity's sequence options the document states (``options``):
    ALTER COLUMN ... SET INCREMENT BY ..., which fails when a narrower range leaves out where
    the sequence stands."""

    code: ClassVar[str] = codes.COLUMN_IDENTITY
    table: QName
    column: Column
    actual: Column
    options: tuple[str, ...]

    def message(self) -> str:
        names = list(self.options)
        was = sequence_options.show(self.actual.type, self.actual.identity_options, names)
        now = sequence_options.show(self.column.type, self.column.identity_options, names)
        return (
            f"{_where(self.table, self.column)}: identity has {was} in the database, the document says {now}"
        )

    def steps(self) -> tuple[Step, ...]:
        wanted = sequence_options.values_of(self.column.type, self.column.identity_options, self.options)
        settings = sequence_options.clauses(wanted)
        can_fail = sequence_options.moves_a_bound(self.options)
        fails = frozenset({Hazard.CAN_FAIL_ON_DATA}) if can_fail else frozenset()
        # each option is a SET of its own: SET INCREMENT BY 5 SET START WITH 10
        action = alter.alter_column(self.column.name, " ".join(f"SET {s}" for s in settings))
        return (_short(self.table, action, hazards=fails),)

    def inverse(self) -> Change:
        return ChangeIdentityOptions(self.table, self.actual, self.column, self.options)


@record
class ChangeGenerated(Change):
    """Only a generated column that should become a plain one has a step (DROP EXPRESSION);
    a new or changed generation expression is left to the user."""

    code: ClassVar[str] = codes.COLUMN_GENERATED
    table: QName
    column: Column
    actual: Column

    def message(self) -> str:
        return (
            f"{_where(self.table, self.column)}: generated as {show(self.actual.generated)} in the database, "
            f"the document says {show(self.column.generated)}"
        )

    def steps(self) -> tuple[Step, ...]:
        if self.column.generated is None and self.actual.generated is not None:
            return (_short(self.table, alter.alter_column(self.column.name, "DROP EXPRESSION")),)
        return ()


@record
class ChangeCollation(Change):
    code: ClassVar[str] = codes.COLUMN_COLLATION
    table: QName
    column: Column
    actual: Column

    def message(self) -> str:
        return (
            f"{_where(self.table, self.column)}: collation is {show(self.actual.collation, 'the default')} "
            f"in the database, the document says {show(self.column.collation, 'the default')}"
        )

    def steps(self) -> tuple[Step, ...]:
        # the database's type under the document's collation: the rows stay as they are, but the
        # column's indexes are rebuilt while the table is locked
        target = replace(self.actual, collation=self.column.collation)
        return (_short(self.table, alter.set_collation(target), hazards=frozenset({Hazard.BLOCKS_WRITES})),)

    def inverse(self) -> Change:
        return ChangeCollation(self.table, self.actual, self.column)


def diff_columns(expected: Table, actual: Table, spans: DocSpans) -> list[Change]:
    q = expected.qname
    out: list[Change] = []
    actual_names = {c.name for c in actual.columns}
    expected_names = {c.name for c in expected.columns}
    for col in expected.columns:
        if col.name not in actual_names:
            out.append(AddColumn(q, col, span=spans.column(q, col.name)))
    for col in actual.columns:
        if col.name not in expected_names:
            out.append(DropColumn(q, col, span=spans.table(q)))
    for col in expected.columns:
        other = actual.column(col.name)
        if other is not None:
            out += diff_column(
                q,
                col,
                other,
                spans.column(q, col.name),
                type_stated=spans.type_stated(q, col.name),
                identity_stated=spans.identity_options_stated(q, col.name),
            )
    return out


def diff_column(
    table: QName,
    expected: Column,
    actual: Column,
    span: Span | None,
    *,
    type_stated: bool = True,
    identity_stated: frozenset[str] = frozenset(sequence_options.OPTIONS),
) -> list[Change]:
    """``type_stated`` False: the document gave no type, so any type matches.
    ``identity_stated``: the identity options the document states; only they are compared."""
    alter_hint = f"ALTER TABLE {quote_qualified(table)} ALTER COLUMN {quote_ident(expected.name)}"
    out: list[Change] = []
    if type_stated and expected.type != actual.type:
        out.append(AlterColumnType(table, expected, actual, span=span))
    if expected.nullable != actual.nullable:
        if actual.nullable:
            out.append(SetNotNull(table, expected, span=span, hint_text=f"{alter_hint} SET NOT NULL"))
        else:
            out.append(DropNotNull(table, expected, span=span, hint_text=f"{alter_hint} DROP NOT NULL"))
    if expected.default != actual.default:
        hint = (
            f"{alter_hint} SET DEFAULT {expected.default}"
            if expected.default
            else f"{alter_hint} DROP DEFAULT"
        )
        becomes_identity = expected.identity is not None and actual.identity is None
        covered = becomes_identity and expected.default is None
        out.append(ChangeDefault(table, expected, actual, covered, span=span, hint_text=hint))
    if expected.identity != actual.identity:
        out.append(ChangeIdentity(table, expected, actual, span=span))
    elif expected.identity is not None and identity_stated:
        options = sequence_options.differing(
            expected.type,
            expected.identity_options,
            actual.type,
            actual.identity_options,
            set(identity_stated),
        )
        if options:
            out.append(ChangeIdentityOptions(table, expected, actual, tuple(options), span=span))
    if expected.generated != actual.generated:
        out.append(ChangeGenerated(table, expected, actual, span=span))
    if expected.collation != actual.collation:
        out.append(ChangeCollation(table, expected, actual, span=span))
    if expected.comment != actual.comment:
        where = _where(table, expected)
        out.append(Noted.of(comment_diag(where, expected.comment, actual.comment, span, f"table {table}")))
    return out
