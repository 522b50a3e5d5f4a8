"""Untestable promises come in two kinds: by design (nothing can try them) and because
something failed while trying; only the second makes the run fail (exit 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from schemadoc.cli import main

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
