"""Comparing the catalog kinds that hang off tables and types: exclusion constraints, table
inheritance, column grants, composite and range types.

Like :mod:`schemadoc.compare.diff`, both schemas come from real databases read with the same
catalog queries, so equal objects print the same SQL text. Objects PostgreSQL names (an
exclusion constraint without a name) are matched by what they mean. Spans come from ``doc``,
the model read from the document, when it is given.
"""

from __future__ import annotations

from typing import TypeVar

from schemadoc.compare.collations_aggregates import diff_aggregates, diff_collations
from schemadoc.compare.exclusions import (  # noqa: F401  (the exclusion codes are read from here too)
    EXCLUSION_CHANGED,
    EXCLUSION_EXTRA,
    EXCLUSION_MISSING,
    diff_exclusions,
)
from schemadoc.compare.pairing import match_by_key
from schemadoc.compare.text import drift
from schemadoc.diagnostics import Diagnostic
from schemadoc.model import ColumnGrant, CompositeType, QName, RangeType, Schema, Span
from schemadoc.sqlnames import quote_ident, quote_qualified

# Stable diagnostic codes. "missing": the document has it, the database does not;
# "extra": the database has it, the document does not.
COMPOSITE_MISSING = "SD380"
COMPOSITE_EXTRA = "SD381"
COMPOSITE_CHANGED = "SD382"
RANGE_MISSING = "SD383"
RANGE_EXTRA = "SD384"
RANGE_CHANGED = "SD385"
INHERITANCE = "SD389"
COLUMN_GRANT_MISSING = "SD390"
COLUMN_GRANT_EXTRA = "SD391"
COLUMN_GRANT_OPTION = "SD392"

T = TypeVar("T")


def diff_catalog_kinds(
    expected: Schema, actual: Schema, doc: Schema | None, skip: set[QName]
) -> list[Diagnostic]:
    """Differences in composite and range types, exclusion constraints, inheritance and column
    grants. Tables in ``skip`` (only one side has them) are reported by themselves."""
    out = diff_composites(expected, actual, doc)
    out += diff_ranges(expected, actual, doc)
    out += diff_collations(expected, actual, doc) + diff_aggregates(expected, actual, doc)
    common = sorted((set(expected.tables) & set(actual.tables)) - skip)
    for qname in common:
        out += [
            c.diagnostic()
            for c in diff_exclusions(
                qname, expected.tables[qname].exclusions, actual.tables[qname].exclusions, doc
            )
        ]
        out += diff_inheritance(qname, expected.tables[qname].inherits, actual.tables[qname].inherits, doc)
    out += diff_column_grants(expected, actual, doc, skip)
    return out


def _table_span(doc: Schema | None, qname: QName) -> Span | None:
    table = doc.tables.get(qname) if doc else None
    return table.span if table else None


# --- composite and range types ------------------------------------------------------


def composite_text(t: CompositeType) -> str:
    return "(" + ", ".join(f"{quote_ident(n)} {type_}" for n, type_ in t.attributes) + ")"


def diff_composites(expected: Schema, actual: Schema, doc: Schema | None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for qname in sorted(set(expected.composites) | set(actual.composites)):
        e, a = expected.composites.get(qname), actual.composites.get(qname)
        found = doc.composites.get(qname) if doc else None
        span = found.span if found else None
        if a is None and e is not None:
            out.append(
                drift(
                    COMPOSITE_MISSING,
                    f"composite type {qname} is missing from the database",
                    span,
                    f"CREATE TYPE {quote_qualified(qname)} AS {composite_text(e)}",
                )
            )
        elif e is None and a is not None:
            out.append(
                drift(
                    COMPOSITE_EXTRA,
                    f"composite type {qname} is in the database but not in the document",
                    None,
                )
            )
        elif e is not None and a is not None and e != a:
            out.append(
                drift(
                    COMPOSITE_CHANGED,
                    f"composite type {qname} differs: database has {composite_text(a)}; "
                    f"document says {composite_text(e)}",
                    span,
                )
            )
    return out


def range_text(t: RangeType) -> str:
    options = [f"subtype = {t.subtype}"]
    for label, value in (
        ("subtype_opclass", t.subtype_opclass),
        ("collation", t.collation),
        ("subtype_diff", t.subtype_diff),
        ("multirange_type_name", t.multirange),
    ):
        if value is not None:
            options.append(f"{label} = {value}")
    return f"RANGE ({', '.join(options)})"


def diff_ranges(expected: Schema, actual: Schema, doc: Schema | None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for qname in sorted(set(expected.ranges) | set(actual.ranges)):
        e, a = expected.ranges.get(qname), actual.ranges.get(qname)
        found = doc.ranges.get(qname) if doc else None
        span = found.span if found else None
        if a is None and e is not None:
            out.append(
                drift(
                    RANGE_MISSING,
                    f"range type {qname} is missing from the database",
                    span,
                    f"CREATE TYPE {quote_qualified(qname)} AS {range_text(e)}",
                )
            )
        elif e is None and a is not None:
            out.append(
                drift(RANGE_EXTRA, f"range type {qname} is in the database but not in the document", None)
            )
        elif e is not None and a is not None and e != a:
            out.append(
                drift(
                    RANGE_CHANGED,
                    f"range type {qname} differs: database has {range_text(a)}; document says {range_text(e)}",
                    span,
                )
            )
    return out


# --- inheritance ------------------------------------------------------------------


def diff_inheritance(
    qname: QName, expected: tuple[QName, ...], actual: tuple[QName, ...], doc: Schema | None
) -> list[Diagnostic]:
    if expected == actual:
        return []

    def shown(parents: tuple[QName, ...]) -> str:
        return f"INHERITS ({', '.join(str(p) for p in parents)})" if parents else "no INHERITS"

    return [
        drift(
            INHERITANCE,
            f"table {qname}: {shown(actual)} in the database, the document says {shown(expected)}",
            _table_span(doc, qname),
        )
    ]


# --- column grants ----------------------------------------------------------------


def _grant_key(g: ColumnGrant) -> tuple[QName, str, str, str]:
    return (g.table, g.column, g.grantee, g.privilege)


def _grant_text(g: ColumnGrant) -> str:
    return f"{g.privilege} ({quote_ident(g.column)}) ON TABLE {g.table} TO {g.grantee}"


def _grant_span(doc: Schema | None, g: ColumnGrant) -> Span | None:
    if doc is None:
        return None
    same_table = [d for d in doc.column_grants if d.table == g.table]
    found = next((d for d in same_table if _grant_key(d) == _grant_key(g)), None) or next(
        (d for d in same_table if d.grantee == g.grantee), None
    )
    if found and found.span:
        return found.span
    view = doc.views.get(g.table)
    return _table_span(doc, g.table) or (view.span if view else None)


def diff_column_grants(
    expected: Schema, actual: Schema, doc: Schema | None, skip: set[QName]
) -> list[Diagnostic]:
    """Column grants on tables and views both sides have (``skip``: relations only one has)."""
    pairs, missing, extra = match_by_key(
        [g for g in expected.column_grants if g.table not in skip],
        [g for g in actual.column_grants if g.table not in skip],
        _grant_key,
    )
    out = [
        drift(
            COLUMN_GRANT_MISSING,
            f"grant {_grant_text(g)} is missing from the database",
            _grant_span(doc, g),
            f"GRANT {g.privilege} ({quote_ident(g.column)}) ON TABLE {quote_qualified(g.table)} "
            f"TO {quote_ident(g.grantee)}",
        )
        for g in missing
    ]
    out += [
        drift(
            COLUMN_GRANT_EXTRA,
            f"the database grants {_grant_text(g)}, the document does not",
            _grant_span(doc, g),
        )
        for g in extra
    ]
    for e, a in pairs:
        if e.with_grant_option != a.with_grant_option:
            out.append(
                drift(
                    COLUMN_GRANT_OPTION,
                    f"grant {_grant_text(e)} is {'' if a.with_grant_option else 'not '}WITH GRANT OPTION in "
                    f"the database, the document says {'' if e.with_grant_option else 'not '}WITH GRANT OPTION",
                    _grant_span(doc, e),
                )
            )
    return out
