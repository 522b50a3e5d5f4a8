"""Shared helpers for the seed 000 integration tests: the document, its lines, a built database
and throw-away copies of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from schemadoc import actions
from schemadoc.model import Schema
from schemadoc.pg.connect import with_database
from schemadoc.read import read_documents


@dataclass(frozen=True)
class Seed:
    """The seed document, read, with its text for finding the line that documents an object."""

    path: Path
    schema: Schema
    lines: tuple[str, ...]

    @classmethod
    def read(cls, path: Path) -> Seed:
        schema, diags = read_documents([path], stub_missing=False)
        errors = [d.render() for d in diags if d.level == "error"]
        assert not errors, errors
        return cls(path, schema, tuple(path.read_text().splitlines()))

    def section(self, heading: str) -> range:
        """Line numbers (1-based) of the markdown section whose heading contains ``heading``,
        up to the next heading of the same or a higher level."""
        for i, text in enumerate(self.lines):
            if text.startswith("#") and heading in text:
                level = len(text) - len(text.lstrip("#"))
                end = len(self.lines)
                for j in range(i + 1, len(self.lines)):
                    other = self.lines[j]
                    if other.startswith("#") and len(other) - len(other.lstrip("#")) <= level:
                        end = j
                        break
                return range(i + 1, end + 1)
        raise AssertionError(f"no heading with {heading!r} in {self.path.name}")

    def line(self, needle: str, within: range | None = None, *, start: bool = False) -> int:
        """The first line number containing ``needle`` (or starting with it, ignoring indentation)."""
        numbers = within if within is not None else range(1, len(self.lines) + 1)
        for number in numbers:
            text = self.lines[number - 1]
            if (text.lstrip().startswith(needle)) if start else (needle in text):
                return number
        raise AssertionError(f"{needle!r} not in {self.path.name} (lines {numbers})")

    def table_section(self, table: str) -> range:
        return self.section(f"`{table}`")


def database_name(url: str) -> str:
    return str(conninfo_to_dict(url)["dbname"])


def build_seed(target_url: str, maintenance_url: str, seed: Seed) -> None:
    result = actions.build(target_url, seed.schema, maintenance_url=maintenance_url)
    assert result.applied, result


@contextmanager
def copy_of(maintenance_url: str, template_url: str) -> Iterator[str]:
    """A new database copied from the database of ``template_url`` (nobody may be connected to it);
    yields its URL and drops it afterwards."""
    name = f"sdcopy_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(database_name(template_url))
            )
        )
    try:
        yield with_database(maintenance_url, name)
    finally:
        with psycopg.connect(maintenance_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def execute(url: str, statement: sql.SQL | sql.Composed) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def constraint_name(conn: psycopg.Connection[Any], table: str, contype: str, mentions: str) -> str:
    """Name of the one constraint of ``contype`` ('c', 'f'...) on ``table`` whose definition mentions
    ``mentions``."""
    rows = conn.execute(
        "SELECT conname FROM pg_catalog.pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = %s AND pg_get_constraintdef(oid) LIKE %s",
        (table, contype, f"%{mentions}%"),
    ).fetchall()
    assert len(rows) == 1, (table, contype, mentions, rows)
    return str(rows[0][0])


def replace_foreign_key(
    url: str, table: str, column: str, clause: str, *, drop_not_null: bool = False
) -> None:
    """Recreate the foreign key of ``table``(``column``) under the same name with ``clause``
    (e.g. ``REFERENCES papers(id) ON DELETE SET NULL``)."""
    with psycopg.connect(url, autocommit=True) as conn:
        name = constraint_name(conn, table, "f", f"({column})")
        steps = []
        if drop_not_null:
            steps.append(sql.SQL("ALTER COLUMN {} DROP NOT NULL").format(sql.Identifier(column)))
        steps.append(sql.SQL("DROP CONSTRAINT {}").format(sql.Identifier(name)))
        steps.append(
            sql.SQL("ADD CONSTRAINT {} FOREIGN KEY ({}) " + clause).format(
                sql.Identifier(name), sql.Identifier(column)
            )
        )
        conn.execute(sql.SQL("ALTER TABLE {} ").format(sql.Identifier(table)) + sql.SQL(", ").join(steps))


def drop_check(url: str, table: str, mentions: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        name = constraint_name(conn, table, "c", mentions)
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name))
        )
