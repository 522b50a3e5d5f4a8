"""Row synthesis on real PostgreSQL: the rows satisfy every CHECK, parents are built, keys are fresh."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from schemadoc.model import QName, Schema
from schemadoc.pg.introspect import introspect
from schemadoc.verify.checkexpr import expression_info, like_match
from schemadoc.verify.rows import RowError, RowFactory

from verify_support import create_database, drop_database, url_for

DDL = """
CREATE TYPE mood AS ENUM ('calm', 'busy');
CREATE TABLE owners (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code varchar(6) NOT NULL UNIQUE,
    mood mood NOT NULL,
    rating numeric(3, 2) NOT NULL CHECK (rating BETWEEN 0.5 AND 0.75),
    path text NOT NULL CHECK (path LIKE 'owners/%/x_'),
    tier text NOT NULL CHECK (tier IN ('gold', 'silver')),
    name text NOT NULL CHECK (length(name) >= 4)
);
CREATE TABLE nodes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    root_id uuid NOT NULL REFERENCES nodes(id),
    parent_id uuid REFERENCES nodes(id),
    owner_id bigint NOT NULL REFERENCES owners(id)
);
CREATE TABLE spans (
    id serial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz NOT NULL,
    ended_at timestamptz NOT NULL,
    CHECK (started_at > created_at),
    CHECK (ended_at > started_at)
);
CREATE TABLE links (
    id integer PRIMARY KEY,
    a_id bigint REFERENCES owners(id),
    b_id uuid REFERENCES nodes(id),
    c_id integer REFERENCES spans(id),
    CHECK ((a_id IS NOT NULL)::integer + (b_id IS NOT NULL)::integer + (c_id IS NOT NULL)::integer = 1),
    CHECK (c_id IS NOT NULL)
);
CREATE TABLE hens (id integer PRIMARY KEY, egg_id integer);
CREATE TABLE eggs (id integer PRIMARY KEY, hen_id integer NOT NULL REFERENCES hens(id));
ALTER TABLE hens ADD FOREIGN KEY (egg_id) REFERENCES eggs(id);
CREATE TABLE hopeless (id integer PRIMARY KEY, n integer NOT NULL CHECK (n > 3 AND n < 2));
"""


@pytest.fixture(scope="module")
def db(server_url: str) -> Iterator[tuple[str, Schema]]:
    name = create_database(server_url)
    url = url_for(server_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(DDL)  # type: ignore[call-overload]
            conn.execute(
                "INSERT INTO owners (code, mood, rating, path, tier, name) VALUES"
                " ('sd_aaa', 'calm', 0.5, 'owners/a/xy', 'gold', 'abcd')"
            )
            schema = introspect(conn)
        yield url, schema
    finally:
        drop_database(server_url, name)


def _insert(url: str, schema: Schema, table: str) -> dict[str, str | None]:
    """Insert a row into ``table``, written ``schema.name``."""
    qname = QName(*table.split("."))
    with psycopg.connect(url) as conn:
        factory = RowFactory(conn, schema)
        try:
            return factory.insert(qname, factory.row(qname))
        finally:
            conn.rollback()


def test_literals_from_checks_enums_and_lengths(db: tuple[str, Schema]) -> None:
    url, schema = db
    row = _insert(url, schema, "public.owners")
    assert row["mood"] in ("calm", "busy")
    assert row["tier"] in ("gold", "silver")
    assert row["path"] is not None and row["path"].startswith("owners/") and len(row["path"]) >= 10
    assert row["rating"] is not None and 0.5 <= float(row["rating"]) <= 0.75
    assert row["name"] is not None and len(row["name"]) >= 4
    assert row["code"] is not None and len(row["code"]) <= 6 and row["code"] != "sd_aaa"


def test_self_reference_points_at_itself_and_parents_are_built(db: tuple[str, Schema]) -> None:
    url, schema = db
    row = _insert(url, schema, "public.nodes")
    assert row["root_id"] == row["id"]
    assert row["parent_id"] is None
    assert row["owner_id"] is not None


def test_timestamp_orderings_with_a_default_are_satisfied(db: tuple[str, Schema]) -> None:
    url, schema = db
    row = _insert(url, schema, "public.spans")
    assert row["created_at"] and row["started_at"] and row["ended_at"]


def test_exactly_one_parent_check_is_satisfied(db: tuple[str, Schema]) -> None:
    url, schema = db
    row = _insert(url, schema, "public.links")
    assert row["c_id"] is not None and row["a_id"] is None and row["b_id"] is None


def test_many_rows_get_fresh_keys(db: tuple[str, Schema]) -> None:
    url, schema = db
    with psycopg.connect(url) as conn:
        factory = RowFactory(conn, schema)
        codes = {
            factory.insert(QName("public", "owners"), factory.row(QName("public", "owners")))["code"]
            for _ in range(30)
        }
        links = {
            factory.insert(QName("public", "links"), factory.row(QName("public", "links")))["id"]
            for _ in range(30)
        }
        conn.rollback()
    assert len(codes) == 30 and len(links) == 30


def test_violating_row_breaks_only_the_named_check(db: tuple[str, Schema]) -> None:
    url, schema = db
    check = next(
        c.expression for c in schema.tables[QName("public", "owners")].checks if "rating" in c.expression
    )
    with psycopg.connect(url) as conn:
        factory = RowFactory(conn, schema)
        bad = factory.row(QName("public", "owners"), violate=check)
        with pytest.raises(psycopg.errors.CheckViolation) as info:
            factory.insert(QName("public", "owners"), bad)
        conn.rollback()
    assert "rating" in str(info.value.diag.constraint_name)


def test_cycle_of_not_null_keys_resolves_through_the_nullable_side(db: tuple[str, Schema]) -> None:
    url, schema = db
    row = _insert(url, schema, "public.eggs")
    assert row["hen_id"] is not None


def test_unsatisfiable_check_names_the_table(db: tuple[str, Schema]) -> None:
    url, schema = db
    with psycopg.connect(url) as conn:
        factory = RowFactory(conn, schema)
        with pytest.raises(RowError) as info:
            factory.row(QName("public", "hopeless"))
        conn.rollback()
    assert info.value.table == QName("public", "hopeless")
    assert "public.hopeless" in str(info.value)


def test_hints_understand_what_postgresql_prints() -> None:
    info = expression_info(
        "(status = ANY (ARRAY['ready'::text, 'failed'::text])) AND (path ~~ 'papers/%'::text)"
    )
    assert [h.value for h in info.hints["status"]] == ["ready", "failed"]
    assert info.hints["path"][0].value == "papers/x"
    info = expression_info("((budget >= 1) AND (budget <= 120))")
    values = {h.value for h in info.hints["budget"]}
    assert {"1", "120", "0", "121"} <= values
    assert like_match("a\\%b%", fresh=False) == "a%bx"
