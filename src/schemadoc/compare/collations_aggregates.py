"""Comparing collations and aggregates.

Both schemas come from real databases read with the same catalog queries (the document's side
from its scratch build), so equal objects print the same text and compare equal field by field.
Spans come from ``doc``, the model read from the document, when it is given.
"""

from __future__ import annotations

from schemadoc.diagnostics import (
    AGGREGATE_CHANGED,
    AGGREGATE_EXTRA,
    AGGREGATE_MISSING,
    COLLATION_CHANGED,
    COLLATION_EXTRA,
    COLLATION_MISSING,
    Code,
    Diagnostic,
)
from schemadoc.model import Aggregate, Collation, Schema, Span
from schemadoc.write.ddl_kinds import aggregate_statement, collation_statement


def _d(code: Code, message: str, span: Span | None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code.code, code.level, message, span, hint)


def collation_text(c: Collation) -> str:
    locale = c.lc_collate if c.lc_collate == c.lc_ctype else f"{c.lc_collate} / {c.lc_ctype}"
    return f"provider {c.provider}, locale {locale}" + ("" if c.deterministic else ", nondeterministic")


def aggregate_text(a: Aggregate) -> str:
    parts = [f"sfunc {a.state_function}", f"stype {a.state_type}"]
    if a.final_function:
        parts.append(f"finalfunc {a.final_function}")
    if a.combine_function:
        parts.append(f"combinefunc {a.combine_function}")
    if a.initial_condition is not None:
        parts.append(f"initcond {a.initial_condition!r}")
    return ", ".join(parts)


def diff_collations(expected: Schema, actual: Schema, doc: Schema | None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for qname in sorted(set(expected.collations) | set(actual.collations)):
        e, a = expected.collations.get(qname), actual.collations.get(qname)
        found = doc.collations.get(qname) if doc else None
        span = found.span if found else None
        if a is None and e is not None:
            hint = collation_statement(found or e).sql
            out.append(_d(COLLATION_MISSING, f"collation {qname} is missing from the database", span, hint))
        elif e is None and a is not None:
            out.append(
                _d(COLLATION_EXTRA, f"collation {qname} is in the database but not in the document", None)
            )
        elif e is not None and a is not None and e != a:
            out.append(
                _d(
                    COLLATION_CHANGED,
                    f"collation {qname} differs: database has {collation_text(a)}; document says {collation_text(e)}",
                    span,
                )
            )
    return out


def diff_aggregates(expected: Schema, actual: Schema, doc: Schema | None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    doc_by_name = {a.qname: a for a in doc.aggregates.values()} if doc else {}
    for key in sorted(set(expected.aggregates) | set(actual.aggregates)):
        e, a = expected.aggregates.get(key), actual.aggregates.get(key)
        named = e or a
        found = doc_by_name.get(named.qname) if named is not None else None
        span = found.span if found else None
        if a is None and e is not None:
            hint = aggregate_statement(found or e).sql
            out.append(_d(AGGREGATE_MISSING, f"aggregate {key} is missing from the database", span, hint))
        elif e is None and a is not None:
            out.append(
                _d(AGGREGATE_EXTRA, f"aggregate {key} is in the database but not in the document", None)
            )
        elif e is not None and a is not None and e != a:
            out.append(
                _d(
                    AGGREGATE_CHANGED,
                    f"aggregate {key} differs: database has {aggregate_text(a)}; document says {aggregate_text(e)}",
                    span,
                )
            )
    return out
