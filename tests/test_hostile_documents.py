"""Documents written to break out of the SQL they are pasted into.

Each hostile document either fails ``check`` with an error at the line (and column)
that holds the hostile text, or is built exactly as it states; ``up`` never leaves an
object the document did not state, and nothing from a document reaches the server as
more than one statement. Probes never commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pglast import ast, parse_sql
from psycopg import sql

from schemadoc.cli import main
from schemadoc.diagnostics import SchemadocError
from schemadoc.model import QName, Schema, Span
from schemadoc.pg.apply import apply_statements
from schemadoc.pg.connect import connect
from schemadoc.read import read_documents
from schemadoc.read.fragments import fragment_problem
from schemadoc.verify import probes
from schemadoc.verify.probes import verify_promises
from schemadoc.verify.rows import RowFactory
from schemadoc.write.ddl import render_ddl
from schemadoc.write.statement import dollar_quote


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text)
    return path


def check_json(doc: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]]]:
    code = main(["check", "--format", "json", str(doc)])
    payload = json.loads(capsys.readouterr().out)
    return code, payload["diagnostics"]


def relations(url: str) -> set[str]:
    """Every relation, function and type a user could have made, as ``kind name``."""
    with psycopg.connect(url) as conn:
        rels = conn.execute(
            "SELECT c.relkind::text || ' ' || c.relname FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
            " AND n.nspname NOT LIKE 'pg\\_%'"
        ).fetchall()
        procs = conn.execute(
            "SELECT 'f ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
    return {r[0] for r in rels} | {r[0] for r in procs}


def up(doc: Path, url: str, capsys: pytest.CaptureFixture[str]) -> int:
    code = main(["up", str(doc), "--database-url", url])
    capsys.readouterr()
    return code


# -- table cells: Default, Type, Constraints (CHECK) ----------------------------------------------


@dataclass(frozen=True)
class Cell:
    name: str
    line: str  # the row of the users table holding the hostile cell
    col: int  # 1-based column of the cell that holds it


CELLS = [
    Cell(
        "default closes the statement",
        "| name | text | | 'x'); CREATE TABLE pwn (id uuid, name text DEFAULT 'y' |",
        19,
    ),
    Cell("default with a semicolon", "| name | text | | 'x'; DROP TABLE users |", 19),
    Cell("default swallows the rest", "| name | text | | 'x' -- |", 19),
    Cell("default opens a comment", "| name | text | | 'x' /* |", 19),
    Cell("default opens a dollar quote", "| name | text | | $q$x |", 19),
    Cell("default smuggles a FROM", "| name | text | | (SELECT 'x') FROM pg_class |", 19),
    Cell("default commits", "| name | text | | 'x'); COMMIT; CREATE TABLE pwn (id int |", 19),
    Cell("default reads a server file", "| name | text | | pg_read_file('/etc/hostname') |", 19),
    Cell("default copies to a program", "| name | text | | 'x'); COPY users TO PROGRAM 'id'; -- |", 19),
    Cell(
        "check drops a database",
        "| name | text | CHECK ((SELECT true FROM (VALUES (1)) v); DROP DATABASE postgres; --) | |",
        17,
    ),
    Cell("type closes the statement", "| name | text); CREATE TABLE pwn (id int | | |", 10),
    Cell("type ends the statement", "| name | text; ALTER SYSTEM SET work_mem = '1GB' | | |", 10),
    Cell("check closes its parentheses", "| name | text | CHECK (name <> '' /* ), pwn int */) | |", 17),
    Cell(
        "check runs a program",
        "| name | text | CHECK (name <> (SELECT 'a' FROM lo_export(1, '/tmp/x'))) | |",
        17,
    ),
]

TABLE_DOC = """# Shop

## users

| Column | Type | Constraints | Default |
|---|---|---|---|
| id | uuid | PK | gen_random_uuid() |
{row}
"""
HOSTILE_LINE = 8


@pytest.mark.parametrize("cell", CELLS, ids=[c.name for c in CELLS])
def test_hostile_cell_is_an_error_at_its_cell(
    cell: Cell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, TABLE_DOC.format(row=cell.line))
    code, diags = check_json(doc, capsys)
    assert code == 1
    errors = [d for d in diags if d["level"] == "error"]
    assert [(d["code"], d["line"], d["col"]) for d in errors] == [("SD040", HOSTILE_LINE, cell.col)]
    schema, _ = read_documents([doc])
    users = schema.tables[QName("public", "users")]
    name = users.column("name")
    assert name is not None and name.default is None and users.checks == ()
    kinds, names = built(schema)
    assert kinds <= {"CreateStmt", "CommentStmt", "CreateExtensionStmt"}
    assert names == {"users", "id", "name"}


def built(schema: Schema) -> tuple[set[str], set[str]]:
    """The kinds of the DDL statements and the relation and column names they create; each
    statement must parse as exactly one."""
    kinds: set[str] = set()
    names: set[str] = set()
    for statement in render_ddl(schema)[0]:
        stmts = parse_sql(statement.sql)
        assert len(stmts) == 1, statement.sql
        node = stmts[0].stmt
        kinds.add(type(node).__name__)
        if isinstance(node, ast.CreateStmt):
            names.add(node.relation.relname)
            names.update(e.colname for e in node.tableElts or () if isinstance(e, ast.ColumnDef))
    return kinds, names


BUILT = [c for c in CELLS if c.name.startswith(("default closes", "default commits", "type ", "check drops"))]


@pytest.mark.parametrize("cell", BUILT, ids=[c.name for c in BUILT])
def test_up_of_a_hostile_cell_builds_nothing_the_document_did_not_state(
    cell: Cell, tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, TABLE_DOC.format(row=cell.line))
    assert up(doc, fresh_database_url, capsys) == 1  # the document has errors: nothing is built
    assert relations(fresh_database_url) == set()


def test_default_written_with_a_semicolon_phrase_is_built_as_written(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # In a constraints phrase a ';' ends the phrase: the default is 'a' and the rest is prose.
    doc = write(
        tmp_path,
        "# Shop\n\n## accounts\n\n- `id` (bigint, PK)\n- `kind` (text, DEFAULT 'a'; DROP TABLE accounts)\n",
    )
    code, diags = check_json(doc, capsys)
    assert code == 0 and not [d for d in diags if d["level"] == "error"]
    assert up(doc, fresh_database_url, capsys) == 0
    assert relations(fresh_database_url) == {"r accounts", "i accounts_pkey"}
    with psycopg.connect(fresh_database_url) as conn:
        row = conn.execute(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d"
            " JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
            " WHERE d.adrelid = 'accounts'::regclass AND a.attname = 'kind'"
        ).fetchone()
    assert row == ("'a'::text",)


# -- bullet lists ---------------------------------------------------------------------------------

BULLETS = """# Shop

## accounts

- `id` (bigint, PK)
- `label` (text, DEFAULT 'x' || pg_read_file('/etc/hostname'))
- `score` (int, CHECK (score > 0 /* ), pwn int */))
"""


def test_hostile_bullets_are_errors_at_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, BULLETS)
    code, diags = check_json(doc, capsys)
    assert code == 1
    errors = sorted((d["code"], d["line"]) for d in diags if d["level"] == "error")
    assert errors == [("SD040", 6), ("SD040", 7)]
    schema, _ = read_documents([doc])
    table = schema.tables[QName("public", "accounts")]
    label = table.column("label")
    assert label is not None and label.default is None and table.checks == ()


# -- SQL fences -----------------------------------------------------------------------------------

FENCE = """# Notes

```sql
CREATE TABLE notes (id int PRIMARY KEY, body text CHECK (body <> '' /* ) ; DROP TABLE notes ; -- */));
COPY notes TO PROGRAM 'touch /tmp/schemadoc_hostile';
ALTER SYSTEM SET work_mem = '1GB';
DROP DATABASE postgres;
COMMIT;
CREATE ROLE schemadoc_boss SUPERUSER;
\\! touch /tmp/schemadoc_hostile
COPY notes FROM '/etc/hostname';
```
"""


def test_statements_reaching_outside_are_warned_at_their_lines_and_never_built(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, FENCE)
    code, diags = check_json(doc, capsys)
    assert code == 0
    outside = sorted(d["line"] for d in diags if d["code"] == "SD041")
    assert outside == [5, 6, 9, 10, 11]
    # DROP DATABASE (pg_dump -c writes one) is never run either; it is only a note
    assert [(d["line"], d["level"]) for d in diags if "DROP DATABASE" in d["message"]] == [(7, "note")]
    assert all(d["level"] == "warning" for d in diags if d["code"] == "SD041")
    # a COMMIT does not reach outside the database: it is a warning of its own
    assert [(d["line"], d["level"]) for d in diags if d["code"] == "SD051"] == [(8, "warning")]
    schema, _ = read_documents([doc])
    assert sorted(schema.tables) == [QName("public", "notes")] and not schema.roles
    (check,) = schema.tables[QName("public", "notes")].checks
    assert "DROP" not in check.expression and "/*" not in check.expression
    # up refuses the document (it reaches outside) and touches nothing
    assert up(doc, fresh_database_url, capsys) == 1
    assert relations(fresh_database_url) == set()
    with psycopg.connect(fresh_database_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'schemadoc_boss'").fetchone() == (
            0,
        )
        assert conn.execute("SELECT current_setting('work_mem') <> '1GB'").fetchone() == (True,)


ROUTINE = """# Notes

```sql
CREATE TABLE notes (id int PRIMARY KEY, body text);
CREATE FUNCTION leak() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  COPY (SELECT 1) TO PROGRAM 'touch /tmp/schemadoc_hostile';
  RETURN NEW;
END $f$;
CREATE TRIGGER notes_leak BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION leak();
CREATE VIEW v AS SELECT 1 AS one; DROP TABLE notes_archive;
```
"""


def test_a_routine_that_reaches_outside_is_an_error_and_not_built(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, ROUTINE)
    code, diags = check_json(doc, capsys)
    assert code == 1
    errors = sorted((d["code"], d["line"]) for d in diags if d["level"] == "error")
    assert errors == [("SD042", 5), ("SD042", 10)]
    schema, _ = read_documents([doc])
    assert not schema.functions and not schema.triggers
    assert (
        sorted(schema.views) == [QName("public", "v")]
        and schema.views[QName("public", "v")].definition == "SELECT 1 AS one"
    )
    assert up(doc, fresh_database_url, capsys) == 1
    assert relations(fresh_database_url) == set()


# -- the fragment check itself --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slot"),
    [
        ("x > 0", "expression"),
        ("x > 0 -- positive\n AND y > 0", "expression"),
        ("now()", "default"),
        ("$$it's$$", "default"),
        ("character varying(20)[]", "type"),
        ("lower(email) DESC NULLS LAST", "index_key"),
        ("deleted_at IS NULL", "predicate"),
        ("SELECT a FROM t UNION SELECT b FROM u", "view"),
        ("a integer, b text DEFAULT 'x'", "arguments"),
        ("TABLE (a int, b text)", "returns"),
        ("FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')", "partition_bound"),
    ],
)
def test_fragments_that_fit_their_slot_pass(text: str, slot: Any) -> None:
    assert fragment_problem(text, slot) is None


@pytest.mark.parametrize(
    ("text", "slot", "says"),
    [
        ("x > 0) OR (true", "expression", "closes a bracket"),
        ("x > 0) NOT VALID, CHECK (y > 0", "expression", "closes a bracket"),
        ("1 NOT NULL", "default", "carries more"),
        ("1, pwn int", "default", "carries more"),
        ("int DEFAULT 1", "type", "does not parse"),
        ("a, b", "index_key", "carries more"),
        ("true; DROP TABLE t", "predicate", "';'"),
        ("SELECT 1 WITH CHECK OPTION", "view", "carries more"),
        ("SELECT 1 WITH NO DATA", "matview", "carries more"),
        ("int LANGUAGE plpgsql", "returns", "carries more"),
        (
            "a int) RETURNS int LANGUAGE sql AS $$ $$; CREATE FUNCTION g(b int",
            "arguments",
            "closes a bracket",
        ),
        ("'a' /* x", "default", "unterminated"),
        ("$x$a", "default", "unterminated"),
        ("'x' --", "default", "'--' comment"),
    ],
)
def test_fragments_that_break_their_wrapper_are_refused(text: str, slot: Any, says: str) -> None:
    problem = fragment_problem(text, slot)
    assert problem is not None and says in problem


def test_dollar_quote_tag_never_occurs_in_the_body() -> None:
    body = "BEGIN RETURN '$body$'; END $body1$"
    quoted = dollar_quote(body)
    tag = quoted[: quoted.index("$", 1) + 1]
    assert tag not in body and quoted == f"{tag}{body}{tag}"


# -- the protocol: one statement per command -------------------------------------------------------


@dataclass(frozen=True)
class Stmt:
    sql: str
    span: Span | None = None


def test_apply_refuses_two_statements_in_one_string(fresh_database_url: str) -> None:
    two = Stmt("CREATE TABLE first_one (id int); CREATE TABLE second_one (id int)", Span("doc.md", 3, 1))
    with connect(fresh_database_url) as conn, pytest.raises(SchemadocError) as info:
        apply_statements(conn, [two])
    diag = info.value.diagnostic
    assert diag.code == "SD520" and "cannot insert multiple commands" in diag.message
    assert diag.span == Span("doc.md", 3, 1)
    assert relations(fresh_database_url) == set()


def test_row_synthesis_refuses_two_statements_in_one_string(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        rows = RowFactory(conn, Schema())
        with pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"):
            rows.execute(b"SELECT 1; CREATE TABLE pwn (id int)")
    assert relations(fresh_database_url) == set()


# -- probes never commit ---------------------------------------------------------------------------

PROBED = """# Shop

```sql
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email LIKE '%@%'),
    tier text NOT NULL DEFAULT 'basic'
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    total numeric(10, 2) NOT NULL CHECK (total >= 0)
);
```
"""


def _contents(url: str) -> dict[str, tuple[int, str]]:
    with psycopg.connect(url) as conn:
        out: dict[str, tuple[int, str]] = {}
        for table in ("customers", "orders"):
            q = sql.SQL(
                "SELECT count(*), coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM {} t"
            )
            row = conn.execute(q.format(sql.Identifier(table))).fetchone()
            assert row is not None
            out[table] = (int(row[0]), str(row[1]))
    return out


def test_verify_on_a_populated_database_never_commits(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, PROBED)
    assert main(["up", str(doc), "--structure", "--database-url", fresh_database_url]) == 0
    capsys.readouterr()
    with psycopg.connect(fresh_database_url) as conn:
        conn.execute(
            "INSERT INTO customers VALUES (1, 'a@example.org', 'gold'), (2, 'b@example.org', 'basic')"
        )
        conn.execute("INSERT INTO orders VALUES (10, 1, 5.00), (11, 2, 7.50), (12, 2, 0)")
    before = _contents(fresh_database_url)
    assert before["customers"][0] == 2 and before["orders"][0] == 3
    code = main(["verify", str(doc), "--format", "json", "--database-url", fresh_database_url])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0, payload
    kept = [p for p in payload["promises"]["results"] if p["outcome"] == "kept"]
    assert len(kept) >= 8  # the probes really inserted, updated and deleted rows
    assert _contents(fresh_database_url) == before


def test_a_probe_transaction_that_ends_early_stops_the_run(
    tmp_path: Path,
    fresh_database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = write(tmp_path, PROBED)
    assert main(["up", str(doc), "--structure", "--database-url", fresh_database_url]) == 0
    capsys.readouterr()
    schema, _ = read_documents([doc])

    def commits(self: Any, p: Any) -> None:
        self.rows.execute(b"COMMIT")

    monkeypatch.setitem(probes._PROBES, "not_null", commits)
    with connect(fresh_database_url) as conn, pytest.raises(SchemadocError) as info:
        verify_promises(conn, schema)
    assert info.value.diagnostic.code == "SD704"
    assert "ended before its rollback" in info.value.diagnostic.message


NAMES = """# Grants

```sql
CREATE TABLE t (id int PRIMARY KEY, a text COLLATE \"\"\" ; DROP TABLE t; --\");
GRANT "select; drop table t; --" ON t TO PUBLIC;
```
"""


def test_names_that_carry_sql_are_errors_and_not_built(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, NAMES)
    code, diags = check_json(doc, capsys)
    assert code == 1
    assert sorted((d["code"], d["line"]) for d in diags if d["level"] == "error") == [
        ("SD040", 4),
        ("SD040", 5),
    ]
    schema, _ = read_documents([doc])
    column = schema.tables[QName("public", "t")].column("a")
    assert column is not None and column.collation is None and schema.grants == ()
    assert up(doc, fresh_database_url, capsys) == 1
    assert relations(fresh_database_url) == set()


BACKSLASH = """# Files

## paths

| Column | Type | Default |
|---|---|---|
| id | int | |
| root | text | 'C:\\' |
| tail | text | 'x' |
"""


def test_a_backslash_default_is_read_by_the_server_as_it_was_checked(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # With standard_conforming_strings off the server would read 'C:\\' as an open string.
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        name = conn.info.dbname
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET standard_conforming_strings = off").format(sql.Identifier(name))
        )
    doc = write(tmp_path, BACKSLASH)
    assert up(doc, fresh_database_url, capsys) == 0
    with psycopg.connect(fresh_database_url) as conn:
        conn.execute("SET standard_conforming_strings = on")
        rows = conn.execute(
            "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d"
            " JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
            " WHERE d.adrelid = 'paths'::regclass ORDER BY a.attnum"
        ).fetchall()
    assert rows == [("root", "'C:\\'::text"), ("tail", "'x'::text")]


UNTRUSTED = """# Jobs

```sql
CREATE TABLE jobs (id int PRIMARY KEY);
CREATE FUNCTION run_shell() RETURNS trigger LANGUAGE plpython3u AS $py$
import os
os.system("id")
$py$;
CREATE FUNCTION native() RETURNS int LANGUAGE c AS 'libc', 'getpid';
CREATE TRIGGER jobs_shell AFTER INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION run_shell();
```
"""


def test_routines_in_untrusted_languages_are_errors_and_not_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, UNTRUSTED)
    code, diags = check_json(doc, capsys)
    assert code == 1
    errors = sorted((d["code"], d["line"]) for d in diags if d["level"] == "error")
    assert errors == [("SD042", 5), ("SD042", 9), ("SD042", 10)]
    schema, _ = read_documents([doc])
    assert sorted(schema.tables) == [QName("public", "jobs")] and not schema.functions and not schema.triggers


GENERATED = """# public.users

## Columns

| Name | Type | Default | Nullable | Children | Parents | Comment |
| ---- | ---- | ------- | -------- | -------- | ------- | ------- |
| id | integer |  | false |  |  |  |

## Constraints

| Name | Type | Definition |
| ---- | ---- | ---------- |
| users_pkey | PRIMARY KEY | PRIMARY KEY (id); CREATE TABLE pwn (x int) |
| users_idx | INDEX | CREATE INDEX users_idx ON public.users USING btree (id); CREATE TABLE pwn2 (y int) |
| users_ok | CHECK | CHECK (id > 0) |
"""


def test_generated_constraint_rows_cannot_add_a_statement(tmp_path: Path) -> None:
    doc = write(tmp_path, GENERATED)
    schema, diags = read_documents([doc])
    errors = sorted((d.code, d.span.line if d.span else 0) for d in diags if d.level == "error")
    assert errors == [("SD040", 13), ("SD040", 14)]
    assert set(schema.tables) == {QName("public", "users")}
    (check,) = schema.tables[QName("public", "users")].checks
    assert check.expression == "id > 0"
