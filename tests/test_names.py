"""One name type: a qualified name is (schema, name), never a dotted string split again. Names
with dots, quotes, spaces, unicode and reserved words go through read, sql, up, introspection and
verify unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from schemadoc.cli import main
from schemadoc.model import QName, qualify
from schemadoc.pg.introspect import introspect
from schemadoc.read import read_documents
from schemadoc.sqlnames import parse_qualified, quote_qualified

ODD = '''# Odd names

```sql
CREATE SCHEMA "My Schema";
CREATE TABLE "odd.name" (id bigint PRIMARY KEY, "select" text NOT NULL, "ünï côdé" int DEFAULT 1);
CREATE TABLE "My Schema"."Child ""Q""" (
  id bigint PRIMARY KEY,
  parent_id bigint REFERENCES "odd.name"(id) ON DELETE CASCADE,
  "user" text UNIQUE
);
CREATE INDEX "idx.dots" ON "My Schema"."Child ""Q""" (parent_id);
CREATE VIEW "v.w" AS SELECT id FROM "odd.name";
COMMENT ON TABLE "odd.name" IS 'dotted';
COMMENT ON COLUMN "odd.name"."select" IS 'reserved';
GRANT SELECT ON "odd.name" TO PUBLIC;
```
'''

DOTTED = QName("public", "odd.name")
CHILD = QName("My Schema", 'Child "Q"')


@pytest.mark.parametrize(
    ("qname", "text"),
    [
        (QName("public", "papers"), "public.papers"),
        (QName("public", "odd.name"), 'public."odd.name"'),
        (QName("My Schema", 'Child "Q"'), '"My Schema"."Child ""Q"""'),
        (QName("app", "user"), 'app."user"'),
        (QName("app", "Mood"), 'app."Mood"'),
        (QName("app", "ünï"), 'app."ünï"'),
    ],
)
def test_printed_names_are_sql_and_parse_back(qname: QName, text: str) -> None:
    assert str(qname) == quote_qualified(qname) == text
    assert parse_qualified(text) == qname


def test_qualify_never_splits() -> None:
    assert qualify("odd.name") == DOTTED
    assert qualify("t", "app") == QName("app", "t")
    assert parse_qualified("a.b.c") is None and parse_qualified("Mood") == QName("public", "mood")


def test_reader_keeps_dotted_and_quoted_names_whole(tmp_path: Path) -> None:
    doc = tmp_path / "odd.md"
    doc.write_text(ODD)
    schema, diags = read_documents([doc])
    assert [d.render() for d in diags if d.level != "note"] == []
    assert set(schema.tables) == {DOTTED, CHILD}
    assert "odd" not in schema.schemas
    (fk,) = schema.tables[CHILD].foreign_keys
    assert fk.ref_table == DOTTED and fk.on_delete == "CASCADE"
    assert schema.indexes[QName("My Schema", "idx.dots")].table == CHILD
    assert QName("public", "v.w") in schema.views
    table = schema.tables[DOTTED]
    assert table.comment == "dotted"
    assert table.column("select") is not None and table.column("select").comment == "reserved"  # type: ignore[union-attr]
    assert [g.object_name for g in schema.grants] == [DOTTED]


def test_odd_names_build_introspect_and_verify_clean(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "odd.md"
    doc.write_text(ODD)
    assert main(["up", str(doc), "--database-url", database_url, "--structure"]) == 0
    with psycopg.connect(database_url) as conn:
        live = introspect(conn)
        # nothing was created under a schema made from half a name
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}
    assert "odd" not in schemas and "My Schema" in schemas
    assert {DOTTED, CHILD} <= set(live.tables)
    assert live.tables[CHILD].foreign_keys[0].ref_table == DOTTED
    capsys.readouterr()
    code = main(["verify", str(doc), "--database-url", database_url, "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    assert [d for d in payload["diagnostics"] if d["level"] == "error"] == []
    assert code == 0
