"""Untestable promises come in two kinds: by design (nothing can try them) and because
something failed while trying; only the second makes the run fail (exit 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from schemadoc.cli import main
from schemadoc.read import read_documents
from schemadoc.verify.plans import broken
from schemadoc.verify.probes import _Prober, verify_promises
from schemadoc.verify.promises import build_promises

DOC = """# Shop

```sql
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL UNIQUE, price int NOT NULL CHECK (price > 0));
```
"""

CYCLE = """# Cycle

```sql
CREATE TABLE a (id int PRIMARY KEY, b_id int NOT NULL);
CREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL REFERENCES a(id));
ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b(id);
```
"""


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main([*args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_held_lock_makes_promises_untestable_by_failure_and_the_run_fail(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "shop.md"
    doc.write_text(DOC)
    code, _ = run(["up", str(doc), "--database-url", fresh_database_url, "--structure"], capsys)
    assert code == 0
    # SHARE: others may read the table (and its catalog entries), nobody may write it
    with psycopg.connect(fresh_database_url) as holder:
        holder.execute("LOCK TABLE items IN SHARE MODE")
        code, out = run(["verify", str(doc), "--database-url", fresh_database_url], capsys)
    assert code == 1
    promises = out["promises"]
    counts = promises["counts"]
    assert counts["untestable"] == counts["total"] > 0
    assert counts["untestable_failure"] == counts["total"] and counts["untestable_design"] == 0
    assert {r["cause"] for r in promises["results"]} == {"failure"}
    assert {r["actual_sqlstate"] for r in promises["results"]} == {"55P03"}  # lock_not_available
    failed = [d for d in out["diagnostics"] if d["code"] == "SD705"]
    assert len(failed) == counts["total"]
    assert all(d["level"] == "error" and "lock" in d["message"] for d in failed)
    assert out["ok"] is False


def test_the_text_report_says_what_failed(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "shop.md"
    doc.write_text(DOC)
    assert main(["up", str(doc), "--database-url", fresh_database_url, "--structure"]) == 0
    capsys.readouterr()
    # SHARE: others may read the table (and its catalog entries), nobody may write it
    with psycopg.connect(fresh_database_url) as holder:
        holder.execute("LOCK TABLE items IN SHARE MODE")
        code = main(["verify", str(doc), "--database-url", fresh_database_url])
    captured = capsys.readouterr()
    assert code == 1
    assert "because something failed" in captured.out
    assert "UNTESTED (FAILED)" in captured.out
    assert "error SD705" in captured.err and "lock timeout" in captured.err


def test_a_cycle_of_not_null_foreign_keys_is_untestable_by_design_and_does_not_fail_the_run(
    tmp_path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "cycle.md"
    doc.write_text(CYCLE)
    code, out = run(["up", str(doc), "--database-url", fresh_database_url], capsys)
    promises = out["promises"]
    design = [r for r in promises["results"] if r["outcome"] == "untestable"]
    assert design and {r["cause"] for r in design} == {"design"}
    assert all("cycle" in r["reason"] for r in design)
    assert promises["counts"]["untestable_design"] == len(design)
    assert promises["counts"]["untestable_failure"] == 0
    assert not [d for d in out["diagnostics"] if d["code"] == "SD705"]
    assert code == 0


KINDS = """# Kinds

```sql
CREATE TABLE kinds (id int PRIMARY KEY, name text NOT NULL UNIQUE CHECK (name IN ('a', 'b')));
```
"""


def test_a_row_held_by_another_session_makes_its_promises_untestable_by_failure(
    tmp_path: Path, fresh_database_url: str
) -> None:
    """Another session has inserted the name the probes use first and not committed: they wait
    past the lock timeout, and their promises are untestable because something failed."""
    doc = tmp_path / "kinds.md"
    doc.write_text(KINDS)
    assert main(["up", str(doc), "--database-url", fresh_database_url, "--structure"]) == 0
    schema, _ = read_documents([doc])
    with psycopg.connect(fresh_database_url) as holder:
        holder.execute("INSERT INTO kinds VALUES (-1, 'a')")
        with psycopg.connect(fresh_database_url) as conn:
            report = verify_promises(conn, schema, lock_timeout_ms=50)
    timed_out = [r for r in report.results if r.actual_sqlstate == "55P03"]
    assert timed_out, report.render_text()
    assert all(r.outcome == "untestable" and r.cause == "failure" for r in timed_out), report.render_text()
    assert report.counts()["broken"] == 0, report.render_text()


@pytest.mark.parametrize("sqlstate", ["55P03", "40P01", "57014", "08006"])
def test_a_verdict_resting_on_a_failed_attempt_is_never_broken(tmp_path: Path, sqlstate: str) -> None:
    """A probe that ends as broken on an error saying the attempt failed (a lock or statement
    timeout, a deadlock, a lost connection) is untestable by failure: no evidence either way."""
    doc = tmp_path / "kinds.md"
    doc.write_text(KINDS)
    promise = build_promises(read_documents([doc])[0])[0]
    result = _Prober._result(promise, broken("a row satisfying the check was rejected", sqlstate), "")
    assert (result.outcome, result.cause, result.actual_sqlstate) == ("untestable", "failure", sqlstate)
    real = _Prober._result(promise, broken("a row violating the check was accepted", "23514"), "")
    assert (real.outcome, real.cause) == ("broken", None)
