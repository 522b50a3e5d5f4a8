"""CREATE COLLATION and CREATE AGGREGATE: read, built, introspected and compared.

A document holding them is built by ``up`` and verified with no drift against the same SQL
loaded as it is; a database whose collation or aggregate differs from the document's is drift.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from schemadoc.cli import main
from schemadoc.model import QName
from schemadoc.read import read_documents

from conftest import scratch_database

SQL = """\
CREATE SCHEMA app;
CREATE COLLATION app.c_copy FROM "C";
CREATE COLLATION app.c_both (lc_collate = 'C', lc_ctype = 'POSIX');
SET search_path = app, public;
CREATE TABLE users (id int PRIMARY KEY, email text COLLATE c_both NOT NULL UNIQUE);
CREATE FUNCTION add_len(state integer, next text) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT state + length(next)';
CREATE AGGREGATE total_length(text) (sfunc = add_len, stype = integer, initcond = '0');
CREATE AGGREGATE row_count(*) (sfunc = int8inc, stype = bigint, initcond = '0', combinefunc = int8pl);
CREATE VIEW lengths AS SELECT total_length(email) AS n, row_count(*) AS rows FROM users;
"""

ICU = "CREATE COLLATION app.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);\n"


def _has_icu(url: str) -> bool:
    """Whether the server was built with ICU (creating an ICU collation is tried, then rolled back)."""
    with psycopg.connect(url) as conn:
        try:
            conn.execute("CREATE COLLATION public.icu_probe (provider = icu, locale = 'und')")
        except psycopg.errors.FeatureNotSupported:
            return False
        finally:
            conn.rollback()
    return True


def _document(tmp_path: Path, sql: str) -> Path:
    doc = tmp_path / "kinds.md"
    doc.write_text(f"# Kinds\n\n```sql\n{sql}```\n", encoding="utf-8")
    return doc


def _load(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode("utf-8"), prepare=False)


def test_collations_and_aggregates_are_read() -> None:
    schema, diags = read_documents([_write_tmp(SQL + ICU)])
    assert sorted(str(q) for q in schema.collations) == ["app.c_both", "app.c_copy", "app.ci"]
    ci = schema.collations[QName("app", "ci")]
    assert (ci.provider, ci.lc_collate, ci.deterministic) == ("icu", "und-u-ks-level2", False)
    assert schema.collations[QName("app", "c_copy")].from_collation == '"C"'
    both = schema.collations[QName("app", "c_both")]
    assert (both.lc_collate, both.lc_ctype) == ("C", "POSIX")
    total = next(a for a in schema.aggregates.values() if a.name == "total_length")
    assert (
        total.schema,
        total.arguments,
        total.state_function,
        total.state_type,
        total.initial_condition,
    ) == (
        "app",
        "text",
        "add_len",
        "integer",
        "0",
    )
    assert total.search_path == ("app", "public")
    assert next(a for a in schema.aggregates.values() if a.name == "row_count").arguments == "*"
    assert not [d for d in diags if d.code == "SD030"]


def _write_tmp(sql: str) -> Path:
    import tempfile

    return _document(Path(tempfile.mkdtemp()), sql)


def test_a_document_with_collations_and_aggregates_builds_with_zero_drift(
    server_url: str, tmp_path: Path
) -> None:
    sql = SQL + (ICU if _has_icu(server_url) else "")
    doc = _document(tmp_path, sql)
    with scratch_database(server_url) as raw, scratch_database(server_url) as built:
        _load(raw, sql)
        assert main(["up", str(doc), "--structure", "--database-url", built]) == 0
        with psycopg.connect(built) as conn:
            assert conn.execute("SELECT n, rows FROM app.lengths").fetchone() == (0, 0)
        assert main(["verify", str(doc), "--structure", "--database-url", raw]) == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            "DROP VIEW app.lengths; DROP AGGREGATE app.total_length(text);"
            " CREATE VIEW app.lengths AS SELECT 0 AS n, app.row_count(*) AS rows FROM app.users;",
            "SD249 SD330",  # and the view, which can no longer call it
        ),
        ("CREATE AGGREGATE app.other(int) (sfunc = int4pl, stype = int);", "SD250"),
        (
            "DROP VIEW app.lengths; DROP AGGREGATE app.row_count(*);"
            " CREATE AGGREGATE app.row_count(*) (sfunc = int8inc, stype = bigint, initcond = '1');"
            " CREATE VIEW app.lengths AS SELECT app.total_length(email) AS n, app.row_count(*) AS rows FROM app.users;",
            "SD251",
        ),
        ('CREATE COLLATION app.extra FROM "C";', "SD247"),
    ],
)
def test_differences_are_drift(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str, code: str
) -> None:
    doc = _document(tmp_path, SQL)
    with scratch_database(server_url) as raw:
        _load(raw, SQL + change)
        capsys.readouterr()
        assert main(["verify", str(doc), "--structure", "--format", "json", "--database-url", raw]) == 1
        found = [d for d in json.loads(capsys.readouterr().out)["diagnostics"] if d["level"] == "error"]
        assert [d["code"] for d in found] == code.split()
