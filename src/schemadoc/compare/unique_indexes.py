"""A UNIQUE constraint and a unique index on the same columns make the same promise.

When one side has ``UNIQUE (a, b)`` and the other only ``CREATE UNIQUE INDEX ... (a, b)`` (a
plain btree index on those columns in that order, no predicate, no expressions, no INCLUDE
columns, the same NULLS NOT DISTINCT), the index is read as the constraint before the two
schemas are compared, so neither side reports drift.
"""

from __future__ import annotations

from schemadoc.model import Index, QName, Schema, Unique
from schemadoc.records import replace
from schemadoc.sqlnames import quote_ident


def stands_for(index: Index, unique: Unique) -> bool:
    """Whether ``index`` enforces exactly what ``unique`` promises."""
    return (
        index.unique
        and index.method.lower() == "btree"
        and index.where is None
        and not index.include
        and index.nulls_not_distinct == unique.nulls_not_distinct
        and index.keys == tuple(quote_ident(c) for c in unique.columns)
    )


def _has_unique(uniques: tuple[Unique, ...], columns: tuple[str, ...]) -> bool:
    return any(frozenset(u.columns) == frozenset(columns) for u in uniques)


def _fold(qname: QName, with_index: Schema, with_constraint: Schema) -> Schema:
    """``with_index`` with each unique index that stands for a UNIQUE constraint only
    ``with_constraint`` has turned into that constraint."""
    table = with_index.tables[qname]
    other = with_constraint.tables[qname]
    wanted = [u for u in other.uniques if not _has_unique(table.uniques, u.columns)]
    if not wanted:
        return with_index
    other_indexes = with_constraint.indexes_on(qname)
    indexes = dict(with_index.indexes)
    added: list[Unique] = []
    for u in wanted:
        if any(stands_for(i, u) for i in other_indexes):
            continue  # the other side has the index too: the indexes pair up by themselves
        index = next(
            (i for i in with_index.indexes_on(qname) if i.qname in indexes and stands_for(i, u)), None
        )
        if index is not None:
            del indexes[index.qname]
            added.append(Unique(u.columns, index.name, index.nulls_not_distinct))
    if not added:
        return with_index
    tables = dict(with_index.tables)
    tables[qname] = replace(table, uniques=(*table.uniques, *added))
    return replace(with_index, tables=tables, indexes=indexes)


def equate_unique_indexes(expected: Schema, actual: Schema) -> tuple[Schema, Schema]:
    """``expected`` and ``actual`` with every unique index that stands for a UNIQUE constraint
    of the other side read as that constraint."""
    for qname in sorted(set(expected.tables) & set(actual.tables)):
        expected = _fold(qname, expected, actual)
        actual = _fold(qname, actual, expected)
    return expected, actual
