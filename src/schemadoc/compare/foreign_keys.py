"""Foreign keys of a table both sides have. A foreign key is added NOT VALID (a short lock on
both tables, no scan), then validated as a separate step that lets writes go on; rows with
no parent are counted first. A foreign key the database has NOT VALID (a run stopped between
those two steps, or one added by hand) is reported, and validated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from schemadoc.compare import codes
from schemadoc.compare.changes import Change, Lock, PreCheck, Step
from schemadoc.compare.constraints import constraint_name, drop_step, named, never_checked, validate_hint
from schemadoc.compare.pairing import match_by_key
from schemadoc.compare.recipes import not_valid_then_validate, precheck, validate
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.text import cols, fk_key
from schemadoc.model import ForeignKey, QName, Span
from schemadoc.records import record, replace
from schemadoc.write import prechecks
from schemadoc.write.ddl_tables import foreign_key_clause


def fk_text(fk: ForeignKey) -> str:
    return f"({cols(fk.columns)}) -> {fk.ref_table}({cols(fk.ref_columns)})"


def _name(table: QName, fk: ForeignKey) -> str:
    return constraint_name(fk.name, table, fk.columns, "fkey")


def _orphans(table: QName, fk: ForeignKey) -> PreCheck:
    """The rows of ``table`` with no parent: what would make the foreign key's VALIDATE fail."""
    return precheck(
        f"rows of {table} whose ({', '.join(fk.columns)}) has no row in {fk.ref_table}",
        prechecks.orphans(table, fk),
    )


def _add_steps(table: QName, fk: ForeignKey, drop_first: str | None = None) -> tuple[Step, ...]:
    name = _name(table, fk)
    clause = foreign_key_clause(replace(fk, name=name))
    return not_valid_then_validate(
        table, name, clause, Lock.SHARE_ROW_EXCLUSIVE, _orphans(table, fk), drop_first=drop_first
    )


@record
class AddForeignKey(Change):
    code: ClassVar[str] = codes.FK_MISSING
    table: QName
    fk: ForeignKey

    def message(self) -> str:
        return f"table {self.table}: FOREIGN KEY {fk_text(self.fk)} is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        return _add_steps(self.table, self.fk)

    def inverse(self) -> Change:
        return DropForeignKey(self.table, self.fk)


@record
class DropForeignKey(Change):
    code: ClassVar[str] = codes.FK_EXTRA
    table: QName
    fk: ForeignKey

    def message(self) -> str:
        return (
            f"table {self.table}: the database has FOREIGN KEY {fk_text(self.fk)} {named(self.fk.name)}"
            "which the document does not"
        )

    def steps(self) -> tuple[Step, ...]:
        return (drop_step(self.table, _name(self.table, self.fk)),)

    def inverse(self) -> Change:
        return AddForeignKey(self.table, self.fk)


@record
class ChangeForeignKey(Change):
    """The same reference with other actions or options: one statement drops the database's
    foreign key and adds the document's NOT VALID, then it is validated. This class reports a
    different ON DELETE; its subclasses ON UPDATE and the options. When one foreign key differs
    in several ways, each is reported, and only the first (``repeats`` False) has the steps."""

    code: ClassVar[str] = codes.FK_ON_DELETE
    table: QName
    expected: ForeignKey
    actual: ForeignKey
    repeats: bool = False

    @property
    def where(self) -> str:
        return f"table {self.table}: FOREIGN KEY {fk_text(self.expected)}"

    def message(self) -> str:
        return (
            f"{self.where} is ON DELETE {self.actual.on_delete} in the database, "
            f"the document says ON DELETE {self.expected.on_delete}"
        )

    def steps(self) -> tuple[Step, ...]:
        if self.repeats:
            return ()
        return _add_steps(self.table, self.expected, _name(self.table, self.actual))

    def inverse(self) -> Change:
        return replace(self, expected=self.actual, actual=self.expected)


@record
class ChangeForeignKeyOnUpdate(ChangeForeignKey):
    code: ClassVar[str] = codes.FK_ON_UPDATE

    def message(self) -> str:
        return (
            f"{self.where} is ON UPDATE {self.actual.on_update} in the database, "
            f"the document says ON UPDATE {self.expected.on_update}"
        )


@record
class ChangeForeignKeyOption(ChangeForeignKey):
    """``option``: MATCH FULL, DEFERRABLE or INITIALLY DEFERRED."""

    code: ClassVar[str] = codes.FK_OPTIONS
    option: str = "DEFERRABLE"

    def _value(self, fk: ForeignKey) -> bool:
        return {
            "MATCH FULL": fk.match_full,
            "DEFERRABLE": fk.deferrable,
            "INITIALLY DEFERRED": fk.initially_deferred,
        }[self.option]

    def message(self) -> str:
        ev, av = self._value(self.expected), self._value(self.actual)
        return (
            f"{self.where} is {'' if av else 'not '}{self.option} in the database, "
            f"the document says {'' if ev else 'not '}{self.option}"
        )


@record
class ValidateForeignKey(Change):
    """The document's foreign key is in the database, added NOT VALID and never validated: one
    VALIDATE (SHARE UPDATE EXCLUSIVE on the table, ROW SHARE on the referenced one; writes go
    on), after counting the rows with no parent. ``actual`` is the database's constraint (its
    name is the one validated)."""

    code: ClassVar[str] = codes.NOT_VALIDATED
    table: QName
    fk: ForeignKey
    actual: ForeignKey

    def message(self) -> str:
        return never_checked(f"table {self.table}: FOREIGN KEY {fk_text(self.fk)} {named(self.actual.name)}")

    def steps(self) -> tuple[Step, ...]:
        return (validate(self.table, _name(self.table, self.actual), _orphans(self.table, self.actual)),)


def match_foreign_keys(
    expected: Sequence[ForeignKey], actual: Sequence[ForeignKey]
) -> tuple[list[tuple[ForeignKey, ForeignKey]], list[ForeignKey], list[ForeignKey]]:
    """Foreign keys are the same reference when they have the same columns, referenced
    table and referenced columns; their actions and options are compared afterwards."""
    return match_by_key(expected, actual, fk_key)


def diff_foreign_keys(
    table: QName, expected: Sequence[ForeignKey], actual: Sequence[ForeignKey], spans: DocSpans
) -> list[Change]:
    pairs, missing, extra = match_foreign_keys(expected, actual)
    out: list[Change] = [AddForeignKey(table, fk, span=spans.foreign_key(table, fk)) for fk in missing]
    out += [DropForeignKey(table, fk, span=spans.table(table)) for fk in extra]
    for e, a in pairs:
        span = spans.foreign_key(table, e)
        differs = diff_foreign_key(table, e, a, span)
        out += differs
        # a foreign key that differs otherwise is added again, and validated, anyway
        if not differs and e.validated and not a.validated:
            hint = validate_hint(table, _name(table, a))
            out.append(ValidateForeignKey(table, e, a, span=span, hint_text=hint))
    return out


def diff_foreign_key(
    table: QName, expected: ForeignKey, actual: ForeignKey, span: Span | None
) -> list[Change]:
    out: list[ChangeForeignKey] = []
    if expected.on_delete != actual.on_delete:
        out.append(ChangeForeignKey(table, expected, actual, bool(out), span=span))
    if expected.on_update != actual.on_update:
        out.append(ChangeForeignKeyOnUpdate(table, expected, actual, bool(out), span=span))
    for option, ev, av in (
        ("MATCH FULL", expected.match_full, actual.match_full),
        ("DEFERRABLE", expected.deferrable, actual.deferrable),
        ("INITIALLY DEFERRED", expected.initially_deferred, actual.initially_deferred),
    ):
        if ev != av:
            out.append(ChangeForeignKeyOption(table, expected, actual, bool(out), option, span=span))
    return list(out)
