"""`schemadoc apply` on real PostgreSQL: it asks before it changes anything, refuses what the
plan refuses, finishes what an interrupted run left, and a writer working beside it sees no
error."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from apply_support import EXAMPLE, EXAMPLE_V0, cli, cli_process, codes, load_v0, process_env, shape

from schemadoc.cli import main


@pytest.fixture
def v0(fresh_database_url: str) -> str:
    load_v0(fresh_database_url, EXAMPLE_V0)
    return fresh_database_url


def test_without_yes_and_without_a_terminal_nothing_is_changed(
    v0: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    before = shape(v0)
    code, payload = cli(capsys, "apply", str(EXAMPLE), "--database-url", v0)
    assert code == 3
    assert codes(payload) == ["SD575"]
    assert "no terminal to ask on; nothing was changed" in payload["diagnostics"][0]["message"]
    assert shape(v0) == before


def test_a_no_on_the_terminal_changes_nothing(v0: str) -> None:
    before = shape(v0)
    leader, follower = pty.openpty()
    os.write(leader, b"n\n")
    try:
        done = subprocess.run(
            _command("apply", str(EXAMPLE), "--database-url", v0),
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env=process_env(),
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 3, done.stderr
    assert "apply " in done.stderr and "to the database" in done.stderr and "[y/N]" in done.stderr
    assert "not confirmed; nothing was changed" in done.stderr
    assert "VALIDATE CONSTRAINT" in done.stdout  # the plan was shown before the question
    assert shape(v0) == before


def test_orphans_block_apply_and_nothing_is_changed(v0: str, capsys: pytest.CaptureFixture[str]) -> None:
    with psycopg.connect(v0, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO runs (id, plan_id, paper_id) VALUES (gen_random_uuid(), gen_random_uuid(), md5('pa1')::uuid)"
        )
    before = shape(v0)
    code, payload = cli(capsys, "apply", str(EXAMPLE), "--database-url", v0, "--yes")
    assert code == 1
    assert "SD583" in codes(payload)
    assert payload["run"] is None
    assert shape(v0) == before


def test_a_destructive_change_is_left_out_and_apply_exits_3_changing_nothing(
    v0: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with psycopg.connect(v0, autocommit=True) as conn:
        conn.execute("ALTER TABLE papers ADD COLUMN legacy_code text")
    before = shape(v0)
    code, payload = cli(capsys, "apply", str(EXAMPLE), "--database-url", v0, "--yes")
    assert code == 3
    assert "SD580" in codes(payload)
    assert shape(v0) == before

    code, payload = cli(
        capsys, "apply", str(EXAMPLE), "--database-url", v0, "--yes", "--allow", "deletes-data"
    )
    assert code == 0, payload
    assert ("papers", "legacy_code", "text", False) not in shape(v0)["columns"]
    assert payload["residue"] == []


# -- an interrupted apply -------------------------------------------------------------------------------


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "schemadoc", *args]


def _waiting_build(url: str, deadline_s: float = 240) -> int:
    """The backend of `apply` while it waits in a CREATE INDEX CONCURRENTLY."""
    end = time.monotonic() + deadline_s
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < end:
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'schemadoc apply'"
                " AND query LIKE 'CREATE INDEX CONCURRENTLY%%' AND wait_event_type = 'Lock'"
            ).fetchone()
            if row is not None:
                return int(row[0])
            time.sleep(0.2)
    raise AssertionError("apply never reached a concurrent index build")


@contextmanager
def _apply_waiting_in_a_build(url: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`apply` as a process, held inside a CREATE INDEX CONCURRENTLY: a session with an old
    snapshot keeps the build waiting before it marks the index valid. Yields the process and
    the pid of its backend; the snapshot is released when the block ends."""
    with psycopg.connect(url) as holder:
        holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        holder.execute("SELECT 1")
        process = cli_process(
            "apply",
            str(EXAMPLE),
            "--database-url",
            url,
            "--yes",
            "--lock-timeout",
            "600000",
            "--format",
            "json",
        )
        try:
            yield process, _waiting_build(url)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            holder.rollback()


def _gone(url: str, pid: int, deadline_s: float = 60) -> None:
    end = time.monotonic() + deadline_s
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() is not None:
            assert time.monotonic() < end, f"backend {pid} is still there"
            time.sleep(0.1)


def _finished_by_a_rerun(capsys: pytest.CaptureFixture[str], url: str) -> dict[str, Any]:
    code, again = cli(capsys, "apply", str(EXAMPLE), "--database-url", url, "--yes")
    assert code == 0, again
    assert again["residue"] == []
    held = shape(url)
    assert all(valid for _, valid in held["indexes"])
    assert {name for name, _ in held["indexes"]} >= {
        "plans_paper_id_idx",
        "runs_plan_id_idx",
        "runs_paper_id_idx",
        "run_events_run_seq_idx",
    }
    assert all(valid for _, kind, valid in held["constraints"] if kind == "f")
    code, plan = cli(capsys, "plan", str(EXAMPLE), "--database-url", url)
    assert code == 0 and plan["steps"] == []
    return again


def test_an_apply_whose_build_is_cancelled_stops_cleanly_and_the_next_finishes(
    v0: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with _apply_waiting_in_a_build(v0) as (process, pid):
        with psycopg.connect(v0, autocommit=True) as admin:
            admin.execute("SELECT pg_cancel_backend(%s)", (pid,))
        out, err = process.communicate(timeout=240)
    assert process.returncode == 1, err
    payload = json.loads(out)
    assert "SD572" in codes(payload)
    failure = payload["run"]["failure"]
    assert failure["reason"] == "cancelled" and failure["left_invalid"] is None
    assert all(valid for _, valid in shape(v0)["indexes"])  # what the cancelled build left was dropped
    again = _finished_by_a_rerun(capsys, v0)
    assert again["dropped_invalid_indexes"] == []


def test_an_apply_killed_during_a_concurrent_build_is_finished_by_the_next(
    v0: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with _apply_waiting_in_a_build(v0) as (process, pid):
        process.kill()
        process.wait()
        # its session goes too (as when the server notices the client is gone), mid-build
        with psycopg.connect(v0, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        _gone(v0, pid)
    invalid = [name for name, valid in shape(v0)["indexes"] if not valid]
    assert len(invalid) == 1
    again = _finished_by_a_rerun(capsys, v0)
    assert again["dropped_invalid_indexes"] == [f"public.{invalid[0]}"]
    assert "SD574" in codes(again)
    assert invalid[0] in {name for name, _ in shape(v0)["indexes"]}


# -- a writer beside it -----------------------------------------------------------------------------------


class _Writer(threading.Thread):
    """Inserts a run and one of its events, again and again, as the application would."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.errors: list[str] = []
        self.inserted = 0
        self.started_writing = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            n = 0
            while not self.stop.is_set():
                n += 1
                run = uuid.uuid4()
                try:
                    conn.execute(
                        "INSERT INTO runs (id, plan_id, paper_id)"
                        " VALUES (%s, md5('pl' || %s)::uuid, md5('pa' || %s)::uuid)",
                        (run, 1 + n % 50, 1 + (n % 50) % 20),
                    )
                    conn.execute(
                        "INSERT INTO run_events (id, run_id, seq, payload) VALUES (%s, %s, 0, '{}')",
                        (uuid.uuid4(), run),
                    )
                    self.inserted += 1
                except psycopg.Error as exc:
                    self.errors.append(str(exc).splitlines()[0])
                if n == 5:
                    self.started_writing.set()
                time.sleep(0.002)


def test_a_writer_sees_no_error_while_apply_runs(v0: str, capsys: pytest.CaptureFixture[str]) -> None:
    writer = _Writer(v0)
    writer.start()
    try:
        assert writer.started_writing.wait(60)
        before = writer.inserted
        code, payload = cli(capsys, "apply", str(EXAMPLE), "--database-url", v0, "--yes")
        during = writer.inserted - before
    finally:
        writer.stop.set()
        writer.join(60)
    assert code == 0, payload
    assert writer.errors == []
    assert during > 0
    code, plan = cli(capsys, "plan", str(EXAMPLE), "--database-url", v0)
    assert code == 0 and plan["steps"] == []


def _validations(plan: dict[str, Any]) -> list[str]:
    """The SQL of the steps that validate what the database has NOT VALID (SD367)."""
    return [s["sql"] for s in plan["steps"] if s["change"]["code"] == "SD367"]


def test_a_run_stopped_between_not_valid_and_validate_is_finished_by_the_next(
    v0: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # what a run killed right after its first step leaves: the foreign key, not yet validated
    with psycopg.connect(v0, autocommit=True) as conn:
        conn.execute(
            "ALTER TABLE runs ADD CONSTRAINT runs_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES plans (id) NOT VALID"
        )
    code, applied = cli(capsys, "apply", str(EXAMPLE), "--database-url", v0, "--yes")
    assert code == 0, applied
    # the plan itself validates it, once, and adds nothing for it again
    assert _validations(applied["plan"]) == ["ALTER TABLE public.runs VALIDATE CONSTRAINT runs_plan_id_fkey"]
    assert not [s for s in applied["plan"]["steps"] if "ADD CONSTRAINT runs_plan_id_fkey" in s["sql"]]
    assert ("runs_plan_id_fkey", "f", True) in shape(v0)["constraints"]
    assert all(valid for _, kind, valid in shape(v0)["constraints"] if kind == "f")


def test_a_constraint_left_not_valid_is_planned_and_validated_when_nothing_else_differs(
    v0: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, applied = cli(capsys, "apply", str(EXAMPLE), "--database-url", v0, "--yes")
    assert code == 0 and _validations(applied["plan"]) == []
    with psycopg.connect(v0, autocommit=True) as conn:
        conn.execute("ALTER TABLE runs DROP CONSTRAINT runs_paper_id_fkey")
        conn.execute(
            "ALTER TABLE runs ADD CONSTRAINT runs_paper_id_fkey FOREIGN KEY (paper_id) REFERENCES papers (id)"
            " NOT VALID"
        )
    code, plan = cli(capsys, "plan", str(EXAMPLE), "--database-url", v0)
    assert code == 0
    [step] = plan["steps"]
    assert step["sql"] == "ALTER TABLE public.runs VALIDATE CONSTRAINT runs_paper_id_fkey"
    assert step["lock"] == "SHARE UPDATE EXCLUSIVE" and step["hazards"] == ["can-fail-on-data"]
    assert step["precheck"]["rows"] == 0
    code, applied = cli(capsys, "apply", str(EXAMPLE), "--database-url", v0, "--yes")
    assert code == 0, applied
    assert applied["run"]["total"] == 1 and applied["residue"] == []
    assert ("runs_paper_id_fkey", "f", True) in shape(v0)["constraints"]
    code, plan = cli(capsys, "plan", str(EXAMPLE), "--database-url", v0)
    assert code == 0 and plan["steps"] == []


def test_rows_a_not_valid_foreign_key_never_saw_block_its_validation(
    v0: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, applied = cli(capsys, "apply", str(EXAMPLE), "--database-url", v0, "--yes")
    assert code == 0, applied
    with psycopg.connect(v0, autocommit=True) as conn:
        conn.execute("ALTER TABLE runs DROP CONSTRAINT runs_paper_id_fkey")
        conn.execute(
            "INSERT INTO runs (id, plan_id, paper_id) SELECT gen_random_uuid(), plan_id, gen_random_uuid()"
            " FROM runs LIMIT 1"
        )
        conn.execute(
            "ALTER TABLE runs ADD CONSTRAINT runs_paper_id_fkey FOREIGN KEY (paper_id) REFERENCES papers (id)"
            " NOT VALID"
        )
    before = shape(v0)
    code = main(["plan", str(EXAMPLE), "--database-url", v0])
    text = capsys.readouterr().out
    assert code == 1
    assert "1/1  table public.runs: FOREIGN KEY (paper_id) -> public.papers(id)" in text
    assert "is NOT VALID in the database: the rows it had when it was added were never checked" in text
    assert "has no row in public.papers: 1 row(s); list them with: SELECT" in text
    assert "ALTER TABLE public.runs VALIDATE CONSTRAINT runs_paper_id_fkey;" in text
    code, applied = cli(capsys, "apply", str(EXAMPLE), "--database-url", v0, "--yes")
    assert code == 1 and "SD583" in codes(applied) and applied["run"] is None
    assert shape(v0) == before


def test_progress_in_a_log_has_a_line_per_step_and_retry_but_not_per_percent() -> None:
    from schemadoc.cli_apply import _progress
    from schemadoc.cli_output import Output

    err = io.StringIO()
    show = _progress(Output("text", stream=io.StringIO(), err=err))
    assert show is not None
    show(1, 3, "ALTER TABLE t VALIDATE CONSTRAINT fk1")
    show(2, 3, "ALTER TABLE t VALIDATE CONSTRAINT fk2")
    show(3, 3, "CREATE INDEX CONCURRENTLY i ON t (a)")
    show(3, 3, "CREATE INDEX CONCURRENTLY i ON t (a), building index: scanning table 10%")
    show(3, 3, "CREATE INDEX CONCURRENTLY i ON t (a), building index: scanning table 70%")
    show(3, 3, "CREATE INDEX CONCURRENTLY i ON t (a): lock not granted within 1000 ms; retry 1 of 5 in 0.2 s")
    show(3, 3, "CREATE INDEX CONCURRENTLY i ON t (a): lock not granted within 1000 ms; retry 2 of 5 in 0.3 s")
    assert err.getvalue().splitlines() == [
        "step 1 of 3: ALTER TABLE t VALIDATE CONSTRAINT fk1",
        "step 2 of 3: ALTER TABLE t VALIDATE CONSTRAINT fk2",
        "step 3 of 3: CREATE INDEX CONCURRENTLY i ON t (a)",
        "step 3 of 3: CREATE INDEX CONCURRENTLY i ON t (a), building index: scanning table 10%",
        "step 3 of 3: CREATE INDEX CONCURRENTLY i ON t (a): lock not granted within 1000 ms; retry 1 of 5 in 0.2 s",
        "step 3 of 3: CREATE INDEX CONCURRENTLY i ON t (a): lock not granted within 1000 ms; retry 2 of 5 in 0.3 s",
    ]
    assert _progress(Output("json", stream=io.StringIO(), err=io.StringIO())) is None
