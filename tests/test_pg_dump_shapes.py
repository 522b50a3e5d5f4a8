"""Statements pg_dump writes that state a schema in two steps: a default of its own on an
inherited column, and a foreign key added NOT VALID (validated later, or not)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from apply_support import cli

from schemadoc.model import QName
from schemadoc.read import read_documents
from schemadoc.write.ddl import ddl_text, render_ddl

INHERITED = """```sql
CREATE TABLE base (id integer PRIMARY KEY, created timestamptz DEFAULT now());
CREATE TABLE child (extra text) INHERITS (base);
ALTER TABLE ONLY child ALTER COLUMN created SET DEFAULT now();
```
"""

NOT_VALID = """```sql
CREATE TABLE notes (id integer PRIMARY KEY);
CREATE TABLE refs (id integer, note_id integer);
ALTER TABLE ONLY refs ADD CONSTRAINT refs_note FOREIGN KEY (note_id) REFERENCES notes (id) NOT VALID;
```
"""


def _doc(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_inherited_columns_own_default_adds_no_column(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc(tmp_path, INHERITED)
    schema, diags = read_documents([doc])
    assert [c.name for c in schema.tables[QName("public", "child")].columns] == ["extra"]
    assert [(d.code, d.span.line if d.span else 0) for d in diags if d.level == "warning"] == [("SD030", 4)]
    assert "public.child.created is inherited from public.base" in diags[-1].message
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(INHERITED.split("\n", 1)[1].rsplit("```", 1)[0].encode())  # as pg_dump would restore it
    code, out = cli(capsys, "verify", str(doc), "--structure", "--database-url", fresh_database_url)
    assert code == 0, out


def test_a_foreign_key_added_not_valid_is_built_and_compared_as_not_valid(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc(tmp_path, NOT_VALID)
    schema, _ = read_documents([doc])
    (fk,) = schema.tables[QName("public", "refs")].foreign_keys
    assert fk.validated is False
    assert ddl_text(render_ddl(schema)[0]).count("NOT VALID") == 1
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(NOT_VALID.split("\n", 1)[1].rsplit("```", 1)[0].encode())
    code, out = cli(capsys, "verify", str(doc), "--structure", "--database-url", fresh_database_url)
    assert code == 0, out  # the database is as the document says
    validated = _doc(
        tmp_path, NOT_VALID.replace("```\n", "ALTER TABLE refs VALIDATE CONSTRAINT refs_note;\n```\n")
    )
    schema, diags = read_documents([validated])
    assert schema.tables[QName("public", "refs")].foreign_keys[0].validated is True
    assert not [d for d in diags if d.level != "note"]
    code, out = cli(capsys, "verify", str(validated), "--structure", "--database-url", fresh_database_url)
    assert code == 1
    assert [d["code"] for d in out["diagnostics"] if d["level"] == "error"] == ["SD367"]


CHECKS = """```sql
CREATE TABLE notes (id integer PRIMARY KEY, body text, CONSTRAINT inline_len CHECK (length(body) < 10) NOT VALID);
ALTER TABLE notes ADD CONSTRAINT body_len CHECK (length(body) < 1000) NOT VALID;
ALTER TABLE notes ADD CONSTRAINT body_set CHECK (body IS NOT NULL) NOT VALID;
ALTER TABLE notes VALIDATE CONSTRAINT body_set;
```
"""


def test_a_check_added_not_valid_is_built_as_not_valid(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc(tmp_path, CHECKS)
    schema, diags = read_documents([doc])
    assert not [d for d in diags if d.level != "note"]
    checks = {c.name: c.validated for c in schema.tables[QName("public", "notes")].checks}
    # CREATE TABLE checks its constraints however they are written
    assert checks == {"inline_len": True, "body_len": False, "body_set": True}
    ddl = ddl_text(render_ddl(schema)[0])
    assert "ALTER TABLE public.notes ADD CONSTRAINT body_len CHECK (length(body) < 1000) NOT VALID;" in ddl
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(CHECKS.split("\n", 1)[1].rsplit("```", 1)[0].encode())
        held = dict(
            conn.execute(
                "SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'notes'::regclass AND contype = 'c'"
            ).fetchall()
        )
    assert held == checks  # what PostgreSQL made of the same SQL
    code, out = cli(capsys, "verify", str(doc), "--structure", "--database-url", fresh_database_url)
    assert code == 0, out
