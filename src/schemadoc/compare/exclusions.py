"""Exclusion constraints of a table both sides have. PostgreSQL can neither add one NOT VALID
nor attach a prebuilt index to one, so adding it builds its index while the table is locked:
the step says so (it blocks writes), and counts the conflicting rows first where the
constraint's elements are plain columns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from schemadoc.compare.changes import Change, Hazard, Lock, PreCheck, Step
from schemadoc.compare.constraints import constraint_name, drop_step
from schemadoc.compare.pairing import match_by_key
from schemadoc.compare.recipes import precheck
from schemadoc.compare.text import normalize_sql
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Exclusion, QName, Schema, Span
from schemadoc.records import record, replace
from schemadoc.sqlnames import quote_qualified
from schemadoc.write import ddl_alter as alter
from schemadoc.write import prechecks
from schemadoc.write.ddl_tables import exclusion_body, exclusion_clause

EXCLUSION_MISSING = "SD386"
EXCLUSION_EXTRA = "SD387"
EXCLUSION_CHANGED = "SD388"

_PLAIN_COLUMN = lazy_regex(r'^(?:([a-z_][a-z0-9_$]*)|"((?:[^"]|"")+)")$')


def _name(table: QName, x: Exclusion) -> str:
    return constraint_name(x.name, table, (), "excl")


def _conflicts(table: QName, x: Exclusion) -> PreCheck | None:
    """Rows that conflict with another row, when every element is a plain column and the
    constraint covers every row (no WHERE)."""
    if x.where:
        return None
    elements: list[tuple[str, str]] = []
    for element in x.elements:
        key, sep, operator = element.rpartition(" WITH ")
        m = _PLAIN_COLUMN.match(key.strip())
        if not sep or m is None or not re.fullmatch(r"[-+*/<>=~!@#%^&|`?]+", operator.strip()):
            return None
        elements.append((m.group(1) or m.group(2).replace('""', '"'), operator.strip()))
    return precheck(
        f"rows of {table} that conflict with another row under {exclusion_body(x)}",
        prechecks.conflicts(table, elements),
    )


def _add_steps(table: QName, x: Exclusion, drop_first: str | None = None) -> tuple[Step, ...]:
    actions = [alter.drop_constraint(drop_first)] if drop_first else []
    actions.append(alter.add_constraint(exclusion_clause(replace(x, name=_name(table, x)))))
    check = _conflicts(table, x)
    hazards = {Hazard.BLOCKS_WRITES}
    if check is not None:
        hazards.add(Hazard.CAN_FAIL_ON_DATA)
    step = Step(
        alter.alter_table(table, *actions),
        Lock.ACCESS_EXCLUSIVE,
        table,
        hazards=frozenset(hazards),
        precheck=check,
    )
    return (step,)


@record
class AddExclusion(Change):
    code: ClassVar[str] = EXCLUSION_MISSING
    table: QName
    exclusion: Exclusion

    def message(self) -> str:
        return f"table {self.table}: {exclusion_body(self.exclusion)} is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        return _add_steps(self.table, self.exclusion)

    def inverse(self) -> Change:
        return DropExclusion(self.table, self.exclusion)


@record
class DropExclusion(Change):
    code: ClassVar[str] = EXCLUSION_EXTRA
    table: QName
    exclusion: Exclusion

    def message(self) -> str:
        x = self.exclusion
        return (
            f"table {self.table}: the database has {exclusion_body(x)}"
            f"{f' (named {x.name})' if x.name else ''}, which the document does not"
        )

    def steps(self) -> tuple[Step, ...]:
        return (drop_step(self.table, _name(self.table, self.exclusion)),)

    def inverse(self) -> Change:
        return AddExclusion(self.table, self.exclusion)


@record
class ChangeExclusion(Change):
    code: ClassVar[str] = EXCLUSION_CHANGED
    table: QName
    expected: Exclusion
    actual: Exclusion

    def message(self) -> str:
        return (
            f"table {self.table}: exclusion constraint {self.expected.name} is {exclusion_body(self.actual)} "
            f"in the database, the document says {exclusion_body(self.expected)}"
        )

    def steps(self) -> tuple[Step, ...]:
        return _add_steps(self.table, self.expected, _name(self.table, self.actual))

    def inverse(self) -> Change:
        return ChangeExclusion(self.table, self.actual, self.expected)


def exclusion_meaning(x: Exclusion) -> tuple[object, ...]:
    """What an exclusion constraint promises, whatever it is called."""
    return (
        tuple(normalize_sql(e) for e in x.elements),
        x.method.lower(),
        normalize_sql(x.where),
        x.include,
        x.deferrable,
        x.initially_deferred,
    )


def match_exclusions(
    expected: Sequence[Exclusion], actual: Sequence[Exclusion]
) -> tuple[
    list[tuple[Exclusion, Exclusion]], list[tuple[Exclusion, Exclusion]], list[Exclusion], list[Exclusion]
]:
    """Pair exclusion constraints by meaning; of those left, by constraint name (a constraint
    that changed). Returns (same, changed, missing, extra)."""
    same, missing, extra = match_by_key(expected, actual, exclusion_meaning)
    named_e = [x for x in missing if x.name]
    named_a = [x for x in extra if x.name]
    changed, _, _ = match_by_key(named_e, named_a, lambda x: x.name)
    taken = {id(x) for pair in changed for x in pair}
    return (
        same,
        changed,
        [x for x in missing if id(x) not in taken],
        [x for x in extra if id(x) not in taken],
    )


def _table_span(doc: Schema | None, qname: QName) -> Span | None:
    table = doc.tables.get(qname) if doc else None
    return table.span if table else None


def _exclusion_span(doc: Schema | None, qname: QName, x: Exclusion) -> Span | None:
    table = doc.tables.get(qname) if doc else None
    if table is None:
        return None
    found = next((d for d in table.exclusions if x.name and d.name == x.name), None) or next(
        (d for d in table.exclusions if exclusion_meaning(d) == exclusion_meaning(x)), None
    )
    if found is None and len(table.exclusions) == 1:
        found = table.exclusions[0]
    return (found.span if found else None) or table.span


def diff_exclusions(
    qname: QName, expected: Sequence[Exclusion], actual: Sequence[Exclusion], doc: Schema | None
) -> list[Change]:
    _, changed, missing, extra = match_exclusions(expected, actual)
    out: list[Change] = [
        AddExclusion(
            qname,
            x,
            span=_exclusion_span(doc, qname, x),
            hint_text=f"ALTER TABLE {quote_qualified(qname)} ADD {exclusion_body(x)}",
        )
        for x in missing
    ]
    out += [DropExclusion(qname, x, span=_table_span(doc, qname)) for x in extra]
    out += [ChangeExclusion(qname, e, a, span=_exclusion_span(doc, qname, e)) for e, a in changed]
    return out
