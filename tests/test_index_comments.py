"""COMMENT ON INDEX: the document's comment is the index's, built and compared like the others."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from apply_support import cli

from schemadoc.model import QName
from schemadoc.read import read_documents
from schemadoc.write.ddl import ddl_text, render_ddl

DOC = """# Items

```sql
CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint, qty integer);
CREATE INDEX items_order ON items (order_id) WHERE qty > 1;
COMMENT ON INDEX items_order IS 'orders with many';
COMMENT ON INDEX public.items_order IS 'orders with many items';
COMMENT ON INDEX items_pkey IS 'the key''s own index';
```
"""


def test_the_last_comment_on_an_index_is_its_comment(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(DOC, encoding="utf-8")
    schema, diags = read_documents([doc])
    assert schema.indexes[QName("public", "items_order")].comment == "orders with many items"
    assert not [d for d in diags if d.level != "note"], [d.render() for d in diags]
    ddl = ddl_text(render_ddl(schema)[0])
    assert "COMMENT ON INDEX public.items_order IS 'orders with many items';" in ddl


def test_verify_with_comments_finds_the_documents_index_comment(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(DOC, encoding="utf-8")
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(DOC.split("```sql\n")[1].split("```")[0].encode())  # the document's own SQL
    code, out = cli(
        capsys, "verify", str(doc), "--structure", "--comments", "--database-url", fresh_database_url
    )
    assert code == 0, out
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("COMMENT ON INDEX items_order IS 'changed'")
    code, out = cli(
        capsys, "verify", str(doc), "--structure", "--comments", "--database-url", fresh_database_url
    )
    assert [d["message"] for d in out["diagnostics"] if d["code"] == "SD361"] == [
        "index public.items_order: comment is 'changed' in the database, the document says 'orders with many items'"
    ]
