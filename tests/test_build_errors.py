"""Errors PostgreSQL reports while ``up`` builds a document point at the column or constraint
that wrote the failing SQL, and a database the failed build created is dropped again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from schemadoc.actions import build
from schemadoc.diagnostics import Diagnostic, SchemadocError
from schemadoc.model import Column, ForeignKey, PrimaryKey, QName, Schema, Span, Table
from schemadoc.pg.connect import create_database, with_database
from schemadoc.read import read_documents
from schemadoc.write.ddl import render_ddl

BAD_DEFAULT = """\
# Shop

## items

| Column | Type | Constraints |
|---|---|---|
| id | integer | PK |
| name | text | NOT NULL |
| qty | integer | DEFAULT 'abc' |
| note | text | |
"""

MISSING_FUNCTION = """\
# Shop

```sql
CREATE TABLE items (
    id integer PRIMARY KEY,
    name text NOT NULL,
    qty integer NOT NULL,
    CONSTRAINT qty_ok CHECK (upper(qty) <> ''),
    CONSTRAINT name_ok CHECK (name <> '')
);
```
"""

NOT_A_KEY = """\
# Shop

## owners

| Column | Type | Constraints |
|---|---|---|
| id | integer | PK |
| name | text | |

## items

| Column | Type | Constraints |
|---|---|---|
| id | integer | PK |
| owner_name | text | FK → owners(name) |
| note | text | |
"""


def _exists(server_url: str, name: str) -> bool:
    with psycopg.connect(server_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _failed_build(server_url: str, name: str, schema: Schema) -> Diagnostic:
    with pytest.raises(SchemadocError) as info:
        build(with_database(server_url, name), schema, maintenance_url=server_url)
    return info.value.diagnostic


def _read(tmp_path: Path, text: str) -> Schema:
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    schema, diags = read_documents([path])
    assert not [d for d in diags if d.level == "error"]
    return schema


def test_bad_default_points_at_the_column_row(
    tmp_path: Path, server_url: str, new_database_name: str
) -> None:
    diag = _failed_build(server_url, new_database_name, _read(tmp_path, BAD_DEFAULT))
    assert diag.code == "SD520"
    assert diag.span is not None and (diag.span.line, diag.span.col) == (9, 3)  # the `qty` row
    assert 'invalid input syntax for type integer: "abc"' in diag.message
    assert "qty integer DEFAULT 'abc'" in diag.message  # the column's SQL, not the whole table
    assert diag.hint and "rolled back" in diag.hint
    assert not _exists(server_url, new_database_name)


def test_missing_function_points_at_the_check(
    tmp_path: Path, server_url: str, new_database_name: str
) -> None:
    diag = _failed_build(server_url, new_database_name, _read(tmp_path, MISSING_FUNCTION))
    assert diag.span is not None and (diag.span.line, diag.span.col) == (8, 5)  # CONSTRAINT qty_ok ...
    assert "function upper(integer) does not exist" in diag.message
    assert diag.hint and "No function matches" in diag.hint
    assert not _exists(server_url, new_database_name)


def test_error_without_position_points_at_the_foreign_key(
    tmp_path: Path, server_url: str, new_database_name: str
) -> None:
    diag = _failed_build(server_url, new_database_name, _read(tmp_path, NOT_A_KEY))
    assert "no unique constraint matching given keys" in diag.message
    assert diag.span is not None and diag.span.line == 15  # the owner_name row, not the `## items` heading


def test_foreign_key_of_the_wrong_type_points_at_the_constraint(
    server_url: str, new_database_name: str
) -> None:
    # The reader gives a referencing column its key's type, so this model is made by hand.
    owners = Table(
        "public",
        "owners",
        (Column("id", "uuid", nullable=False, span=Span("m.md", 4, 3)),),
        PrimaryKey(("id",), span=Span("m.md", 4, 3)),
        span=Span("m.md", 2, 1),
    )
    items = Table(
        "public",
        "items",
        (
            Column("id", "integer", span=Span("m.md", 8, 3)),
            Column("owner_id", "integer", span=Span("m.md", 9, 3)),
        ),
        foreign_keys=(
            ForeignKey(("owner_id",), QName("public", "owners"), ("id",), span=Span("m.md", 11, 5)),
        ),
        span=Span("m.md", 6, 1),
    )
    schema = Schema(tables={t.qname: t for t in (owners, items)})
    diag = _failed_build(server_url, new_database_name, schema)
    assert "cannot be implemented" in diag.message
    assert diag.span == Span("m.md", 11, 5)
    assert diag.hint and "incompatible types" in diag.hint
    assert not _exists(server_url, new_database_name)


def test_a_database_that_existed_is_kept(tmp_path: Path, server_url: str, new_database_name: str) -> None:
    assert create_database(server_url, new_database_name)
    _failed_build(server_url, new_database_name, _read(tmp_path, BAD_DEFAULT))
    assert _exists(server_url, new_database_name)


def test_up_reports_the_column_line_and_leaves_no_database(
    tmp_path: Path, server_url: str, new_database_name: str
) -> None:
    path = tmp_path / "doc.md"
    path.write_text(BAD_DEFAULT, encoding="utf-8")
    target = with_database(server_url, new_database_name)
    proc = subprocess.run(
        [sys.executable, "-m", "schemadoc", "up", str(path), "--structure", "--database-url", target],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"{path}:9:3: error SD520 PostgreSQL rejected: invalid input syntax")
    assert "hint:" in proc.stderr and "Traceback" not in proc.stderr
    assert not _exists(server_url, new_database_name)


def test_each_part_of_a_create_table_maps_back_to_its_line(tmp_path: Path) -> None:
    (statement,) = [s for s in render_ddl(_read(tmp_path, MISSING_FUNCTION))[0] if s.kind == "table"]
    doc = str(tmp_path / "doc.md")
    located = [(statement.sql[p.start : p.end], p.span) for p in statement.parts]
    assert located == [
        ("id integer NOT NULL", Span(doc, 5, 5)),
        ("name text NOT NULL", Span(doc, 6, 5)),
        ("qty integer NOT NULL", Span(doc, 7, 5)),
        ("PRIMARY KEY (id)", Span(doc, 5, 5)),  # written on the id column
        ("CONSTRAINT name_ok CHECK (name <> '')", Span(doc, 9, 5)),
        ("CONSTRAINT qty_ok CHECK (upper(qty) <> '')", Span(doc, 8, 5)),
    ]
    assert statement.span_at(1) == statement.span == Span(doc, 4, 1)  # "CREATE": the table's own line
    assert statement.span_at(statement.sql.index("name text") + 1) == Span(doc, 6, 5)
    assert statement.span_at(len(statement.sql)) == statement.span  # the closing parenthesis


def _many_tables_one_bad(bad: int, tables: int = 90) -> str:
    """A document of ``tables`` tables sent in several pipelined segments; table ``bad`` has a
    default PostgreSQL rejects. Returns the text; the bad column is on line 4 + 6 * bad."""
    parts = ["# Many\n\n```sql\n"]
    for i in range(tables):
        default = "'abc'" if i == bad else "0"
        parts.append(
            f"CREATE TABLE t{i:03d} (\n  id integer PRIMARY KEY,\n  n integer DEFAULT {default},\n"
            f"  note text\n);\nCOMMENT ON TABLE t{i:03d} IS 'table {i}';\n"
        )
    parts.append("```\n")
    return "".join(parts)


@pytest.mark.parametrize("existing", [False, True], ids=["new database", "existing database"])
def test_a_failure_deep_in_a_long_build_names_its_own_statement(
    tmp_path: Path, server_url: str, new_database_name: str, existing: bool
) -> None:
    # the statements travel in segments of many; the error is the failing statement's, not the
    # first of its segment nor one of those the server skipped after it
    bad = 71
    schema = _read(tmp_path, _many_tables_one_bad(bad))
    if existing:
        assert create_database(server_url, new_database_name)
    diag = _failed_build(server_url, new_database_name, schema)
    assert diag.code == "SD520" and 'invalid input syntax for type integer: "abc"' in diag.message
    assert diag.span is not None and diag.span.line == 4 + 6 * bad + 2  # `n integer DEFAULT 'abc'`
    assert _exists(server_url, new_database_name) is existing
    if existing:  # all or nothing: none of the 71 tables before it is left
        with psycopg.connect(with_database(server_url, new_database_name)) as conn:
            assert conn.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 't0%'").fetchone() == (0,)
