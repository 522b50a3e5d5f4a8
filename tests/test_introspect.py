"""Reading a live database into the model, against real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from schemadoc.model import Check, ForeignKey, Grant, QName, Schema, Unique
from schemadoc.pg.introspect import check_expression, introspect, trigger_when

SCHEMA_SQL = """
CREATE EXTENSION citext;
CREATE SCHEMA app;
CREATE TYPE app.status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN app.positive_int AS integer NOT NULL DEFAULT 1 CHECK (VALUE > 0);
CREATE TABLE app.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email varchar(255) NOT NULL,
    handle citext,
    name text COLLATE "C",
    tags text[] NOT NULL DEFAULT '{{}}',
    scores numeric(10,2)[],
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    email_lower text GENERATED ALWAYS AS (lower(email)) STORED,
    CONSTRAINT customers_email_key UNIQUE NULLS NOT DISTINCT (email)
);
COMMENT ON TABLE app.customers IS 'People who buy';
COMMENT ON COLUMN app.customers.email IS 'Login address';
CREATE TABLE app.orders (
    id serial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES app.customers (id) ON DELETE CASCADE ON UPDATE RESTRICT,
    status app.status NOT NULL DEFAULT 'new',
    qty app.positive_int,
    total numeric(12,2) CHECK (total >= 0),
    note text,
    placed_at timestamptz
);
ALTER TABLE app.orders ADD CONSTRAINT orders_note_len CHECK (char_length(note) < 500) NOT VALID;
CREATE TABLE app.order_lines (
    order_id integer NOT NULL,
    line_no smallint NOT NULL,
    sku text NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_lines_order_fk FOREIGN KEY (order_id) REFERENCES app.orders (id)
        MATCH FULL DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX orders_recent_idx ON app.orders (placed_at DESC NULLS LAST, customer_id)
    INCLUDE (total) WHERE status <> 'shipped';
CREATE UNIQUE INDEX customers_lower_email_idx ON app.customers (lower(email) text_pattern_ops);
CREATE INDEX order_lines_sku_idx ON app.order_lines USING hash (sku);
COMMENT ON INDEX app.orders_recent_idx IS 'Recent orders';
CREATE VIEW app.open_orders AS SELECT id, customer_id FROM app.orders WHERE status <> 'shipped';
CREATE MATERIALIZED VIEW app.order_counts AS
    SELECT customer_id, count(*) AS n FROM app.orders GROUP BY customer_id;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN NEW.placed_at := now(); RETURN NEW; END $$;
COMMENT ON FUNCTION app.touch() IS 'Sets placed_at';
CREATE FUNCTION app.add(a integer, b integer DEFAULT 1) RETURNS integer
    LANGUAGE sql IMMUTABLE RETURN a + b;
CREATE FUNCTION app.secret() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER AS $$ SELECT 'x' $$;
CREATE PROCEDURE app.noop() LANGUAGE sql AS $$ SELECT 1 $$;
CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE OF status, qty ON app.orders
    FOR EACH ROW WHEN (NEW.placed_at IS NULL) EXECUTE FUNCTION app.touch('a', 'b c');
CREATE TABLE app.events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX events_at_idx ON app.events (at);
CREATE SEQUENCE app.invoice_no AS integer;
ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.orders FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_by_customer ON app.orders FOR SELECT TO {role} USING (customer_id > 0);
GRANT USAGE ON SCHEMA app TO {role};
GRANT SELECT, INSERT ON app.orders TO {role};
GRANT SELECT ON app.open_orders TO {role} WITH GRANT OPTION;
GRANT USAGE ON SEQUENCE app.orders_id_seq TO {role};
GRANT EXECUTE ON FUNCTION app.add(integer, integer) TO {role};
"""


@pytest.fixture(scope="module")
def role(database_url: str) -> Iterator[str]:
    """A role of our own (roles are cluster-wide), dropped with what it was granted."""
    name = f"sd_reader_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def schema(database_url: str, role: str) -> Schema:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL(SCHEMA_SQL).format(role=sql.Identifier(role)))
        return introspect(conn)


def test_tables_and_schemas(schema: Schema) -> None:
    assert set(schema.tables) == {
        QName("app", "customers"),
        QName("app", "orders"),
        QName("app", "order_lines"),
        QName("app", "events"),
        QName("app", "events_2024"),
    }
    assert schema.schemas == ("app",)


def test_column_types_keep_typmods_and_arrays(schema: Schema) -> None:
    t = schema.tables[QName("app", "customers")]
    types = {c.name: c.type for c in t.columns}
    assert types["email"] == "character varying(255)"
    assert types["tags"] == "text[]"
    assert types["scores"] == "numeric(10,2)[]"
    assert types["created_at"] == "timestamp(3) with time zone"
    assert types["handle"] == "citext"
    assert schema.tables[QName("app", "orders")].column("status").type == "app.status"  # type: ignore[union-attr]
    assert [c.name for c in t.columns][:3] == ["id", "email", "handle"]


def test_column_details(schema: Schema) -> None:
    t = schema.tables[QName("app", "customers")]
    by_name = {c.name: c for c in t.columns}
    assert by_name["id"].identity == "ALWAYS"
    assert by_name["id"].nullable is False
    assert by_name["id"].default is None
    assert by_name["email"].comment == "Login address"
    assert by_name["name"].collation == "C"
    assert by_name["email"].collation is None
    assert by_name["tags"].default == "'{}'::text[]"
    assert by_name["created_at"].default == "now()"
    assert by_name["email_lower"].generated == "lower((email)::text)"
    assert by_name["email_lower"].default is None
    orders = schema.tables[QName("app", "orders")]
    assert orders.column("id").default == "nextval('app.orders_id_seq'::regclass)"  # type: ignore[union-attr]
    assert orders.column("status").default == "'new'::app.status"  # type: ignore[union-attr]
    assert orders.column("note").nullable is True  # type: ignore[union-attr]


def test_table_flags_and_comments(schema: Schema) -> None:
    customers, orders = schema.tables[QName("app", "customers")], schema.tables[QName("app", "orders")]
    assert customers.comment == "People who buy"
    assert (customers.rls_enabled, customers.rls_forced) == (False, False)
    assert (orders.rls_enabled, orders.rls_forced) == (True, True)


def test_partitioning(schema: Schema) -> None:
    assert schema.tables[QName("app", "events")].partition_by == "RANGE (at)"
    part = schema.tables[QName("app", "events_2024")]
    assert part.partition_of == QName("app", "events")
    assert part.partition_bound == "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"
    # the partition's copy of the parent's index is implied, not listed
    assert [
        i.name
        for i in schema.indexes.values()
        if i.table.schema == "app" and i.table.name.startswith("events")
    ] == ["events_at_idx"]


def test_keys_and_constraints(schema: Schema) -> None:
    customers, orders, lines = (
        schema.tables[QName("app", n)] for n in ("customers", "orders", "order_lines")
    )
    assert customers.primary_key is not None and customers.primary_key.columns == ("id",)
    assert lines.primary_key is not None and lines.primary_key.columns == ("order_id", "line_no")
    assert customers.uniques == (Unique(("email",), nulls_not_distinct=True),)
    assert customers.uniques[0].name == "customers_email_key"
    assert orders.checks == (Check("total >= 0::numeric"), Check("char_length(note) < 500"))
    assert orders.checks[0].columns == ("total",)
    assert orders.checks[1].name == "orders_note_len"  # NOT VALID suffix stripped from the expression
    assert [c.validated for c in orders.checks] == [True, False]  # added NOT VALID, never validated
    assert orders.foreign_keys == (
        ForeignKey(
            ("customer_id",), QName("app", "customers"), ("id",), on_delete="CASCADE", on_update="RESTRICT"
        ),
    )
    (fk,) = lines.foreign_keys
    assert fk == ForeignKey(
        ("order_id",),
        QName("app", "orders"),
        ("id",),
        match_full=True,
        deferrable=True,
        initially_deferred=True,
    )
    assert fk.name == "order_lines_order_fk"
    assert fk.validated and orders.foreign_keys[0].validated


def test_a_foreign_key_added_not_valid_is_read_as_not_validated_and_equal(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE p (id integer PRIMARY KEY);"
            "CREATE TABLE c (p_id integer, q integer);"
            "ALTER TABLE c ADD CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID;"
            "ALTER TABLE c ADD CONSTRAINT c_q_check CHECK (q > 0) NOT VALID"
        )
        before = introspect(conn).tables[QName("public", "c")]
        conn.execute("ALTER TABLE c VALIDATE CONSTRAINT c_p_fk")
        after = introspect(conn).tables[QName("public", "c")]
    assert [fk.validated for fk in before.foreign_keys] == [False]
    assert [fk.validated for fk in after.foreign_keys] == [True]
    assert [c.validated for c in after.checks] == [False]  # validating one leaves the other
    assert before.foreign_keys == after.foreign_keys  # the same reference, validated or not


def test_indexes_not_backing_constraints(schema: Schema) -> None:
    names = {q for q in schema.indexes if q.schema == "app"}
    assert names == {
        QName("app", "orders_recent_idx"),
        QName("app", "customers_lower_email_idx"),
        QName("app", "order_lines_sku_idx"),
        QName("app", "events_at_idx"),
    }
    recent = schema.indexes[QName("app", "orders_recent_idx")]
    assert recent.table == QName("app", "orders")
    assert recent.keys == ("placed_at DESC NULLS LAST", "customer_id")
    assert recent.include == ("total",)
    assert recent.where == "status <> 'shipped'::app.status"
    assert recent.comment == "Recent orders"
    assert recent.unique is False
    lower = schema.indexes[QName("app", "customers_lower_email_idx")]
    assert lower.unique and lower.keys == ("lower(email::text) text_pattern_ops",)
    assert schema.indexes[QName("app", "order_lines_sku_idx")].method == "hash"


def test_views(schema: Schema) -> None:
    view = schema.views[QName("app", "open_orders")]
    assert view.materialized is False
    assert view.columns == ("id", "customer_id")
    assert "status <> 'shipped'::app.status" in view.definition
    assert view.definition.startswith("SELECT")
    counts = schema.views[QName("app", "order_counts")]
    assert counts.materialized and counts.columns == ("customer_id", "n")


def test_functions_skip_extension_members(schema: Schema) -> None:
    assert set(schema.functions) == {
        "app.touch()",
        "app.add(a integer, b integer DEFAULT 1)",
        "app.secret()",
        "app.noop()",
    }
    touch = schema.functions["app.touch()"]
    assert (touch.returns, touch.language, touch.comment) == ("trigger", "plpgsql", "Sets placed_at")
    assert "NEW.placed_at := now()" in touch.body
    add = schema.functions["app.add(a integer, b integer DEFAULT 1)"]
    assert add.volatility == "IMMUTABLE" and add.returns == "integer"
    assert "a + b" in add.body  # SQL-standard body, deparsed
    secret = schema.functions["app.secret()"]
    assert secret.security_definer and secret.volatility == "STABLE"
    assert schema.functions["app.noop()"].kind == "procedure"
    assert "citext" not in {t.name for t in schema.domains}


def test_trigger(schema: Schema) -> None:
    trig = schema.triggers[(QName("app", "orders"), "orders_touch")]
    assert trig.timing == "BEFORE"
    assert trig.events == ("INSERT", "UPDATE OF status, qty")
    assert trig.for_each_row
    assert trig.when == "new.placed_at IS NULL"
    assert trig.function == QName("app", "touch")
    assert trig.function_args == ("a", "b c")
    assert list(schema.triggers) == [(QName("app", "orders"), "orders_touch")]  # no internal FK triggers


def test_types_sequences_extensions(schema: Schema) -> None:
    assert schema.enums[QName("app", "status")].labels == ("new", "paid", "shipped")
    dom = schema.domains[QName("app", "positive_int")]
    assert (dom.base_type, dom.nullable, dom.default, dom.checks) == ("integer", False, "1", ("VALUE > 0",))
    assert set(schema.extensions) == {"citext"}
    assert schema.sequences[QName("app", "invoice_no")].data_type == "integer"
    assert schema.sequences[QName("app", "orders_id_seq")].owned_by == (QName("app", "orders"), "id")
    assert not any("customers_id_seq" in q for q in schema.sequences)  # identity sequence


def test_grants_roles_policies(schema: Schema, role: str) -> None:
    mine = {g for g in schema.grants if g.grantee == role}
    assert mine == {
        Grant("USAGE", "SCHEMA", "app", role),
        Grant("SELECT", "TABLE", QName("app", "orders"), role),
        Grant("INSERT", "TABLE", QName("app", "orders"), role),
        Grant("SELECT", "TABLE", QName("app", "open_orders"), role, with_grant_option=True),
        Grant("USAGE", "SEQUENCE", QName("app", "orders_id_seq"), role),
        Grant("EXECUTE", "FUNCTION", "app.add(a integer, b integer DEFAULT 1)", role),
    }
    assert all(g.grantee != "postgres" for g in schema.grants)  # the owner's own privileges
    assert not [g for g in schema.grants if g.object_type == "FUNCTION" and g.grantee == "public"]
    assert schema.roles[role].created_by_document is False and schema.roles[role].login is False
    policy = schema.policies[(QName("app", "orders"), "orders_by_customer")]
    assert (policy.command, policy.permissive, policy.roles) == ("SELECT", True, (role,))
    assert policy.using == "customer_id > 0" and policy.with_check is None


def test_schema_filter_and_idempotence(database_url: str, schema: Schema) -> None:
    with psycopg.connect(database_url) as conn:
        only_app = introspect(conn, schemas=["app"])
        assert set(only_app.tables) == set(schema.tables)
        assert only_app.extensions == schema.extensions
        public = introspect(conn, schemas=["public"])
        assert public.tables == {} and public.functions == {}
        # inside an open transaction the session settings are put back afterwards
        conn.execute("SET search_path = app")
        assert introspect(conn) == schema
        row: Any = conn.execute("SHOW search_path").fetchone()
        assert row[0] == "app"


@pytest.mark.parametrize(
    ("definition", "expression"),
    [
        ("CHECK (a > 0)", "a > 0"),
        ("CHECK (a > 0) NOT VALID", "a > 0"),
        ("CHECK ((a > 0) OR (b IS NULL)) NO INHERIT NOT VALID", "(a > 0) OR (b IS NULL)"),
        ("CHECK (a > 0) NOT ENFORCED", "a > 0"),
    ],
)
def test_check_expression(definition: str, expression: str) -> None:
    assert check_expression(definition) == expression


def test_trigger_when_text() -> None:
    text = "CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW WHEN (old.a <> new.a) EXECUTE FUNCTION f('y')"
    assert trigger_when(text) == "old.a <> new.a"
    assert trigger_when("CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW EXECUTE FUNCTION f()") is None
