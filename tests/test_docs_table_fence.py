"""Each table's fence in the document holds exactly what the DDL writer gives for that table alone.

The document writer renders a table's statements from the table and the objects on it
(:func:`schemadoc.write.ddl.table_statements`) instead of running :func:`render_ddl` once per
table; this pins the two to the same statements in the same order, on a database with the kinds
that land in a table's fence: partitions two levels deep, inheritance, a foreign key to its own
table's key and one to a unique index only, partial and commented indexes, triggers, row-level
security, policies, table and column grants and comments. And a `docs` run of a catalog without
views, routines or array expressions never loads the SQL parser.
"""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest

from schemadoc.model import Schema
from schemadoc.pg.connect import connect
from schemadoc.pg.introspect import introspect
from schemadoc.write.ddl import render_ddl, table_statements
from schemadoc.write.markdown import render_markdown

from conftest import ROOT

_TABLE_KINDS = {"table", "constraint", "index", "trigger", "grant", "rls", "policy", "comment"}

_SCHEMA = """
CREATE SCHEMA fence;
CREATE TABLE fence.node (
    id bigint PRIMARY KEY,
    parent bigint REFERENCES fence.node (id) ON DELETE CASCADE,
    code text UNIQUE,
    alt text,
    CONSTRAINT by_code FOREIGN KEY (alt) REFERENCES fence.node (code)
);
CREATE UNIQUE INDEX node_alt ON fence.node (alt);
CREATE TABLE fence.link (id bigint PRIMARY KEY, alt text);
ALTER TABLE fence.link ADD CONSTRAINT to_alt FOREIGN KEY (alt) REFERENCES fence.node (alt);
COMMENT ON INDEX fence.node_alt IS 'one per alt';
COMMENT ON TABLE fence.node IS 'a tree';
COMMENT ON COLUMN fence.node.code IS 'the code';
CREATE TABLE fence.events (
    id bigint, at date NOT NULL, kind text CHECK (kind IN ('a', 'b')), node bigint REFERENCES fence.node (id),
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE fence.events_2024 PARTITION OF fence.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY RANGE (at);
CREATE TABLE fence.events_2024_h1 PARTITION OF fence.events_2024 FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
CREATE TABLE fence.events_2025 PARTITION OF fence.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE fence.events_2025 ADD CONSTRAINT positive CHECK (id > 0);
CREATE INDEX events_at ON fence.events (at);
CREATE INDEX events_2025_kind ON fence.events_2025 (kind) WHERE kind <> 'b';
CREATE FUNCTION fence.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER b_touch BEFORE INSERT ON fence.node FOR EACH ROW EXECUTE FUNCTION fence.touch();
CREATE TRIGGER a_touch BEFORE UPDATE ON fence.node FOR EACH ROW EXECUTE FUNCTION fence.touch();
ALTER TABLE fence.node ENABLE ROW LEVEL SECURITY;
ALTER TABLE fence.node FORCE ROW LEVEL SECURITY;
CREATE POLICY readable ON fence.node FOR SELECT USING (id > 0);
CREATE POLICY always ON fence.node AS RESTRICTIVE USING (true);
GRANT SELECT, INSERT ON fence.node TO PUBLIC;
GRANT UPDATE (code, alt) ON fence.node TO PUBLIC;
GRANT SELECT ON fence.events TO PUBLIC;
CREATE TABLE fence.base (id int PRIMARY KEY);
CREATE TABLE fence.kid (extra int) INHERITS (fence.base);
"""


@pytest.fixture(scope="module")
def catalog(database_url: str) -> Schema:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(_SCHEMA.encode())
    with connect(database_url) as conn:
        return introspect(conn, schemas=["fence"])


def test_each_table_gives_what_render_ddl_gives_for_it_alone(catalog: Schema) -> None:
    assert len(catalog.tables) == 8
    for qname, table in catalog.tables.items():
        indexes = {k: i for k, i in catalog.indexes.items() if i.table == qname}
        triggers = {k: t for k, t in catalog.triggers.items() if t.table == qname}
        policies = {k: p for k, p in catalog.policies.items() if p.table == qname}
        grants = tuple(g for g in catalog.grants if g.object_type == "TABLE" and g.object_name == qname)
        column_grants = tuple(g for g in catalog.column_grants if g.table == qname)
        alone = Schema(
            tables={qname: table},
            indexes=indexes,
            triggers=triggers,
            policies=policies,
            grants=grants,
            column_grants=column_grants,
        )
        expected = [s for s in render_ddl(alone)[0] if s.kind in _TABLE_KINDS]
        got = table_statements(table, indexes, triggers, policies, grants, column_grants)
        assert [s.sql for s in got] == [s.sql for s in expected], qname
        assert [s.kind for s in got] == [s.kind for s in expected], qname


def test_the_document_holds_each_kind_in_its_table_fence(catalog: Schema) -> None:
    text = render_markdown(catalog)
    node = text.split("### fence.node\n", 1)[1].split("<!-- schemadoc:end", 1)[0]
    for line in (
        "ALTER TABLE fence.node ADD CONSTRAINT by_code FOREIGN KEY (alt) REFERENCES fence.node (code);",
        "CREATE UNIQUE INDEX node_alt ON fence.node (alt);",
        "CREATE TRIGGER a_touch BEFORE UPDATE ON fence.node",
        "ALTER TABLE fence.node FORCE ROW LEVEL SECURITY;",
        "CREATE POLICY always ON fence.node AS RESTRICTIVE USING (true);",
        "GRANT SELECT, INSERT ON TABLE fence.node TO PUBLIC;",
        "GRANT UPDATE (alt, code) ON TABLE fence.node TO PUBLIC;",
        "COMMENT ON INDEX fence.node_alt IS 'one per alt';",
    ):
        assert line in node
    assert node.index("a_touch") < node.index("b_touch")


def test_docs_of_plain_tables_never_loads_the_sql_parser(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(
            b"CREATE TABLE a (id bigint PRIMARY KEY, name text NOT NULL DEFAULT 'x' CHECK (name <> ''));"
            b"CREATE TABLE b (id bigint PRIMARY KEY, a bigint REFERENCES a (id));"
            b"CREATE INDEX b_a ON b (a); COMMENT ON TABLE a IS 'the a';"
        )
    program = (
        "import sys\n"
        "from schemadoc.cli import main\n"
        "code = main(['docs', '--database-url', sys.argv[1]])\n"
        "sys.stdout.flush()\n"
        "print('PARSER LOADED' if 'pglast' in sys.modules else 'no parser', code, file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run(
        [sys.executable, "-c", program, fresh_database_url], capture_output=True, text=True, env=env
    )
    assert "CREATE TABLE public.b (" in run.stdout
    assert run.stderr.strip().splitlines()[-1] == "no parser 0"
