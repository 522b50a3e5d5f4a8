"""Say what you did not do: a construct the reader recognises but does not build is a warning
(SD030) at its line, ``--strict`` makes it an error, and what a document clearly means is built
(foreign-key sentences, auto-updated timestamps, indexed columns)."""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import psycopg
import pytest
from psycopg import sql

from schemadoc import cli
from schemadoc.actions import build
from schemadoc.diagnostics import NOT_BUILT, Diagnostic, not_built_construct, strict
from schemadoc.model import QName, Schema
from schemadoc.pg.connect import create_database, with_database
from schemadoc.read import RAISE_READER_ERRORS_ENV, read_documents
from schemadoc.read import markdown as walker
from schemadoc.read.columns import TableKind
from schemadoc.read.facts import DocFacts

from conftest import seed_file


def _doc(tmp_path: Path, text: str, name: str = "doc.md") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def _read(tmp_path: Path, text: str) -> tuple[Schema, list[Diagnostic]]:
    return read_documents([_doc(tmp_path, text)], stub_missing=True)


def _not_built(diags: list[Diagnostic]) -> list[tuple[str, int]]:
    return [
        (construct, d.span.line if d.span else 0)
        for d in diags
        if (construct := not_built_construct(d)) is not None
    ]


_TABLE_HEAD = """\
# Schema

## users

| Column | Type | Constraints |
|---|---|---|
| id | integer | PRIMARY KEY |
| created_at | timestamptz | NOT NULL |
"""

# (construct named by the warning, document after the users table, text that starts its line)
_CASES: list[tuple[str, str, str]] = [
    ("DO statement", "```sql\nDO $$ BEGIN PERFORM 1; END $$;\n```\n", "DO"),
    (
        "CREATE RULE statement",
        "```sql\nCREATE RULE r AS ON DELETE TO users DO INSTEAD NOTHING;\n```\n",
        "CREATE",
    ),
    (
        "CREATE EVENT TRIGGER statement",
        "```sql\nCREATE EVENT TRIGGER e ON ddl_command_end\n  EXECUTE FUNCTION f();\n```\n",
        "CREATE",
    ),
    (
        "ALTER TABLE DROP COLUMN",
        "```sql\nSELECT 1;\nALTER TABLE users DROP COLUMN created_at;\n```\n",
        "ALTER",
    ),
    ("ALTER TYPE statement", "```sql\nALTER TYPE mood ADD VALUE 'meh';\n```\n", "ALTER"),
    ("REVOKE statement", "```sql\nREVOKE ALL ON users FROM PUBLIC;\n```\n", "REVOKE"),
    ("CREATE TABLE AS statement", "```sql\nCREATE TABLE copy AS SELECT * FROM users;\n```\n", "CREATE"),
    ("LIKE clause", "```sql\nCREATE TABLE u2 (\n  LIKE users\n);\n```\n", "  LIKE"),
    ("GRANT on database", "```sql\nGRANT CONNECT ON DATABASE app TO reader;\n```\n", "GRANT"),
    ("UNLOGGED table", "```sql\nCREATE UNLOGGED TABLE cache (k text PRIMARY KEY);\n```\n", "CREATE"),
    (
        "table option FILLFACTOR",
        "```sql\nCREATE TABLE t1 (a int)\n  WITH (fillfactor = 70);\n```\n",
        "  WITH",
    ),
    (
        "index option FILLFACTOR",
        "```sql\nCREATE INDEX ON users (id)\n  WITH (fillfactor = 50);\n```\n",
        "  WITH",
    ),
    (
        "function option COST",
        "```sql\nCREATE FUNCTION f() RETURNS int LANGUAGE sql\n  COST 10\n  AS $$ SELECT 1 $$;\n```\n",
        "  COST",
    ),
    (
        "WITH CHECK OPTION",
        "```sql\nCREATE VIEW adults AS SELECT * FROM users WHERE id > 0 WITH CHECK OPTION;\n```\n",
        "CREATE",
    ),
    (
        "CONSTRAINT TRIGGER",
        "```sql\nCREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;\n"
        "CREATE CONSTRAINT TRIGGER c AFTER INSERT ON users DEFERRABLE INITIALLY DEFERRED\n"
        "  FOR EACH ROW EXECUTE FUNCTION f();\n```\n",
        "CREATE CONSTRAINT",
    ),
    (
        "foreign-key action without a foreign key",
        "## posts\n\n| Column | Type | Constraints |\n|---|---|---|\n| id | integer | PRIMARY KEY |\n"
        "| owner | integer | ON DELETE CASCADE |\n",
        "| owner",
    ),
    ("many-to-many relationship", "```mermaid\nerDiagram\n  users }o--o{ groups : joins\n```\n", "  users"),
    (
        "FK mark without a target",
        "## posts\n\n| Column | Type | Constraints |\n|---|---|---|\n| id | integer | PRIMARY KEY |\n"
        "| owner | integer | FK |\n",
        "| owner",
    ),
    (
        "composite type",
        "## Types\n\n### point2\n\n| column name | type |\n|---|---|\n| x | integer |\n",
        "| column",
    ),
    (
        "trigger without event or table",
        "**Triggers:**\n\n- `touch_users()` - keeps things fresh\n",
        "- `touch",
    ),
    (
        "auto-updated column",
        "## revisions\n\n| Column | Type | Constraints |\n|---|---|---|\n| id | integer | PRIMARY KEY |\n"
        "| rev | integer | NOT NULL, AUTO |\n",
        "| rev",
    ),
]


@pytest.mark.parametrize(("construct", "rest", "starts"), _CASES, ids=[c[0] for c in _CASES])
def test_each_recognised_construct_not_built_is_a_warning_at_its_line(
    tmp_path: Path, construct: str, rest: str, starts: str
) -> None:
    text = _TABLE_HEAD + "\n" + rest
    line = next(i for i, raw in enumerate(text.splitlines(), 1) if raw.startswith(starts) and i > 9)
    _, diags = _read(tmp_path, text)
    assert _not_built(diags) == [(construct, line)]
    (warning,) = [d for d in diags if d.code == NOT_BUILT.code]
    assert warning.level == "warning" and warning.hint


def test_statements_that_state_no_schema_stay_notes(tmp_path: Path) -> None:
    _, diags = _read(
        tmp_path, _TABLE_HEAD + "\n```sql\nINSERT INTO users VALUES (1, now());\nDROP TABLE old;\n```\n"
    )
    assert _not_built(diags) == []
    assert [(d.code, d.level) for d in diags] == [("SD010", "note"), ("SD010", "note")]


def test_strict_makes_only_not_built_warnings_errors() -> None:
    from schemadoc.model import Span

    span = Span("d.md", 3)
    other = Diagnostic("SD205", "warning", "typed text", span)
    made = strict([Diagnostic(NOT_BUILT.code, "warning", "X recognised but not built: y", span), other])
    assert [(d.code, d.level) for d in made] == [(NOT_BUILT.code, "error"), ("SD205", "warning")]


# a table whose storage options are not built: the example for --strict
_STRICT_DOC = (
    _TABLE_HEAD
    + "\n## bookings\n\n```sql\nCREATE TABLE bookings (\n  id int PRIMARY KEY\n)\n  WITH (fillfactor = 70);\n```\n"
)


def test_strict_check_and_sql_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = str(_doc(tmp_path, _STRICT_DOC))
    assert cli.main(["check", doc]) == cli.EXIT_OK
    assert cli.main(["check", "--strict", doc]) == cli.EXIT_PROBLEMS
    capsys.readouterr()
    assert cli.main(["check", "--strict", "--format", "json", doc]) == cli.EXIT_PROBLEMS
    payload = json.loads(capsys.readouterr().out)
    (err,) = [d for d in payload["diagnostics"] if d["level"] == "error"]
    assert (err["code"], err["line"]) == (
        "SD030",
        _STRICT_DOC.splitlines().index("  WITH (fillfactor = 70);") + 1,
    )
    assert "hint" in err
    assert cli.main(["sql", doc]) == cli.EXIT_OK
    assert "CREATE TABLE public.bookings" in capsys.readouterr().out
    assert cli.main(["sql", "--strict", doc]) == cli.EXIT_PROBLEMS
    out = capsys.readouterr()
    assert "CREATE TABLE" not in out.out and "error SD030 table option FILLFACTOR" in out.err


def test_strict_up_and_verify_stop_before_touching_the_database(tmp_path: Path, database_url: str) -> None:
    doc = str(_doc(tmp_path, _STRICT_DOC))
    assert cli.main(["up", "--strict", "--database-url", database_url, doc]) == cli.EXIT_PROBLEMS
    assert cli.main(["verify", "--strict", "--database-url", database_url, doc]) == cli.EXIT_PROBLEMS
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        ).fetchone()
    assert row == (0,)


# -- foreign-key sentences ------------------------------------------------------------------------

_AUTHORS = """\
# Library

## authors

| Column | Type | Constraints |
|---|---|---|
| id | integer | PRIMARY KEY |

## pairs

| Column | Type | Constraints |
|---|---|---|
| x | integer | NOT NULL |
| y | integer | NOT NULL |

**Constraints:**

- UNIQUE (x, y)

## posts

| Column | Type | Constraints |
|---|---|---|
| id | integer | PRIMARY KEY |
| author_id | integer | NOT NULL |
| px | integer | |
| py | integer | |
| title | text | |
| updatedAt | TIMESTAMP | NOT NULL, @updatedAt |
"""


@pytest.mark.parametrize(
    "where",
    [
        "- Foreign key on `author_id` references `authors`(`id`) ON DELETE CASCADE\n",
        "**Constraints:**\n\n- Foreign key on `author_id` references `authors`(`id`) ON DELETE CASCADE\n",
        "### Foreign keys\n\n- Foreign key on `author_id` references `authors`(`id`) ON DELETE CASCADE\n",
        "Foreign key on `author_id` references `authors`(`id`) ON DELETE CASCADE\n",
    ],
    ids=["bullet", "constraints label", "foreign keys heading", "paragraph"],
)
def test_fk_sentence_builds_a_foreign_key(tmp_path: Path, where: str) -> None:
    schema, diags = _read(tmp_path, _AUTHORS + "\n" + where)
    (fk,) = schema.tables[QName("public", "posts")].foreign_keys
    assert (fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete) == (
        ("author_id",),
        QName("public", "authors"),
        ("id",),
        "CASCADE",
    )
    assert fk.span is not None and fk.span.line == _AUTHORS.count("\n") + 1 + where.count("\n")
    assert not [d for d in diags if d.code == "SD018"]


def test_multi_column_and_older_fk_sentences(tmp_path: Path) -> None:
    schema, _ = _read(
        tmp_path,
        _AUTHORS + "\n- FOREIGN KEY on `px` and `py` which references `pairs(x, y)` ON DELETE SET NULL\n"
        "- It has a FOREIGN KEY on the column `author_id` that references the `id` of Authors table.\n",
    )
    fks = {fk.columns: fk for fk in schema.tables[QName("public", "posts")].foreign_keys}
    assert set(fks) == {("px", "py"), ("author_id",)}
    assert (fks[("px", "py")].ref_table, fks[("px", "py")].ref_columns) == (
        QName("public", "pairs"),
        ("x", "y"),
    )
    assert fks[("px", "py")].on_delete == "SET NULL"
    assert (fks[("author_id",)].ref_table, fks[("author_id",)].on_delete) == (
        QName("public", "authors"),
        "NO ACTION",
    )


def test_fk_sentence_that_cannot_be_read_is_said(tmp_path: Path) -> None:
    _, diags = _read(
        tmp_path, _AUTHORS + "\n- Foreign key on `author_id` references somewhere else entirely\n"
    )
    line = _AUTHORS.count("\n") + 2
    assert [(d.code, d.span.line if d.span else 0) for d in diags if d.code == "SD018"] == [("SD018", line)]


def test_fk_action_written_apart_from_its_reference_is_kept(tmp_path: Path) -> None:
    schema, diags = _read(
        tmp_path,
        """\
        # S

        ## users

        | Column | Type | Constraints |
        |---|---|---|
        | id | integer | PRIMARY KEY |

        ## posts

        | Column | Type | Constraints | References |
        |---|---|---|---|
        | id | integer | PRIMARY KEY | |
        | user_id | integer | NOT NULL, ON DELETE CASCADE | users(id) |
        | editor_id | integer | ON DELETE SET NULL, ON UPDATE CASCADE | |

        **Foreign keys:**

        - `editor_id` → `users(id)`
        """,
    )
    fks = {
        fk.columns: (fk.on_delete, fk.on_update)
        for fk in schema.tables[QName("public", "posts")].foreign_keys
    }
    assert fks == {("user_id",): ("CASCADE", "NO ACTION"), ("editor_id",): ("SET NULL", "CASCADE")}
    assert _not_built(diags) == []


# -- built on a real database --------------------------------------------------------------------------

_BUILT_DOC = (
    _AUTHORS
    + "\n- Foreign key on `author_id` references `authors`(`id`) ON DELETE CASCADE\n"
    + "- FOREIGN KEY on `px` and `py` which references `pairs(x, y)` ON DELETE SET NULL\n"
)


@pytest.fixture(scope="module")
def built(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Schema]]:
    """The FK and @updatedAt document built in a database of its own."""
    doc = _doc(tmp_path_factory.mktemp("built"), _BUILT_DOC)
    schema, diags = read_documents([doc])
    assert not [d for d in diags if d.level == "error"]
    name = f"sd_notbuilt_{uuid.uuid4().hex[:10]}"
    url = with_database(database_url, name)
    build(url, schema, maintenance_url=database_url)
    try:
        yield url, schema
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_fk_sentences_act_on_a_real_database(built: tuple[str, Schema]) -> None:
    url, _ = built
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO authors VALUES (1), (2)")
        conn.execute("INSERT INTO pairs VALUES (5, 6)")
        conn.execute("INSERT INTO posts (id, author_id, px, py) VALUES (10, 1, 5, 6), (11, 2, NULL, NULL)")
        conn.execute("DELETE FROM pairs")
        assert conn.execute("SELECT px, py FROM posts WHERE id = 10").fetchone() == (None, None)
        conn.execute("DELETE FROM authors WHERE id = 1")
        assert conn.execute("SELECT id FROM posts ORDER BY id").fetchall() == [(11,)]
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("INSERT INTO posts (id, author_id) VALUES (12, 99)")
        conn.rollback()


def test_updated_at_gets_a_default_and_a_refresh_trigger(built: tuple[str, Schema]) -> None:
    url, schema = built
    posts = schema.tables[QName("public", "posts")]
    assert posts.column("updatedAt") is not None and posts.column("updatedAt").default == "now()"  # type: ignore[union-attr]
    (trigger,) = schema.triggers_on(QName("public", "posts"))
    assert (trigger.timing, trigger.events, trigger.for_each_row) == ("BEFORE", ("UPDATE",), True)
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO authors VALUES (7)")
        # omitted: the default fills it in (it is NOT NULL)
        conn.execute("INSERT INTO posts (id, author_id, title) VALUES (20, 7, 'a')")
        conn.execute(
            """INSERT INTO posts (id, author_id, title, "updatedAt") VALUES (21, 7, 'b', '2001-02-03')"""
        )
        conn.execute("UPDATE posts SET title = 'c' WHERE id = 21")
        row = conn.execute(
            """SELECT "updatedAt" > '2001-02-03'::timestamp, "updatedAt" IS NOT NULL FROM posts WHERE id = 21"""
        ).fetchone()
        assert row == (True, True)
        conn.rollback()


def test_auto_column_note_names_what_was_built(tmp_path: Path) -> None:
    _, diags = _read(tmp_path, _BUILT_DOC)
    (note,) = [d for d in diags if d.code == "SD031"]
    line = _AUTHORS.splitlines().index("| updatedAt | TIMESTAMP | NOT NULL, @updatedAt |") + 1
    assert note.level == "note" and note.span is not None and note.span.line == line
    assert "DEFAULT now()" in note.message and "BEFORE UPDATE" in note.message


def test_a_trigger_the_document_writes_is_not_doubled(tmp_path: Path) -> None:
    doc = _AUTHORS + textwrap.dedent(
        """
        ```sql
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW."updatedAt" := now(); RETURN NEW; END $$;
        CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch();
        ```
        """
    )
    schema, _ = _read(tmp_path, doc)
    assert [t.name for t in schema.triggers_on(QName("public", "posts"))] == ["posts_touch"]


def test_seed_002_builds_and_keeps_every_promise(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = seed_file(2)
    name = f"sd_seed002_{uuid.uuid4().hex[:10]}"
    create_database(database_url, name)
    try:
        url = with_database(database_url, name)
        code = cli.main(["up", "--stub-missing", "--format", "json", "--database-url", url, str(path)])
        payload = json.loads(capsys.readouterr().out)
        assert code == cli.EXIT_OK, payload["diagnostics"]
        promises = payload["promises"]
        assert promises["counts"]["broken"] == 0 and promises["counts"]["untestable"] == 0
        assert promises["counts"]["kept"] == promises["counts"]["total"]
        refreshed = [
            r for r in promises["results"] if r["kind"] == "trigger" and "updatedAt" in r["description"]
        ]
        assert len(refreshed) == 8 and all(p["outcome"] == "kept" for p in refreshed)
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# -- INDEXED, dispatch tables, the guard ---------------------------------------------------------------


def test_indexed_column_gets_an_index(tmp_path: Path) -> None:
    schema, diags = _read(tmp_path, _TABLE_HEAD.replace("| NOT NULL |", "| NOT NULL, INDEXED |"))
    assert [(i.table, i.keys) for i in schema.indexes.values()] == [
        (QName("public", "users"), ("created_at",))
    ]
    assert _not_built(diags) == []


def test_every_table_kind_but_unknown_has_a_reader() -> None:
    assert set(walker._TABLE_READERS) == set(get_args(TableKind)) - {"unknown"}


def test_a_reader_failure_raises_under_tests_and_is_a_warning_for_users(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(text: str, **_: object) -> DocFacts:
        raise KeyError("boom")

    monkeypatch.setitem(walker._TEXT_READERS, "mermaid", broken)
    text = "# S\n\n```mermaid\nerDiagram\n  A { int id PK }\n```\n"
    with pytest.raises(KeyError):
        walker.read_markdown(text, file="d.md")
    monkeypatch.delenv(RAISE_READER_ERRORS_ENV)
    facts = walker.read_markdown(text, file="d.md")
    assert [(d.code, d.level, d.span.line if d.span else 0) for d in facts.diagnostics] == [
        ("SD019", "warning", 3)
    ]
