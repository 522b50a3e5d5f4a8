"""A run of `apply` stopped inside the online NOT NULL recipe (a CHECK (col IS NOT NULL) added
NOT VALID, validated, SET NOT NULL, the CHECK dropped) leaves the stand-in CHECK behind: the next
run finishes the column without a flag and leaves nothing of the recipe."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from apply_support import cli
from psycopg import sql

from schemadoc.compare.recipes import not_null_name
from schemadoc.model import QName

DOC = """# Notes

```sql
CREATE TABLE notes (
    id integer PRIMARY KEY,
    body text NOT NULL
);
```
"""

LEFTOVER = not_null_name(QName("public", "notes"), "body")


def _setup(url: str, *, column_not_null: bool, check_validated: bool) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id integer PRIMARY KEY, body text)")
        conn.execute("INSERT INTO notes VALUES (1, 'a'), (2, 'b')")
        conn.execute(
            sql.SQL("ALTER TABLE notes ADD CONSTRAINT {} CHECK (body IS NOT NULL) NOT VALID").format(
                sql.Identifier(LEFTOVER)
            )
        )
        if check_validated:
            conn.execute(sql.SQL("ALTER TABLE notes VALIDATE CONSTRAINT {}").format(sql.Identifier(LEFTOVER)))
        if column_not_null:
            conn.execute("ALTER TABLE notes ALTER COLUMN body SET NOT NULL")


def _state(url: str) -> tuple[bool, list[str]]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'notes'::regclass AND attname = 'body'"
        ).fetchone()
        checks = [
            r[0]
            for r in conn.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'notes'::regclass AND contype = 'c'"
            ).fetchall()
        ]
    assert row is not None
    return bool(row[0]), checks


@pytest.mark.parametrize(
    ("column_not_null", "check_validated"),
    [(False, False), (False, True), (True, True)],
    ids=["after-the-first-step", "after-validate", "after-set-not-null"],
)
def test_a_run_stopped_inside_the_not_null_recipe_is_finished_by_the_next(
    tmp_path: Path,
    fresh_database_url: str,
    capsys: pytest.CaptureFixture[str],
    column_not_null: bool,
    check_validated: bool,
) -> None:
    doc = tmp_path / "notes.md"
    doc.write_text(DOC)
    _setup(fresh_database_url, column_not_null=column_not_null, check_validated=check_validated)
    code, plan = cli(capsys, "plan", str(doc), "--database-url", fresh_database_url)
    # the stand-in is schemadoc's own: no destructive flag is needed to drop it
    assert code == 0, plan
    assert plan["steps"] and not [
        s for s in plan["steps"] if s["hazards"] and "drops-constraint" in s["hazards"]
    ]
    code, applied = cli(capsys, "apply", str(doc), "--database-url", fresh_database_url, "--yes")
    assert code == 0, applied
    assert _state(fresh_database_url) == (True, [])
    code, again = cli(capsys, "plan", str(doc), "--database-url", fresh_database_url)
    assert code == 0 and again["steps"] == []


def test_a_check_of_the_same_shape_under_another_name_is_a_promise(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "notes.md"
    doc.write_text(DOC)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)")
        conn.execute("ALTER TABLE notes ADD CONSTRAINT body_present CHECK (body IS NOT NULL)")
    code, plan = cli(capsys, "plan", str(doc), "--database-url", fresh_database_url)
    assert code == 3, plan
    assert _state(fresh_database_url) == (True, ["body_present"])
