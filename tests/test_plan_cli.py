"""``schemadoc plan`` on the command line: text, JSON and SQL output, migration files, exit codes.

The command runs on the planner's test changes (plan_support) in place of the comparison of
:mod:`schemadoc.compare`, so that what is tested here is the command, not how differences are found.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pglast
import psycopg
import pytest

from schemadoc.cli import main
from schemadoc.compare.changes import Change
from schemadoc.pg.connect import connect
from schemadoc.pg.introspect import introspect
from schemadoc.plan import build, phases

from plan_support import PHASES, AddIndex, diff, document, injecting

V0 = """
CREATE TYPE mood AS ENUM ('calm', 'busy', 'gone');
CREATE TYPE stage AS ENUM ('draft', 'live', 'retired');
CREATE TABLE plans (id bigint PRIMARY KEY, title text, budget bigint, mood mood,
                    CONSTRAINT plans_title_check CHECK (title <> ''));
CREATE TABLE runs (id bigint PRIMARY KEY, plan_id bigint, status text, legacy text);
CREATE TABLE old_audit (id bigint PRIMARY KEY, at timestamptz, what text, who text);
INSERT INTO plans SELECT g, 'plan ' || g, g FROM generate_series(1, 20) g;
INSERT INTO runs SELECT g, 1 + g % 20, 'ok', 'x' FROM generate_series(1, 100) g;
"""

DOC = """
CREATE TYPE mood AS ENUM ('calm', 'busy', 'gone');
CREATE TYPE stage AS ENUM ('draft', 'live', 'retired');
CREATE TABLE plans (id bigint PRIMARY KEY, title text CHECK (title <> ''), budget bigint, mood mood);
CREATE TABLE runs (id bigint PRIMARY KEY, plan_id bigint REFERENCES plans (id), status text, legacy text);
CREATE INDEX runs_plan_id_idx ON runs (plan_id);
CREATE TABLE old_audit (id bigint PRIMARY KEY, at timestamptz, what text, who text);
"""


@pytest.fixture()
def test_changes(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], None]:
    """The command plans with the test changes; call the result to plant another differ."""

    def use(differ: Any) -> None:
        monkeypatch.setattr(build, "default_differ", lambda: differ)

    use(diff)
    monkeypatch.setattr(phases, "PHASES", PHASES)
    return use


def setup(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in pglast.split(sql):
            conn.execute(statement)


def plan(capsys: pytest.CaptureFixture[str], url: str, doc: Path, *args: str) -> tuple[int, str, str]:
    code = main(["plan", str(doc), "--database-url", url, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def schema_of(url: str) -> Any:
    with connect(url) as conn:
        return introspect(conn)


def test_text_json_and_sql_describe_the_same_plan_and_the_script_converges(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], test_changes: Any
) -> None:
    setup(fresh_database_url, V0)
    doc = document(tmp_path, DOC)
    code, text, _ = plan(capsys, fresh_database_url, doc)
    assert code == 0
    assert "1/3  index public.runs_plan_id_idx is missing" in text
    assert "2/3  foreign key public.runs(plan_id) -> public.plans is missing" in text
    assert "3/3  (continued)" in text
    assert "lock: SHARE UPDATE EXCLUSIVE on public.runs (" in text and "outside a transaction" in text
    assert "ready: 3 step(s), proven on a scratch copy of the live schema" in text

    code, out, _ = plan(capsys, fresh_database_url, doc, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["proved"] and data["exit_code"] == 0
    assert [s["number"] for s in data["steps"]] == [1, 2, 3]
    assert [s["transactional"] for s in data["steps"]] == [False, True, True]
    assert data["steps"][2]["precheck"]["rows"] == 0 and data["steps"][2]["hazards"] == ["can-fail-on-data"]
    assert data["steps"][1]["table"] == "public.runs" and data["steps"][1]["bytes"] > 0

    code, script, _ = plan(capsys, fresh_database_url, doc, "--format", "sql", "--lock-timeout", "250")
    assert code == 0
    statements = pglast.split(script)
    timeouts = [i for i, s in enumerate(statements) if s == "SET lock_timeout = '250ms'"]
    assert len(timeouts) == 3
    # every step's statement right after its SET; the CONCURRENTLY build outside BEGIN/COMMIT
    assert all(statements[i + 1] not in ("BEGIN", "COMMIT") for i in timeouts)
    assert timeouts[0] == 0 and statements[1].startswith("CREATE INDEX CONCURRENTLY")
    assert statements[timeouts[1] - 1] == "BEGIN" and statements[timeouts[1] + 2] == "COMMIT"
    setup(fresh_database_url, script)

    code, text, _ = plan(capsys, fresh_database_url, doc)
    assert (code, text) == (0, "nothing to do: the database matches the document\n")
    code, out, _ = plan(capsys, fresh_database_url, doc, "--format", "json")
    assert code == 0 and json.loads(out)["steps"] == []


def test_output_writes_numbered_flyway_migrations(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], test_changes: Any
) -> None:
    setup(fresh_database_url, V0)
    doc = document(tmp_path, DOC, "Seed Runs.md")
    out_dir = tmp_path / "migrations"
    code, _, err = plan(capsys, fresh_database_url, doc, "--output", str(out_dir))
    first = out_dir / "V1__seed_runs.sql"
    assert code == 0 and f"wrote {first}" in err
    _, script, _ = plan(capsys, fresh_database_url, doc, "--format", "sql")
    assert first.read_text(encoding="utf-8") == script
    plan(capsys, fresh_database_url, doc, "--output", str(out_dir))
    assert sorted(p.name for p in out_dir.iterdir()) == ["V1__seed_runs.sql", "V2__seed_runs.sql"]
    setup(fresh_database_url, script)
    plan(capsys, fresh_database_url, doc, "--output", str(out_dir))
    assert len(list(out_dir.iterdir())) == 2  # nothing to do: no file


@pytest.mark.parametrize(
    ("edit", "hazard"),
    [
        (
            ("CREATE TABLE old_audit (id bigint PRIMARY KEY, at timestamptz, what text, who text);", ""),
            "deletes-data",
        ),
        (("legacy text)", "legacy_gone int)"), "deletes-data"),  # a column dropped (no rename: other type)
        ((" CHECK (title <> '')", ""), "deletes-data"),  # a constraint dropped
        (("budget bigint", "budget integer"), "narrows-type"),
        (("'live', 'retired'", "'live'"), "drops-enum-value"),
    ],
)
def test_each_destructive_kind_exits_3_and_changes_nothing_until_allowed(
    fresh_database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    test_changes: Any,
    edit: tuple[str, str],
    hazard: str,
) -> None:
    base = DOC.replace("plan_id bigint REFERENCES plans (id)", "plan_id bigint").replace(
        "CREATE INDEX runs_plan_id_idx ON runs (plan_id);", ""
    )
    setup(fresh_database_url, V0)
    assert edit[0] in base
    doc = document(tmp_path, base.replace(*edit))
    before = schema_of(fresh_database_url)
    code, text, err = plan(capsys, fresh_database_url, doc)
    assert code == 3
    assert "SD580" in err and f"--allow {hazard}" in text and "not ready" in text
    code, script, _ = plan(
        capsys, fresh_database_url, doc, "--format", "sql", "--output", str(tmp_path / "m")
    )
    assert code == 3 and "-- NOT READY (exit 3)" in script
    assert not (tmp_path / "m").exists()  # a plan something blocks is not written as a migration
    assert schema_of(fresh_database_url) == before

    code, script, _ = plan(capsys, fresh_database_url, doc, "--format", "sql", "--allow", hazard)
    assert code == 0
    setup(fresh_database_url, script)
    code, text, _ = plan(capsys, fresh_database_url, doc, "--allow-destructive")
    # the column dropped is listed, and the one of another type added: both ran
    assert (code, text) == (0, "nothing to do: the database matches the document\n")


def test_a_probable_rename_and_the_wrong_database_exit_3(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], test_changes: Any
) -> None:
    setup(fresh_database_url, V0)
    renamed = DOC.replace("CREATE TABLE old_audit", "CREATE TABLE audit")
    code, text, err = plan(capsys, fresh_database_url, document(tmp_path, renamed))
    assert code == 3 and "SD581" in err
    assert "  - table public.old_audit -> public.audit" in text

    other = "".join(f"CREATE TABLE t{i} (id bigint PRIMARY KEY);\n" for i in range(6))
    code, text, err = plan(capsys, fresh_database_url, document(tmp_path, other, "other.md"))
    assert code == 3 and "SD582" in err
    assert text.count("\n") == 1 and "0 of the document's 6 table(s) and 3 table(s) of its own" in text


def test_a_plan_the_proof_refutes_exits_70(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], test_changes: Any
) -> None:
    setup(fresh_database_url, V0)
    from dataclasses import replace

    def wrong(change: Change) -> Change:
        return AddIndex(replace(change.index, keys=("status",))) if isinstance(change, AddIndex) else change

    test_changes(injecting(wrong))
    before = schema_of(fresh_database_url)
    code, text, err = plan(capsys, fresh_database_url, document(tmp_path, DOC))
    assert code == 70 and "SD585" in err and "index public.runs_plan_id_idx is missing" in err
    assert "NOT PROVEN" in text
    assert schema_of(fresh_database_url) == before
