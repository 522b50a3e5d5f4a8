"""Small typed changes and a small comparison for the planner's tests.

They stand for the change classes of :mod:`schemadoc.compare`: each produces real online SQL
(through the DDL writer's clauses) that runs on real PostgreSQL, so the planner's ordering,
gating, pre-checks and proof are tested end to end without depending on how every kind of
difference is found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from schemadoc.compare.changes import Change, Hazard, Lock, PreCheck, Step
from schemadoc.model import Check, Column, Enum, ForeignKey, Index, QName, Schema, Table, Unique
from schemadoc.plan.order import Phase
from schemadoc.sqlnames import quote_ident, quote_qualified
from schemadoc.write.ddl_tables import (
    check_clause,
    column_definition,
    column_list,
    foreign_key_clause,
    index_statement,
    table_statement,
)

DELETES = frozenset({Hazard.DELETES_DATA})


def _alter(table: QName) -> str:
    return f"ALTER TABLE {quote_qualified(table)}"


@dataclass(frozen=True, slots=True)
class AddTable(Change):
    code: ClassVar[str] = "SD390"
    table: Table

    def message(self) -> str:
        return f"table {self.table.qname} is missing"

    def steps(self) -> tuple[Step, ...]:
        return (Step(table_statement(self.table, None).sql, Lock.NONE, self.table.qname),)


@dataclass(frozen=True, slots=True)
class DropTable(Change):
    code: ClassVar[str] = "SD391"
    table: QName

    def message(self) -> str:
        return f"table {self.table} is not in the document"

    def steps(self) -> tuple[Step, ...]:
        return (
            Step(
                f"DROP TABLE {quote_qualified(self.table)}",
                Lock.ACCESS_EXCLUSIVE,
                self.table,
                hazards=DELETES,
            ),
        )


@dataclass(frozen=True, slots=True)
class AddColumn(Change):
    code: ClassVar[str] = "SD392"
    table: QName
    column: Column

    def message(self) -> str:
        return f"column {self.table}.{self.column.name} is missing"

    def steps(self) -> tuple[Step, ...]:
        sql = f"{_alter(self.table)} ADD COLUMN {column_definition(self.column)}"
        return (Step(sql, Lock.ACCESS_EXCLUSIVE, self.table),)


@dataclass(frozen=True, slots=True)
class DropColumn(Change):
    code: ClassVar[str] = "SD393"
    table: QName
    column: str

    def message(self) -> str:
        return f"column {self.table}.{self.column} is not in the document"

    def steps(self) -> tuple[Step, ...]:
        sql = f"{_alter(self.table)} DROP COLUMN {quote_ident(self.column)}"
        return (Step(sql, Lock.ACCESS_EXCLUSIVE, self.table, hazards=DELETES),)


@dataclass(frozen=True, slots=True)
class NarrowType(Change):
    code: ClassVar[str] = "SD394"
    table: QName
    column: str
    type: str

    def message(self) -> str:
        return f"column {self.table}.{self.column} should be {self.type}"

    def steps(self) -> tuple[Step, ...]:
        sql = f"{_alter(self.table)} ALTER COLUMN {quote_ident(self.column)} TYPE {self.type}"
        hazards = frozenset({Hazard.NARROWS_TYPE, Hazard.REWRITES_TABLE})
        return (Step(sql, Lock.ACCESS_EXCLUSIVE, self.table, hazards=hazards),)


@dataclass(frozen=True, slots=True)
class SetNotNull(Change):
    code: ClassVar[str] = "SD395"
    table: QName
    column: str

    def message(self) -> str:
        return f"column {self.table}.{self.column} should be NOT NULL"

    def steps(self) -> tuple[Step, ...]:
        col = quote_ident(self.column)
        check = quote_ident(f"{self.table.name}_{self.column}_not_null")
        where = f"FROM {quote_qualified(self.table)} WHERE {col} IS NULL"
        pre = PreCheck(
            f"rows of {self.table} whose {self.column} is NULL",
            f"SELECT count(*) {where}",
            f"SELECT * {where}",
        )
        fail = frozenset({Hazard.CAN_FAIL_ON_DATA})
        return (
            Step(
                f"{_alter(self.table)} ADD CONSTRAINT {check} CHECK ({col} IS NOT NULL) NOT VALID",
                table=self.table,
            ),
            Step(
                f"{_alter(self.table)} VALIDATE CONSTRAINT {check}",
                Lock.SHARE_UPDATE_EXCLUSIVE,
                self.table,
                hazards=fail,
                precheck=pre,
            ),
            Step(f"{_alter(self.table)} ALTER COLUMN {col} SET NOT NULL", table=self.table),
            Step(f"{_alter(self.table)} DROP CONSTRAINT {check}", table=self.table),
        )


@dataclass(frozen=True, slots=True)
class AddForeignKey(Change):
    code: ClassVar[str] = "SD396"
    table: QName
    fk: ForeignKey
    name: str

    def message(self) -> str:
        return f"foreign key {self.table}({', '.join(self.fk.columns)}) -> {self.fk.ref_table} is missing"

    def steps(self) -> tuple[Step, ...]:
        fk = ForeignKey(**{**_fields(self.fk), "name": self.name})
        t, r = quote_qualified(self.table), quote_qualified(self.fk.ref_table)
        cols = [quote_ident(c) for c in self.fk.columns]
        refs = [quote_ident(c) for c in self.fk.ref_columns]
        join = " AND ".join(f"r.{b} = t.{a}" for a, b in zip(cols, refs, strict=True))
        present = " AND ".join(f"t.{a} IS NOT NULL" for a in cols)
        where = f"FROM {t} t WHERE {present} AND NOT EXISTS (SELECT FROM {r} r WHERE {join})"
        pre = PreCheck(
            f"rows of {self.table} with no row in {self.fk.ref_table}",
            f"SELECT count(*) {where}",
            f"SELECT t.* {where}",
        )
        return (
            Step(
                f"{_alter(self.table)} ADD {foreign_key_clause(fk)} NOT VALID",
                Lock.SHARE_ROW_EXCLUSIVE,
                self.table,
            ),
            Step(
                f"{_alter(self.table)} VALIDATE CONSTRAINT {quote_ident(self.name)}",
                Lock.SHARE_UPDATE_EXCLUSIVE,
                self.table,
                hazards=frozenset({Hazard.CAN_FAIL_ON_DATA}),
                precheck=pre,
            ),
        )


@dataclass(frozen=True, slots=True)
class AddIndex(Change):
    code: ClassVar[str] = "SD397"
    index: Index

    def message(self) -> str:
        return f"index {self.index.qname} is missing"

    def steps(self) -> tuple[Step, ...]:
        sql = index_statement(self.index).sql.replace("INDEX", "INDEX CONCURRENTLY", 1)
        return (Step(sql, Lock.SHARE_UPDATE_EXCLUSIVE, self.index.table, transactional=False),)


@dataclass(frozen=True, slots=True)
class DropIndex(Change):
    code: ClassVar[str] = "SD398"
    index: QName
    table: QName

    def message(self) -> str:
        return f"index {self.index} is not in the document"

    def steps(self) -> tuple[Step, ...]:
        sql = f"DROP INDEX CONCURRENTLY {quote_qualified(self.index)}"
        return (Step(sql, Lock.SHARE_UPDATE_EXCLUSIVE, self.table, transactional=False),)


@dataclass(frozen=True, slots=True)
class AddUnique(Change):
    code: ClassVar[str] = "SD399"
    table: QName
    unique: Unique

    def message(self) -> str:
        return f"UNIQUE ({', '.join(self.unique.columns)}) of {self.table} is missing"

    def steps(self) -> tuple[Step, ...]:
        name = quote_ident(f"{self.table.name}_{'_'.join(self.unique.columns)}_key")
        cols = column_list(self.unique.columns)
        where = f"FROM {quote_qualified(self.table)} GROUP BY {cols} HAVING count(*) > 1"
        pre = PreCheck(
            f"values of ({', '.join(self.unique.columns)}) in {self.table} held by more than one row",
            f"SELECT count(*) FROM (SELECT 1 {where}) d",
            f"SELECT {cols}, count(*) {where}",
        )
        return (
            Step(
                f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {quote_qualified(self.table)} ({cols})",
                Lock.SHARE_UPDATE_EXCLUSIVE,
                self.table,
                transactional=False,
                hazards=frozenset({Hazard.CAN_FAIL_ON_DATA}),
                precheck=pre,
            ),
            Step(f"{_alter(self.table)} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}", table=self.table),
        )


@dataclass(frozen=True, slots=True)
class AddCheck(Change):
    code: ClassVar[str] = "SD400"
    table: QName
    check: Check
    name: str

    def message(self) -> str:
        return f"CHECK ({self.check.expression}) of {self.table} is missing"

    def steps(self) -> tuple[Step, ...]:
        check = Check(self.check.expression, name=self.name)
        where = f"FROM {quote_qualified(self.table)} WHERE NOT ({self.check.expression})"
        pre = PreCheck(
            f"rows of {self.table} that fail CHECK ({self.check.expression})",
            f"SELECT count(*) {where}",
            f"SELECT * {where}",
        )
        return (
            Step(f"{_alter(self.table)} ADD {check_clause(check)} NOT VALID", table=self.table),
            Step(
                f"{_alter(self.table)} VALIDATE CONSTRAINT {quote_ident(self.name)}",
                Lock.SHARE_UPDATE_EXCLUSIVE,
                self.table,
                hazards=frozenset({Hazard.CAN_FAIL_ON_DATA}),
                precheck=pre,
            ),
        )


@dataclass(frozen=True, slots=True)
class DropCheck(Change):
    code: ClassVar[str] = "SD401"
    table: QName
    name: str

    def message(self) -> str:
        return f"CHECK {self.name} of {self.table} is not in the document"

    def steps(self) -> tuple[Step, ...]:
        sql = f"{_alter(self.table)} DROP CONSTRAINT {quote_ident(self.name)}"
        return (Step(sql, table=self.table, hazards=DELETES),)


@dataclass(frozen=True, slots=True)
class DropEnumValues(Change):
    """Labels the document no longer lists, on an enum no column uses: the type is made again."""

    code: ClassVar[str] = "SD402"
    enum: Enum

    def message(self) -> str:
        return f"enum {self.enum.qname} has labels the document does not list"

    def steps(self) -> tuple[Step, ...]:
        name = quote_qualified(self.enum.qname)
        old = quote_ident(f"{self.enum.name}_old")
        labels = ", ".join("'" + label.replace("'", "''") + "'" for label in self.enum.labels)
        hazard = frozenset({Hazard.DROPS_ENUM_VALUE})
        return (
            Step(f"ALTER TYPE {name} RENAME TO {old}", Lock.NONE, hazards=hazard),
            Step(f"CREATE TYPE {name} AS ENUM ({labels})", Lock.NONE),
            Step(f"DROP TYPE {quote_ident(self.enum.schema)}.{old}", Lock.NONE),
        )


def _fields(fk: ForeignKey) -> dict[str, Any]:
    return {f: getattr(fk, f) for f in fk.__dataclass_fields__}


PHASES: dict[type[Change], Phase] = {
    AddTable: Phase.TABLES,
    DropTable: Phase.DROP_TABLES,
    AddColumn: Phase.COLUMNS,
    DropColumn: Phase.DROP_COLUMNS,
    NarrowType: Phase.COLUMN_TYPES,
    SetNotNull: Phase.NOT_NULL,
    AddForeignKey: Phase.FOREIGN_KEYS,
    AddIndex: Phase.INDEXES,
    DropIndex: Phase.DROP_CONSTRAINTS,
    AddUnique: Phase.KEYS,
    AddCheck: Phase.CHECKS,
    DropCheck: Phase.DROP_CONSTRAINTS,
    DropEnumValues: Phase.PREPARE,
}


def _is_narrowing(old: str, new: str) -> bool:
    return (old, new) in {("bigint", "integer"), ("integer", "smallint"), ("text", "character varying(5)")}


def diff(
    expected: Schema, actual: Schema, *, doc: Schema | None = None, versions: Any = None
) -> list[Change]:
    """The test changes from ``actual`` to ``expected``. Listed kind by kind in an order that
    is NOT dependency order (foreign keys and indexes first), so the planner must order them."""
    fks: list[Change] = []
    indexes: list[Change] = []
    keys: list[Change] = []
    tables: list[Change] = []
    columns: list[Change] = []
    drops: list[Change] = []
    for qname in sorted(set(expected.tables) | set(actual.tables)):
        want, have = expected.tables.get(qname), actual.tables.get(qname)
        if have is None and want is not None:
            bare = Table(want.schema, want.name, want.columns, want.primary_key)
            tables.append(AddTable(bare))
        if want is None:
            drops.append(DropTable(qname))
            continue
        if have is not None:
            have_cols = {c.name: c for c in have.columns}
            want_cols = {c.name for c in want.columns}
            for col in want.columns:
                old = have_cols.get(col.name)
                if old is None:
                    columns.append(AddColumn(qname, col))
                elif old.type != col.type and _is_narrowing(old.type, col.type):
                    columns.append(NarrowType(qname, col.name, col.type))
                elif old.nullable and not col.nullable:
                    keys.append(SetNotNull(qname, col.name))
            drops.extend(DropColumn(qname, c.name) for c in have.columns if c.name not in want_cols)
        have_fks = {(f.columns, f.ref_table, f.ref_columns) for f in have.foreign_keys} if have else set()
        for fk in want.foreign_keys:
            if (fk.columns, fk.ref_table, fk.ref_columns) not in have_fks:
                fks.append(AddForeignKey(qname, fk, f"{qname.name}_{'_'.join(fk.columns)}_fkey"))
        have_uniques = {u.columns for u in have.uniques} if have else set()
        keys.extend(AddUnique(qname, u) for u in want.uniques if u.columns not in have_uniques)
        have_checks = {c.expression for c in have.checks} if have else set()
        want_checks = {c.expression for c in want.checks}
        for check in want.checks:
            if check.expression not in have_checks:
                keys.append(AddCheck(qname, check, f"{qname.name}_check_{len(keys)}"))
        if have is not None:
            drops.extend(
                DropCheck(qname, c.name or "") for c in have.checks if c.expression not in want_checks
            )
    for qname in sorted(expected.indexes):
        if actual.indexes.get(qname) != expected.indexes[qname]:  # missing, or not the same index
            indexes.append(AddIndex(expected.indexes[qname]))
    for qname in sorted(set(actual.indexes) - set(expected.indexes)):
        drops.append(DropIndex(qname, actual.indexes[qname].table))
    for qname in sorted(set(expected.enums) & set(actual.enums)):
        if set(actual.enums[qname].labels) - set(expected.enums[qname].labels):
            drops.append(DropEnumValues(expected.enums[qname]))
    return fks + indexes + keys + drops + columns + tables


def injecting(wrong: Callable[[Change], Change | None]) -> Callable[..., list[Change]]:
    """``diff`` whose changes pass through ``wrong`` the first time it is called (planning),
    and not afterwards (the proof's comparison): a way to plant a wrong step."""
    calls = [0]

    def differ(expected: Schema, actual: Schema, **kw: Any) -> list[Change]:
        changes = diff(expected, actual, **kw)
        calls[0] += 1
        if calls[0] > 1:
            return changes
        out = [wrong(c) for c in changes]
        return [c for c in out if c is not None]

    return differ


def document(tmp: Path, sql: str, name: str = "doc.md") -> Path:
    path = tmp / name
    path.write_text(f"# Test schema\n\n```sql\n{sql.strip()}\n```\n", encoding="utf-8")
    return path


def read(path: Path) -> Schema:
    from schemadoc.read import read_documents

    schema, _ = read_documents([path])
    return schema
