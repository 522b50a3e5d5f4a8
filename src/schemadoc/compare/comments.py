"""Typed changes of comments (the document's descriptions against COMMENT ON in the database),
the comparison that finds them, and their summary per table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from schemadoc.compare.changes import Change, Lock, Step
from schemadoc.compare.codes import COMMENT_CHANGED, COMMENT_LEVEL, COMMENTS_SUMMARY
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.text import show
from schemadoc.diagnostics import Diagnostic, Level
from schemadoc.model import Index, QName, Schema, Span
from schemadoc.records import record
from schemadoc.write.ddl_comments import CommentTarget, comment_on_statement


def describe(target: CommentTarget) -> str:
    """The object a comment belongs to, as the report names it."""
    if target.kind == "COLUMN":
        return f"column {target.name}.{target.column}"
    if target.kind in ("FUNCTION", "PROCEDURE"):
        return f"{target.kind.lower()} {target.name}({target.arguments})"
    if target.kind == "MATERIALIZED VIEW":
        return f"view {target.name}"
    return f"{target.kind.lower()} {target.name}"


@record
class ChangeComment(Change):
    """A description that differs from the database's comment (None: no comment). ``subject``
    is the table (or view, routine) it belongs to, for the summary."""

    code: ClassVar[str] = COMMENT_CHANGED
    level: ClassVar[Level] = COMMENT_LEVEL
    target: CommentTarget
    expected: str | None
    actual: str | None

    def message(self) -> str:
        e, a = self.expected, self.actual
        return (
            f"{describe(self.target)}: comment is {show(repr(a) if a is not None else None)} in the database, "
            f"the document says {show(repr(e) if e is not None else None)}"
        )

    def steps(self) -> tuple[Step, ...]:
        sql = comment_on_statement(self.target, self.expected).sql
        if self.target.kind in ("FUNCTION", "PROCEDURE", "TYPE"):
            return (Step(sql, Lock.NONE),)
        # COMMENT ON a relation or its column takes SHARE UPDATE EXCLUSIVE on it: writes go on
        return (Step(sql, Lock.SHARE_UPDATE_EXCLUSIVE, self.target.name),)

    def inverse(self) -> Change:
        return ChangeComment(
            target=self.target,
            expected=self.actual,
            actual=self.expected,
            span=self.span,
            subject=self.subject,
        )


@record
class CommentsSummary(Change):
    """The comment changes of one table (or view, routine) as one line. A database that holds
    no comment at all was not documented with COMMENT ON: its missing comments are a note, not
    a warning. The steps are those of every comment it sums up."""

    code: ClassVar[str] = COMMENTS_SUMMARY
    level: ClassVar[Level] = COMMENT_LEVEL
    about: str
    comments: tuple[Change, ...]
    database_has_comments: bool = True

    def message(self) -> str:
        why = "" if self.database_has_comments else " (the database holds no comments at all)"
        return f"{self.about}: {len(self.comments)} description(s) differ from the database's comments{why}"

    def diagnostic(self) -> Diagnostic:
        level: Level = COMMENT_LEVEL if self.database_has_comments else "note"
        return Diagnostic(self.code, level, self.message(), self.span, self.hint_text, subject=self.subject)

    def steps(self) -> tuple[Step, ...]:
        return tuple(step for c in self.comments for step in c.steps())


def summarise_comments(changes: Sequence[Change], actual: Schema) -> list[Change]:
    """``changes`` with the comment changes summed up, one per table (or view, routine)."""
    found = [c for c in changes if isinstance(c, ChangeComment)]
    if not found:
        return list(changes)
    rest: list[Change] = [c for c in changes if not isinstance(c, ChangeComment)]
    has_comments = any_comment(actual)
    groups: dict[str, list[Change]] = {}
    for c in found:
        groups.setdefault(c.subject or "", []).append(c)
    for subject, members in sorted(groups.items()):
        spans = sorted(c.span for c in members if c.span)
        rest.append(
            CommentsSummary(
                about=subject,
                comments=tuple(members),
                database_has_comments=has_comments,
                span=spans[0] if spans else None,
                hint_text="run verify with --comments to list each one",
                subject=subject,
            )
        )
    return rest


def any_comment(schema: Schema) -> bool:
    for t in schema.tables.values():
        if t.comment is not None or any(c.comment is not None for c in t.columns):
            return True
    return (
        any(v.comment is not None for v in schema.views.values())
        or any(f.comment is not None for f in schema.functions.values())
        or any(i.comment is not None for i in schema.indexes.values())
    )


def _change(
    target: CommentTarget, expected: str | None, actual: str | None, span: Span | None, subject: str
) -> ChangeComment:
    return ChangeComment(target=target, expected=expected, actual=actual, span=span, subject=subject)


def diff_comments(
    expected: Schema, actual: Schema, spans: DocSpans, index_pairs: Iterable[tuple[Index, Index]]
) -> list[Change]:
    """Comments on tables, their columns, indexes (``index_pairs``: the indexes the index
    comparison paired), views and routines that both sides have."""
    out: list[Change] = []
    for q in sorted(set(expected.tables) & set(actual.tables)):
        e, a = expected.tables[q], actual.tables[q]
        if e.comment != a.comment:
            out.append(_change(CommentTarget("TABLE", q), e.comment, a.comment, spans.table(q), f"table {q}"))
        held = {c.name: c.comment for c in a.columns}
        for col in e.columns:
            if col.name in held and col.comment != held[col.name]:
                target = CommentTarget("COLUMN", q, col.name)
                out.append(
                    _change(target, col.comment, held[col.name], spans.column(q, col.name), f"table {q}")
                )
    for ei, ai in index_pairs:
        if ei.comment != ai.comment:
            target = CommentTarget("INDEX", ei.qname)
            out.append(_change(target, ei.comment, ai.comment, spans.index(ei), f"table {ei.table}"))
    for q in sorted(set(expected.views) & set(actual.views)):
        ev, av = expected.views[q], actual.views[q]
        if ev.comment != av.comment:
            target = CommentTarget("MATERIALIZED VIEW" if ev.materialized else "VIEW", q)
            out.append(_change(target, ev.comment, av.comment, spans.view(q), f"view {q}"))
    for sig in sorted(set(expected.functions) & set(actual.functions)):
        ef, af = expected.functions[sig], actual.functions[sig]
        if ef.comment != af.comment:
            target = CommentTarget(
                "PROCEDURE" if ef.kind == "procedure" else "FUNCTION",
                QName(ef.schema, ef.name),
                arguments=ef.arguments,
            )
            out.append(_change(target, ef.comment, af.comment, spans.function(ef), f"{ef.kind} {sig}"))
    return out
