"""One DDL statement with the document line it comes from."""

from __future__ import annotations

from dataclasses import field

from schemadoc.model import Span
from schemadoc.records import record


@record
class Part:
    """A piece of a statement's SQL (a column definition, a table constraint...) and where the
    document wrote it: ``sql[start:end]`` is the piece."""

    start: int
    end: int
    span: Span | None


@record
class Statement:
    """An SQL statement without its trailing semicolon.

    ``kind`` is one of: extension, role, schema, type, table, constraint, index,
    function, view, trigger, grant, rls, policy, comment, sequence. ``parts`` locate the
    pieces of the SQL that other lines of the document wrote (empty when the whole statement
    comes from ``span``).
    """

    sql: str
    span: Span | None
    kind: str
    parts: tuple[Part, ...] = field(default=(), compare=False)

    def span_at(self, position: int) -> Span | None:
        """The document span of the SQL at ``position``, a 1-based character offset as
        PostgreSQL reports an error's position; the statement's span when no part with a
        span holds that character."""
        offset = position - 1
        for part in self.parts:
            if part.start <= offset < part.end and part.span is not None:
                return part.span
        return self.span

    def text_at(self, position: int) -> str:
        """The SQL of the part holding ``position`` (the whole statement when none does)."""
        offset = position - 1
        for part in self.parts:
            if part.start <= offset < part.end and part.span is not None:
                return self.sql[part.start : part.end]
        return self.sql


def dollar_quote(body: str, tag: str = "body") -> str:
    """``body`` between dollar quotes whose tag does not occur in it."""
    candidate = tag
    n = 0
    while f"${candidate}$" in body:
        n += 1
        candidate = f"{tag or 'q'}{n}"
    return f"${candidate}${body}${candidate}$"
