"""Shared helpers for the typed-change tests: build an old and a new schema on real PostgreSQL,
take the changes from old to new, run their steps on the old database and compare again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql

from schemadoc.compare.changes import Change
from schemadoc.compare.diff import diff_changes
from schemadoc.model import Schema
from schemadoc.pg.introspect import introspect

from conftest import scratch_database


@dataclass(frozen=True)
class Lab:
    server_url: str
    role: str

    def run(self, url: str, text: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL(text).format(role=sql.Identifier(self.role)))  # type: ignore[arg-type]


def read(url: str) -> Schema:
    with psycopg.connect(url) as conn:
        return introspect(conn)


def apply_steps(url: str, changes: list[Change]) -> None:
    """Each step as a plan runs it: a transactional one in its own transaction, the others
    (ALTER TYPE ... ADD VALUE) outside any."""
    with psycopg.connect(url, autocommit=True) as conn:
        for change in changes:
            for step in change.steps():
                if step.transactional:
                    with conn.transaction():
                        conn.execute(step.sql)  # type: ignore[arg-type]
                else:
                    conn.execute(step.sql)  # type: ignore[arg-type]


def names(changes: list[Change]) -> list[str]:
    return [type(c).__name__ for c in changes]


def converge(lab: Lab, old_sql: str, new_sql: str) -> list[Change]:
    """The changes from ``old_sql`` to ``new_sql``; asserts that running their steps on the old
    database leaves no difference."""
    with scratch_database(lab.server_url) as old_url, scratch_database(lab.server_url) as new_url:
        lab.run(old_url, old_sql)
        lab.run(new_url, new_sql)
        expected = read(new_url)
        changes = diff_changes(expected, read(old_url))
        assert changes, "the two schemas should differ"
        apply_steps(old_url, changes)
        residue = diff_changes(expected, read(old_url))
        assert residue == [], [c.diagnostic().render() for c in residue]
        return changes


def changes_between(lab: Lab, old_sql: str, new_sql: str) -> list[Change]:
    """The changes from ``old_sql`` to ``new_sql``, nothing run."""
    with scratch_database(lab.server_url) as old_url, scratch_database(lab.server_url) as new_url:
        lab.run(old_url, old_sql)
        lab.run(new_url, new_sql)
        return diff_changes(read(new_url), read(old_url))


@pytest.fixture(scope="module")
def lab(server_url: str) -> Iterator[Lab]:
    """A role for grants and policies, dropped with whatever it holds afterwards."""
    role = f"sd_changes_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
    try:
        yield Lab(server_url, role)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
