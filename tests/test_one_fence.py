"""A whole schema in one SQL fence: every object is read, and the block-wide word lookups
answer the same however often they are asked."""

from __future__ import annotations

from pathlib import Path

from schemadoc.model import QName
from schemadoc.read import read_documents
from schemadoc.read.sql_source import SqlSource


def test_mentions_answers_each_word_the_same_every_time() -> None:
    src = SqlSource("CREATE TABLE a (id int REFERENCES b ON DELETE No Action);", file="d.md", line=3)
    for _ in range(3):
        assert src.mentions(b"action")
        assert src.mentions(b"delete")
        assert not src.mentions(b"cascade")
        assert not src.mentions(b"update")


def table(i: int) -> str:
    action = ("CASCADE", "SET NULL", "RESTRICT", "NO ACTION")[i % 4]
    refs = f" REFERENCES t{i - 1:03d} (id) ON DELETE {action}" if i else ""
    return (
        f"CREATE TABLE t{i:03d} (\n"
        "  id int PRIMARY KEY,\n"
        f"  parent_id int{refs},\n"
        "  n int NOT NULL CHECK (n > 0)\n"
        ");\n"
        f"CREATE INDEX t{i:03d}_parent_idx ON t{i:03d} (parent_id) WHERE n > 1;\n"
        f"COMMENT ON TABLE t{i:03d} IS 'table {i}';\n"
    )


def test_every_inline_foreign_key_of_one_fence_is_read(tmp_path: Path) -> None:
    count = 40
    doc = tmp_path / "one.md"
    doc.write_text("# One fence\n\n```sql\n" + "".join(table(i) for i in range(count)) + "```\n")
    schema, diags = read_documents([doc])
    assert [d for d in diags if d.level == "error"] == []
    assert len(schema.tables) == count
    for i in range(1, count):
        t = schema.tables[QName("public", f"t{i:03d}")]
        (fk,) = t.foreign_keys
        assert fk.ref_table == QName("public", f"t{i - 1:03d}")
        assert fk.on_delete == ("CASCADE", "SET NULL", "RESTRICT", "NO ACTION")[i % 4]
        assert t.comment == f"table {i}"
        assert [c.expression for c in t.checks] == ["n > 0"]
        (index,) = schema.indexes_on(t.qname)
        assert index.name == f"t{i:03d}_parent_idx" and index.where == "n > 1"
