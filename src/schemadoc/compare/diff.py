"""Compare two schemas: what the document builds against what a database holds.

Both sides are read from real databases with the same catalog queries (the document
is built in a shadow database first), so equal objects print the same SQL text and
no SQL is re-parsed here. Objects whose names PostgreSQL makes up (CHECK, foreign
key and unique constraints, indexes without a name in the document) are matched by
what they mean, so a database built by hand from the document compares clean.

:func:`diff_changes` runs the comparison of every object kind (one module per kind group:
``types``, ``tables``, ``columns``, ``constraints``, ``foreign_keys``, ``indexes``,
``routines``, ``access``, ``comments``, ``catalog_kinds``) and returns typed changes
(:mod:`schemadoc.compare.changes`); :func:`diff_schemas` is the view ``verify --structure``
shows: each change as one :class:`~schemadoc.diagnostics.Diagnostic` with a stable code
(:mod:`schemadoc.compare.codes`) and, when the document model is given, the span of the
document object it concerns. :func:`as_changes` is where results that are not typed changes
yet (the catalog kinds' diagnostics) join them.
"""

from __future__ import annotations

from collections.abc import Iterable

from schemadoc.compare.access import diff_grants, diff_policies
from schemadoc.compare.catalog_kinds import diff_catalog_kinds
from schemadoc.compare.changes import Change, Noted
from schemadoc.compare.codes import COMMENT_CHANGED
from schemadoc.compare.comments import diff_comments, summarise_comments
from schemadoc.compare.constraints import match_checks as match_checks
from schemadoc.compare.constraints import match_uniques as match_uniques
from schemadoc.compare.foreign_keys import match_foreign_keys as match_foreign_keys
from schemadoc.compare.indexes import diff_indexes, match_indexes
from schemadoc.compare.indexes import index_text as index_text
from schemadoc.compare.routines import diff_functions, diff_triggers, diff_views
from schemadoc.compare.routines import same_view_definition as same_view_definition
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.tables import diff_tables
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
    Index,
    QName,
    Schema,
)
from schemadoc.records import replace


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
    # triggers, policies and grants: a new table's change (AddTable) carries those and
    # makes them, a new view's its grants
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
    """The one place where comparison results join the typed changes: a diagnostic (the
    catalog kinds still report those) becomes a :class:`Noted` change, reported as it was
    found, with no steps; a change passes through. Comment differences are left out, whichever
    form they come in: :mod:`schemadoc.compare.comments` finds those of every kind, tables,
    columns and indexes included, as :class:`~schemadoc.compare.comments.ChangeComment`."""
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
