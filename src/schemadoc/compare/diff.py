"""Compare two schemas: what the document builds against what a database holds.

Both sides are read from real databases with the same catalog queries (the document
is built in a shadow database first), so equal objects print the same SQL text and
no SQL is re-parsed here. Objects whose names PostgreSQL makes up (CHECK, foreign
key and unique constraints, indexes without a name in the document) are matched by
what they mean, so a database built by hand from the document compares clean.

Every difference is one :class:`~schemadoc.diagnostics.Diagnostic` with a stable code
(the ``SD3xx`` constants below) and, when the document model is given, the span of the
document object it concerns. The ``match_*`` functions pair objects of one kind and are
meant to be reused by a migration planner.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TypeVar

from pglast import ast, parse_sql
from pglast.parser import ParseError

from schemadoc.compare.catalog_kinds import diff_catalog_kinds
from schemadoc.compare.codes import (
    COMMENT_CHANGED,
    COMMENT_LEVEL,
    COMMENTS_SUMMARY,
    DOMAIN_CHANGED,
    DOMAIN_EXTRA,
    DOMAIN_MISSING,
    ENUM_EXTRA,
    ENUM_LABEL_EXTRA,
    ENUM_LABEL_MISSING,
    ENUM_LABEL_ORDER,
    ENUM_MISSING,
    ENUM_ORDER_UNSTATED,
    EXTENSION_EXTRA,
    EXTENSION_MISSING,
    EXTENSION_SCHEMA,
    FUNCTION_BODY,
    FUNCTION_CHANGED,
    FUNCTION_EXTRA,
    FUNCTION_MISSING,
    GRANT_EXTRA,
    GRANT_MISSING,
    GRANT_OPTION,
    POLICY_CHANGED,
    POLICY_EXTRA,
    POLICY_MISSING,
    SCHEMA_EXTRA,
    SCHEMA_MISSING,
    SEQUENCE_CHANGED,
    SEQUENCE_EXTRA,
    SEQUENCE_MISSING,
    TRIGGER_CHANGED,
    TRIGGER_EXTRA,
    TRIGGER_MISSING,
    VIEW_CHANGED,
    VIEW_EXTRA,
    VIEW_MISSING,
)
from schemadoc.compare.constraints import match_checks as match_checks
from schemadoc.compare.constraints import match_uniques as match_uniques
from schemadoc.compare.foreign_keys import match_foreign_keys as match_foreign_keys
from schemadoc.compare.indexes import diff_indexes
from schemadoc.compare.indexes import index_text as index_text
from schemadoc.compare.indexes import match_indexes as match_indexes
from schemadoc.compare.pairing import match_by_key
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.tables import diff_tables
from schemadoc.compare.text import cols, drift, grant_key, normalize_sql, show
from schemadoc.compare.text import comment_diag as _comment_diag
from schemadoc.compare.unique_indexes import equate_unique_indexes
from schemadoc.diagnostics import Diagnostic, Level, sorted_diagnostics
from schemadoc.model import (
    Domain,
    Enum,
    Function,
    Grant,
    Policy,
    QName,
    Schema,
    Span,
    Trigger,
    View,
)
from schemadoc.sqlnames import quote_ident, quote_qualified

T = TypeVar("T")


def diff_schemas(
    expected: Schema,
    actual: Schema,
    *,
    doc: Schema | None = None,
    comments: bool = False,
    versions: tuple[int, int] | None = None,
) -> list[Diagnostic]:
    """Every difference between ``expected`` (what the document builds) and ``actual``
    (the live database), sorted. ``doc`` is the model read from the document; its
    source spans are attached to the diagnostics, and what it did not state (a column's
    type, an index's columns taken from its name) is not held against the database.

    ``comments``: list every description that differs from its comment; by default they
    are summed up per table. ``versions``: the server versions (``server_version_num``) of
    the two sides when they differ; what only the newer one can have is not drift."""
    expected, actual = equate_unique_indexes(expected, actual)
    spans = DocSpans(doc)
    if versions is not None and min(versions) != max(versions):
        expected, actual = (_within_version(s, min(versions)) for s in (expected, actual))
    out: list[Diagnostic] = []
    out += diff_schema_names(expected, actual)
    out += diff_extensions(expected, actual, spans)
    out += diff_enums(expected, actual, spans)
    out += diff_domains(expected, actual, spans)
    out += diff_sequences(expected, actual, spans)
    out += [c.diagnostic() for c in diff_tables(expected, actual, spans)]
    # a table or view only one side has is reported once, not with its indexes,
    # triggers, policies and grants
    one_sided = _relations(expected) ^ _relations(actual)
    out += [c.diagnostic() for c in diff_indexes(expected, actual, spans, one_sided)]
    out += diff_views(expected, actual, spans)
    out += diff_functions(expected, actual, spans)
    out += diff_triggers(expected, actual, spans, one_sided)
    out += diff_policies(expected, actual, spans, one_sided)
    out += diff_grants(expected, actual, spans)
    if not comments:
        out = _summarise_comments(out, actual)
    out += diff_catalog_kinds(expected, actual, doc, one_sided)
    return sorted_diagnostics(out)


# Privileges a server version introduced: a grant of one is not drift against an older server.
_PRIVILEGE_SINCE = {"MAINTAIN": 170000}


def _within_version(schema: Schema, version: int) -> Schema:
    """``schema`` without what a server of ``version`` cannot hold."""
    grants = tuple(g for g in schema.grants if _PRIVILEGE_SINCE.get(g.privilege.upper(), 0) <= version)
    return replace(schema, grants=grants)


def _summarise_comments(diags: list[Diagnostic], actual: Schema) -> list[Diagnostic]:
    """Description-vs-comment differences as one line per table (or view, function...).
    A database that holds no comment at all was not documented with COMMENT ON: its
    missing comments are a note, not a warning."""
    comment_diags = [d for d in diags if d.code == COMMENT_CHANGED]
    if not comment_diags:
        return diags
    rest = [d for d in diags if d.code != COMMENT_CHANGED]
    has_comments = _any_comment(actual)
    groups: dict[str, list[Diagnostic]] = {}
    for d in comment_diags:
        groups.setdefault(d.subject or "", []).append(d)
    for subject, found in sorted(groups.items()):
        spans = sorted(d.span for d in found if d.span)
        level: Level = COMMENT_LEVEL if has_comments else "note"
        why = "" if has_comments else " (the database holds no comments at all)"
        rest.append(
            Diagnostic(
                COMMENTS_SUMMARY,
                level,
                f"{subject}: {len(found)} description(s) differ from the database's comments{why}",
                spans[0] if spans else None,
                "run verify with --comments to list each one",
                subject=subject,
            )
        )
    return rest


def _any_comment(schema: Schema) -> bool:
    for t in schema.tables.values():
        if t.comment is not None or any(c.comment is not None for c in t.columns):
            return True
    return (
        any(v.comment is not None for v in schema.views.values())
        or any(f.comment is not None for f in schema.functions.values())
        or any(i.comment is not None for i in schema.indexes.values())
    )


def _relations(schema: Schema) -> set[QName]:
    return set(schema.tables) | set(schema.views)


# --- schemas, extensions, types --------------------------------------------------


def diff_schema_names(expected: Schema, actual: Schema) -> list[Diagnostic]:
    out = [
        drift(
            SCHEMA_MISSING,
            f"schema {s} is missing from the database",
            None,
            f"CREATE SCHEMA {quote_ident(s)}",
        )
        for s in sorted(set(expected.schemas) - set(actual.schemas))
    ]
    out += [
        drift(SCHEMA_EXTRA, f"schema {s} is in the database but not in the document", None)
        for s in sorted(set(actual.schemas) - set(expected.schemas))
    ]
    return out


def diff_extensions(expected: Schema, actual: Schema, spans: DocSpans) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for name in sorted(set(expected.extensions) | set(actual.extensions)):
        e, a = expected.extensions.get(name), actual.extensions.get(name)
        if a is None:
            out.append(
                drift(
                    EXTENSION_MISSING,
                    f"extension {name} is not installed in the database",
                    spans.extension(name),
                    f"CREATE EXTENSION {quote_ident(name)}",
                )
            )
        elif e is None:
            # the document asks for it but the scratch server could not install it
            if not spans.stated_extension(name):
                out.append(
                    drift(EXTENSION_EXTRA, f"extension {name} is installed but not in the document", None)
                )
        elif e.schema != a.schema:
            out.append(
                drift(
                    EXTENSION_SCHEMA,
                    f"extension {name} is installed in schema {a.schema}, the document puts it in {e.schema}",
                    spans.extension(name),
                )
            )
    return out


def diff_enums(expected: Schema, actual: Schema, spans: DocSpans) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for qname in sorted(set(expected.enums) | set(actual.enums)):
        e, a = expected.enums.get(qname), actual.enums.get(qname)
        if a is None:
            out.append(drift(ENUM_MISSING, f"enum {qname} is missing from the database", spans.enum(qname)))
        elif e is None:
            out.append(drift(ENUM_EXTRA, f"enum {qname} is in the database but not in the document", None))
        else:
            written = spans.enum_labels(qname)
            out += diff_enum_labels(e, a, spans.enum(qname), order_stated=not _sorted_listing(written))
    return out


def _sorted_listing(labels: tuple[str, ...] | None) -> bool:
    """A document whose labels are in alphabetical order may have been written by a
    generator that sorts them: it does not state PostgreSQL's order."""
    return labels is not None and len(labels) > 2 and list(labels) == sorted(labels)


def diff_enum_labels(
    expected: Enum, actual: Enum, span: Span | None, *, order_stated: bool = True
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    missing = [lab for lab in expected.labels if lab not in actual.labels]
    extra = [lab for lab in actual.labels if lab not in expected.labels]
    for label in missing:
        out.append(
            drift(
                ENUM_LABEL_MISSING,
                f"enum {expected.qname}: label {label!r} is missing from the database",
                span,
                f"ALTER TYPE {quote_qualified(expected.qname)} ADD VALUE '{label}'",
            )
        )
    for label in extra:
        out.append(
            drift(ENUM_LABEL_EXTRA, f"enum {expected.qname}: label {label!r} is in the database only", span)
        )
    common_e = [lab for lab in expected.labels if lab in actual.labels]
    common_a = [lab for lab in actual.labels if lab in expected.labels]
    if common_e != common_a:
        if order_stated:
            out.append(
                drift(
                    ENUM_LABEL_ORDER,
                    f"enum {expected.qname}: labels are in another order in the database "
                    f"({', '.join(common_a)}; document: {', '.join(common_e)})",
                    span,
                )
            )
        else:
            out.append(
                drift(
                    ENUM_ORDER_UNSTATED,
                    f"enum {expected.qname}: the document lists its labels sorted, so their order is not "
                    f"compared (database order: {', '.join(common_a)})",
                    span,
                    level="note",
                )
            )
    return out


def diff_domains(expected: Schema, actual: Schema, spans: DocSpans) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for qname in sorted(set(expected.domains) | set(actual.domains)):
        e, a = expected.domains.get(qname), actual.domains.get(qname)
        if a is None:
            out.append(
                drift(DOMAIN_MISSING, f"domain {qname} is missing from the database", spans.domain(qname))
            )
        elif e is None:
            out.append(
                drift(DOMAIN_EXTRA, f"domain {qname} is in the database but not in the document", None)
            )
        elif e != a:
            out.append(
                drift(
                    DOMAIN_CHANGED,
                    f"domain {qname} differs: database has {_domain_text(a)}; "
                    f"document says {_domain_text(e)}",
                    spans.domain(qname),
                )
            )
    return out


def _domain_text(d: Domain) -> str:
    text = d.base_type
    if not d.nullable:
        text += " NOT NULL"
    if d.default is not None:
        text += f" DEFAULT {d.default}"
    for check in d.checks:
        text += f" CHECK ({check})"
    return text


def diff_sequences(expected: Schema, actual: Schema, spans: DocSpans) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for qname in sorted(set(expected.sequences) | set(actual.sequences)):
        e, a = expected.sequences.get(qname), actual.sequences.get(qname)
        if a is None:
            out.append(
                drift(
                    SEQUENCE_MISSING, f"sequence {qname} is missing from the database", spans.sequence(qname)
                )
            )
        elif e is None:
            out.append(
                drift(SEQUENCE_EXTRA, f"sequence {qname} is in the database but not in the document", None)
            )
        elif e != a:
            out.append(
                drift(
                    SEQUENCE_CHANGED,
                    f"sequence {qname} differs: database has {a.data_type} owned by {show(a.owned_by)}; "
                    f"document says {e.data_type} owned by {show(e.owned_by)}",
                    spans.sequence(qname),
                )
            )
    return out


# --- views, functions, triggers, policies, grants ---------------------------------


def diff_views(expected: Schema, actual: Schema, spans: DocSpans) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for qname in sorted(set(expected.views) | set(actual.views)):
        e, a = expected.views.get(qname), actual.views.get(qname)
        if a is None:
            assert e is not None
            kind = "materialized view" if e.materialized else "view"
            out.append(drift(VIEW_MISSING, f"{kind} {qname} is missing from the database", spans.view(qname)))
        elif e is None:
            kind = "materialized view" if a.materialized else "view"
            out.append(drift(VIEW_EXTRA, f"{kind} {qname} is in the database but not in the document", None))
        else:
            out += diff_view(e, a, spans.view(qname))
    return out


def same_view_definition(expected: str, actual: str) -> bool:
    """Whether two printed view definitions are the same query. PostgreSQL 15 prints
    every column of a view qualified (``orders.id``), 16 and later only when the query
    reads more than one relation; a single-relation query is compared unqualified."""
    if normalize_sql(expected) == normalize_sql(actual):
        return True
    plain = _unqualified(expected)
    return plain is not None and plain == _unqualified(actual)


def _unqualified(definition: str) -> str | None:
    try:
        stmts = parse_sql(definition)
    except ParseError:
        return None
    stmt = stmts[0].stmt if len(stmts) == 1 else None
    if not isinstance(stmt, ast.SelectStmt) or not stmt.fromClause or len(stmt.fromClause) != 1:
        return None
    rel = stmt.fromClause[0]
    if not isinstance(rel, ast.RangeVar) or not rel.relname:
        return None
    name = str(rel.alias.aliasname if rel.alias else rel.relname)
    text = normalize_sql(definition) or ""
    return re.sub(rf'(?<![\w."$]){re.escape(quote_ident(name))}\.(?=[\w"])', "", text)


def diff_view(expected: View, actual: View, span: Span | None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    q = expected.qname
    if expected.materialized != actual.materialized:
        out.append(
            drift(
                VIEW_CHANGED,
                f"{q} is {'a materialized view' if actual.materialized else 'a view'} in the database, "
                f"the document says {'a materialized view' if expected.materialized else 'a view'}",
                span,
            )
        )
    if not same_view_definition(expected.definition, actual.definition):
        out.append(
            drift(
                VIEW_CHANGED,
                f"view {q} has another definition in the database: {normalize_sql(actual.definition)}; "
                f"the document says: {normalize_sql(expected.definition)}",
                span,
                f"CREATE OR REPLACE VIEW {quote_qualified(q)} AS ...",
            )
        )
    elif expected.columns != actual.columns:
        out.append(
            drift(
                VIEW_CHANGED,
                f"view {q} has columns ({cols(actual.columns)}) in the database, "
                f"the document says ({cols(expected.columns)})",
                span,
            )
        )
    if expected.comment != actual.comment:
        out.append(_comment_diag(f"view {q}", expected.comment, actual.comment, span, f"view {q}"))
    return out


def diff_functions(expected: Schema, actual: Schema, spans: DocSpans) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for sig in sorted(set(expected.functions) | set(actual.functions)):
        e, a = expected.functions.get(sig), actual.functions.get(sig)
        if a is None:
            assert e is not None
            out.append(
                drift(FUNCTION_MISSING, f"{e.kind} {sig} is missing from the database", spans.function(e))
            )
        elif e is None:
            out.append(
                drift(FUNCTION_EXTRA, f"{a.kind} {sig} is in the database but not in the document", None)
            )
        else:
            out += diff_function(e, a, spans.function(e))
    return out


def diff_function(expected: Function, actual: Function, span: Span | None) -> list[Diagnostic]:
    sig = expected.signature
    out: list[Diagnostic] = []
    if normalize_sql(expected.body) != normalize_sql(actual.body):
        out.append(
            drift(
                FUNCTION_BODY,
                f"{expected.kind} {sig} has another body in the database",
                span,
                "CREATE OR REPLACE it from the document",
            )
        )
    for label, ev, av in (
        ("kind", expected.kind, actual.kind),
        ("result type", expected.returns, actual.returns),
        ("language", expected.language, actual.language),
        ("volatility", expected.volatility, actual.volatility),
        ("SECURITY DEFINER", str(expected.security_definer), str(actual.security_definer)),
    ):
        if ev != av:
            out.append(
                drift(
                    FUNCTION_CHANGED,
                    f"{expected.kind} {sig}: {label} is {av} in the database, the document says {ev}",
                    span,
                )
            )
    if expected.comment != actual.comment:
        out.append(
            _comment_diag(
                f"{expected.kind} {sig}", expected.comment, actual.comment, span, f"{expected.kind} {sig}"
            )
        )
    return out


def trigger_text(t: Trigger) -> str:
    """A trigger's definition in one line (without its name)."""
    text = (
        f"{t.timing} {' OR '.join(t.events)} ON {t.table} FOR EACH {'ROW' if t.for_each_row else 'STATEMENT'}"
    )
    if t.when:
        text += f" WHEN ({t.when})"
    args = ", ".join(repr(a) for a in t.function_args)
    return text + f" EXECUTE FUNCTION {t.function}({args})"


def diff_triggers(expected: Schema, actual: Schema, spans: DocSpans, skip: set[QName]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for key in sorted(set(expected.triggers) | set(actual.triggers)):
        e, a = expected.triggers.get(key), actual.triggers.get(key)
        some = e or a
        if some is None or some.table in skip:
            continue
        if a is None:
            assert e is not None
            out.append(
                drift(
                    TRIGGER_MISSING,
                    f"trigger {e.name} on {e.table} is missing from the database: {trigger_text(e)}",
                    spans.trigger(e),
                )
            )
        elif e is None:
            out.append(
                drift(
                    TRIGGER_EXTRA,
                    f"trigger {a.name} on {a.table} is in the database but not in the document: "
                    f"{trigger_text(a)}",
                    spans.table(a.table),
                )
            )
        elif e != a:
            out.append(
                drift(
                    TRIGGER_CHANGED,
                    f"trigger {e.name} on {e.table} differs: database has {trigger_text(a)}; "
                    f"document says {trigger_text(e)}",
                    spans.trigger(e),
                )
            )
    return out


def _policy_text(p: Policy) -> str:
    text = f"{'PERMISSIVE' if p.permissive else 'RESTRICTIVE'} FOR {p.command} TO {', '.join(p.roles)}"
    if p.using is not None:
        text += f" USING ({p.using})"
    if p.with_check is not None:
        text += f" WITH CHECK ({p.with_check})"
    return text


def diff_policies(expected: Schema, actual: Schema, spans: DocSpans, skip: set[QName]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for key in sorted(set(expected.policies) | set(actual.policies)):
        e, a = expected.policies.get(key), actual.policies.get(key)
        some = e or a
        if some is None or some.table in skip:
            continue
        if a is None:
            assert e is not None
            out.append(
                drift(
                    POLICY_MISSING,
                    f"policy {e.name} on {e.table} is missing from the database: {_policy_text(e)}",
                    spans.policy(e),
                )
            )
        elif e is None:
            out.append(
                drift(
                    POLICY_EXTRA,
                    f"policy {a.name} on {a.table} is in the database but not in the document: "
                    f"{_policy_text(a)}",
                    spans.table(a.table),
                )
            )
        elif e != a:
            out.append(
                drift(
                    POLICY_CHANGED,
                    f"policy {e.name} on {e.table} differs: database has {_policy_text(a)}; "
                    f"document says {_policy_text(e)}",
                    spans.policy(e),
                )
            )
    return out


def _grant_text(g: Grant) -> str:
    return f"{g.privilege} ON {g.object_type} {g.object_name} TO {g.grantee}"


def diff_grants(expected: Schema, actual: Schema, spans: DocSpans) -> list[Diagnostic]:
    """Grants on objects both sides have (a missing object is reported by itself)."""

    one_sided = _grant_objects(expected) ^ _grant_objects(actual)

    def on_common(g: Grant) -> bool:
        return (g.object_type, g.object_name) not in one_sided

    pairs, missing, extra = match_by_key(
        [g for g in expected.grants if on_common(g)], [g for g in actual.grants if on_common(g)], grant_key
    )
    # When every privilege one grantee has on one object is gone, that is one lost grant, not seven.
    held = {(g.object_type, g.object_name, g.grantee) for g in actual.grants}
    whole: dict[tuple[str, QName | str, str], list[Grant]] = {}
    for g in missing:
        key = (g.object_type, g.object_name, g.grantee)
        if key not in held:
            whole.setdefault(key, []).append(g)
    out = [
        drift(
            GRANT_MISSING,
            f"grant {_grant_text(g)} is missing from the database",
            spans.grant(g),
            None
            if g.object_type == "FUNCTION"
            else f"GRANT {g.privilege} ON {g.object_type} {g.object_name} TO {quote_ident(g.grantee)}",
        )
        for g in missing
        if (g.object_type, g.object_name, g.grantee) not in whole
        or len(whole[(g.object_type, g.object_name, g.grantee)]) == 1
    ]
    for (obj_type, obj_name, grantee), lost in sorted(whole.items()):
        if len(lost) < 2:
            continue
        privileges = ", ".join(sorted(g.privilege for g in lost))
        out.append(
            drift(
                GRANT_MISSING,
                f"grant ALL ON {obj_type} {obj_name} TO {grantee} is missing from the database "
                f"(none of {privileges})",
                spans.grant(lost[0]),
                None
                if obj_type == "FUNCTION"
                else f"GRANT {privileges} ON {obj_type} {obj_name} TO {quote_ident(grantee)}",
            )
        )
    out += [
        drift(
            GRANT_EXTRA,
            f"the database grants {_grant_text(g)}, the document does not",
            spans.grant(g),
        )
        for g in extra
    ]
    for e, a in pairs:
        if e.with_grant_option != a.with_grant_option:
            out.append(
                drift(
                    GRANT_OPTION,
                    f"grant {_grant_text(e)} is {'' if a.with_grant_option else 'not '}WITH GRANT OPTION "
                    f"in the database, the document says {'' if e.with_grant_option else 'not '}"
                    "WITH GRANT OPTION",
                    spans.grant(e),
                )
            )
    return out


def _grant_objects(schema: Schema) -> set[tuple[str, QName | str]]:
    """Objects that can carry grants, as (object type, name) like :class:`Grant` has them."""
    objects: set[tuple[str, QName | str]] = {("TABLE", q) for q in schema.tables}
    objects |= {("TABLE", q) for q in schema.views}
    objects |= {("SEQUENCE", q) for q in schema.sequences}
    objects |= {("FUNCTION", sig) for sig in schema.functions}
    objects |= {("SCHEMA", s) for s in (*schema.schemas, "public")}
    objects |= {("TYPE", q) for q in (*schema.enums, *schema.domains)}
    return objects
