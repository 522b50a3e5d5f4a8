"""A routine's STRICT, PARALLEL and SET clauses: read as PostgreSQL keeps them, built, compared
and written back."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from apply_support import cli

from schemadoc.read import read_documents

SQL = """CREATE TABLE t (id int);
CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql STRICT PARALLEL SAFE SECURITY DEFINER
  SET search_path TO 'public', 'extensions' SET work_mem = '64MB' AS $$ SELECT a + 1 $$;
CREATE FUNCTION g() RETURNS void LANGUAGE plpgsql SET search_path = '' AS $$ BEGIN END $$;
CREATE FUNCTION h() RETURNS int LANGUAGE sql PARALLEL RESTRICTED
  SET search_path = "My Schema", pg_catalog SET statement_timeout = 5000 AS $$ SELECT 1 $$;
CREATE PROCEDURE p() LANGUAGE sql SET search_path = public, pg_catalog AS $$ SELECT 1 $$;
"""


def _doc(tmp_path: Path) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(f"```sql\n{SQL}```\n", encoding="utf-8")
    return path


def test_the_document_reads_as_the_server_keeps_it(tmp_path: Path, fresh_database_url: str) -> None:
    schema, diags = read_documents([_doc(tmp_path)])
    assert not [d for d in diags if d.level != "note"], [d.render() for d in diags]
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(SQL.encode())  # the document's own SQL, not schemadoc's rendering of it
        rows = conn.execute(
            "SELECT proname, proisstrict, proparallel, coalesce(proconfig, '{}') FROM pg_proc"
            " WHERE pronamespace = 'public'::regnamespace ORDER BY 1"
        ).fetchall()
    read = {fn.name: fn for fn in schema.functions.values()}
    parallel = {"s": "SAFE", "r": "RESTRICTED", "u": "UNSAFE"}
    for name, strict, par, config in rows:
        fn = read[name]
        assert (fn.strict, fn.parallel, list(fn.config)) == (strict, parallel[par], config), name
    assert read["f"].config == ("search_path=public, extensions", "work_mem=64MB")
    assert read["g"].config == ('search_path=""',)


def test_verify_and_docs_see_the_clauses(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc(tmp_path)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(SQL.encode())
    code, out = cli(capsys, "verify", str(doc), "--structure", "--database-url", fresh_database_url)
    assert code == 0, out
    written = tmp_path / "written.md"
    code, _ = cli(capsys, "docs", "--database-url", fresh_database_url, "-o", str(written))
    text = written.read_text()
    assert "STRICT PARALLEL SAFE SECURITY DEFINER SET search_path TO 'public', 'extensions'" in text
    assert "SET search_path TO 'My Schema', 'pg_catalog' SET statement_timeout TO '5000'" in text
    code, out = cli(capsys, "verify", str(written), "--structure", "--database-url", fresh_database_url)
    assert code == 0, out
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("ALTER FUNCTION f(int) RESET search_path")
        conn.execute("ALTER FUNCTION g() PARALLEL SAFE")
    code, out = cli(capsys, "verify", str(doc), "--structure", "--database-url", fresh_database_url)
    assert code == 1
    messages = sorted(d["message"] for d in out["diagnostics"] if d["level"] == "error")
    assert (
        len(messages) == 2 and "PARALLEL" in messages[0] + messages[1] and "SET" in messages[0] + messages[1]
    )
