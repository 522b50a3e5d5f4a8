"""Schemas whose depth grows with their size: long foreign key chains are built and verified
without deep recursion anywhere (row synthesis, dependency order)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from schemadoc.cli import main
from schemadoc.model import QName
from schemadoc.pg.connect import with_database
from schemadoc.write.order import topo_sort


@pytest.fixture
def target_url(server_url: str) -> Iterator[str]:
    """The URL of a database that ``up`` creates; dropped afterwards."""
    name = f"sd_deep_{uuid.uuid4().hex[:10]}"
    yield with_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def chain_document(tables: int) -> str:
    """``tables`` tables, each one's ``prev_id`` a NOT NULL reference to the one before."""
    lines = ["# Chain", "", "```sql", "CREATE TABLE c0 (id int PRIMARY KEY);"]
    lines += [
        f"CREATE TABLE c{i} (id int PRIMARY KEY, prev_id int NOT NULL REFERENCES c{i - 1}(id));"
        for i in range(1, tables)
    ]
    return "\n".join([*lines, "```", ""])


def test_a_3000_table_foreign_key_chain_builds_and_every_promise_is_kept(
    tmp_path: Path, target_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = 3000
    with psycopg.connect(with_database(target_url, "postgres")) as conn:
        row = conn.execute(
            "SELECT current_setting('max_locks_per_transaction')::int"
            " * (current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int)"
        ).fetchone()
    assert row is not None
    if row[0] < 4 * tables:
        # up builds the whole document in one transaction: a table, its key and its foreign key
        # each hold a lock until the commit, and the server's shared lock table must have room
        pytest.skip(
            f"the server's lock table ({row[0]} locks) cannot hold one transaction over {tables} tables"
        )
    doc = tmp_path / "chain.md"
    doc.write_text(chain_document(tables))
    started = time.perf_counter()
    code = main(["up", str(doc), "--database-url", target_url, "--format", "json"])
    elapsed = time.perf_counter() - started
    out = json.loads(capsys.readouterr().out)
    with capsys.disabled():
        print(f"\n{tables}-table chain: up (build and verify) took {elapsed:.1f} s")
    assert code == 0, out["diagnostics"]
    counts = out["promises"]["counts"]
    # per table: the primary key (uniqueness, NOT NULL), and for each link its NOT NULL and FK
    assert counts["total"] >= 2 * tables + 2 * (tables - 1)
    assert counts["kept"] == counts["total"]
    assert counts["broken"] == counts["untestable"] == 0
    with psycopg.connect(target_url) as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
        ).fetchone()
        rows = conn.execute("SELECT count(*) FROM c2999").fetchone()
    assert found == (tables - 1,)
    assert rows == (0,)  # the probes left nothing behind


def test_topo_sort_orders_a_chain_longer_than_the_recursion_limit() -> None:
    n = 20_000
    keys = [QName("public", f"t{i}") for i in range(n)]
    # each table depends on the next one: the whole list has to be reversed
    order = topo_sort(keys, lambda k: [QName("public", f"t{int(k.name[1:]) + 1}")])
    assert order == list(reversed(keys))


def test_topo_sort_breaks_a_cycle_and_keeps_every_key() -> None:
    a, b, c = (QName("public", x) for x in "abc")
    deps = {a: [b], b: [c], c: [a]}
    order = topo_sort([a, b, c], lambda k: deps[k])
    assert order == [c, b, a]
