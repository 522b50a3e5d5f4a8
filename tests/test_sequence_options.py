"""A sequence's options (INCREMENT, MINVALUE, MAXVALUE, START, CACHE, CYCLE): read from the
document, built as written, read back from the server, and compared only where the document
states them."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from apply_support import cli
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql

from schemadoc import sequence_options
from schemadoc.compare.columns import diff_column
from schemadoc.model import QName, Schema
from schemadoc.pg.introspect import introspect
from schemadoc.read import read_documents
from schemadoc.records import replace
from schemadoc.write.ddl import ddl_text, render_ddl

DOC = """# Counters

```sql
CREATE TABLE ticket (id bigint PRIMARY KEY);
CREATE SEQUENCE ticket_no AS integer INCREMENT BY 5 MAXVALUE 100000 START WITH 1000 CACHE 10;
CREATE SEQUENCE countdown INCREMENT BY -1 MINVALUE -50 NO MAXVALUE START -5 CYCLE;
CREATE SEQUENCE huge START 10000000000;
CREATE SEQUENCE plain;
ALTER SEQUENCE plain INCREMENT 3 RESTART 9;
```
"""


def _doc(tmp_path: Path, text: str = DOC) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    return path


def _options(tmp_path: Path) -> dict[str, tuple[tuple[str, int | bool | None], ...]]:
    schema, diags = read_documents([_doc(tmp_path)])
    assert not [d for d in diags if d.level == "error"]
    return {q.name: s.options for q, s in schema.sequences.items()}


def test_the_options_written_are_read_in_order_and_restart_is_not(tmp_path: Path) -> None:
    assert _options(tmp_path) == {
        "ticket_no": (("increment", 5), ("maxvalue", 100000), ("start", 1000), ("cache", 10)),
        "countdown": (
            ("increment", -1),
            ("minvalue", -50),
            ("maxvalue", None),
            ("start", -5),
            ("cycle", True),
        ),
        "huge": (("start", 10000000000),),  # past 32 bits, where the parser keeps digits
        "plain": (("increment", 3),),
    }


def test_sql_writes_the_options_as_stated(tmp_path: Path) -> None:
    schema, _ = read_documents([_doc(tmp_path)])
    ddl = ddl_text(render_ddl(schema)[0])
    assert (
        "CREATE SEQUENCE public.countdown INCREMENT BY -1 MINVALUE -50 NO MAXVALUE START WITH -5 CYCLE;"
        in ddl
    )
    assert (
        "CREATE SEQUENCE public.ticket_no AS integer INCREMENT BY 5 MAXVALUE 100000 START WITH 1000 CACHE 10;"
        in ddl
    )
    assert "CREATE SEQUENCE public.plain INCREMENT BY 3;" in ddl


_INT = st.integers(min_value=-(2**31), max_value=2**31 - 1)


@settings(max_examples=300, deadline=None)
@given(
    data_type=st.sampled_from(["smallint", "integer", "bigint"]),
    stated=st.fixed_dictionaries(
        {},
        optional={
            "increment": _INT.filter(bool),
            "minvalue": st.one_of(st.none(), _INT),
            "maxvalue": st.one_of(st.none(), _INT),
            "start": _INT,
            "cache": st.integers(min_value=1, max_value=1000),
            "cycle": st.booleans(),
        },
    ),
)
def test_the_options_that_differ_from_the_defaults_come_to_the_same_values(
    data_type: str, stated: dict[str, int | bool | None]
) -> None:
    options = tuple((name, stated[name]) for name in sequence_options.OPTIONS if name in stated)
    values = sequence_options.effective(data_type, options)
    kept = sequence_options.non_default(data_type, values)
    assert sequence_options.effective(data_type, kept) == values
    assert all(value is not None for _, value in kept)  # a server's values are all numbers


def test_the_server_holds_what_the_document_states(tmp_path: Path, fresh_database_url: str) -> None:
    schema, _ = read_documents([_doc(tmp_path)])
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(ddl_text(render_ddl(schema)[0]).encode())
        read_back = introspect(conn)
        rows = conn.execute(
            "SELECT c.relname, s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache, s.seqcycle"
            " FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid"
        ).fetchall()
    for name, *held in rows:
        doc = schema.sequences[QName("public", name)]
        stated = sequence_options.effective(doc.data_type, doc.options)
        assert [stated[o] for o in sequence_options.OPTIONS] == held, name
        live = read_back.sequences[QName("public", name)]
        assert sequence_options.effective(live.data_type, live.options) == stated, name
    assert read_back.sequences[QName("public", "huge")].options == (("start", 10000000000),)
    assert read_back.sequences[QName("public", "plain")].options == (("increment", 3),)


def test_verify_compares_only_the_options_the_document_states(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc(tmp_path)
    schema, _ = read_documents([doc])
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(ddl_text(render_ddl(schema)[0]).encode())
        conn.execute("ALTER SEQUENCE ticket_no CYCLE")  # nothing said of CYCLE: any value is right
        conn.execute("ALTER SEQUENCE plain CACHE 50 MAXVALUE 90")  # nor of these
    code, out = cli(capsys, "verify", str(doc), "--structure", "--database-url", fresh_database_url)
    assert code == 0, out
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("ALTER SEQUENCE ticket_no START WITH 2000 CACHE 1")
    code, out = cli(capsys, "verify", str(doc), "--structure", "--database-url", fresh_database_url)
    assert code == 1
    messages = [d["message"] for d in out["diagnostics"] if d["code"] == "SD358"]
    assert messages == [
        "sequence public.ticket_no differs: database has START WITH 2000, CACHE 1; "
        "document says START WITH 1000, CACHE 10"
    ]


IDENTITY_DOC = """# Orders

```sql
CREATE TABLE orders (
    id integer GENERATED ALWAYS AS IDENTITY (START WITH 1000 INCREMENT BY 10) PRIMARY KEY,
    note text
);
CREATE TABLE legacy (id bigint NOT NULL, code smallint NOT NULL);
ALTER TABLE legacy ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.legacy_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1
);
ALTER TABLE legacy ALTER COLUMN code ADD GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE legacy ALTER COLUMN code SET INCREMENT BY 3 RESTART 5;
```
"""


def _identities(schema: Schema) -> dict[str, tuple[str | None, tuple[tuple[str, int | bool | None], ...]]]:
    return {
        f"{t.name}.{c.name}": (c.identity, c.identity_options)
        for t in schema.tables.values()
        for c in t.columns
        if c.identity
    }


def test_identity_options_are_read_from_create_and_alter_table(tmp_path: Path) -> None:
    schema, diags = read_documents([_doc(tmp_path, IDENTITY_DOC)])
    assert not [d for d in diags if d.level != "note"], [d.render() for d in diags]
    assert _identities(schema) == {
        "orders.id": ("ALWAYS", (("increment", 10), ("start", 1000))),
        "legacy.id": (
            "BY DEFAULT",
            (("increment", 1), ("minvalue", None), ("maxvalue", None), ("start", 1), ("cache", 1)),
        ),
        "legacy.code": ("BY DEFAULT", (("increment", 3),)),  # RESTART is where it stands, not kept
    }
    ddl = ddl_text(render_ddl(schema)[0])
    assert "id integer GENERATED ALWAYS AS IDENTITY (INCREMENT BY 10 START WITH 1000) NOT NULL" in ddl


def test_identity_options_are_built_read_back_and_compared_where_stated(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc(tmp_path, IDENTITY_DOC)
    schema, _ = read_documents([doc])
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(ddl_text(render_ddl(schema)[0]).encode())
        read_back = _identities(introspect(conn))
        first = conn.execute("INSERT INTO orders (note) VALUES ('a') RETURNING id").fetchone()
        conn.execute("ALTER TABLE orders ALTER COLUMN id SET CACHE 20")  # the document says nothing of CACHE
    assert first == (1000,)
    assert read_back == {
        "orders.id": ("ALWAYS", (("increment", 10), ("start", 1000))),
        "legacy.id": ("BY DEFAULT", ()),  # every option at its default
        "legacy.code": ("BY DEFAULT", (("increment", 3),)),
    }
    code, out = cli(capsys, "verify", str(doc), "--structure", "--database-url", fresh_database_url)
    assert code == 0, out
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE orders ALTER COLUMN id SET INCREMENT BY 1")
    code, out = cli(capsys, "verify", str(doc), "--structure", "--database-url", fresh_database_url)
    assert code == 1
    assert [d["message"] for d in out["diagnostics"] if d["level"] == "error"] == [
        "column public.orders.id: identity has INCREMENT BY 1 in the database, the document says INCREMENT BY 10"
    ]


def test_a_new_identity_starts_past_the_rows_or_at_its_start_whichever_is_further(
    fresh_database_url: str,
) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE a (id integer NOT NULL, n integer); INSERT INTO a (id) VALUES (1), (2), (3)"
        )
        conn.execute("CREATE TABLE b (id integer NOT NULL, n integer); INSERT INTO b (id) VALUES (5)")
        conn.execute("CREATE TABLE c (id integer NOT NULL, n integer)")
        live = introspect(conn)
        for table, start, first in (("a", 2, 4), ("b", 100, 100), ("c", 7, 7)):
            q = QName("public", table)
            current = live.tables[q].column("id")
            assert current is not None
            wanted = replace(current, identity="BY DEFAULT", identity_options=(("start", start),))
            (change,) = diff_column(q, wanted, current, None)
            for step in change.steps():
                conn.execute(step.sql.encode())
            row = conn.execute(
                sql.SQL("INSERT INTO {} (n) VALUES (1) RETURNING id").format(sql.Identifier(table))
            )
            assert row.fetchone() == (first,), table
