"""`schemadoc docs` writes a document that reads, builds and verifies like the database it came from.

For each example and seed: build it into database A, write the document of A, check the
document (no errors), build it into a new database B, and verify it against A (no drift).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from schemadoc.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main
from schemadoc.model import QName
from schemadoc.pg.connect import connect, with_database
from schemadoc.pg.introspect import introspect
from schemadoc.read import read_documents
from schemadoc.write.markdown import render_markdown

from conftest import EXAMPLES, seed_file

CASES = [
    pytest.param(("example", name), id=name)
    for name in ("hardening_plan", "ops_console", "paper_runs", "pipeline_store", "simulation_runs")
] + [pytest.param(("seed", n), id=f"seed00{n}") for n in range(5)]


def _document(case: tuple[str, object]) -> Path:
    kind, which = case
    if kind == "seed":
        assert isinstance(which, int)
        return seed_file(which)
    return EXAMPLES / f"{which}.md"


def _tables(url: str) -> set[QName]:
    with connect(url) as conn:
        return set(introspect(conn).tables)


@pytest.mark.parametrize("case", CASES)
def test_docs_round_trip(
    case: tuple[str, object], fresh_database_url: str, server_url: str, new_database_name: str, tmp_path: Path
) -> None:
    doc = _document(case)
    a = fresh_database_url
    assert main(["up", "--structure", "--stub-missing", "-q", str(doc), "--database-url", a]) == EXIT_OK

    written = tmp_path / "reference.md"
    again = tmp_path / "again.md"
    assert main(["docs", "--database-url", a, "-o", str(written)]) == EXIT_OK
    assert main(["docs", "--database-url", a, "-o", str(again)]) == EXIT_OK
    assert written.read_bytes() == again.read_bytes()

    assert main(["check", "-q", str(written)]) == EXIT_OK
    schema, diags = read_documents([str(written)])
    assert [d for d in diags if d.level == "error"] == []
    assert set(schema.tables) == _tables(a)

    b = with_database(server_url, new_database_name)
    assert main(["up", "--structure", "-q", str(written), "--database-url", b]) == EXIT_OK
    assert _tables(b) == _tables(a)
    assert main(["verify", "--structure", "-q", str(written), "--database-url", a]) == EXIT_OK


def test_docs_check_reports_a_stale_document(fresh_database_url: str, tmp_path: Path) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)")
    doc = tmp_path / "reference.md"
    assert main(["docs", "--check", str(doc), "--database-url", fresh_database_url]) == EXIT_PROBLEMS
    assert not doc.exists()
    assert main(["docs", "-o", str(doc), "--database-url", fresh_database_url]) == EXIT_OK
    assert main(["docs", "--check", str(doc), "--database-url", fresh_database_url]) == EXIT_OK
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE notes ADD COLUMN title text")
    assert main(["docs", "--check", str(doc), "--database-url", fresh_database_url]) == EXIT_PROBLEMS


def test_docs_without_a_database_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["docs"]) == EXIT_USAGE
    assert "SD820" in capsys.readouterr().err


def test_document_holds_one_fence_per_table_and_a_diagram(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE authors (id integer PRIMARY KEY, name text NOT NULL)")
        conn.execute(
            "CREATE TABLE books (id integer PRIMARY KEY, author_id integer NOT NULL REFERENCES authors (id))"
        )
        conn.execute("CREATE INDEX books_author_idx ON books (author_id)")
        conn.execute("COMMENT ON TABLE books IS 'One row per book.'")
    with connect(fresh_database_url) as conn:
        text = render_markdown(introspect(conn))
    books = text.split("### books\n", 1)[1]
    fence = books.split("```sql\n", 1)[1].split("```", 1)[0]
    assert books.startswith("\n> One row per book.\n")
    assert "CREATE TABLE public.books" in fence
    assert "REFERENCES public.authors (id)" in fence
    assert "CREATE INDEX books_author_idx" in fence
    assert "COMMENT ON TABLE public.books IS 'One row per book.';" in fence
    assert text.count("```sql\n") == 2
    assert "```mermaid\nerDiagram\n" in text
    assert 'authors ||--o{ books : "FOREIGN KEY (author_id) REFERENCES authors(id)"' in text


RICH_DATABASE = (
    "CREATE SCHEMA app",
    "CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy')",
    "COMMENT ON TYPE app.mood IS 'How it feels'",
    "CREATE DOMAIN app.posint AS integer CHECK (VALUE > 0)",
    "CREATE TYPE app.pair AS (a integer, b text)",
    "CREATE TYPE app.floatrange AS RANGE (subtype = float8)",
    "CREATE SEQUENCE app.ticket_seq START 500 INCREMENT 5 CACHE 3 CYCLE",
    'CREATE TABLE app."Order Lines" (id bigint GENERATED ALWAYS AS IDENTITY (START 1000 INCREMENT 10) PRIMARY KEY,'
    ' "Qty" app.posint NOT NULL, m app.mood, p app.pair, r app.floatrange,'
    " t bigint DEFAULT nextval('app.ticket_seq'))",
    "CREATE TABLE app.parent (id int PRIMARY KEY)",
    "CREATE TABLE app.child (id int PRIMARY KEY, parent_id int REFERENCES app.parent (id) ON DELETE CASCADE,"
    " note text CHECK (length(note) < 100))",
    "COMMENT ON TABLE app.child IS E'Children.\\nTwo lines.'",
    "COMMENT ON COLUMN app.child.note IS 'it''s a note'",
    "CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "COMMENT ON FUNCTION app.touch() IS 'keeps the row as it is'",
    "CREATE TRIGGER child_touch BEFORE UPDATE ON app.child FOR EACH ROW EXECUTE FUNCTION app.touch()",
    "CREATE MATERIALIZED VIEW app.child_counts AS SELECT parent_id, count(*) AS n FROM app.child GROUP BY 1",
    "CREATE UNIQUE INDEX child_counts_pid ON app.child_counts (parent_id)",
    "COMMENT ON INDEX app.child_counts_pid IS 'one row per parent'",
    "GRANT USAGE ON SCHEMA app TO PUBLIC",
    "GRANT SELECT ON app.child TO PUBLIC",
    "ALTER TABLE app.child ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY child_read ON app.child FOR SELECT USING (id > 0)",
    "CREATE TABLE public.plain (id serial PRIMARY KEY, at timestamptz DEFAULT now())",
    "CREATE TABLE public.later (id int PRIMARY KEY, plain_id int REFERENCES public.plain (id)"
    " DEFERRABLE INITIALLY DEFERRED, a int, b int)",
    "CREATE TABLE public.pairs (a int, b int, PRIMARY KEY (a, b))",
    "ALTER TABLE public.later ADD FOREIGN KEY (a, b) REFERENCES public.pairs (a, b) MATCH FULL",
)


def test_docs_round_trip_of_every_kind_of_object(
    fresh_database_url: str, server_url: str, new_database_name: str, tmp_path: Path
) -> None:
    """Types of every kind in a schema of their own (a range's multirange type included), a
    quoted table name, a materialized view with an index, a routine, a trigger, a policy, grants,
    comments, and foreign keys DEFERRABLE or MATCH FULL (which the diagram's edges cannot say):
    built again from the document, nothing differs."""
    a = fresh_database_url
    with psycopg.connect(a, autocommit=True) as conn:
        for statement in RICH_DATABASE:
            conn.execute(statement.encode())
    written = tmp_path / "reference.md"
    assert main(["docs", "--database-url", a, "-o", str(written)]) == EXIT_OK
    assert main(["check", "-q", str(written)]) == EXIT_OK
    b = with_database(server_url, new_database_name)
    assert main(["up", "--structure", "-q", str(written), "--database-url", b]) == EXIT_OK
    with connect(a) as conn_a, connect(b) as conn_b:
        built_a, built_b = introspect(conn_a), introspect(conn_b)
    assert set(built_b.ranges) == set(built_a.ranges) == {QName("app", "floatrange")}
    assert set(built_b.views) == set(built_a.views)
    assert set(built_b.functions) == set(built_a.functions)
    ticket = QName("app", "ticket_seq")
    assert built_b.sequences[ticket].options == built_a.sequences[ticket].options
    assert built_a.sequences[ticket].options == (
        ("increment", 5),
        ("start", 500),
        ("cache", 3),
        ("cycle", True),
    )
    lines = QName("app", "Order Lines")
    assert [c.identity_options for c in built_b.tables[lines].columns] == [
        c.identity_options for c in built_a.tables[lines].columns
    ]
    assert built_a.tables[lines].columns[0].identity_options == (("increment", 10), ("start", 1000))
    assert built_b.indexes[QName("app", "child_counts_pid")].comment == "one row per parent"
    later = QName("public", "later")
    assert built_b.tables[later].foreign_keys == built_a.tables[later].foreign_keys
    assert {
        (fk.deferrable, fk.initially_deferred, fk.match_full) for fk in built_b.tables[later].foreign_keys
    } == {
        (True, True, False),
        (False, False, True),
    }
    assert main(["verify", "--structure", "-q", str(written), "--database-url", a]) == EXIT_OK


VARCHAR_IN_LISTS = (
    "CREATE TABLE jobs (id int PRIMARY KEY, status varchar(12) NOT NULL CHECK (status IN ('new', 'done')),"
    " kind varchar CHECK (kind NOT IN ('x', 'y')), code char(2) CHECK (code IN ('aa', 'bb')))",
    "CREATE INDEX jobs_open ON jobs (id) WHERE status IN ('new', 'done')",
    "CREATE VIEW open_jobs AS SELECT id FROM jobs WHERE kind IN ('café', 'tea')",
    "CREATE DOMAIN shade AS varchar(8) CHECK (VALUE IN ('red', 'blue'))",
    "ALTER TABLE jobs ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY jobs_new ON jobs FOR SELECT USING (status IN ('new'))",
)


def test_varchar_in_lists_round_trip(
    fresh_database_url: str, server_url: str, new_database_name: str, tmp_path: Path
) -> None:
    """PostgreSQL prints `col IN ('a', 'b')` on a varchar column as an array of varchar cast to
    text[]; read back as printed, the cast would go into each element instead (a different CHECK,
    index predicate, view, domain or policy). The document keeps the printed meaning."""
    a = fresh_database_url
    with psycopg.connect(a, autocommit=True) as conn:
        for statement in VARCHAR_IN_LISTS:
            conn.execute(statement.encode())
    written = tmp_path / "reference.md"
    assert main(["docs", "--database-url", a, "-o", str(written)]) == EXIT_OK
    assert "::character varying]::varchar[]::text[]" in written.read_text(encoding="utf-8")
    b = with_database(server_url, new_database_name)
    assert main(["up", "--structure", "-q", str(written), "--database-url", b]) == EXIT_OK
    with connect(a) as conn_a, connect(b) as conn_b:
        built_a, built_b = introspect(conn_a), introspect(conn_b)
    jobs = QName("public", "jobs")
    assert {c.expression for c in built_b.tables[jobs].checks} == {
        c.expression for c in built_a.tables[jobs].checks
    }
    assert (
        built_b.indexes[QName("public", "jobs_open")].where
        == built_a.indexes[QName("public", "jobs_open")].where
    )
    assert (
        built_b.views[QName("public", "open_jobs")].definition
        == built_a.views[QName("public", "open_jobs")].definition
    )
    assert built_b.domains == built_a.domains
    assert built_b.policies == built_a.policies
    assert main(["verify", "--structure", "-q", str(written), "--database-url", a]) == EXIT_OK
