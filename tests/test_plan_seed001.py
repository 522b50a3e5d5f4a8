"""``schemadoc plan`` with the comparison of :mod:`schemadoc.compare` on seed 001: a v0 database
(the relations, no foreign keys, no indexes beyond primary keys) is hardened online, the data is
checked first, and what the document does not hold is kept unless dropping it is allowed."""

from __future__ import annotations

import json
from typing import Any

import pglast
import psycopg
import pytest

from schemadoc.cli import main
from schemadoc.pg.connect import connect
from schemadoc.pg.introspect import introspect

from conftest import seed_file

# Untyped in the document, typed by the database: those types are kept (never rewritten).
V0 = """
CREATE TABLE papers (id uuid PRIMARY KEY, title text, storage_path text, vector_store_id uuid,
                     created_by uuid, created_at timestamptz);
CREATE TABLE plans (id uuid PRIMARY KEY, paper_id uuid, env_hash varchar(64), plan_json jsonb,
                    budget_minutes integer, created_by uuid, created_at timestamptz);
CREATE TABLE runs (id uuid PRIMARY KEY, plan_id uuid, paper_id uuid, env_hash varchar(64),
                   status varchar(20), created_at timestamptz, started_at timestamptz, completed_at timestamptz);
CREATE TABLE run_events (id uuid PRIMARY KEY, run_id uuid, seq bigint, type text, payload jsonb,
                         created_at timestamptz);
CREATE TABLE storyboards (id uuid PRIMARY KEY, paper_id uuid, run_id uuid, json jsonb, created_at timestamptz);
INSERT INTO papers (id) SELECT gen_random_uuid() FROM generate_series(1, 20);
INSERT INTO plans (id, paper_id) SELECT gen_random_uuid(), id FROM papers;
INSERT INTO runs (id, plan_id, paper_id, status) SELECT gen_random_uuid(), id, paper_id, 'done' FROM plans;
INSERT INTO run_events (id, run_id, seq) SELECT gen_random_uuid(), id, 1 FROM runs;
ANALYZE;
"""


def run(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in pglast.split(sql):
            conn.execute(statement)


def plan(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    code = main(["plan", str(seed_file(1)), "--database-url", url, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def schema_of(url: str) -> Any:
    with connect(url) as conn:
        return introspect(conn)


def test_v0_is_hardened_online_and_a_second_plan_is_empty(
    fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(fresh_database_url, V0)
    code, out, _ = plan(capsys, fresh_database_url, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["proved"] and not data["left_out"]
    steps = data["steps"]
    sql = [s["sql"] for s in steps]
    # six foreign keys, each added NOT VALID and validated in a step of its own; four indexes
    # built concurrently outside a transaction; nothing else (no column is retyped)
    assert sum(s.endswith(" NOT VALID") for s in sql) == 6
    assert sum(" VALIDATE CONSTRAINT " in s for s in sql) == 6
    concurrent = [s for s in steps if s["sql"].startswith("CREATE INDEX CONCURRENTLY")]
    assert len(concurrent) == 4 and not any(s["transactional"] for s in concurrent)
    assert len(steps) == 16
    validations = [s for s in steps if " VALIDATE CONSTRAINT " in s["sql"]]
    assert all(s["precheck"]["rows"] == 0 and s["lock"] == "SHARE UPDATE EXCLUSIVE" for s in validations)
    assert {s["table"]: s["rows"] for s in steps}["public.run_events"] == 20

    code, script, _ = plan(capsys, fresh_database_url, "--format", "sql")
    run(fresh_database_url, script)
    code, out, _ = plan(capsys, fresh_database_url)
    assert (code, out) == (0, "nothing to do: the database matches the document\n")


def test_orphans_block_the_plan_and_the_listing_shows_them(
    fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(
        fresh_database_url,
        V0 + "INSERT INTO runs (id, plan_id) VALUES (gen_random_uuid(), gen_random_uuid());",
    )
    before = schema_of(fresh_database_url)
    code, out, _ = plan(capsys, fresh_database_url, "--format", "json")
    assert code == 1
    data = json.loads(out)
    blocked = [s["precheck"] for s in data["steps"] if s["precheck"] and s["precheck"]["rows"]]
    assert len(blocked) == 1 and "public.plans" in blocked[0]["what"] and blocked[0]["rows"] == 1
    with psycopg.connect(fresh_database_url) as conn:
        listed = conn.execute(blocked[0]["list_sql"]).fetchall()
    assert len(listed) == 1
    assert any(d["code"] == "SD583" for d in data["diagnostics"])
    assert schema_of(fresh_database_url) == before


@pytest.mark.parametrize(
    ("extra", "hazard"),
    [
        ("ALTER TABLE runs ADD COLUMN legacy_flag boolean", "deletes-data"),
        ("CREATE INDEX runs_status_idx ON runs (status)", "drops-constraint"),
        ("CREATE TABLE scratch_notes (id int PRIMARY KEY, body text, n numeric)", "deletes-data"),
    ],
)
def test_what_the_document_does_not_hold_is_kept_until_dropping_is_allowed(
    fresh_database_url: str, capsys: pytest.CaptureFixture[str], extra: str, hazard: str
) -> None:
    run(fresh_database_url, V0 + extra + ";")
    before = schema_of(fresh_database_url)
    code, out, err = plan(capsys, fresh_database_url)
    assert code == 3 and "SD580" in err and f"--allow {hazard}" in out
    assert schema_of(fresh_database_url) == before
    code, script, _ = plan(capsys, fresh_database_url, "--format", "sql", "--allow", hazard)
    assert code == 0
    run(fresh_database_url, script)
    assert plan(capsys, fresh_database_url)[:2] == (0, "nothing to do: the database matches the document\n")
