"""The round trip of `schemadoc docs` on real schemas and on generated ones.

For a database D loaded from a corpus SQL file (each statement as written, in order, as psql runs
it) or from a generated schema: `docs` twice gives the same bytes, `check` reads the document
with no error, `up` builds it into an empty database, and `verify --structure` of the document
against D finds no drift; for two of the files, every promise the document makes is kept on D and
on the database built from the document.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from pglast import ast, parse_sql, split

from schemadoc.cli import EXIT_OK, main
from schemadoc.pg.connect import connect, with_database
from schemadoc.pg.introspect import introspect
from schemadoc.read import read_documents

from conftest import CORPUS, generated_sql

# The corpus SQL files that load as they are into an empty database on PostgreSQL 15 and 18.
# Left out: files that need objects they do not create (Supabase's auth schema, a `profiles`
# table, roles, types of another database), files that create and connect to a database of
# their own, and one that needs psql meta-commands and PostgreSQL 17.
LOADABLE = (
    "AWLL-inc__work-management__drizzle__migrations__ALL.sql",
    "EC-CUBE__ec-cube2__html__install__sql__create_table_pgsql.sql",
    "MarquezProject__marquez__api__src__main__resources__marquez__db__migration__ALL_at_fe774b47.sql",
    "NEU-DSG__dailp-encoding__types__migrations__ALL_at_3e73a6da.sql",
    "danbooru__danbooru__db__structure.sql",
    "element-hq__synapse__synapse__storage__schema__main__full_schemas__72__full.sql.postgres",
    "open-sauced__api__migrations__ALL_at_428a51db.sql",
    "pthom__northwind_psql__northwind.sql",
)

# for these, every promise of the written document is also tried on both databases
PROBED = {LOADABLE[0], LOADABLE[-1]}


def _load(url: str, text: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in split(text):
            conn.execute(statement.encode())


def _skip_without_extensions(url: str, text: str) -> None:
    """Skip when the file creates an extension this server does not have."""
    wanted = {
        s.stmt.extname
        for s in parse_sql(text)
        if isinstance(s.stmt, ast.CreateExtensionStmt) and isinstance(s.stmt.extname, str)
    }
    if not wanted:
        return
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)", [sorted(wanted)]
        ).fetchall()
    missing = wanted - {r[0] for r in rows}
    if missing:
        pytest.skip(f"the server lacks the extension(s) {', '.join(sorted(missing))}")


def _round_trip(a: str, b: str, tmp_path: Path) -> Path:
    written, again = tmp_path / "reference.md", tmp_path / "again.md"
    assert main(["docs", "--database-url", a, "-o", str(written)]) == EXIT_OK
    assert main(["docs", "--database-url", a, "-o", str(again)]) == EXIT_OK
    assert written.read_bytes() == again.read_bytes()
    schema, diags = read_documents([str(written)])
    assert [str(d) for d in diags if d.level == "error"] == []
    with connect(a) as conn:
        assert set(schema.tables) == set(introspect(conn).tables)
    assert main(["up", "--structure", "-q", str(written), "--database-url", b]) == EXIT_OK
    assert main(["verify", "--structure", "-q", str(written), "--database-url", a]) == EXIT_OK
    return written


@pytest.mark.parametrize("name", LOADABLE, ids=[n.split("__")[1] for n in LOADABLE])
def test_docs_round_trip_of_a_corpus_sql_file(
    name: str, fresh_database_url: str, server_url: str, new_database_name: str, tmp_path: Path
) -> None:
    source = CORPUS / "sql" / name
    if not source.is_file():
        pytest.skip(f"{source} is not present")
    text = source.read_text(encoding="utf-8")
    _skip_without_extensions(fresh_database_url, text)
    _load(fresh_database_url, text)
    b = with_database(server_url, new_database_name)
    written = _round_trip(fresh_database_url, b, tmp_path)
    if name in PROBED:
        for url in (fresh_database_url, b):
            assert main(["verify", "-q", str(written), "--database-url", url]) == EXIT_OK


def test_docs_round_trip_of_a_generated_schema(
    fresh_database_url: str, server_url: str, new_database_name: str, tmp_path: Path
) -> None:
    """120 tables linked in one chain: the diagrams are cut in three, and everything round-trips."""
    _load(fresh_database_url, generated_sql(120))
    written = _round_trip(fresh_database_url, with_database(server_url, new_database_name), tmp_path)
    text = written.read_text(encoding="utf-8")
    assert "120 tables, in 3 diagrams of related tables:" in text
    assert text.count("```mermaid\n") == 3
