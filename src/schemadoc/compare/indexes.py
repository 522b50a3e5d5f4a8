"""Indexes that do not back a constraint. Online: built and dropped CONCURRENTLY, outside a
transaction block; a changed index is built under a temporary name, the old one dropped,
and the new one renamed to the document's name."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import ClassVar

from pglast import ast, parse_sql
from pglast.parser import ParseError

from schemadoc.compare import codes
from schemadoc.compare.changes import Change, Hazard, Lock, Noted, PreCheck, Step
from schemadoc.compare.pairing import match_by_key
from schemadoc.compare.recipes import precheck
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.text import cols, comment_diag, norm_keys, normalize_sql
from schemadoc.diagnostics import Level
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Index, QName, Schema
from schemadoc.records import record, replace
from schemadoc.write import ddl_alter as alter
from schemadoc.write import prechecks
from schemadoc.write.ddl_tables import index_statement


def index_text(i: Index) -> str:
    """An index's definition in one line (without its name)."""
    text = f"{'UNIQUE ' if i.unique else ''}INDEX ON {i.table} USING {i.method} ({', '.join(i.keys)})"
    if i.include:
        text += f" INCLUDE ({cols(i.include)})"
    if i.nulls_not_distinct:
        text += " NULLS NOT DISTINCT"
    if i.where:
        text += f" WHERE {i.where}"
    return text


_KEY_ORDER = lazy_regex(r"\s+(?:ASC|DESC)\b.*$|\s+NULLS\s+(?:FIRST|LAST)\s*$", re.IGNORECASE)


def _key_column(key: str) -> str:
    """An index key without its direction and NULLS placement: ``completed_at DESC`` -> ``completed_at``."""
    return _KEY_ORDER.sub("", normalize_sql(key) or "").lower()


def _plain_keys(index: Index) -> list[str] | None:
    """The keys of ``index`` as expressions to group rows by (without direction), or None
    when a key names an operator class (its equality may not be the type's)."""
    try:
        stmt = parse_sql(f"CREATE INDEX i ON t ({', '.join(index.keys)})")[0].stmt
    except ParseError:
        return None
    if not isinstance(stmt, ast.IndexStmt) or any(
        isinstance(e, ast.IndexElem) and e.opclass for e in stmt.indexParams or ()
    ):
        return None
    return [_KEY_ORDER.sub("", normalize_sql(k) or "") for k in index.keys]


def _duplicates(index: Index) -> PreCheck | None:
    keys = _plain_keys(index)
    if keys is None:
        return None
    return precheck(
        f"rows of {index.table} that share ({', '.join(keys)}) with another row",
        prechecks.duplicates(
            index.table, keys, nulls_not_distinct=index.nulls_not_distinct, where=index.where
        ),
    )


def _build(index: Index) -> Step:
    """CREATE INDEX CONCURRENTLY: writes go on while it is built."""
    check = _duplicates(index) if index.unique else None
    return Step(
        index_statement(index, concurrently=True).sql,
        Lock.SHARE_UPDATE_EXCLUSIVE,
        index.table,
        transactional=False,
        hazards=frozenset({Hazard.CAN_FAIL_ON_DATA}) if index.unique else frozenset(),
        precheck=check,
    )


def _drop(index: Index, hazards: frozenset[Hazard]) -> Step:
    return Step(
        alter.drop_index(index.qname, concurrently=True),
        Lock.SHARE_UPDATE_EXCLUSIVE,
        index.table,
        transactional=False,
        hazards=hazards,
    )


@record
class AddIndex(Change):
    code: ClassVar[str] = codes.INDEX_MISSING
    index: Index
    inferred: bool = False  # the document gave only its name; its columns were taken from it

    def message(self) -> str:
        i = self.index
        return f"index {i.qname} is missing from the database: {index_text(i)}" + (
            " (columns taken from its name)" if self.inferred else ""
        )

    def steps(self) -> tuple[Step, ...]:
        return (_build(self.index),)

    def inverse(self) -> Change:
        return DropIndex(self.index)


@record
class DropIndex(Change):
    code: ClassVar[str] = codes.INDEX_EXTRA
    index: Index

    def message(self) -> str:
        return (
            f"index {self.index.qname} is in the database but not in the document: {index_text(self.index)}"
        )

    def steps(self) -> tuple[Step, ...]:
        return (_drop(self.index, frozenset({Hazard.DROPS_CONSTRAINT})),)

    def inverse(self) -> Change:
        return AddIndex(self.index)


def temporary_name(index: Index) -> str:
    """The name a replacing index is built under before it takes ``index``'s name."""
    return alter.fitted_name(index.name, "new")


@record
class ReplaceIndex(Change):
    """The document's index is built concurrently under a temporary name, the database's is
    dropped concurrently, and the new one renamed to the document's name."""

    code: ClassVar[str] = codes.INDEX_CHANGED
    expected: Index
    actual: Index

    def message(self) -> str:
        return (
            f"index {self.expected.qname} differs: database has {index_text(self.actual)}; "
            f"document says {index_text(self.expected)}"
        )

    def steps(self) -> tuple[Step, ...]:
        e = self.expected
        building = replace(e, name=temporary_name(e))
        rename = Step(alter.rename_index(building.qname, e.name), Lock.SHARE_UPDATE_EXCLUSIVE, e.table)
        return (_build(building), _drop(self.actual, frozenset()), rename)

    def inverse(self) -> Change:
        return ReplaceIndex(self.actual, self.expected)


@record
class InferredIndexDiffers(Change):
    """An index the document names without its definition (columns taken from the name) is
    not what the database has. A warning, not drift: there is nothing to apply."""

    code: ClassVar[str] = codes.INDEX_INFERRED
    level: ClassVar[Level] = "warning"
    expected: Index
    actual: Index

    def message(self) -> str:
        return (
            f"index {self.expected.qname}: database has {index_text(self.actual)}; the document gives only "
            f"its name, from which schemadoc took {index_text(self.expected)}"
        )


def _index_meaning(i: Index) -> tuple[object, ...]:
    return (
        i.table,
        norm_keys(i.keys),
        i.unique,
        i.method,
        normalize_sql(i.where),
        tuple(i.include),
        i.nulls_not_distinct,
    )


def _loose_meaning(i: Index) -> tuple[object, ...]:
    """What an index known only by its name promises: a (unique) index on those columns."""
    return (i.table, frozenset(_key_column(k) for k in i.keys), i.unique)


def match_indexes(
    expected: Sequence[Index], actual: Sequence[Index], loose: Callable[[Index], bool] = lambda i: False
) -> tuple[list[tuple[Index, Index]], list[Index], list[Index]]:
    """Pair indexes by name first, then the rest by definition (an index PostgreSQL
    named may have another name in a database built by hand). Expected indexes for which
    ``loose`` is true (columns taken from the name) then pair with any index on the same
    columns, whatever their direction."""
    by_name, missing, extra = match_by_key(expected, actual, lambda i: i.qname)
    by_meaning, missing, extra = match_by_key(missing, extra, _index_meaning)
    strict = [i for i in missing if not loose(i)]
    by_columns, loose_missing, extra = match_by_key([i for i in missing if loose(i)], extra, _loose_meaning)
    return by_name + by_meaning + by_columns, strict + loose_missing, extra


def diff_indexes(expected: Schema, actual: Schema, spans: DocSpans, skip: set[QName]) -> list[Change]:
    """Indexes, except those on a relation in ``skip`` (one side lacks it)."""
    e_list = [i for i in expected.indexes.values() if i.table not in skip]
    a_list = [i for i in actual.indexes.values() if i.table not in skip]
    pairs, missing, extra = match_indexes(e_list, a_list, lambda i: spans.index_inferred(i.qname))
    out: list[Change] = [AddIndex(i, spans.index_inferred(i.qname), span=spans.index(i)) for i in missing]
    out += [DropIndex(i, span=spans.table(i.table)) for i in extra]
    for e, a in pairs:
        if spans.index_inferred(e.qname):
            if _loose_meaning(e) != _loose_meaning(a) or normalize_sql(e.where) != normalize_sql(a.where):
                out.append(
                    InferredIndexDiffers(
                        e,
                        a,
                        span=spans.index(e),
                        hint_text="write the index definition in the document to compare it exactly",
                    )
                )
        elif _index_meaning(e) != _index_meaning(a):
            out.append(ReplaceIndex(e, a, span=spans.index(e)))
        if e.comment != a.comment:
            out.append(
                Noted.of(
                    comment_diag(f"index {e.qname}", e.comment, a.comment, spans.index(e), f"table {e.table}")
                )
            )
    return out
