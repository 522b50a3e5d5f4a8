"""Migration sets are replayed in order; reference documents and their rollback sections are not.

A document whose SQL creates, then alters, renames and drops is built as the schema its last
statement leaves: checked by building it with ``up`` and loading the same SQL as it is into
another database, then ``verify --structure`` of the document against that load. The other
reading is checked on its own: a rollback section, a down migration and a pg_dump style
``DROP ... IF EXISTS`` ahead of its CREATE change nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from schemadoc.cli import main
from schemadoc.read import pg_names
from schemadoc.read.markdown import read_markdown
from schemadoc.read.resolve import resolve
from schemadoc.read.sql_replay import section_mode

from conftest import scratch_database

_LONG_TABLE = "t" * 40 + "_accounts"
_LONG_COLUMN = "c" * 30 + "_external_reference"

MIGRATIONS = [
    (
        "V1 create",
        """
CREATE TYPE state AS ENUM ('new', 'done');
CREATE TABLE owners (id bigint PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE jobs (
  id serial PRIMARY KEY,
  owner_id bigint REFERENCES owners (id),
  title varchar(40) NOT NULL,
  legacy text CHECK (legacy <> ''),
  state state NOT NULL DEFAULT 'new',
  UNIQUE (owner_id, title)
);
CREATE INDEX jobs_title_idx ON jobs (title);
CREATE INDEX jobs_legacy_idx ON jobs (legacy);
CREATE TABLE scratch (id int);
CREATE VIEW owner_names AS SELECT owners.name FROM public.owners WHERE owners.id > 0;
""",
    ),
    (
        "V2 change",
        f"""
ALTER TABLE jobs RENAME COLUMN title TO name;
ALTER TABLE jobs ALTER COLUMN name TYPE text;
ALTER TABLE jobs ALTER COLUMN name DROP NOT NULL;
CREATE VIEW open_jobs AS SELECT id FROM jobs WHERE state = 'new';
ALTER TABLE jobs ALTER COLUMN state DROP DEFAULT;
ALTER TABLE jobs DROP COLUMN legacy;
ALTER TABLE jobs DROP CONSTRAINT jobs_owner_id_fkey, DROP CONSTRAINT jobs_owner_id_title_key;
ALTER TABLE jobs ADD COLUMN due date;
ALTER TABLE jobs ALTER COLUMN due SET DEFAULT current_date;
ALTER TYPE state ADD VALUE 'running' BEFORE 'done';
DROP INDEX jobs_title_idx;
DROP TABLE scratch;
ALTER TABLE owners RENAME TO people;
ALTER INDEX owners_name_key RENAME TO people_name_uq;
ALTER TABLE people DROP CONSTRAINT owners_pkey CASCADE;
CREATE OR REPLACE VIEW open_jobs AS SELECT id, name FROM jobs WHERE state = 'new';
CREATE TABLE {_LONG_TABLE} (id int PRIMARY KEY, {_LONG_COLUMN} int UNIQUE);
ALTER TABLE {_LONG_TABLE} DROP CONSTRAINT {pg_names.unique_name(_LONG_TABLE, [_LONG_COLUMN])};
""",
    ),
]


def _migration_document() -> str:
    return "# Migrations\n\n" + "".join(f"## {title}\n\n```sql{sql}```\n\n" for title, sql in MIGRATIONS)


def test_a_migration_set_builds_the_schema_its_last_statement_leaves(server_url: str, tmp_path: Path) -> None:
    doc = tmp_path / "migrations.md"
    doc.write_text(_migration_document(), encoding="utf-8")
    facts = read_markdown(doc.read_text(encoding="utf-8"), file=doc.name)
    schema, resolved = resolve(facts)
    assert sorted(str(t) for t in schema.tables) == sorted(
        ["public.jobs", "public.people", f"public.{_LONG_TABLE}"]
    )
    jobs = schema.tables[next(q for q in schema.tables if q.name == "jobs")]
    assert [c.name for c in jobs.columns] == ["id", "owner_id", "name", "state", "due"]
    assert jobs.foreign_keys == () and jobs.uniques == () and jobs.checks == ()
    name = next(c for c in jobs.columns if c.name == "name")
    assert (name.type, name.nullable) == ("text", True)
    assert [i.name for i in schema.indexes.values()] == []
    assert next(iter(schema.enums.values())).labels == ("new", "running", "done")
    replayed = [d for d in facts.diagnostics if d.code == "SD243"]
    assert len(replayed) == 1 and replayed[0].level == "note"
    assert not [
        d
        for d in [*facts.diagnostics, *resolved]
        if d.level == "error" or d.code in ("SD030", "SD202", "SD217")
    ]

    with scratch_database(server_url) as raw, scratch_database(server_url) as built:
        with psycopg.connect(raw, autocommit=True) as conn:
            for _, sql in MIGRATIONS:
                conn.execute(sql.encode("utf-8"), prepare=False)
        assert main(["up", str(doc), "--structure", "--database-url", built]) == 0
        assert main(["verify", str(doc), "--structure", "--database-url", raw]) == 0


def test_default_constraint_names_are_the_servers(fresh_database_url: str) -> None:
    """The names a migration drops constraints by, for names that fit and names that do not."""
    long_col = "d" * 50
    table = "e" * 60
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {table} (id int PRIMARY KEY, {long_col} int UNIQUE REFERENCES {table} (id),"
            f" x int CHECK (x > 0), y int, z int, CHECK (y > z), UNIQUE (y, z, x))"
        )
        rows = conn.execute(
            "SELECT conname, contype FROM pg_constraint WHERE conrelid = %s::regclass AND contype <> 'n'",
            (table,),
        ).fetchall()
    got = sorted((str(name), str(kind)) for name, kind in rows)
    expected = sorted(
        [
            (pg_names.primary_key_name(table), "p"),
            (pg_names.unique_name(table, [long_col]), "u"),
            (pg_names.foreign_key_name(table, [long_col]), "f"),
            (pg_names.check_name(table, ["x"]), "c"),
            (pg_names.check_name(table, ["y", "z"]), "c"),
            (pg_names.unique_name(table, ["y", "z", "x"]), "u"),
        ]
    )
    assert got == expected


_REFERENCE = """\
# Schema

## accounts

```sql
DROP TABLE IF EXISTS accounts;
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
```

## Deployment

```sql
ALTER TABLE accounts DROP COLUMN email;
```

## Rollback

```sql
DROP TABLE accounts;
CREATE TABLE accounts_old (id int);
```
"""


def _codes(path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    main(["check", str(path), "--format", "json"])
    diags: list[dict[str, object]] = json.loads(capsys.readouterr().out)["diagnostics"]
    return diags


def test_a_reference_document_keeps_its_tables_despite_rollback_and_deployment_sections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "reference.md"
    doc.write_text(_REFERENCE, encoding="utf-8")
    schema, _ = resolve(read_markdown(_REFERENCE, file=doc.name))
    assert [str(q) for q in schema.tables] == ["public.accounts"]
    assert [c.name for c in next(iter(schema.tables.values())).columns] == ["id", "email"]
    diags = _codes(doc, capsys)
    assert not [d for d in diags if d["code"] == "SD243"]
    (rollback,) = [d for d in diags if d["code"] == "SD244"]
    assert rollback["level"] == "note" and "rollback heading" in str(rollback["message"])
    assert rollback["line"] == 19  # the first line of the fence's SQL


def test_a_down_migration_in_a_fence_is_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        "# Migrations\n\n```sql\n-- migrate:up\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n"
        "ALTER TABLE b ADD COLUMN note text;\n\n-- migrate:down\nDROP TABLE b;\nDROP TABLE a;\n\n"
        "-- migrate:up\nALTER TABLE a ADD COLUMN made timestamptz;\n```\n"
    )
    schema, _ = resolve(read_markdown(text, file="m.md"))
    assert sorted(str(q) for q in schema.tables) == ["public.a", "public.b"]
    assert [c.name for c in schema.tables[next(q for q in schema.tables if q.name == "a")].columns] == [
        "id",
        "made",
    ]
    doc = tmp_path / "m.md"
    doc.write_text(text, encoding="utf-8")
    (down,) = [d for d in _codes(doc, capsys) if d["code"] == "SD244"]
    assert "down migration" in str(down["message"])


def test_a_step_on_a_column_never_created_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "m.md"
    doc.write_text(
        "```sql\nCREATE TABLE a (id int);\nALTER TABLE a DROP COLUMN ghost;\n"
        "ALTER TABLE a DROP COLUMN IF EXISTS phantom;\n```\n",
        encoding="utf-8",
    )
    missing = [d for d in _codes(doc, capsys) if d["code"] == "SD245"]
    assert len(missing) == 1 and "ghost" in str(missing[0]["message"]) and missing[0]["level"] == "warning"


@pytest.mark.parametrize(
    ("title", "mode"),
    [
        ("Rollback", "skip"),
        ("Down", "skip"),
        ("Down migration", "skip"),
        ("Revert V3", "skip"),
        ("Undo", "skip"),
        ("Drill-down reports", "replay"),
        ("Breakdown by table", "replay"),
        ("V2 change", "replay"),
        ("Deployment", "no_replay"),
    ],
)
def test_which_sections_are_read_and_replayed(title: str, mode: str) -> None:
    assert section_mode(["Migrations", title]) == mode
