"""Applying DDL all or nothing, and listing what a database already holds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql

from schemadoc.diagnostics import SchemadocError
from schemadoc.model import Span
from schemadoc.pg.apply import apply_statements, database_objects
from schemadoc.pg.connect import connect, create_database, with_database


@dataclass(frozen=True)
class Stmt:
    sql: str
    span: Span | None = None


@pytest.fixture
def empty_db(server_url: str) -> Iterator[str]:
    name = f"sd_apply_{uuid.uuid4().hex[:10]}"
    create_database(server_url, name)
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _exists(url: str, relation: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (relation,)).fetchone()
    return bool(row and row[0])


def test_statements_are_applied_and_committed(empty_db: str) -> None:
    statements = [
        Stmt("CREATE TABLE items (id int PRIMARY KEY, code text CHECK (code LIKE 'A%'))", Span("d.md", 3)),
        Stmt("CREATE INDEX items_code ON items (code)", Span("d.md", 9)),
        Stmt("COMMENT ON TABLE items IS '100% of the items'", None),
    ]
    with connect(empty_db) as conn:
        apply_statements(conn, statements)
    assert _exists(empty_db, "items")
    assert _exists(empty_db, "items_code")


def test_a_failing_statement_rolls_everything_back_and_points_at_the_document(empty_db: str) -> None:
    statements = [
        Stmt("CREATE TABLE first_one (id int)", Span("schema.md", 4, 1)),
        Stmt("CREATE TABLE second (id int, kind no_such_type)", Span("schema.md", 12, 3)),
        Stmt("CREATE TABLE third (id int)", Span("schema.md", 20, 1)),
    ]
    with connect(empty_db) as conn, pytest.raises(SchemadocError) as info:
        apply_statements(conn, statements)
    diag = info.value.diagnostic
    assert diag.code == "SD520"
    assert diag.span == Span("schema.md", 12, 3)
    assert 'type "no_such_type" does not exist' in diag.message
    assert "42704" in diag.message
    assert diag.render().startswith("schema.md:12:3: error SD520")
    assert not _exists(empty_db, "first_one")
    assert not _exists(empty_db, "third")


def test_failure_without_span_says_which_statement_and_keeps_the_server_hint(empty_db: str) -> None:
    statements = [
        Stmt("CREATE TABLE ok_table (id int)"),
        Stmt("CREATE VIEW v AS SELECT round('x'::text, 2, 3)"),
    ]
    with connect(empty_db) as conn, pytest.raises(SchemadocError) as info:
        apply_statements(conn, statements)
        conn.commit()
    diag = info.value.diagnostic
    assert diag.span is None
    assert "(statement 2)" in diag.message
    assert "42883" in diag.message
    assert diag.hint and "No function matches" in diag.hint
    assert not _exists(empty_db, "ok_table")


def test_connection_stays_usable_after_a_failure(empty_db: str) -> None:
    with connect(empty_db) as conn:
        with pytest.raises(SchemadocError):
            apply_statements(conn, [Stmt("CREATE TABLE broken (id nope)")])
        apply_statements(conn, [Stmt("CREATE TABLE fine (id int)")])
    assert _exists(empty_db, "fine")


def test_empty_database_has_no_objects(empty_db: str) -> None:
    with connect(empty_db) as conn:
        assert database_objects(conn) == []
        conn.execute("CREATE EXTENSION IF NOT EXISTS citext")
        assert database_objects(conn) == []  # extension members are not user objects


def test_database_objects_lists_user_objects_only(empty_db: str) -> None:
    ddl = """
        CREATE SCHEMA app;
        CREATE TYPE app.mood AS ENUM ('happy', 'sad');
        CREATE TYPE pair AS (a int, b int);
        CREATE DOMAIN positive AS int CHECK (VALUE > 0);
        CREATE TABLE app.people (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, m app.mood);
        CREATE TABLE counters (id serial PRIMARY KEY, n positive);
        CREATE SEQUENCE tickets;
        CREATE VIEW people_view AS SELECT id FROM app.people;
        CREATE FUNCTION add_one(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 1';
        CREATE TABLE parted (d date) PARTITION BY RANGE (d);
        CREATE TABLE parted_2024 PARTITION OF parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    """
    with connect(empty_db, autocommit=True) as conn:
        conn.execute(ddl)
        found = database_objects(conn)
    assert found == sorted(
        [
            "function add_one(integer)",
            "schema app",
            "sequence tickets",
            "table app.people",
            "table counters",
            "table parted",
            "type app.mood",
            "type pair",
            "type positive",
            "view people_view",
        ]
    )
