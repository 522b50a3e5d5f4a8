"""Property: for random schemas (names that need quoting, every kind of key, CHECKs, partial
indexes), the document `docs` writes builds a database whose document is the same bytes.

database -> document -> read -> build -> database -> document: the two documents are equal, and
the two databases give the same DDL and the same model.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from psycopg import sql
from test_roundtrip_property import _comparable, _schema_of, schemas

from schemadoc.cli import EXIT_OK, main
from schemadoc.model import QName, Schema
from schemadoc.pg.apply import apply_statements
from schemadoc.pg.connect import connect
from schemadoc.pg.introspect import introspect
from schemadoc.read import read_documents
from schemadoc.write.ddl import ddl_text, render_ddl
from schemadoc.write.markdown import render_markdown


def _build(url: str, model: Schema, name: str) -> Schema:
    """``model`` built in the database, then read back from the catalog; the schema is dropped."""
    statements, diags = render_ddl(model)
    assert [d for d in diags if d.level == "error"] == []
    with connect(url) as conn:
        try:
            apply_statements(conn, statements)
            return introspect(conn, schemas=[name])
        finally:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
            conn.commit()


def _no_names_equal_but_for_case(model: Schema) -> bool:
    """The reader takes `a` and `"A"` of one table for one column (see the strict xfail below)."""
    return all(len({c.name.lower() for c in t.columns}) == len(t.columns) for t in model.tables.values())


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(model=schemas().filter(_no_names_equal_but_for_case))
def test_document_of_the_built_document_is_the_same_bytes(database_url: str, model: Schema) -> None:
    name = _schema_of(model)
    first = _build(database_url, model, name)
    text = render_markdown(first)
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "reference.md"
        doc.write_text(text, encoding="utf-8")
        read, diags = read_documents([str(doc)])
    assert [str(d) for d in diags if d.level in ("error", "warning")] == []
    second = _build(database_url, read, name)
    assert ddl_text(render_ddl(second)[0]) == ddl_text(render_ddl(first)[0])
    assert _comparable(second) == _comparable(first)
    assert render_markdown(second) == text


def test_an_index_on_a_quoted_name_with_a_space_reads_back(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        '```sql\nCREATE TABLE x ("a 0" bigint NOT NULL, "b""q" int);\n'
        'CREATE INDEX e ON x ("a 0" DESC, "b""q");\nCREATE INDEX f ON x ("a 1");\n```\n',
        encoding="utf-8",
    )
    schema, diags = read_documents([str(doc)])
    assert schema.indexes[QName("public", "e")].keys == ('"a 0" DESC', '"b""q"')
    assert [(d.code, d.span.line if d.span else 0) for d in diags if d.level == "error"] == [("SD110", 4)]


@pytest.mark.parametrize(
    ("sql", "names"),
    [
        ('CREATE TABLE t (a boolean, "A" boolean);', ["a", "A"]),
        ('CREATE TABLE t (user_id int, userid int, "userId" int);', ["user_id", "userid", "userId"]),
        ('CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN "A" int;', ["a", "A"]),
    ],
)
def test_columns_whose_names_differ_only_in_case_are_two_columns(
    tmp_path: Path, sql: str, names: list[str]
) -> None:
    # The document's spellings of one column merge (ownerId, owner_id); SQL's exact names do not.
    doc = tmp_path / "doc.md"
    doc.write_text(f"```sql\n{sql}\n```\n", encoding="utf-8")
    assert main(["check", "-q", str(doc)]) == EXIT_OK
    schema, _ = read_documents([str(doc)])
    assert [c.name for c in schema.tables[QName("public", "t")].columns] == names


def test_a_column_table_spelling_joins_the_sql_column_it_names(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "## t\n\n| column | type | notes |\n|---|---|---|\n| userId | int | who |\n| user_id | int | also |\n\n"
        '```sql\nCREATE TABLE t (user_id int NOT NULL, "userId" int);\n```\n',
        encoding="utf-8",
    )
    schema, _ = read_documents([str(doc)])
    columns = schema.tables[QName("public", "t")].columns
    assert [(c.name, c.nullable, c.comment) for c in columns] == [
        ("user_id", False, "also"),
        ("userId", True, "who"),
    ]
