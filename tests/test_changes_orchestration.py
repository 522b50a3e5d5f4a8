"""How the comparisons join into one list of typed changes: diagnostics of the kinds that do not
have typed changes yet become Noted changes, comment differences come from the comment
comparison only, and ``diff_schemas`` is the diagnostic view of ``diff_changes``."""

from __future__ import annotations

from schemadoc.compare import codes
from schemadoc.compare.changes import Noted
from schemadoc.compare.comments import ChangeComment
from schemadoc.compare.diff import as_changes, diff_changes, diff_schemas
from schemadoc.compare.types import CreateSchema
from schemadoc.diagnostics import Diagnostic, sorted_diagnostics
from schemadoc.model import Column, QName, Schema, Span, Table
from schemadoc.write.ddl_comments import CommentTarget

ITEMS = QName("public", "items")


def test_diagnostics_join_as_noted_and_comments_are_left_to_the_comment_comparison() -> None:
    kept = Diagnostic(codes.COLUMN_TYPE, "error", "column type differs", Span("doc.md", 3), "hint")
    comment = Diagnostic(codes.COMMENT_CHANGED, "warning", "comment differs", Span("doc.md", 4))
    typed = CreateSchema(name="extra")
    typed_comment = ChangeComment(target=CommentTarget("TABLE", ITEMS), expected="a", actual=None)
    joined = as_changes([kept, comment, typed, typed_comment, Noted.of(comment)])
    assert joined == [Noted.of(kept), typed]
    assert joined[0].diagnostic() == kept and joined[0].steps() == ()


def _table(comment: str | None, column_comment: str | None) -> Table:
    return Table(
        "public", "items", columns=(Column("id", "integer", comment=column_comment),), comment=comment
    )


def test_comments_of_tables_and_columns_are_typed_changes_once() -> None:
    expected = Schema(tables={ITEMS: _table("what we sell", "key")}, schemas=("extra",))
    actual = Schema(tables={ITEMS: _table(None, None)})
    changes = diff_changes(expected, actual)
    assert [type(c).__name__ for c in changes] == ["CreateSchema", "ChangeComment", "ChangeComment"]
    assert [s.sql for c in changes[1:] for s in c.steps()] == [
        "COMMENT ON TABLE public.items IS 'what we sell'",
        "COMMENT ON COLUMN public.items.id IS 'key'",
    ]
    listed = diff_schemas(expected, actual, comments=True)
    assert listed == sorted_diagnostics(c.diagnostic() for c in changes)
    summed = diff_schemas(expected, actual)
    assert [d.code for d in summed] == [codes.SCHEMA_MISSING, codes.COMMENTS_SUMMARY]
    assert summed[1].level == "note"  # the database holds no comment at all
