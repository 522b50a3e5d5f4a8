"""Exclusion constraints, column grants, table inheritance, composite and range types, domains,
and UNIQUE constraints against unique indexes: each is read from a document's SQL, built in a
shadow database, introspected and compared with a database built by hand. The same SQL compares
clean; each hand-made difference is reported with its own code."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from schemadoc.actions import build, shadow_database, structure_drift
from schemadoc.compare import catalog_kinds as kinds
from schemadoc.compare import codes
from schemadoc.compare.diff import diff_schemas
from schemadoc.model import ColumnGrant, CompositeType, Exclusion, QName, Schema
from schemadoc.pg.connect import with_database
from schemadoc.pg.introspect import introspect
from schemadoc.read import read_documents


@pytest.fixture(scope="module")
def role(server_url: str) -> Iterator[str]:
    """A role to grant to; created before and dropped after every database of the module."""
    name = f"sd_kinds_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@contextmanager
def hand_built(server_url: str, text: str) -> Iterator[str]:
    """A database built by running ``text`` as written; dropped afterwards."""
    name = f"sdtest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(server_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(text.encode())
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def read_doc(tmp_path: Path, text: str) -> Schema:
    path = tmp_path / "schema.sql"
    path.write_text(text, encoding="utf-8")
    schema, diags = read_documents([path])
    assert [d for d in diags if d.level != "note"] == []
    return schema


def built_model(server_url: str, doc: Schema) -> Schema:
    """The document as the shadow database holds it."""
    with shadow_database(server_url, doc) as (url, _), psycopg.connect(url) as conn:
        return introspect(conn)


def drift_codes(live_url: str, doc: Schema, live_sql: str, expected: Schema) -> list[str]:
    """Codes of the drift between the document (``expected``: as its shadow database holds it)
    and the module's database with ``live_sql`` run in it, in a transaction rolled back after."""
    with psycopg.connect(live_url) as conn:
        try:
            conn.execute(live_sql.encode())
            actual = introspect(conn)
        finally:
            conn.rollback()
    return sorted(d.code for d in diff_schemas(expected, actual, doc=doc))


def has_extension(server_url: str, name: str) -> bool:
    with psycopg.connect(server_url) as conn:
        row = conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = %s", (name,)).fetchone()
    return bool(row and row[0])


# --- exclusion constraints ---------------------------------------------------------------

BOOKINGS = """
CREATE TABLE bookings (
    id int PRIMARY KEY,
    during tstzrange NOT NULL,
    cancelled boolean NOT NULL DEFAULT false,
    CONSTRAINT no_double_booking EXCLUDE USING gist (during WITH &&) WHERE (NOT cancelled)
);
CREATE TABLE slots (span int4range, EXCLUDE USING gist (span WITH &&));
"""


def test_exclusion_constraints_are_built_and_compared(
    server_url: str, database_url: str, tmp_path: Path
) -> None:
    doc = read_doc(tmp_path, BOOKINGS)
    (written,) = doc.tables[QName("public", "bookings")].exclusions
    assert (written.name, written.elements, written.where) == (
        "no_double_booking",
        ("during WITH &&",),
        "NOT cancelled",
    )
    shadow = built_model(server_url, doc)
    (built,) = shadow.tables[QName("public", "bookings")].exclusions
    assert (built.name, built.method, built.elements) == ("no_double_booking", "gist", ("during WITH &&",))
    assert built.where is not None and "cancelled" in built.where
    assert shadow.tables[QName("public", "slots")].exclusions == (Exclusion(("span WITH &&",)),)
    assert shadow.indexes == {}  # an exclusion constraint's own index is no extra index

    assert drift_codes(database_url, doc, BOOKINGS, shadow) == []
    changed = BOOKINGS.replace("WHERE (NOT cancelled)", "")
    assert drift_codes(database_url, doc, changed, shadow) == [kinds.EXCLUSION_CHANGED]
    gone = BOOKINGS.replace(", EXCLUDE USING gist (span WITH &&)", "")
    assert drift_codes(database_url, doc, gone, shadow) == [kinds.EXCLUSION_MISSING]
    added = BOOKINGS + "ALTER TABLE slots ADD CONSTRAINT wide EXCLUDE USING gist (span WITH =);\n"
    assert drift_codes(database_url, doc, added, shadow) == [kinds.EXCLUSION_EXTRA]


def test_exclusion_with_equality_on_a_scalar_needs_btree_gist(
    server_url: str, database_url: str, tmp_path: Path
) -> None:
    if not has_extension(server_url, "btree_gist"):
        pytest.skip("the server has no btree_gist extension, which gist needs for = on integers")
    text = (
        "CREATE EXTENSION IF NOT EXISTS btree_gist;\n"
        "CREATE TABLE rooms (room int NOT NULL, during tstzrange NOT NULL,\n"
        "    CONSTRAINT one_booking EXCLUDE USING gist (room WITH =, during WITH &&));\n"
    )
    doc = read_doc(tmp_path, text)
    shadow = built_model(server_url, doc)
    (built,) = shadow.tables[QName("public", "rooms")].exclusions
    assert built.elements == ("room WITH =", "during WITH &&")
    assert drift_codes(database_url, doc, text, shadow) == []
    swapped = text.replace("(room WITH =, during WITH &&)", "(during WITH &&, room WITH =)")
    assert drift_codes(database_url, doc, swapped, shadow) == [kinds.EXCLUSION_CHANGED]


# --- column grants --------------------------------------------------------------------------


def test_column_grants_are_built_and_compared(
    server_url: str, role: str, database_url: str, tmp_path: Path
) -> None:
    text = (
        "CREATE TABLE accounts (id int PRIMARY KEY, email text, secret text);\n"
        f"GRANT SELECT (id, email), UPDATE (email) ON accounts TO {role};\n"
    )
    doc = read_doc(tmp_path, text)
    assert doc.grants == ()
    assert {(g.column, g.privilege) for g in doc.column_grants} == {
        ("id", "SELECT"),
        ("email", "SELECT"),
        ("email", "UPDATE"),
    }
    shadow = built_model(server_url, doc)
    assert shadow.column_grants == (
        ColumnGrant(QName("public", "accounts"), "email", "SELECT", role),
        ColumnGrant(QName("public", "accounts"), "email", "UPDATE", role),
        ColumnGrant(QName("public", "accounts"), "id", "SELECT", role),
    )
    assert shadow.grants == ()  # a column grant is no grant on the whole table

    assert drift_codes(database_url, doc, text, shadow) == []
    narrower = text.replace("SELECT (id, email)", "SELECT (id)")
    assert drift_codes(database_url, doc, narrower, shadow) == [kinds.COLUMN_GRANT_MISSING]
    wider = text + f"GRANT SELECT (secret) ON accounts TO {role};\n"
    assert drift_codes(database_url, doc, wider, shadow) == [kinds.COLUMN_GRANT_EXTRA]
    with_option = text + f"GRANT UPDATE (email) ON accounts TO {role} WITH GRANT OPTION;\n"
    assert drift_codes(database_url, doc, with_option, shadow) == [kinds.COLUMN_GRANT_OPTION]


# --- inheritance ----------------------------------------------------------------------------

CITIES = """
CREATE TABLE cities (id int PRIMARY KEY, name text NOT NULL, CHECK (name <> ''));
CREATE TABLE capitals (country text NOT NULL) INHERITS (cities);
"""


def test_inheritance_is_built_and_inherited_columns_are_no_drift(
    server_url: str, database_url: str, tmp_path: Path
) -> None:
    doc = read_doc(tmp_path, CITIES)
    assert doc.tables[QName("public", "capitals")].inherits == (QName("public", "cities"),)
    shadow = built_model(server_url, doc)
    capitals = shadow.tables[QName("public", "capitals")]
    assert capitals.inherits == (QName("public", "cities"),)
    assert [c.name for c in capitals.columns] == ["country"]  # id and name come from cities
    assert capitals.checks == ()  # the inherited CHECK is the parent's
    assert shadow.tables[QName("public", "cities")].inherits == ()

    assert drift_codes(database_url, doc, CITIES, shadow) == []
    alone = CITIES.replace(" INHERITS (cities)", "")
    assert drift_codes(database_url, doc, alone, shadow) == [kinds.INHERITANCE]
    # A column added to the parent reaches the child too; it is reported once, on the parent.
    widened = CITIES + "ALTER TABLE cities ADD COLUMN population bigint;\n"
    assert drift_codes(database_url, doc, widened, shadow) == [codes.COLUMN_EXTRA]


def test_partitions_are_not_read_as_inheritance(server_url: str, database_url: str, tmp_path: Path) -> None:
    text = (
        "CREATE TABLE events (at date NOT NULL, body text) PARTITION BY RANGE (at);\n"
        "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
    )
    doc = read_doc(tmp_path, text)
    shadow = built_model(server_url, doc)
    partition = shadow.tables[QName("public", "events_2024")]
    assert partition.inherits == () and partition.partition_of == QName("public", "events")
    assert [c.name for c in partition.columns] == ["at", "body"]
    assert drift_codes(database_url, doc, text, shadow) == []


# --- composite and range types --------------------------------------------------------------

TYPES = """
CREATE TYPE pair AS (a int, b text);
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TABLE readings (id int PRIMARY KEY, p pair, history pair[], band floatrange);
"""


def test_composite_and_range_types_are_built_and_compared(
    server_url: str, database_url: str, tmp_path: Path
) -> None:
    doc = read_doc(tmp_path, TYPES)
    assert doc.composites[QName("public", "pair")].attributes == (("a", "integer"), ("b", "text"))
    assert doc.ranges[QName("public", "floatrange")].subtype == "double precision"
    shadow = built_model(server_url, doc)
    assert shadow.composites == {
        QName("public", "pair"): CompositeType("public", "pair", (("a", "integer"), ("b", "text")))
    }
    band = shadow.ranges[QName("public", "floatrange")]
    assert (band.subtype, band.subtype_diff, band.multirange) == (
        "double precision",
        "float8mi",
        "floatmultirange",
    )
    types = {c.name: c.type for c in shadow.tables[QName("public", "readings")].columns}
    assert types == {"id": "integer", "p": "pair", "history": "pair[]", "band": "floatrange"}

    assert drift_codes(database_url, doc, TYPES, shadow) == []
    retyped = TYPES.replace("b text)", "b varchar(10))")
    assert drift_codes(database_url, doc, retyped, shadow) == [kinds.COMPOSITE_CHANGED]
    no_diff = TYPES.replace(", subtype_diff = float8mi", "")
    assert drift_codes(database_url, doc, no_diff, shadow) == [kinds.RANGE_CHANGED]
    extra = TYPES + "CREATE TYPE spare AS (x int);\nCREATE TYPE intspan AS RANGE (subtype = int4);\n"
    assert drift_codes(database_url, doc, extra, shadow) == [kinds.COMPOSITE_EXTRA, kinds.RANGE_EXTRA]


def test_types_are_created_after_the_types_they_use(
    server_url: str, database_url: str, tmp_path: Path
) -> None:
    text = (
        "CREATE TYPE outer_t AS (inner_value inner_t, score score);\n"
        "CREATE TYPE inner_t AS (x int);\n"
        "CREATE DOMAIN score AS int CHECK (VALUE >= 0);\n"
        "CREATE TABLE t (id int PRIMARY KEY, o outer_t);\n"
    )
    doc = read_doc(tmp_path, text)
    shadow = built_model(server_url, doc)
    assert shadow.composites[QName("public", "outer_t")].attributes == (
        ("inner_value", "inner_t"),
        ("score", "score"),
    )
    assert {c.name: c.type for c in shadow.tables[QName("public", "t")].columns}["o"] == "outer_t"


def test_range_type_missing_from_the_database_is_reported(
    server_url: str, database_url: str, tmp_path: Path
) -> None:
    doc = read_doc(
        tmp_path, "CREATE TYPE floatrange AS RANGE (subtype = float8);\nCREATE TABLE t (id int);\n"
    )
    shadow = built_model(server_url, doc)
    assert drift_codes(database_url, doc, "CREATE TABLE t (id int);", shadow) == [kinds.RANGE_MISSING]


# --- domains ------------------------------------------------------------------------------

DOMAINS = """
CREATE DOMAIN percent AS numeric(5, 2) NOT NULL CHECK (VALUE BETWEEN 0 AND 100);
CREATE SCHEMA app;
CREATE DOMAIN app.code AS text CHECK (VALUE ~ '^[A-Z]{3}$');
CREATE TABLE grades (id int PRIMARY KEY, score percent, code app.code, codes app.code[]);
"""


def test_domains_are_built_and_columns_keep_their_domain(
    server_url: str, database_url: str, tmp_path: Path
) -> None:
    doc = read_doc(tmp_path, DOMAINS)
    assert sorted(doc.domains) == [QName("app", "code"), QName("public", "percent")]
    types = {c.name: c.type for c in doc.tables[QName("public", "grades")].columns}
    assert types == {"id": "integer", "score": "percent", "code": "app.code", "codes": "app.code[]"}
    shadow = built_model(server_url, doc)
    percent = shadow.domains[QName("public", "percent")]
    assert (percent.base_type, percent.nullable) == ("numeric(5,2)", False)
    assert len(percent.checks) == 1 and "100" in percent.checks[0]
    assert {c.name: c.type for c in shadow.tables[QName("public", "grades")].columns} == types

    assert drift_codes(database_url, doc, DOMAINS, shadow) == []
    loose = DOMAINS.replace("BETWEEN 0 AND 100", "BETWEEN 0 AND 1000")
    assert drift_codes(database_url, doc, loose, shadow) == [codes.DOMAIN_CHANGED]
    plain = DOMAINS.replace("score percent", "score numeric(5, 2)")
    assert drift_codes(database_url, doc, plain, shadow) == [codes.COLUMN_TYPE]


# --- UNIQUE constraints and unique indexes --------------------------------------------------

PAIRS = "CREATE TABLE members (id int PRIMARY KEY, team int, person int, note text);\n"


def test_unique_constraint_and_equivalent_unique_index_are_the_same(
    server_url: str, database_url: str, tmp_path: Path
) -> None:
    constraint = PAIRS + "ALTER TABLE members ADD UNIQUE (team, person);\n"
    index = PAIRS + "CREATE UNIQUE INDEX members_team_person ON members (team, person);\n"
    doc = read_doc(tmp_path, constraint)
    shadow = built_model(server_url, doc)
    assert shadow.indexes == {}  # the primary key's and the constraint's own indexes are not listed
    assert drift_codes(database_url, doc, index, shadow) == []
    index_doc = read_doc(tmp_path, index)
    assert drift_codes(database_url, index_doc, constraint, built_model(server_url, index_doc)) == []

    reordered = PAIRS + "CREATE UNIQUE INDEX members_person_team ON members (person, team);\n"
    assert drift_codes(database_url, doc, reordered, shadow) == [codes.UNIQUE_MISSING, codes.INDEX_EXTRA]
    partial = index.replace("(team, person)", "(team, person) WHERE note IS NULL")
    assert drift_codes(database_url, doc, partial, shadow) == [codes.UNIQUE_MISSING, codes.INDEX_EXTRA]
    nulls = index.replace("(team, person)", "(team, person) NULLS NOT DISTINCT")
    assert drift_codes(database_url, doc, nulls, shadow) == [codes.UNIQUE_MISSING, codes.INDEX_EXTRA]
    expression = PAIRS + "CREATE UNIQUE INDEX members_expr ON members (team, (person + 0));\n"
    assert drift_codes(database_url, doc, expression, shadow) == [codes.UNIQUE_MISSING, codes.INDEX_EXTRA]


def test_a_document_built_with_up_compares_clean(server_url: str, role: str, tmp_path: Path) -> None:
    """Every kind at once: ``up`` builds the document into an empty database, which then shows
    no drift against it."""
    text = (
        BOOKINGS
        + CITIES
        + TYPES
        + DOMAINS
        + f"GRANT SELECT (id, during) ON bookings TO {role};\n"
        + "CREATE TABLE members (id int PRIMARY KEY, team int, person int, UNIQUE (team, person));\n"
    )
    doc = read_doc(tmp_path, text)
    with hand_built(server_url, "SELECT 1") as target:
        assert build(target, doc, maintenance_url=server_url).applied
        assert structure_drift(target, server_url, doc) == []
        with psycopg.connect(target) as conn:
            live = introspect(conn)
    assert live.tables[QName("public", "capitals")].inherits == (QName("public", "cities"),)
    assert {(g.column, g.grantee) for g in live.column_grants} == {("id", role), ("during", role)}
    assert set(live.composites) == {QName("public", "pair")} and set(live.ranges) == {
        QName("public", "floatrange")
    }
    assert set(live.domains) == {QName("public", "percent"), QName("app", "code")}


def test_unique_using_index_becomes_the_constraint(
    server_url: str, database_url: str, tmp_path: Path
) -> None:
    text = (
        PAIRS
        + "CREATE UNIQUE INDEX members_pair ON members (team, person) NULLS NOT DISTINCT;\n"
        + "ALTER TABLE members ADD CONSTRAINT members_pair_key UNIQUE USING INDEX members_pair;\n"
    )
    doc = read_doc(tmp_path, text)
    assert doc.indexes == {}
    (unique,) = doc.tables[QName("public", "members")].uniques
    assert (unique.columns, unique.name, unique.nulls_not_distinct) == (
        ("team", "person"),
        "members_pair_key",
        True,
    )
    shadow = built_model(server_url, doc)
    assert shadow.indexes == {}
    assert drift_codes(database_url, doc, text, shadow) == []


def test_a_domain_over_a_table_row_type_is_made_after_the_table(
    server_url: str, database_url: str, tmp_path: Path
) -> None:
    text = (
        "CREATE DOMAIN project_row AS projects;\n"
        "CREATE TYPE project_pair AS (first project_row, second project_row);\n"
        "CREATE TABLE projects (id int PRIMARY KEY, name text);\n"
    )
    doc = read_doc(tmp_path, text)
    shadow = built_model(server_url, doc)
    assert shadow.domains[QName("public", "project_row")].base_type == "projects"
    assert shadow.composites[QName("public", "project_pair")].attributes == (
        ("first", "project_row"),
        ("second", "project_row"),
    )
    live = text.replace("CREATE TABLE projects (id int PRIMARY KEY, name text);\n", "")
    live = "CREATE TABLE projects (id int PRIMARY KEY, name text);\n" + live
    assert drift_codes(database_url, doc, live, shadow) == []
