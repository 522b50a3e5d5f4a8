"""COMMENT ON for the descriptions a document gives its objects."""

from __future__ import annotations

from typing import Literal

from schemadoc.model import Index, QName, Schema, Table
from schemadoc.records import record
from schemadoc.sqlnames import quote_ident, quote_literal, quote_qualified
from schemadoc.write.ddl_routines import function_signature_sql, identity_arguments
from schemadoc.write.ddl_tables import ordered_tables
from schemadoc.write.statement import Statement

CommentKind = Literal[
    "TABLE", "COLUMN", "VIEW", "MATERIALIZED VIEW", "INDEX", "FUNCTION", "PROCEDURE", "TYPE"
]


@record
class CommentTarget:
    """What one COMMENT ON is about: a relation, a column of it (``column``), a type, or a
    routine (``arguments``: its argument list as SQL)."""

    kind: CommentKind
    name: QName
    column: str | None = None
    arguments: str = ""

    def sql(self) -> str:
        if self.kind == "COLUMN":
            return f"COLUMN {quote_qualified(self.name)}.{quote_ident(self.column or '')}"
        if self.kind in ("FUNCTION", "PROCEDURE"):
            return f"{self.kind} {quote_qualified(self.name)}({identity_arguments(self.arguments)})"
        return f"{self.kind} {quote_qualified(self.name)}"


def comment_on_statement(target: CommentTarget, text: str | None) -> Statement:
    """COMMENT ON ``target`` IS ``text`` (IS NULL removes the comment)."""
    value = "NULL" if text is None else quote_literal(text)
    return Statement(f"COMMENT ON {target.sql()} IS {value}", None, "comment")


def comment_statements(schema: Schema) -> list[Statement]:
    out: list[Statement] = []
    for key in sorted(schema.enums):
        enum = schema.enums[key]
        if enum.comment is not None:
            text = f"COMMENT ON TYPE {quote_qualified(enum.qname)} IS {quote_literal(enum.comment)}"
            out.append(Statement(text, enum.span, "comment"))
    for table in ordered_tables(schema):
        out.extend(_table_comments(table))
    for key in sorted(schema.views):
        view = schema.views[key]
        if view.comment is not None:
            word = "MATERIALIZED VIEW" if view.materialized else "VIEW"
            text = f"COMMENT ON {word} {quote_qualified(view.qname)} IS {quote_literal(view.comment)}"
            out.append(Statement(text, view.span, "comment"))
    out.extend(_index_comments(schema.indexes))
    for signature in sorted(schema.functions):
        fn = schema.functions[signature]
        if fn.comment is not None:
            word = "PROCEDURE" if fn.kind == "procedure" else "FUNCTION"
            text = f"COMMENT ON {word} {function_signature_sql(fn)} IS {quote_literal(fn.comment)}"
            out.append(Statement(text, fn.span, "comment"))
    return out


def _table_comments(table: Table) -> list[Statement]:
    out: list[Statement] = []
    name = quote_qualified(table.qname)
    if table.comment is not None:
        out.append(
            Statement(f"COMMENT ON TABLE {name} IS {quote_literal(table.comment)}", table.span, "comment")
        )
    for col in table.columns:
        if col.comment is not None:
            text = f"COMMENT ON COLUMN {name}.{quote_ident(col.name)} IS {quote_literal(col.comment)}"
            out.append(Statement(text, col.span or table.span, "comment"))
    return out


def _index_comments(indexes: dict[QName, Index]) -> list[Statement]:
    out: list[Statement] = []
    for key in sorted(indexes):
        index = indexes[key]
        if index.comment is not None:
            text = f"COMMENT ON INDEX {quote_qualified(index.qname)} IS {quote_literal(index.comment)}"
            out.append(Statement(text, index.span, "comment"))
    return out


def table_comment_statements(table: Table, indexes: dict[QName, Index]) -> list[Statement]:
    """The comments of one table, its columns and ``indexes`` (its own), as
    :func:`comment_statements` orders them."""
    return [*_table_comments(table), *_index_comments(indexes)]
