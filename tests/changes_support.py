"""Shared helpers for the typed-change tests: build the document's schema and an old schema in
two databases, compare them as typed changes, run the changes' steps on the old database, and
compare again."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from schemadoc.compare import exclusions, indexes, tables
from schemadoc.compare.changes import Change, Step
from schemadoc.compare.diff import diff_schemas
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.table_order import table_change_rank
from schemadoc.compare.unique_indexes import equate_unique_indexes
from schemadoc.model import Schema
from schemadoc.pg.introspect import introspect

from conftest import scratch_database


def run_sql(url: str, text: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(text)  # type: ignore[call-overload]


def read(url: str) -> Schema:
    with psycopg.connect(url) as conn:
        return introspect(conn)


def changes_between(expected: Schema, actual: Schema) -> list[Change]:
    """The typed changes of the kinds these modules cover, as diff_schemas finds them."""
    expected, actual = equate_unique_indexes(expected, actual)
    spans = DocSpans(None)
    one_sided = (set(expected.tables) | set(expected.views)) ^ (set(actual.tables) | set(actual.views))
    out = tables.diff_tables(expected, actual, spans)
    out += indexes.diff_indexes(expected, actual, spans, one_sided)
    for q in sorted((set(expected.tables) & set(actual.tables)) - one_sided):
        out += exclusions.diff_exclusions(q, expected.tables[q].exclusions, actual.tables[q].exclusions, None)
    return [c for c in out if c.code != "SD361"]  # comments are another module's


def ordered(changes: Iterable[Change]) -> list[Change]:
    return sorted(changes, key=table_change_rank)


def run_steps(url: str, steps: Iterable[Step]) -> None:
    """Each step as ``plan`` runs it: a transactional step in its own transaction, the others
    (CONCURRENTLY) in autocommit."""
    with psycopg.connect(url, autocommit=True) as conn:
        for step in steps:
            if step.transactional:
                with conn.transaction():
                    conn.execute(step.sql.encode())
            else:
                conn.execute(step.sql.encode())


def apply(url: str, changes: Iterable[Change]) -> None:
    run_steps(url, [s for c in ordered(changes) for s in c.steps()])


def count(url: str, query: str) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(query.encode()).fetchone()
        assert row is not None
        return row[0]


def listed(url: str, query: str) -> list[Any]:
    with psycopg.connect(url) as conn:
        return conn.execute(query.encode()).fetchall()


@dataclass
class Pair:
    """The document's schema (``expected_url``) and an old one (``old_url``) on one server."""

    expected_url: str
    old_url: str

    def changes(self) -> list[Change]:
        return changes_between(read(self.expected_url), read(self.old_url))

    def converge(self) -> list[Change]:
        """Apply the changes to the old database; return them. Afterwards the changes are
        none and structure drift is empty."""
        found = self.changes()
        apply(self.old_url, found)
        expected, after = read(self.expected_url), read(self.old_url)
        assert changes_between(expected, after) == []
        assert [d.render() for d in diff_schemas(expected, after)] == []
        return found


@contextmanager
def pair(server_url: str, document_sql: str, old_sql: str) -> Iterator[Pair]:
    with scratch_database(server_url) as expected_url, scratch_database(server_url) as old_url:
        run_sql(expected_url, document_sql)
        run_sql(old_url, old_sql)
        yield Pair(expected_url, old_url)


def kinds(changes: Iterable[Change]) -> list[str]:
    return sorted(type(c).__name__ for c in changes)
