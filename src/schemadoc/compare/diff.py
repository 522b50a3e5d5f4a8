"""Compare two schemas: what the document builds against what a database holds.

Both sides are read from real databases with the same catalog queries (the document
is built in a shadow database first), so equal objects print the same SQL text and
no SQL is re-parsed here. Objects whose names PostgreSQL makes up (CHECK, foreign
key and unique constraints, indexes without a name in the document) are matched by
what they mean, so a database built by hand from the document compares clean.

:func:`diff_changes` runs the comparison of every object kind and returns typed changes
(:mod:`schemadoc.compare.changes`); :func:`diff_schemas` is the view ``verify --structure``
shows: each change as one :class:`~schemadoc.diagnostics.Diagnostic` with a stable code
(:mod:`schemadoc.compare.codes`) and, when the document model is given, the span of the
document object it concerns. The comparisons of tables, columns, constraints and indexes
below still report diagnostics; :func:`as_changes` is where they join the typed changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TypeVar

from schemadoc.compare.access import diff_grants, diff_policies
from schemadoc.compare.catalog_kinds import diff_catalog_kinds
from schemadoc.compare.changes import Change, Noted
from schemadoc.compare.codes import (
    CHECK_CHANGED,
    CHECK_EXTRA,
    CHECK_MISSING,
    COLUMN_COLLATION,
    COLUMN_DEFAULT,
    COLUMN_EXTRA,
    COLUMN_GENERATED,
    COLUMN_IDENTITY,
    COLUMN_MISSING,
    COLUMN_NULLABLE,
    COLUMN_TYPE,
    COMMENT_CHANGED,
    COMMENT_LEVEL,
    FK_EXTRA,
    FK_MISSING,
    FK_ON_DELETE,
    FK_ON_UPDATE,
    FK_OPTIONS,
    INDEX_CHANGED,
    INDEX_EXTRA,
    INDEX_INFERRED,
    INDEX_MISSING,
    PARTITIONING,
    PK_COLUMNS,
    PK_EXTRA,
    PK_MISSING,
    RLS_ENABLED,
    RLS_FORCED,
    TABLE_EXTRA,
    TABLE_MISSING,
    UNIQUE_EXTRA,
    UNIQUE_MISSING,
    UNIQUE_NULLS,
)
from schemadoc.compare.comments import diff_comments, summarise_comments
from schemadoc.compare.pairing import match_by_key
from schemadoc.compare.routines import diff_functions, diff_triggers, diff_views
from schemadoc.compare.routines import same_view_definition as same_view_definition
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.text import cols, drift, fk_key, norm_keys, normalize_sql, show
from schemadoc.compare.types import (
    diff_domains,
    diff_enums,
    diff_extensions,
    diff_schema_names,
    diff_sequences,
)
from schemadoc.compare.unique_indexes import equate_unique_indexes
from schemadoc.diagnostics import Diagnostic, sorted_diagnostics
from schemadoc.model import (
    Check,
    Column,
    ForeignKey,
    Index,
    PrimaryKey,
    QName,
    Schema,
    Span,
    Table,
    Unique,
)
from schemadoc.sqlnames import quote_ident, quote_qualified

T = TypeVar("T")


def diff_changes(
    expected: Schema,
    actual: Schema,
    *,
    doc: Schema | None = None,
    versions: tuple[int, int] | None = None,
) -> list[Change]:
    """Every difference between ``expected`` (what the document builds) and ``actual`` (the
    live database) as typed changes, kind by kind. ``doc`` is the model read from the
    document; its source spans are attached to the changes, and what it did not state (a
    column's type, an index's columns taken from its name) is not held against the database.
    ``versions``: the server versions (``server_version_num``) of the two sides when they
    differ; what only the newer one can have is not drift. Comment changes are listed one by
    one (:func:`schemadoc.compare.comments.summarise_comments` sums them up)."""
    expected, actual = equate_unique_indexes(expected, actual)
    spans = DocSpans(doc)
    if versions is not None and min(versions) != max(versions):
        expected, actual = (_within_version(s, min(versions)) for s in (expected, actual))
    # a table or view only one side has is reported once, not with its indexes,
    # triggers, policies and grants
    one_sided = _relations(expected) ^ _relations(actual)
    out: list[Change] = []
    out += diff_schema_names(expected, actual)
    out += diff_extensions(expected, actual, spans)
    out += diff_enums(expected, actual, spans)
    out += diff_domains(expected, actual, spans)
    out += diff_sequences(expected, actual, spans)
    out += as_changes(diff_tables(expected, actual, spans))
    out += as_changes(diff_indexes(expected, actual, spans, one_sided))
    out += diff_views(expected, actual, spans)
    out += diff_functions(expected, actual, spans)
    out += diff_triggers(expected, actual, spans, one_sided)
    out += diff_policies(expected, actual, spans, one_sided)
    out += diff_grants(expected, actual, spans)
    out += diff_comments(expected, actual, spans, _index_pairs(expected, actual, spans, one_sided))
    out += as_changes(diff_catalog_kinds(expected, actual, doc, one_sided))
    return out


def diff_schemas(
    expected: Schema,
    actual: Schema,
    *,
    doc: Schema | None = None,
    comments: bool = False,
    versions: tuple[int, int] | None = None,
) -> list[Diagnostic]:
    """The changes of :func:`diff_changes` as diagnostics, sorted: what ``verify --structure``
    reports. ``comments``: list every description that differs from its comment; by default
    they are summed up per table."""
    changes = diff_changes(expected, actual, doc=doc, versions=versions)
    if not comments:
        changes = summarise_comments(changes, actual)
    return sorted_diagnostics(c.diagnostic() for c in changes)


def as_changes(found: Iterable[Diagnostic | Change]) -> list[Change]:
    """The one place where comparisons that still report diagnostics join the typed changes:
    each diagnostic becomes a :class:`Noted` change (reported as it was found, no steps); a
    change passes through. Comment differences are left out: :mod:`schemadoc.compare.comments`
    finds those of every kind, tables, columns and indexes included."""
    out: list[Change] = []
    for item in found:
        if isinstance(item, Diagnostic):
            if item.code != COMMENT_CHANGED:
                out.append(Noted.of(item))
        elif not _is_comment(item):
            out.append(item)
    return out


def _is_comment(change: Change) -> bool:
    return change.code == COMMENT_CHANGED or (
        isinstance(change, Noted) and change.noted_code == COMMENT_CHANGED
    )


def _index_pairs(
    expected: Schema, actual: Schema, spans: DocSpans, skip: set[QName]
) -> list[tuple[Index, Index]]:
    """The indexes both sides have, paired as the index comparison pairs them (none when no
    index has a comment: then no pair can differ in one)."""
    if not any(i.comment is not None for s in (expected, actual) for i in s.indexes.values()):
        return []
    e_list = [i for i in expected.indexes.values() if i.table not in skip]
    a_list = [i for i in actual.indexes.values() if i.table not in skip]
    pairs, _, _ = match_indexes(e_list, a_list, lambda i: spans.index_inferred(i.qname))
    return pairs


# Privileges a server version introduced: a grant of one is not drift against an older server.
_PRIVILEGE_SINCE = {"MAINTAIN": 170000}


def _within_version(schema: Schema, version: int) -> Schema:
    """``schema`` without what a server of ``version`` cannot hold."""
    grants = tuple(g for g in schema.grants if _PRIVILEGE_SINCE.get(g.privilege.upper(), 0) <= version)
    return replace(schema, grants=grants)


def _relations(schema: Schema) -> set[QName]:
    return set(schema.tables) | set(schema.views)


# --- tables ----------------------------------------------------------------------


def diff_tables(expected: Schema, actual: Schema, spans: DocSpans) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for qname in sorted(set(expected.tables) | set(actual.tables)):
        e, a = expected.tables.get(qname), actual.tables.get(qname)
        if a is None:
            out.append(
                drift(
                    TABLE_MISSING,
                    f"table {qname} is missing from the database",
                    spans.table(qname),
                )
            )
        elif e is None:
            out.append(drift(TABLE_EXTRA, f"table {qname} is in the database but not in the document", None))
        else:
            out += diff_table(e, a, spans)
    return out


def diff_table(expected: Table, actual: Table, spans: DocSpans) -> list[Diagnostic]:
    """Differences inside one table that both sides have."""
    q = expected.qname
    out = diff_columns(expected, actual, spans)
    out += diff_primary_key(q, expected.primary_key, actual.primary_key, spans)
    out += diff_uniques(q, expected.uniques, actual.uniques, spans)
    out += diff_checks(q, expected.checks, actual.checks, spans)
    out += diff_foreign_keys(q, expected.foreign_keys, actual.foreign_keys, spans)
    span = spans.table(q)
    if expected.rls_enabled != actual.rls_enabled:
        state = "enabled" if actual.rls_enabled else "disabled"
        out.append(
            drift(
                RLS_ENABLED,
                f"table {q}: row level security is {state} in the database, the document says "
                f"{'enabled' if expected.rls_enabled else 'disabled'}",
                span,
                f"ALTER TABLE {quote_qualified(q)} {'ENABLE' if expected.rls_enabled else 'DISABLE'} "
                "ROW LEVEL SECURITY",
            )
        )
    if expected.rls_forced != actual.rls_forced:
        out.append(
            drift(
                RLS_FORCED,
                f"table {q}: row level security is {'' if actual.rls_forced else 'not '}forced in the "
                f"database, the document says it is {'' if expected.rls_forced else 'not '}forced",
                span,
            )
        )
    for label, ev, av in (
        ("PARTITION BY", expected.partition_by, actual.partition_by),
        ("PARTITION OF", expected.partition_of, actual.partition_of),
        ("partition bound", expected.partition_bound, actual.partition_bound),
    ):
        if ev != av:
            out.append(
                drift(
                    PARTITIONING,
                    f"table {q}: {label} is {show(av)} in the database, the document says {show(ev)}",
                    span,
                )
            )
    if expected.comment != actual.comment:
        out.append(_comment_diag(f"table {q}", expected.comment, actual.comment, span, f"table {q}"))
    return out


def _comment_diag(
    what: str, expected: str | None, actual: str | None, span: Span | None, subject: str
) -> Diagnostic:
    """``subject``: the table (or view, function...) the comment belongs to, for summing up."""
    return Diagnostic(
        COMMENT_CHANGED,
        COMMENT_LEVEL,
        f"{what}: comment is {show(repr(actual) if actual is not None else None)} in the database, "
        f"the document says {show(repr(expected) if expected is not None else None)}",
        span,
        subject=subject,
    )


def diff_columns(expected: Table, actual: Table, spans: DocSpans) -> list[Diagnostic]:
    q = expected.qname
    out: list[Diagnostic] = []
    actual_names = {c.name for c in actual.columns}
    expected_names = {c.name for c in expected.columns}
    for col in expected.columns:
        if col.name not in actual_names:
            out.append(
                drift(
                    COLUMN_MISSING,
                    f"column {q}.{col.name} ({col.type}) is missing from the database",
                    spans.column(q, col.name),
                )
            )
    for col in actual.columns:
        if col.name not in expected_names:
            out.append(
                drift(
                    COLUMN_EXTRA,
                    f"column {q}.{col.name} ({col.type}) is in the database but not in the document",
                    spans.table(q),
                )
            )
    for col in expected.columns:
        other = actual.column(col.name)
        if other is not None:
            out += diff_column(
                q, col, other, spans.column(q, col.name), type_stated=spans.type_stated(q, col.name)
            )
    return out


def diff_column(
    table: QName, expected: Column, actual: Column, span: Span | None, *, type_stated: bool = True
) -> list[Diagnostic]:
    """``type_stated`` False: the document gave no type, so any type matches."""
    where = f"column {table}.{expected.name}"
    alter = f"ALTER TABLE {quote_qualified(table)} ALTER COLUMN {quote_ident(expected.name)}"
    out: list[Diagnostic] = []
    if type_stated and expected.type != actual.type:
        out.append(
            drift(
                COLUMN_TYPE,
                f"{where}: type is {actual.type} in the database, the document says {expected.type}",
                span,
            )
        )
    if expected.nullable != actual.nullable:
        if actual.nullable:
            out.append(
                drift(
                    COLUMN_NULLABLE,
                    f"{where} is nullable in the database, the document says NOT NULL",
                    span,
                    f"{alter} SET NOT NULL",
                )
            )
        else:
            out.append(
                drift(
                    COLUMN_NULLABLE,
                    f"{where} is NOT NULL in the database, the document says it is nullable",
                    span,
                    f"{alter} DROP NOT NULL",
                )
            )
    if expected.default != actual.default:
        out.append(
            drift(
                COLUMN_DEFAULT,
                f"{where}: default is {show(actual.default)} in the database, "
                f"the document says {show(expected.default)}",
                span,
                f"{alter} SET DEFAULT {expected.default}" if expected.default else f"{alter} DROP DEFAULT",
            )
        )
    if expected.identity != actual.identity:
        out.append(
            drift(
                COLUMN_IDENTITY,
                f"{where}: identity is {show(actual.identity)} in the database, "
                f"the document says {show(expected.identity)}",
                span,
            )
        )
    if expected.generated != actual.generated:
        out.append(
            drift(
                COLUMN_GENERATED,
                f"{where}: generated as {show(actual.generated)} in the database, "
                f"the document says {show(expected.generated)}",
                span,
            )
        )
    if expected.collation != actual.collation:
        out.append(
            drift(
                COLUMN_COLLATION,
                f"{where}: collation is {show(actual.collation, 'the default')} in the database, "
                f"the document says {show(expected.collation, 'the default')}",
                span,
            )
        )
    if expected.comment != actual.comment:
        out.append(_comment_diag(where, expected.comment, actual.comment, span, f"table {table}"))
    return out


def diff_primary_key(
    table: QName, expected: PrimaryKey | None, actual: PrimaryKey | None, spans: DocSpans
) -> list[Diagnostic]:
    if expected == actual:
        return []
    span = spans.primary_key(table)
    if actual is None and expected is not None:
        return [
            drift(
                PK_MISSING,
                f"table {table}: PRIMARY KEY ({cols(expected.columns)}) is missing from the database",
                span,
                f"ALTER TABLE {quote_qualified(table)} ADD PRIMARY KEY ({cols(expected.columns)})",
            )
        ]
    if expected is None and actual is not None:
        return [
            drift(
                PK_EXTRA,
                f"table {table}: the database has PRIMARY KEY ({cols(actual.columns)}), the document none",
                span,
            )
        ]
    assert expected is not None and actual is not None
    return [
        drift(
            PK_COLUMNS,
            f"table {table}: PRIMARY KEY is ({cols(actual.columns)}) in the database, "
            f"the document says ({cols(expected.columns)})",
            span,
        )
    ]


def match_uniques(
    expected: Sequence[Unique], actual: Sequence[Unique]
) -> tuple[list[tuple[Unique, Unique]], list[Unique], list[Unique]]:
    """Unique constraints are the same when they cover the same columns."""
    return match_by_key(expected, actual, lambda u: frozenset(u.columns))


def diff_uniques(
    table: QName, expected: Sequence[Unique], actual: Sequence[Unique], spans: DocSpans
) -> list[Diagnostic]:
    pairs, missing, extra = match_uniques(expected, actual)
    out = [
        drift(
            UNIQUE_MISSING,
            f"table {table}: UNIQUE ({cols(u.columns)}) is missing from the database",
            spans.unique(table, u),
            f"ALTER TABLE {quote_qualified(table)} ADD UNIQUE ({cols(u.columns)})",
        )
        for u in missing
    ]
    out += [
        drift(
            UNIQUE_EXTRA,
            f"table {table}: the database has UNIQUE ({cols(u.columns)}) {_named(u.name)}"
            "which the document does not",
            spans.table(table),
        )
        for u in extra
    ]
    for e, a in pairs:
        if e.nulls_not_distinct != a.nulls_not_distinct:
            state = "NULLS NOT DISTINCT" if a.nulls_not_distinct else "NULLS DISTINCT"
            want = "NULLS NOT DISTINCT" if e.nulls_not_distinct else "NULLS DISTINCT"
            out.append(
                drift(
                    UNIQUE_NULLS,
                    f"table {table}: UNIQUE ({cols(e.columns)}) is {state} in the database, "
                    f"the document says {want}",
                    spans.unique(table, e),
                )
            )
    return out


def _named(name: str | None) -> str:
    return f"(named {name}) " if name else ""


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
) -> list[Diagnostic]:
    _, changed, missing, extra = match_checks(expected, actual)
    position = {id(c): i for i, c in enumerate(expected)}
    out = [
        drift(
            CHECK_CHANGED,
            f"table {table}: CHECK is ({a.expression}) in the database, the document says ({e.expression})",
            spans.check(table, e, position[id(e)]),
        )
        for e, a in changed
    ]
    out += [
        drift(
            CHECK_MISSING,
            f"table {table}: CHECK ({c.expression}) is missing from the database",
            spans.check(table, c, position[id(c)]),
            f"ALTER TABLE {quote_qualified(table)} ADD CHECK ({c.expression})",
        )
        for c in missing
    ]
    out += [
        drift(
            CHECK_EXTRA,
            f"table {table}: the database has CHECK ({c.expression}) {_named(c.name)}"
            "which the document does not",
            spans.table(table),
        )
        for c in extra
    ]
    return out


def _fk_text(fk: ForeignKey) -> str:
    return f"({cols(fk.columns)}) -> {fk.ref_table}({cols(fk.ref_columns)})"


def match_foreign_keys(
    expected: Sequence[ForeignKey], actual: Sequence[ForeignKey]
) -> tuple[list[tuple[ForeignKey, ForeignKey]], list[ForeignKey], list[ForeignKey]]:
    """Foreign keys are the same reference when they have the same columns, referenced
    table and referenced columns; their actions and options are compared afterwards."""
    return match_by_key(expected, actual, fk_key)


def diff_foreign_keys(
    table: QName, expected: Sequence[ForeignKey], actual: Sequence[ForeignKey], spans: DocSpans
) -> list[Diagnostic]:
    pairs, missing, extra = match_foreign_keys(expected, actual)
    out = [
        drift(
            FK_MISSING,
            f"table {table}: FOREIGN KEY {_fk_text(fk)} is missing from the database",
            spans.foreign_key(table, fk),
        )
        for fk in missing
    ]
    out += [
        drift(
            FK_EXTRA,
            f"table {table}: the database has FOREIGN KEY {_fk_text(fk)} {_named(fk.name)}"
            "which the document does not",
            spans.table(table),
        )
        for fk in extra
    ]
    for e, a in pairs:
        out += diff_foreign_key(table, e, a, spans.foreign_key(table, e))
    return out


def diff_foreign_key(
    table: QName, expected: ForeignKey, actual: ForeignKey, span: Span | None
) -> list[Diagnostic]:
    where = f"table {table}: FOREIGN KEY {_fk_text(expected)}"
    out: list[Diagnostic] = []
    if expected.on_delete != actual.on_delete:
        out.append(
            drift(
                FK_ON_DELETE,
                f"{where} is ON DELETE {actual.on_delete} in the database, "
                f"the document says ON DELETE {expected.on_delete}",
                span,
            )
        )
    if expected.on_update != actual.on_update:
        out.append(
            drift(
                FK_ON_UPDATE,
                f"{where} is ON UPDATE {actual.on_update} in the database, "
                f"the document says ON UPDATE {expected.on_update}",
                span,
            )
        )
    for label, ev, av in (
        ("MATCH FULL", expected.match_full, actual.match_full),
        ("DEFERRABLE", expected.deferrable, actual.deferrable),
        ("INITIALLY DEFERRED", expected.initially_deferred, actual.initially_deferred),
    ):
        if ev != av:
            out.append(
                drift(
                    FK_OPTIONS,
                    f"{where} is {'' if av else 'not '}{label} in the database, "
                    f"the document says {'' if ev else 'not '}{label}",
                    span,
                )
            )
    return out


# --- indexes, views, functions, triggers, policies, grants -------------------------


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


_KEY_ORDER = re.compile(r"\s+(?:ASC|DESC)\b.*$|\s+NULLS\s+(?:FIRST|LAST)\s*$", re.IGNORECASE)


def _key_column(key: str) -> str:
    """An index key without its direction and NULLS placement: ``completed_at DESC`` -> ``completed_at``."""
    return _KEY_ORDER.sub("", normalize_sql(key) or "").lower()


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


def diff_indexes(expected: Schema, actual: Schema, spans: DocSpans, skip: set[QName]) -> list[Diagnostic]:
    """Indexes, except those on a relation in ``skip`` (one side lacks it)."""
    e_list = [i for i in expected.indexes.values() if i.table not in skip]
    a_list = [i for i in actual.indexes.values() if i.table not in skip]
    pairs, missing, extra = match_indexes(e_list, a_list, lambda i: spans.index_inferred(i.qname))
    out = [
        drift(
            INDEX_MISSING,
            f"index {i.qname} is missing from the database: {index_text(i)}"
            + (" (columns taken from its name)" if spans.index_inferred(i.qname) else ""),
            spans.index(i),
        )
        for i in missing
    ]
    out += [
        drift(
            INDEX_EXTRA,
            f"index {i.qname} is in the database but not in the document: {index_text(i)}",
            spans.table(i.table),
        )
        for i in extra
    ]
    for e, a in pairs:
        if spans.index_inferred(e.qname):
            if _loose_meaning(e) != _loose_meaning(a) or normalize_sql(e.where) != normalize_sql(a.where):
                out.append(
                    drift(
                        INDEX_INFERRED,
                        f"index {e.qname}: database has {index_text(a)}; the document gives only its name, "
                        f"from which schemadoc took {index_text(e)}",
                        spans.index(e),
                        "write the index definition in the document to compare it exactly",
                        level="warning",
                    )
                )
        elif _index_meaning(e) != _index_meaning(a):
            out.append(
                drift(
                    INDEX_CHANGED,
                    f"index {e.qname} differs: database has {index_text(a)}; document says {index_text(e)}",
                    spans.index(e),
                )
            )
        if e.comment != a.comment:
            out.append(
                _comment_diag(f"index {e.qname}", e.comment, a.comment, spans.index(e), f"table {e.table}")
            )
    return out
