"""make_plan on real PostgreSQL: the order it runs in converges, pre-checks count real rows,
destructive changes and renames are held back, and the proof catches a wrong step."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pglast
import psycopg
import pytest

from schemadoc.compare.changes import Change, Hazard, Step
from schemadoc.pg.connect import connect
from schemadoc.pg.introspect import introspect
from schemadoc.plan import Plan, make_plan
from schemadoc.plan.model import LeftOutReason
from schemadoc.plan.order import phase_of
from schemadoc.plan.render import render_sql

from plan_support import PHASES, AddIndex, diff, document, injecting, read

V0 = """
CREATE TABLE plans (id bigint PRIMARY KEY, title text);
CREATE TABLE runs (id bigint PRIMARY KEY, plan_id bigint, status text);
INSERT INTO plans SELECT g, 'plan ' || g FROM generate_series(1, 50) g;
INSERT INTO runs SELECT g, 1 + g % 50, 'ok' FROM generate_series(1, 500) g;
ANALYZE;
"""

HARDENED = """
CREATE TABLE plans (id bigint PRIMARY KEY, title text NOT NULL UNIQUE);
CREATE TABLE runs (
    id bigint PRIMARY KEY,
    plan_id bigint REFERENCES plans (id),
    status text CHECK (status <> ''),
    note text
);
CREATE INDEX runs_plan_id_idx ON runs (plan_id);
CREATE TABLE run_events (id bigint PRIMARY KEY, run_id bigint NOT NULL REFERENCES runs (id));
"""


def setup(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in pglast.split(sql):
            conn.execute(statement)


def plan_for(url: str, server_url: str, doc_sql: str, tmp: Path, **kw: Any) -> Plan:
    kw.setdefault("differ", diff)
    return make_plan(url, read(document(tmp, doc_sql)), maintenance_url=server_url, phases=PHASES, **kw)


def run_script(url: str, script: str) -> None:
    """Run a psql script statement by statement, as psql does."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in pglast.split(script):
            conn.execute(statement)


def schema_of(url: str) -> Any:
    with connect(url) as conn:
        return introspect(conn)


def test_the_plan_is_ordered_proven_and_converges(
    fresh_database_url: str, server_url: str, tmp_path: Path
) -> None:
    setup(fresh_database_url, V0)
    plan = plan_for(fresh_database_url, server_url, HARDENED, tmp_path)
    assert plan.exit_code == 0 and plan.ready and plan.proved and plan.proof_failure is None
    phases = [phase_of(s.change, PHASES) for s in plan.steps]
    assert phases == sorted(phases)
    assert [s.number for s in plan.steps] == list(range(1, len(plan.steps) + 1))
    # every pre-check ran on the live data and found nothing; the new table's has nothing to check
    assert plan.prechecks and all(not r.blocks for r in plan.prechecks)
    assert any(r.skipped for r in plan.prechecks) and any(
        r.rows == 0 and not r.skipped for r in plan.prechecks
    )
    runs = plan.size_of(plan.steps[-1].step.table)
    assert runs is not None and runs.rows == 500 and runs.bytes > 0
    # online: the index is built outside a transaction, the foreign key validated separately
    assert any(not s.step.transactional for s in plan.steps)

    run_script(fresh_database_url, render_sql(plan))
    again = plan_for(fresh_database_url, server_url, HARDENED, tmp_path)
    assert again.empty and again.exit_code == 0


@pytest.mark.parametrize(
    ("bad_rows", "doc_change", "what"),
    [
        ("INSERT INTO runs VALUES (9001, 999, 'ok')", "plan_id bigint REFERENCES plans (id)", "no row in"),
        ("UPDATE runs SET status = NULL WHERE id = 7", "status text NOT NULL", "is NULL"),
        ("UPDATE runs SET status = 'dup' WHERE id IN (3, 4)", "status text UNIQUE", "more than one row"),
        ("UPDATE runs SET status = '' WHERE id = 5", "status text CHECK (status <> '')", "fail CHECK"),
    ],
)
def test_rows_that_would_fail_a_step_exit_1_with_a_query_that_lists_them(
    fresh_database_url: str, server_url: str, tmp_path: Path, bad_rows: str, doc_change: str, what: str
) -> None:
    setup(fresh_database_url, V0 + bad_rows + ";")
    doc_sql = HARDENED.replace("plan_id bigint REFERENCES plans (id)", "plan_id bigint").replace(
        "status text CHECK (status <> '')", "status text"
    )
    doc_sql = doc_sql.replace(doc_change.split()[0] + " " + doc_change.split()[1] + ",", doc_change + ",", 1)
    before = schema_of(fresh_database_url)
    plan = plan_for(fresh_database_url, server_url, doc_sql, tmp_path)
    assert plan.exit_code == 1 and not plan.ready
    (blocking,) = [r for r in plan.prechecks if r.blocks]
    assert what in blocking.check.what and blocking.rows is not None and blocking.rows >= 1
    with psycopg.connect(fresh_database_url) as conn:
        listed = conn.execute(blocking.check.list_sql).fetchall()
    assert len(listed) == blocking.rows
    assert schema_of(fresh_database_url) == before


def test_a_wrong_step_is_caught_by_the_proof(
    fresh_database_url: str, server_url: str, tmp_path: Path
) -> None:
    setup(fresh_database_url, V0)

    def wrong_column(change: Change) -> Change:
        if isinstance(change, AddIndex):
            return AddIndex(replace(change.index, keys=("status",)))
        return change

    before = schema_of(fresh_database_url)
    plan = plan_for(fresh_database_url, server_url, HARDENED, tmp_path, differ=injecting(wrong_column))
    assert plan.exit_code == 70 and not plan.proved
    failure = plan.proof_failure
    assert failure is not None and failure.number is None
    assert {type(c) for c in failure.residue} == {AddIndex}
    assert schema_of(fresh_database_url) == before


class _Broken(AddIndex):
    def steps(self) -> tuple[Step, ...]:
        return (Step("CREATE INDEX runs_plan_id_idx ON public.runs (no_such_column)"),)


def test_a_step_that_fails_on_the_scratch_copy_is_reported_with_its_number(
    fresh_database_url: str, server_url: str, tmp_path: Path
) -> None:
    setup(fresh_database_url, V0)
    differ = injecting(lambda c: _Broken(c.index) if isinstance(c, AddIndex) else c)
    plan = plan_for(fresh_database_url, server_url, HARDENED, tmp_path, differ=differ)
    failure = plan.proof_failure
    assert plan.exit_code == 70 and failure is not None
    (broken,) = [s.number for s in plan.steps if isinstance(s.change, _Broken)]
    assert failure.number == broken and failure.error and "no_such_column" in failure.error
    assert "42703" in failure.error


def test_no_prove_skips_the_proof(fresh_database_url: str, server_url: str, tmp_path: Path) -> None:
    setup(fresh_database_url, V0)
    plan = plan_for(fresh_database_url, server_url, HARDENED, tmp_path, prove=False)
    assert plan.exit_code == 0 and not plan.proved and plan.steps


def test_a_matching_database_gives_an_empty_plan(
    fresh_database_url: str, server_url: str, tmp_path: Path
) -> None:
    setup(fresh_database_url, HARDENED)
    plan = plan_for(fresh_database_url, server_url, HARDENED, tmp_path)
    assert plan.empty and plan.exit_code == 0 and not plan.steps and not plan.prechecks


def test_a_renamed_table_is_reported_and_nothing_is_planned_for_it(
    fresh_database_url: str, server_url: str, tmp_path: Path
) -> None:
    setup(fresh_database_url, V0)
    doc_sql = "CREATE TABLE plans (id bigint PRIMARY KEY, title text);\n" + (
        "CREATE TABLE jobs (id bigint PRIMARY KEY, plan_id bigint, status text);"
    )
    plan = plan_for(fresh_database_url, server_url, doc_sql, tmp_path)
    assert plan.exit_code == 3 and [r.text() for r in plan.renames] == ["table public.runs -> public.jobs"]
    assert not plan.steps and {x.reason for x in plan.left_out} == {LeftOutReason.RENAME}
    allowed = plan_for(
        fresh_database_url, server_url, doc_sql, tmp_path, allow=frozenset({Hazard.DELETES_DATA})
    )
    assert allowed.exit_code == 0 and len(allowed.steps) == 2 and not allowed.renames


def test_the_wrong_database_gets_one_summary(
    fresh_database_url: str, server_url: str, tmp_path: Path
) -> None:
    setup(fresh_database_url, "".join(f"CREATE TABLE other_{i} (id int);" for i in range(8)))
    plan = plan_for(fresh_database_url, server_url, HARDENED, tmp_path)
    assert plan.exit_code == 3 and not plan.steps and not plan.left_out
    assert plan.wrong_database is not None and plan.wrong_database.own_tables == 8
