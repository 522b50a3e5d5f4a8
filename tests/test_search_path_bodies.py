"""View and routine bodies written under the document's SET search_path are built under it.

The document's unqualified names in a view, an SQL function (string body or BEGIN ATOMIC) and a
PL/pgSQL function mean what they meant where the document wrote them: ``up`` builds them, and
``verify --structure`` finds no drift against the same SQL loaded as it is.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from schemadoc.cli import main
from schemadoc.read import read_documents

from conftest import scratch_database

SQL = """\
CREATE SCHEMA app;
CREATE TABLE public.items (id int PRIMARY KEY);
SET search_path = app, public;
CREATE TABLE items (id int PRIMARY KEY, price numeric NOT NULL);
CREATE VIEW cheap AS SELECT id FROM items WHERE price < 10;
CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n FROM items;
CREATE FUNCTION item_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM items';
CREATE FUNCTION item_total() RETURNS numeric LANGUAGE sql STABLE BEGIN ATOMIC SELECT sum(price) FROM items; END;
CREATE FUNCTION top_price() RETURNS numeric LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT max(price) FROM items); END $$;
RESET search_path;
CREATE VIEW public_items AS SELECT id FROM items;
"""


def test_bodies_are_built_under_the_documents_search_path(server_url: str, tmp_path: Path) -> None:
    doc = tmp_path / "app.md"
    doc.write_text(f"# App\n\n```sql\n{SQL}```\n", encoding="utf-8")
    schema, _ = read_documents([doc])
    paths = {str(v.qname): v.search_path for v in schema.views.values()}
    assert paths == {
        "app.cheap": ("app", "public"),
        "app.totals": ("app", "public"),
        "public.public_items": (),
    }
    assert {f.name: f.search_path for f in schema.functions.values()} == dict.fromkeys(
        ("item_count", "item_total", "top_price"), ("app", "public")
    )
    with scratch_database(server_url) as raw, scratch_database(server_url) as built:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(SQL.encode("utf-8"), prepare=False)
        assert main(["up", str(doc), "--structure", "--database-url", built]) == 0
        with psycopg.connect(built) as conn:
            # the view reads app.items, not public.items (the first on the path where it was written)
            (source,) = conn.execute("SELECT pg_get_viewdef('app.cheap'::regclass) ~ 'price'").fetchone() or (
                None,
            )
            assert source is True
            assert conn.execute("SELECT app.item_total() IS NULL, app.item_count()").fetchone() == (True, 0)
        assert main(["verify", str(doc), "--structure", "--database-url", raw]) == 0
