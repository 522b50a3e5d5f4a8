"""PRIMARY KEY, UNIQUE and CHECK constraints of a table both sides have.

Constraints are added online: a UNIQUE or PRIMARY KEY through a unique index built
concurrently and then attached, a CHECK added NOT VALID and validated as a separate step.
A CHECK the database has NOT VALID (a run stopped between those two steps, or one added by
hand) keeps no promise about the rows it found: it is reported, and validated.
Names are the ones PostgreSQL gave on the document's side (it is built in a scratch
database), so that planning again after applying finds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from schemadoc.compare import codes
from schemadoc.compare.changes import Change, Hazard, Lock, PreCheck, Step
from schemadoc.compare.pairing import match_by_key
from schemadoc.compare.recipes import (
    is_not_null_leftover,
    not_null_steps,
    not_valid_then_validate,
    precheck,
    unique_index_steps,
    validate,
)
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.text import cols, normalize_sql
from schemadoc.model import Check, PrimaryKey, QName, Unique
from schemadoc.records import record, replace
from schemadoc.sqlnames import quote_ident, quote_qualified
from schemadoc.write import ddl_alter as alter
from schemadoc.write import prechecks
from schemadoc.write.ddl_tables import check_clause


def named(name: str | None) -> str:
    return f"(named {name}) " if name else ""


def constraint_name(given: str | None, table: QName, columns: Sequence[str], suffix: str) -> str:
    """``given``, or the name PostgreSQL would make up: ``table_col1_col2_suffix``."""
    return given or alter.fitted_name("_".join([table.name, *columns]), suffix)


def validate_hint(table: QName, name: str) -> str:
    return f"ALTER TABLE {quote_qualified(table)} VALIDATE CONSTRAINT {quote_ident(name)}"


def drop_step(table: QName, name: str) -> Step:
    """DROP CONSTRAINT: a short lock, but a promise is gone."""
    return Step(
        alter.alter_table(table, alter.drop_constraint(name)),
        Lock.ACCESS_EXCLUSIVE,
        table,
        hazards=frozenset({Hazard.DROPS_CONSTRAINT}),
    )


# --- primary keys -------------------------------------------------------------------


def _pk_name(table: QName, pk: PrimaryKey) -> str:
    return pk.name or alter.fitted_name(table.name, "pkey")


@record
class AddPrimaryKey(Change):
    """``nullable``: key columns the database has nullable; they are made NOT NULL online
    first (their :class:`~schemadoc.compare.columns.SetNotNull` changes have no steps)."""

    code: ClassVar[str] = codes.PK_MISSING
    table: QName
    pk: PrimaryKey
    nullable: tuple[str, ...] = ()

    def message(self) -> str:
        return f"table {self.table}: PRIMARY KEY ({cols(self.pk.columns)}) is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        name = _pk_name(self.table, self.pk)
        return not_null_steps(self.table, self.nullable) + unique_index_steps(
            self.table, name, "PRIMARY KEY", self.pk.columns, False
        )

    def inverse(self) -> Change:
        return DropPrimaryKey(self.table, self.pk)


@record
class DropPrimaryKey(Change):
    code: ClassVar[str] = codes.PK_EXTRA
    table: QName
    pk: PrimaryKey

    def message(self) -> str:
        return (
            f"table {self.table}: the database has PRIMARY KEY ({cols(self.pk.columns)}), the document none"
        )

    def steps(self) -> tuple[Step, ...]:
        return (drop_step(self.table, _pk_name(self.table, self.pk)),)

    def inverse(self) -> Change:
        return AddPrimaryKey(self.table, self.pk)


@record
class ChangePrimaryKey(Change):
    """The new key's index is built concurrently under a temporary name; one statement then
    drops the old key and attaches the new one."""

    code: ClassVar[str] = codes.PK_COLUMNS
    table: QName
    expected: PrimaryKey
    actual: PrimaryKey
    nullable: tuple[str, ...] = ()

    def message(self) -> str:
        return (
            f"table {self.table}: PRIMARY KEY is ({cols(self.actual.columns)}) in the database, "
            f"the document says ({cols(self.expected.columns)})"
        )

    def steps(self) -> tuple[Step, ...]:
        name = _pk_name(self.table, self.expected)
        old = _pk_name(self.table, self.actual)
        return not_null_steps(self.table, self.nullable) + unique_index_steps(
            self.table, name, "PRIMARY KEY", self.expected.columns, False, drop_first=old
        )

    def inverse(self) -> Change:
        return ChangePrimaryKey(self.table, self.actual, self.expected)


def diff_primary_key(
    table: QName,
    expected: PrimaryKey | None,
    actual: PrimaryKey | None,
    spans: DocSpans,
    nullable: Sequence[str] = (),
) -> list[Change]:
    """``nullable``: the columns the database has nullable."""
    if expected == actual:
        return []
    span = spans.primary_key(table)
    if actual is None and expected is not None:
        hint = f"ALTER TABLE {quote_qualified(table)} ADD PRIMARY KEY ({cols(expected.columns)})"
        key_nullable = tuple(c for c in expected.columns if c in nullable)
        return [AddPrimaryKey(table, expected, key_nullable, span=span, hint_text=hint)]
    if expected is None and actual is not None:
        return [DropPrimaryKey(table, actual, span=span)]
    assert expected is not None and actual is not None
    key_nullable = tuple(c for c in expected.columns if c in nullable)
    return [ChangePrimaryKey(table, expected, actual, key_nullable, span=span)]


# --- unique constraints -------------------------------------------------------------


def _unique_name(table: QName, u: Unique) -> str:
    return constraint_name(u.name, table, u.columns, "key")


@record
class AddUnique(Change):
    code: ClassVar[str] = codes.UNIQUE_MISSING
    table: QName
    unique: Unique

    def message(self) -> str:
        return f"table {self.table}: UNIQUE ({cols(self.unique.columns)}) is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        u = self.unique
        return unique_index_steps(
            self.table, _unique_name(self.table, u), "UNIQUE", u.columns, u.nulls_not_distinct
        )

    def inverse(self) -> Change:
        return DropUnique(self.table, self.unique)


@record
class DropUnique(Change):
    code: ClassVar[str] = codes.UNIQUE_EXTRA
    table: QName
    unique: Unique

    def message(self) -> str:
        return (
            f"table {self.table}: the database has UNIQUE ({cols(self.unique.columns)}) "
            f"{named(self.unique.name)}which the document does not"
        )

    def steps(self) -> tuple[Step, ...]:
        return (drop_step(self.table, _unique_name(self.table, self.unique)),)

    def inverse(self) -> Change:
        return AddUnique(self.table, self.unique)


@record
class ChangeUniqueNulls(Change):
    """NULLS [NOT] DISTINCT differs: a new index is built concurrently, then swapped in."""

    code: ClassVar[str] = codes.UNIQUE_NULLS
    table: QName
    expected: Unique
    actual: Unique

    def message(self) -> str:
        state = "NULLS NOT DISTINCT" if self.actual.nulls_not_distinct else "NULLS DISTINCT"
        want = "NULLS NOT DISTINCT" if self.expected.nulls_not_distinct else "NULLS DISTINCT"
        return (
            f"table {self.table}: UNIQUE ({cols(self.expected.columns)}) is {state} in the database, "
            f"the document says {want}"
        )

    def steps(self) -> tuple[Step, ...]:
        e = self.expected
        return unique_index_steps(
            self.table,
            _unique_name(self.table, e),
            "UNIQUE",
            e.columns,
            e.nulls_not_distinct,
            drop_first=_unique_name(self.table, self.actual),
        )

    def inverse(self) -> Change:
        return ChangeUniqueNulls(self.table, self.actual, self.expected)


def match_uniques(
    expected: Sequence[Unique], actual: Sequence[Unique]
) -> tuple[list[tuple[Unique, Unique]], list[Unique], list[Unique]]:
    """Unique constraints are the same when they cover the same columns."""
    return match_by_key(expected, actual, lambda u: frozenset(u.columns))


def diff_uniques(
    table: QName, expected: Sequence[Unique], actual: Sequence[Unique], spans: DocSpans
) -> list[Change]:
    pairs, missing, extra = match_uniques(expected, actual)
    out: list[Change] = [
        AddUnique(
            table,
            u,
            span=spans.unique(table, u),
            hint_text=f"ALTER TABLE {quote_qualified(table)} ADD UNIQUE ({cols(u.columns)})",
        )
        for u in missing
    ]
    out += [DropUnique(table, u, span=spans.table(table)) for u in extra]
    out += [
        ChangeUniqueNulls(table, e, a, span=spans.unique(table, e))
        for e, a in pairs
        if e.nulls_not_distinct != a.nulls_not_distinct
    ]
    return out


# --- CHECK constraints --------------------------------------------------------------


def _check_name(table: QName, c: Check) -> str:
    return constraint_name(c.name, table, c.columns[:1], "check")


def _refused(table: QName, check: Check) -> PreCheck:
    """The rows of ``table`` that ``check`` refuses: what would make its VALIDATE fail."""
    return precheck(
        f"rows of {table} that CHECK ({check.expression}) refuses",
        prechecks.check_refused(table, check.expression),
    )


def _check_steps(table: QName, check: Check, drop_first: str | None = None) -> tuple[Step, ...]:
    name = _check_name(table, check)
    clause = check_clause(replace(check, name=name))
    return not_valid_then_validate(
        table, name, clause, Lock.ACCESS_EXCLUSIVE, _refused(table, check), drop_first=drop_first
    )


def never_checked(what: str) -> str:
    """The message of a constraint the database has NOT VALID."""
    return (
        f"{what.rstrip()} is NOT VALID in the database: the rows it had when it was added were never checked"
    )


@record
class AddCheck(Change):
    code: ClassVar[str] = codes.CHECK_MISSING
    table: QName
    check: Check

    def message(self) -> str:
        return f"table {self.table}: CHECK ({self.check.expression}) is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        return _check_steps(self.table, self.check)

    def inverse(self) -> Change:
        return DropCheck(self.table, self.check)


@record
class DropCheck(Change):
    code: ClassVar[str] = codes.CHECK_EXTRA
    table: QName
    check: Check

    def message(self) -> str:
        left = " (left by a stopped NOT NULL step of schemadoc apply)" if self.leftover else ""
        return (
            f"table {self.table}: the database has CHECK ({self.check.expression}) "
            f"{named(self.check.name)}which the document does not{left}"
        )

    @property
    def leftover(self) -> bool:
        return is_not_null_leftover(self.table, self.check)

    def steps(self) -> tuple[Step, ...]:
        if self.leftover:
            # schemadoc's own stand-in, not a promise of anyone's: dropped without a flag, and
            # IF EXISTS because the NOT NULL recipe that finishes the column drops it too
            name = _check_name(self.table, self.check)
            return (
                Step(
                    alter.alter_table(self.table, alter.drop_constraint(name, if_exists=True)),
                    Lock.ACCESS_EXCLUSIVE,
                    self.table,
                ),
            )
        return (drop_step(self.table, _check_name(self.table, self.check)),)

    def inverse(self) -> Change:
        return AddCheck(self.table, self.check)


@record
class ChangeCheck(Change):
    """One statement drops the database's CHECK and adds the document's NOT VALID; it is
    validated as a separate step."""

    code: ClassVar[str] = codes.CHECK_CHANGED
    table: QName
    expected: Check
    actual: Check

    def message(self) -> str:
        return (
            f"table {self.table}: CHECK is ({self.actual.expression}) in the database, "
            f"the document says ({self.expected.expression})"
        )

    def steps(self) -> tuple[Step, ...]:
        return _check_steps(self.table, self.expected, _check_name(self.table, self.actual))

    def inverse(self) -> Change:
        return ChangeCheck(self.table, self.actual, self.expected)


@record
class ValidateCheck(Change):
    """The document's CHECK is in the database, added NOT VALID and never validated: one VALIDATE
    (SHARE UPDATE EXCLUSIVE, writes go on), after counting the rows it refuses. ``actual`` is
    the database's constraint (its name is the one validated)."""

    code: ClassVar[str] = codes.NOT_VALIDATED
    table: QName
    check: Check
    actual: Check

    def message(self) -> str:
        return never_checked(f"table {self.table}: CHECK ({self.check.expression}) {named(self.actual.name)}")

    def steps(self) -> tuple[Step, ...]:
        return (
            validate(self.table, _check_name(self.table, self.actual), _refused(self.table, self.actual)),
        )


def match_checks(
    expected: Sequence[Check], actual: Sequence[Check]
) -> tuple[list[tuple[Check, Check]], list[tuple[Check, Check]], list[Check], list[Check]]:
    """Pair CHECK constraints: first by expression (the same rule whatever it is called);
    of those left, by constraint name, then by the set of columns they mention (a rule
    that changed). Returns (same, changed, missing, extra)."""
    same, missing, extra = match_by_key(expected, actual, lambda c: normalize_sql(c.expression))
    changed: list[tuple[Check, Check]] = []
    for key in (
        lambda c: c.name,
        lambda c: frozenset(c.columns) if c.columns else None,
    ):
        pool = [c for c in extra if key(c) is not None]
        pairs, _, _ = match_by_key([c for c in missing if key(c) is not None], pool, key)
        changed += pairs
        paired_e = {id(e) for e, _ in pairs}
        paired_a = {id(a) for _, a in pairs}
        missing = [c for c in missing if id(c) not in paired_e]
        extra = [c for c in extra if id(c) not in paired_a]
    return same, changed, missing, extra


def diff_checks(
    table: QName, expected: Sequence[Check], actual: Sequence[Check], spans: DocSpans
) -> list[Change]:
    same, changed, missing, extra = match_checks(expected, actual)
    position = {id(c): i for i, c in enumerate(expected)}
    out: list[Change] = [
        ChangeCheck(table, e, a, span=spans.check(table, e, position[id(e)])) for e, a in changed
    ]
    out += [
        ValidateCheck(
            table,
            e,
            a,
            span=spans.check(table, e, position[id(e)]),
            hint_text=validate_hint(table, _check_name(table, a)),
        )
        for e, a in same
        if e.validated and not a.validated
    ]
    out += [
        AddCheck(
            table,
            c,
            span=spans.check(table, c, position[id(c)]),
            hint_text=f"ALTER TABLE {quote_qualified(table)} ADD CHECK ({c.expression})",
        )
        for c in missing
    ]
    out += [DropCheck(table, c, span=spans.table(table)) for c in extra]
    return out
