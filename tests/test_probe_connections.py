"""Probes on several connections at once: the same result for every promise as on one, every
probe transaction still rolled back, a broken promise still found."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from schemadoc.diagnostics import fail
from schemadoc.model import Schema
from schemadoc.read import read_documents
from schemadoc.verify.probes import _batch_size, _Prober, verify_promises
from schemadoc.verify.report import PromiseResult, VerifyReport

from verify_support import built_lab, clone, lab_document


@pytest.fixture(scope="module")
def lab(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Schema]]:
    doc = lab_document(tmp_path_factory.mktemp("lab"))
    schema, _ = read_documents([doc])
    with built_lab(server_url) as template:
        yield template, schema


def _outcomes(report: VerifyReport) -> list[tuple[str, str, str]]:
    return [(r.promise.kind, r.promise.description, r.outcome) for r in report.results]


def _probe(url: str, schema: Schema, connections: int, per_transaction: int) -> VerifyReport:
    conns = [psycopg.connect(url) for _ in range(connections)]
    try:
        return verify_promises(
            conns[0], schema, more_connections=conns[1:], tables_per_transaction=per_transaction
        )
    finally:
        for conn in conns:
            conn.close()


def _row_counts(url: str, schema: Schema) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            str(q): conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(q.schema, q.name))
            ).fetchone()[0]
            for q in schema.tables
        }


def test_three_connections_give_the_results_of_one(server_url: str, lab: tuple[str, Schema]) -> None:
    template, schema = lab
    with clone(server_url, template) as url:
        before = _row_counts(url, schema)
        alone = _probe(url, schema, 1, 2)
        together = _probe(url, schema, 3, 2)
        assert _row_counts(url, schema) == before
    assert alone.counts()["kept"] == alone.counts()["total"] > 0, alone.render_text()
    assert _outcomes(together) == _outcomes(alone)


@pytest.mark.parametrize(
    "mutation",
    [
        "ALTER TABLE projects ALTER COLUMN title DROP NOT NULL",
        "ALTER TABLE projects DROP CONSTRAINT projects_phase_check",
    ],
)
def test_a_broken_promise_is_found_on_any_connection(
    server_url: str, lab: tuple[str, Schema], mutation: str
) -> None:
    template, schema = lab
    with clone(server_url, template) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(mutation.encode())
        alone = _probe(url, schema, 1, 1)
        together = _probe(url, schema, 2, 1)
    broken = [o for o in _outcomes(together) if o[2] == "broken"]
    assert len(broken) == 1, together.render_text()
    assert _outcomes(together) == _outcomes(alone)


def test_jobs_open_connections_only_while_probing(server_url: str, lab: tuple[str, Schema]) -> None:
    """With ``jobs``, connections are opened up to that number (not more than there are probe
    transactions), closed at the end; a refused one leaves the run to those it has."""
    template, schema = lab
    with clone(server_url, template) as url:
        opened: list[psycopg.Connection[Any]] = []

        def open_connection() -> psycopg.Connection[Any]:
            opened.append(psycopg.connect(url))
            return opened[-1]

        def refuse_after_one() -> psycopg.Connection[Any]:
            if opened:
                raise fail("SD513", "too many clients")
            return open_connection()

        with psycopg.connect(url) as conn:
            alone = verify_promises(conn, schema, tables_per_transaction=2)
            three = verify_promises(
                conn, schema, tables_per_transaction=2, jobs=3, open_connection=open_connection
            )
            assert len(opened) == 2 and all(c.closed for c in opened)
            opened.clear()
            refused = verify_promises(
                conn, schema, tables_per_transaction=2, jobs=4, open_connection=refuse_after_one
            )
            assert len(opened) == 1 and opened[0].closed
            opened.clear()
            one_batch = verify_promises(
                conn, schema, tables_per_transaction=1000, jobs=4, open_connection=open_connection
            )
            assert opened == []
    assert alone.counts()["kept"] == alone.counts()["total"] > 0, alone.render_text()
    for report in (three, refused, one_batch):
        assert _outcomes(report) == _outcomes(alone)


def test_probe_transactions_that_wait_for_each_other_are_run_again_alone(
    fresh_database_url: str, tmp_path: Path
) -> None:
    """Two probe transactions side by side both build a parent row in ``kinds``, whose unique
    name allows two values: the second waits for the first past the lock timeout. The batch that
    waited runs again alone, and the results are those of one connection."""
    ddl = "CREATE TABLE kinds (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    ddl += " name text NOT NULL UNIQUE CHECK (name IN ('a', 'b')));\n"
    for i in range(1, 13):
        ddl += f"CREATE TABLE t{i} (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        ddl += " kind_id int NOT NULL REFERENCES kinds (id), note text);\n"
    doc = tmp_path / "kinds.md"
    doc.write_text("# Kinds\n\n```sql\n" + ddl + "```\n")
    schema, _ = read_documents([doc])
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(ddl.encode())
        # not in the document: every insert takes a while, so the transactions overlap
        conn.execute(
            b"CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS"
            b" $$BEGIN PERFORM pg_sleep(0.01); RETURN NEW; END$$"
        )
        for i in range(1, 13):
            conn.execute(
                f"CREATE TRIGGER slow BEFORE INSERT ON t{i} FOR EACH ROW EXECUTE FUNCTION slow()".encode()
            )

    def probe(jobs: int) -> VerifyReport:
        with psycopg.connect(fresh_database_url) as conn:
            return verify_promises(
                conn,
                schema,
                tables_per_transaction=3,
                lock_timeout_ms=50,
                jobs=jobs,
                open_connection=lambda: psycopg.connect(fresh_database_url),
            )

    alone, together = probe(1), probe(2)
    assert not [r for r in alone.results if r.actual_sqlstate == "55P03"], alone.render_text()
    assert alone.counts()["broken"] == 0 and alone.counts()["kept"] > 0, alone.render_text()
    assert _outcomes(together) == _outcomes(alone), together.render_text()


@pytest.mark.parametrize("sqlstate", ["55P03", "40P01", "53200"])
def test_a_batch_that_met_another_transaction_is_run_again_alone(
    server_url: str, lab: tuple[str, Schema], sqlstate: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run of one batch reports every promise as failed with a state that two
    transactions side by side can cause (lock timeout, deadlock, a full lock table): that batch
    runs again once, alone, and the report is that of one connection."""
    template, schema = lab
    real = _Prober.run_batch
    runs: list[tuple[str, ...]] = []

    def first_run_fails(self: _Prober, batch: Any) -> list[list[PromiseResult]]:
        found = real(self, batch)
        names = tuple(str(table) for table, _ in batch)
        runs.append(names)
        if "public.trials" in names and runs.count(names) == 1:
            return [[replace(r, outcome="untestable", actual_sqlstate=sqlstate) for r in g] for g in found]
        return found

    with clone(server_url, template) as url:
        alone = _probe(url, schema, 1, 2)
        monkeypatch.setattr(_Prober, "run_batch", first_run_fails)
        together = _probe(url, schema, 2, 2)
    ran_twice = {names for names in runs if runs.count(names) > 1}
    assert ran_twice == {runs[-1]} and "public.trials" in runs[-1] and runs.count(runs[-1]) == 2, runs
    assert _outcomes(together) == _outcomes(alone)


@pytest.mark.parametrize(
    ("tables", "lanes", "sizes"),
    [
        (150, 2, [75, 75]),
        (250, 2, [63, 63, 63, 61]),
        (2000, 2, [100] * 20),
        (101, 2, [51, 50]),
        (150, 1, [100, 50]),
        (80, 2, [80]),
        (300, 3, [100, 100, 100]),
        (301, 3, [51] * 5 + [46]),
    ],
)
def test_probe_transactions_are_as_even_as_the_connections_allow(
    tables: int, lanes: int, sizes: list[int]
) -> None:
    """At most 100 tables a transaction; with several connections, even transactions in a
    multiple of their number, so that no connection is left with the long one at the end."""
    size = _batch_size(tables, 100, lanes)
    assert [min(size, tables - start) for start in range(0, tables, size)] == sizes
